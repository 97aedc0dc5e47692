import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeKallsyms } from './kallsyms.js';

/**
 * Tables as scripts/kallsyms.c lays them out: 256 tokens (here token i is the single byte i, except token 1 = "Tmy_"),
 * names as length + token indices (long names use the 2-byte length form), offsets relative to a base.
 */
function tables(names: string[], offsets: number[], base: number) {
  const mem = new Uint8Array(1 << 16);
  const dv = new DataView(mem.buffer);
  const at = { tokenTable: 0x100, tokenIndex: 0, names: 0x2000, offsets: 0x8000, relativeBase: 0x9000 };
  let p = at.tokenTable;
  const idx: number[] = [];
  for (let i = 0; i < 256; i++) {
    idx.push(p - at.tokenTable);
    const tok = i === 1 ? Buffer.from('Tmy_') : Buffer.from([i === 0 ? 0x20 : i]);
    mem.set(tok, p);
    p += tok.length + 1;
  }
  at.tokenIndex = (p + 7) & ~7;
  idx.forEach((v, i) => {
    dv.setUint16(at.tokenIndex + i * 2, v, true);
  });
  let q = at.names;
  for (const n of names) {
    // "Tmy_" prefix compresses to token 1.
    const body = n.startsWith('Tmy_') ? [1, ...Buffer.from(n.slice(4))] : [...Buffer.from(n)];
    if (body.length > 127) {
      mem[q++] = (body.length & 0x7f) | 0x80;
      mem[q++] = body.length >> 7;
    } else mem[q++] = body.length;
    mem.set(body, q);
    q += body.length;
  }
  offsets.forEach((o, i) => {
    dv.setInt32(at.offsets + i * 4, o, true);
  });
  dv.setUint32(at.relativeBase, base % 2 ** 32, true);
  dv.setUint32(at.relativeBase + 4, 0xffff0000 + Math.floor(base / 2 ** 32), true);
  return { read: (a: number, n: number) => mem.slice(a, a + n), at: { ...at, numSyms: names.length } };
}

test('kallsyms: token expansion, 2-byte lengths, absolute per-CPU and base-relative addresses', () => {
  const base = 0xffffb9600000;
  const long = `t${'x'.repeat(200)}`;
  const { read, at } = tables(
    ['Tmy_start', 'Acurrent_task', 'Dinit_task', long],
    [-1, 0x1fb80, -0x1a1aa41, -5],
    base,
  );
  const k = decodeKallsyms(read, at, 'test')!;
  assert.equal(k.count, 4);
  assert.deepEqual(k.get('my_start'), { name: 'my_start', type: 'T', addr: base });
  assert.equal(k.addr('current_task'), 0x1fb80);
  assert.equal(k.addr('init_task'), base + 0x1a1aa40);
  assert.equal(k.get('x'.repeat(200))?.type, 't');
  assert.equal(k.get('init'), undefined);
  assert.equal(k.at(2).name, 'init_task');
});

test('kallsyms: without negative offsets every offset counts up from the base', () => {
  const { read, at } = tables(['Ta', 'Db'], [0, 0x100], 0xffff81000000);
  const k = decodeKallsyms(read, at, 'test')!;
  assert.equal(k.addr('b'), 0xffff81000100);
});

test('kallsyms: a names table that runs out is rejected, not read past', () => {
  const { read, at } = tables(['Ta'], [0], 0xffff81000000);
  assert.equal(decodeKallsyms(read, { ...at, numSyms: 100000 }, 'test'), null);
});
