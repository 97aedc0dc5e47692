import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { xz } from '@napi-rs/lzma';
import { sharedPath, skipWithoutShared } from '../testing/shared.js';
import { B, BF, P, S, tinyIsf } from '../testing/tiny-isf.js';
import { FormatError, MemdigError, Warnings } from '../util/errors.js';
import { type IsfDocument, openIsf, parseIsf, readIsfFile } from './isf.js';
import { Profile } from './profile.js';

const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v, null, 1));
const open = (v: unknown, w = new Warnings()) => openIsf(enc(v), 'lazy', w);

/** Reads every value of a lazily opened table, as a full validation would. */
function touchAll(doc: IsfDocument): void {
  for (const k of Object.keys(doc)) {
    const v = (doc as unknown as Record<string, unknown>)[k];
    if (k === 'user_types') for (const t of Object.keys(doc.user_types)) void doc.user_types[t];
    if (k === 'symbols') void Object.keys(doc.symbols);
    void v;
  }
}

test('lazy ISF: the same table as a full parse, types and symbols parsed on first use', () => {
  const doc = tinyIsf();
  const lazy = open(doc);
  assert.deepEqual(lazy, parseIsf(JSON.stringify(doc), 'full'));
  assert.deepEqual(Object.keys(lazy.user_types), Object.keys(doc.user_types));
  // Compressed input and a Profile over it.
  const p = new Profile(openIsf(xz.compressSync(JSON.stringify(doc)), 'x.json.xz'), { source: 'x' });
  assert.equal(p.struct('_THING').offsetOf('Str'), 0x48);
  assert.equal(p.symbol('PsActiveProcessHead'), 0x1000);
  assert.equal(p.pointerSize, 8);
});

test('lazy ISF: symbols found one by one; a repeated name gives the last value, as JSON.parse does', () => {
  const text = JSON.stringify(tinyIsf()).replace(
    '"symbols":{"PsActiveProcessHead":{"address":4096}}',
    '"symbols":{"A":{"address":1},"B":{"address":2,"type":{"kind":"struct","name":"A"}},"A":{"address":3}}',
  );
  assert.match(text, /"A":\{"address":3\}/);
  const lazy = openIsf(enc(text), 'dup');
  assert.equal(lazy.symbols.A?.address, 3);
  assert.equal(lazy.symbols.B?.address, 2);
  assert.equal(lazy.symbols.address, undefined, 'a name nested inside a value is not a symbol');
  assert.equal(lazy.symbols.kind, undefined);
  assert.equal(Object.hasOwn(lazy.symbols, 'B'), true);
  assert.equal(Object.hasOwn(lazy.symbols, 'C'), false);
  assert.deepEqual(Object.keys(lazy.symbols), ['A', 'B']);
  assert.deepEqual(lazy.symbols, JSON.parse(text).symbols);
});

test('lazy ISF: member names with escapes and non-ASCII decode as JSON.parse does', () => {
  const doc = tinyIsf() as unknown as {
    user_types: Record<string, unknown>;
    symbols: Record<string, unknown>;
  };
  doc.user_types['_Q"uote\\d'] = { kind: 'struct', size: 1, fields: {} };
  doc.user_types['_Ünï\u2603'] = { kind: 'struct', size: 2, fields: {} };
  doc.symbols['\u00e9t\u00e9\n'] = { address: 7 };
  const text = JSON.stringify(doc).replace('"_Q', '"\\u005fQ');
  const lazy = openIsf(enc(text), 'esc');
  assert.deepEqual(lazy, JSON.parse(text));
  assert.equal(lazy.user_types['_Q"uote\\d']!.size, 1);
  assert.equal(lazy.user_types['_Ünï\u2603']!.size, 2);
  assert.equal(lazy.symbols['\u00e9t\u00e9\n']!.address, 7);
  // JSON forbids raw control characters in strings; a name holding one is refused as JSON.parse refuses it.
  const raw = JSON.stringify(tinyIsf()).replace('"_FLAGS"', '"_FL\nAGS"');
  assert.throws(() => JSON.parse(raw));
  assert.throws(() => openIsf(enc(raw), 'raw'), /not valid JSON \(bad member name/);
});

test('lazy ISF: hostile tables fail with the same errors as a full parse, when the bad type is read', () => {
  const text = JSON.stringify(tinyIsf());
  assert.throws(
    () => openIsf(enc(text.slice(0, text.length / 2)), 'cut.json'),
    (e: unknown) => e instanceof FormatError && /cut\.json: not valid JSON/.test(e.message),
  );
  assert.throws(() => openIsf(xz.compressSync(text).subarray(0, 100), 'cut.json.xz'), /xz stream/);
  assert.throws(() => open('[]'), /not a JSON object/);
  assert.throws(() => open(''), /not valid JSON \(empty input\)/);
  assert.throws(() => open(`${text} {}`), /data after the top-level object/);
  assert.throws(() => open('{"metadata":{}}'), /missing or malformed "base_types"/);

  const cyc = tinyIsf();
  cyc.user_types._A = { kind: 'struct', size: 8, fields: { b: { offset: 0, type: S('_B') as never } } };
  cyc.user_types._B = { kind: 'struct', size: 8, fields: { a: { offset: 0, type: S('_A') as never } } };
  const c = open(cyc);
  assert.equal(c.user_types._THING!.size, 0x60, 'types outside the cycle stay usable');
  assert.throws(() => c.user_types._A, /cyclic layout\): _A -> _B -> _A/);
  assert.throws(() => c.user_types._B, /cyclic layout\): _B -> _A -> _B/);

  const self = tinyIsf();
  self.user_types._THING!.fields.Me = {
    offset: 0,
    type: { kind: 'array', count: 1, subtype: S('_THING') } as never,
  };
  assert.throws(() => open(self).user_types._THING, /cyclic layout\): _THING -> _THING/);

  const huge = tinyIsf();
  huge.user_types._THING!.size = 2 ** 40;
  assert.throws(() => open(huge).user_types._THING, /absurd size/);
  const arr = tinyIsf();
  arr.user_types._THING!.fields.Big = {
    offset: 0,
    type: { kind: 'array', count: 2 ** 28, subtype: B('unsigned long long') } as never,
  };
  assert.throws(() => open(arr).user_types._THING, /absurdly large/);
  const bits = tinyIsf();
  bits.user_types._FLAGS!.fields.Low = { offset: 0, type: BF('unsigned long', 30, 8) as never };
  // _THING holds _FLAGS by value: reading _THING checks _FLAGS first.
  assert.throws(() => open(bits).user_types._THING, /_FLAGS\.Low: bit range 30\+8/);
  const badJson = JSON.stringify(tinyIsf()).replace(
    '"_UNICODE_STRING":{"kind":"struct"',
    '"_UNICODE_STRING":{"kind":struct',
  );
  const bj = open(badJson);
  assert.equal(bj.user_types._LIST_ENTRY!.size, 16);
  assert.throws(() => bj.user_types._UNICODE_STRING, /not valid JSON \(in "_UNICODE_STRING"/);

  const badSym = tinyIsf();
  (badSym.symbols as Record<string, unknown>).Bad = { address: 'x' };
  const bs = open(badSym);
  assert.equal(bs.symbols.PsActiveProcessHead?.address, 0x1000);
  assert.throws(() => bs.symbols.Bad, /symbol "Bad" is malformed/);
  assert.throws(() => Object.keys(bs.symbols), /symbol "Bad" is malformed/);

  const dangling = tinyIsf();
  dangling.user_types._THING!.fields.Ghost = { offset: 0, type: S('_GHOST') as never };
  dangling.user_types._THING!.fields.GhostPtr = { offset: 0, type: P(S('_GHOST2')) as never };
  const w = new Warnings();
  void open(dangling, w).user_types._THING;
  assert.equal(w.count, 1);
  assert.match(w.items[0]!, /undefined type "_GHOST"/);
});

test('lazy ISF: a by-value chain 20,000 types deep is refused, not a stack overflow', () => {
  const doc = tinyIsf();
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const fields = (i + 1 < n ? { next: { offset: 0, type: S(`_T${i + 1}`) } } : {}) as never;
    doc.user_types[`_T${i}`] = { kind: 'struct', size: 8, fields };
  }
  const lazy = open(doc);
  assert.throws(() => lazy.user_types._T0, /nested by value more than 256 deep/);
  // Entered from near the end of the chain the nesting is short and the table is fine.
  assert.equal(lazy.user_types[`_T${n - 10}`]!.size, 8);
});

test('lazy ISF: mutated tables either fail with a MemdigError or equal a full parse (1000 mutations)', () => {
  const text = JSON.stringify(tinyIsf(), null, 1);
  let seed = 12345;
  const rnd = (m: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % m;
  };
  const alphabet = '{}[]",:\\ 0a-\n\u0001\u00e9';
  let agreedOk = 0;
  for (let i = 0; i < 1000; i++) {
    const chars = [...text];
    for (let k = 0, n = 1 + rnd(3); k < n; k++) {
      const at = rnd(chars.length);
      const op = rnd(3);
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, alphabet[rnd(alphabet.length)]!);
      else chars[at] = alphabet[rnd(alphabet.length)]!;
    }
    const m = chars.join('');
    let full: IsfDocument | Error;
    try {
      full = parseIsf(m, 'm');
    } catch (e) {
      full = e as Error;
    }
    let lazy: IsfDocument | Error;
    try {
      lazy = openIsf(enc(m), 'm');
      touchAll(lazy);
    } catch (e) {
      lazy = e as Error;
    }
    if (lazy instanceof Error) assert.ok(lazy instanceof MemdigError, `mutation ${i}: ${lazy.stack}`);
    if (full instanceof Error) {
      assert.ok(
        lazy instanceof Error,
        `mutation ${i}: full parse failed (${full.message}), lazy did not:\n${m}`,
      );
    } else {
      assert.ok(!(lazy instanceof Error), `mutation ${i}: lazy failed (${(lazy as Error).message}):\n${m}`);
      assert.deepEqual(lazy, full, `mutation ${i}`);
      agreedOk++;
    }
  }
  assert.ok(agreedOk > 10, `some mutations keep the table valid (${agreedOk})`);
});

test('lazy ISF: a real kernel table reads the same as a full parse', {
  skip: skipWithoutShared('corpus/isf/ntkrnlmp.pdb'),
}, () => {
  const path = sharedPath('corpus', 'isf', 'ntkrnlmp.pdb', '00F31FD82648C8ED1A4426DFFC56A424-1.json.xz')!;
  const lazy = readIsfFile(path);
  const full = parseIsf(readFileSync(path), path);
  // Every symbol through the name index first, then the whole table (which lists and so parses everything).
  for (const [name, sym] of Object.entries(full.symbols)) assert.deepEqual(lazy.symbols[name], sym, name);
  assert.deepEqual(Object.keys(lazy.user_types), Object.keys(full.user_types));
  assert.deepEqual(lazy, full);
});
