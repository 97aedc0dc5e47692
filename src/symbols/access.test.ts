import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xz } from '@napi-rs/lzma';
import { B, BF, P, S, tinyIsf } from '../testing/tiny-isf.js';
import { FormatError, Warnings } from '../util/errors.js';
import { parseIsf } from './isf.js';
import { bytesReadable } from './layout.js';
import { walkList } from './list.js';
import { Profile } from './profile.js';

function profile(doc = tinyIsf()): Profile {
  return new Profile(parseIsf(JSON.stringify(doc), 'tiny'), { source: 'tiny' });
}

test('ISF: identity, arch, symbols and enums', () => {
  const p = profile();
  assert.equal(p.arch, 'x64');
  assert.equal(p.pointerSize, 8);
  assert.deepEqual(p.identity, { pdbName: 'ntkrnlmp.pdb', guid: '0123456789ABCDEF0123456789ABCDEF', age: 1 });
  assert.equal(p.symbol('PsActiveProcessHead'), 0x1000);
  assert.equal(p.symbolAddress('PsActiveProcessHead', 0xf80000000000), 0xf80000001000);
  assert.equal(p.symbol('Nope'), undefined);
  assert.equal(p.enumName('_MODE', 1), 'UserMode');
  assert.equal(p.enumName('_MODE', 7), null);
});

test('ISF: .json.xz bytes are detected and decompressed', () => {
  const bytes = xz.compressSync(JSON.stringify(tinyIsf()));
  const doc = parseIsf(bytes, 'tiny.json.xz');
  assert.equal(doc.user_types._THING!.size, 0x60);
});

test('layout: offsets, nested paths, array indexing', () => {
  const t = profile().struct('_THING');
  assert.equal(t.size, 0x60);
  assert.equal(t.offsetOf('Links'), 8);
  assert.equal(t.offsetOf('Links.Blink'), 16);
  assert.equal(t.offsetOf('u.High'), 0x30);
  assert.equal(t.offsetOf('Arr[1]'), 0x40);
  assert.equal(t.offsetOf('Str.Buffer'), 0x50);
  assert.equal(t.has('Missing'), false);
  assert.equal(t.has('Arr[2]'), false);
  assert.equal(t.offsetOrMinus1('Links.Nope'), -1);
  assert.throws(() => t.offsetOf('Nope'), /_THING\.Nope/);
  const f = t.field('u.Straddle');
  assert.equal(f.type.kind, 'bitfield');
  assert.equal(f.type.bitPos, 30);
  assert.equal(f.type.bitLen, 6);
  assert.equal(t.field('Self').type.target?.name, '_THING');
  assert.equal(t.field('Name').type.count, 8);
  assert.throws(() => t.accessor('Links'), /not a scalar/);
});

function thingBytes(): Uint8Array {
  const b = new Uint8Array(0x60);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, 0x123456789abcn, true);
  dv.setBigUint64(8, 0xfffff80000001008n, true); // Flink, canonical kernel address
  dv.setBigUint64(16, 0x1008n, true);
  b.set(Buffer.from('lsass.ex'), 0x18);
  dv.setUint32(0x20, 1, true);
  dv.setInt16(0x24, -2, true);
  dv.setInt8(0x26, -3);
  dv.setBigUint64(0x28, 0xffffa00000002000n, true);
  // bits: Low=5 (0..2), Signed nibble (4..7) = 0xE (-2), Straddle bits 30..35 = 0b101101, High 52..54 = 6, Top = 1
  const v = 5n | (0xen << 4n) | (0b101101n << 30n) | (6n << 52n) | (1n << 63n);
  dv.setBigUint64(0x30, v, true);
  dv.setBigUint64(0x38, 0x7ffe0000n, true);
  dv.setBigUint64(0x40, 0xffffffffffffffffn, true);
  return b;
}

test('accessors: integers, pointers (sign bits dropped), bitfields, enums', () => {
  const p = profile();
  const t = p.struct('_THING');
  const b = thingBytes();
  assert.equal(t.accessor('Id').get(b, 0), 0x123456789abc);
  assert.equal(t.accessor('Links.Flink').get(b, 0), 0xf80000001008);
  assert.equal(t.accessor('Mode').get(b, 0), 1);
  assert.equal(t.accessor('Small').get(b, 0), -2);
  assert.equal(t.accessor('Byte').get(b, 0), -3);
  assert.equal(t.accessor('Self').get(b, 0), 0xa00000002000);
  assert.equal(t.accessor('u.Low').get(b, 0), 5);
  assert.equal(t.accessor('u.Signed').get(b, 0), -2);
  assert.equal(t.accessor('u.Straddle').get(b, 0), 0b101101);
  assert.equal(t.accessor('u.High').get(b, 0), 6);
  assert.equal(t.accessor('u.Top').get(b, 0), 1);
  assert.equal(t.accessor('Arr[0]').get(b, 0), 0x7ffe0000);
  assert.equal(t.accessor('Arr[1]').get(b, 0), 0xffffffffffff);
  // at an offset inside a larger buffer, and through a Readable
  const big = new Uint8Array(0x200);
  big.set(b, 0x100);
  assert.equal(t.accessor('u.High').get(big, 0x100), 6);
  const mem = bytesReadable(big, 0x10000);
  assert.equal(t.accessor('Links.Flink').read(mem, 0x10100), 0xf80000001008);
  assert.ok(Number.isNaN(t.accessor('Id').read(mem, 0x10200)), 'unreadable -> NaN');
});

test('view: object access, strings, enums, nested structs, UNICODE_STRING', () => {
  const p = profile();
  const b = thingBytes();
  const mem = new Uint8Array(0x1000);
  mem.set(b, 0x100);
  const dv = new DataView(mem.buffer);
  // UNICODE_STRING at 0x148 -> buffer at 0x800
  dv.setUint16(0x148, 8, true);
  dv.setUint16(0x14a, 10, true);
  dv.setBigUint64(0x150, 0x800n, true);
  mem.set(Buffer.from('a.ev', 'utf16le'), 0x800);
  const r = bytesReadable(mem);
  const v = p.view('_THING', r, 0x100);
  assert.ok(v.complete);
  assert.equal(v.num('Id'), 0x123456789abc);
  assert.equal(v.string('Name'), 'lsass.ex');
  assert.equal(v.enumName('Mode'), 'UserMode');
  assert.equal(v.struct('u').num('High'), 6);
  assert.equal(v.struct('Links').address, 0x108);
  assert.equal(v.unicode('Str'), 'a.ev');
  assert.equal(p.readUnicodeString(r, 0x148), 'a.ev');
  const o = v.toObject();
  assert.equal(o.Id, 0x123456789abc);
  assert.deepEqual((o.Links as Record<string, unknown>).Blink, 0x1008);
  assert.equal(o.Fn, 0);
  // odd length -> null
  dv.setUint16(0x148, 7, true);
  assert.equal(p.readUnicodeString(r, 0x148), null);
});

test('walkList: clean walk, loop, null and max are bounded and reported', () => {
  const mem = new Uint8Array(0x1000);
  const dv = new DataView(mem.buffer);
  const link = (at: number, flink: number, blink: number) => {
    dv.setBigUint64(at, BigInt(flink), true);
    dv.setBigUint64(at + 8, BigInt(blink), true);
  };
  // head 0x100 -> 0x208 -> 0x308 -> head; containers at entry - 8
  link(0x100, 0x208, 0x308);
  link(0x208, 0x308, 0x100);
  link(0x308, 0x100, 0x208);
  const r = bytesReadable(mem);
  let w = walkList(r, 0x100, { pointerSize: 8, linkOffset: 8, checkBlink: true });
  assert.deepEqual(w, { items: [0x200, 0x300], stop: 'head', at: 0x100 });
  link(0x308, 0x208, 0x208); // loops back into the middle
  w = walkList(r, 0x100, { pointerSize: 8 });
  assert.equal(w.stop, 'loop');
  assert.equal(w.items.length, 2);
  w = walkList(r, 0x100, { pointerSize: 8, max: 1 });
  assert.equal(w.stop, 'max');
  link(0x308, 0, 0x208);
  assert.equal(walkList(r, 0x100, { pointerSize: 8 }).stop, 'null');
  link(0x308, 0x5000, 0x208);
  assert.equal(walkList(r, 0x100, { pointerSize: 8 }).stop, 'unreadable');
  link(0x308, 0x100, 0x999);
  assert.equal(walkList(r, 0x100, { pointerSize: 8, checkBlink: true }).stop, 'blink');
});

test('bad ISF: truncated JSON, cyclic by-value types, absurd sizes, dangling refs', () => {
  const text = JSON.stringify(tinyIsf());
  assert.throws(
    () => parseIsf(text.slice(0, text.length / 2), 'cut.json'),
    (e: unknown) => {
      assert.ok(e instanceof FormatError);
      assert.match((e as Error).message, /cut\.json: not valid JSON/);
      return true;
    },
  );
  assert.throws(() => parseIsf(xz.compressSync(text).subarray(0, 100), 'cut.json.xz'), /xz stream/);

  const cyc = tinyIsf();
  cyc.user_types._A = { kind: 'struct', size: 8, fields: { b: { offset: 0, type: S('_B') as never } } };
  cyc.user_types._B = { kind: 'struct', size: 8, fields: { a: { offset: 0, type: S('_A') as never } } };
  assert.throws(() => parseIsf(JSON.stringify(cyc), 'cyc'), /cyclic layout\): _A -> _B -> _A/);

  const self = tinyIsf();
  self.user_types._THING!.fields.Me = {
    offset: 0,
    type: { kind: 'array', count: 1, subtype: S('_THING') } as never,
  };
  assert.throws(() => parseIsf(JSON.stringify(self), 'self'), /cyclic/);

  const huge = tinyIsf();
  huge.user_types._THING!.size = 2 ** 40;
  assert.throws(() => parseIsf(JSON.stringify(huge), 'huge'), /absurd size/);

  const arr = tinyIsf();
  arr.user_types._THING!.fields.Big = {
    offset: 0,
    type: { kind: 'array', count: 2 ** 28, subtype: B('unsigned long long') } as never,
  };
  assert.throws(() => parseIsf(JSON.stringify(arr), 'arr'), /absurdly large/);

  const off = tinyIsf();
  off.user_types._THING!.fields.Id!.offset = 0x1000;
  assert.throws(() => parseIsf(JSON.stringify(off), 'off'), /outside the 96-byte type/);

  const bits = tinyIsf();
  bits.user_types._FLAGS!.fields.Low = { offset: 0, type: BF('unsigned long', 30, 8) as never };
  assert.throws(() => parseIsf(JSON.stringify(bits), 'bits'), /bit range 30\+8/);

  const nobase = tinyIsf();
  nobase.user_types._THING!.fields.Id = { offset: 0, type: B('quad') as never };
  assert.throws(() => parseIsf(JSON.stringify(nobase), 'nobase'), /base type "quad"/);

  assert.throws(() => parseIsf('[]', 'arr'), /not a JSON object/);
  assert.throws(() => parseIsf('{"metadata":{}}', 'x'), /missing or malformed "base_types"/);

  const dangling = tinyIsf();
  dangling.user_types._THING!.fields.Ghost = { offset: 0, type: S('_GHOST') as never };
  dangling.user_types._THING!.fields.GhostPtr = { offset: 0, type: P(S('_GHOST2')) as never };
  const w = new Warnings();
  parseIsf(JSON.stringify(dangling), 'dangling', w);
  assert.equal(w.count, 1);
  assert.match(w.items[0]!, /undefined type "_GHOST"/);
});

test('ISF: a bitfield whose storage unit overhangs its struct is fine while its bits fit (Linux desc_struct)', () => {
  const doc = tinyIsf();
  // 8-byte struct; a u16 unit at +7 holding bits 0-7 (only byte 7 used), as dwarf2json writes desc_struct.base2.
  doc.user_types._DESC = {
    kind: 'struct',
    size: 8,
    fields: {
      base2: { offset: 7, type: BF('unsigned short', 0, 8) as never },
      low: { offset: 0, type: B('unsigned short') as never },
    },
  };
  const ok = new Warnings();
  const p = new Profile(parseIsf(JSON.stringify(doc), 'desc', ok), { source: 'desc' });
  assert.deepEqual(ok.items, []);
  assert.equal(
    p
      .struct('_DESC')
      .accessor('base2')
      .get(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0xab]), 0),
    0xab,
  );
  // Bits 8-15 of that unit would lie past the struct: still reported.
  doc.user_types._DESC.fields.base2 = { offset: 7, type: BF('unsigned short', 4, 8) as never };
  const bad = new Warnings();
  parseIsf(JSON.stringify(doc), 'desc', bad);
  assert.match(bad.items.join('\n'), /_DESC\.base2: member \(2 bytes at \+7\) runs past the end/);
});
