import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatError } from '../../util/errors.js';
import { encodeLzx as encode, expandOps as expand, type Op } from './fixture.js';
import { lzxDecompress } from './lzx.js';

test('LZX verbatim blocks: literals, long matches, overlapping and repeated offsets', () => {
  const text = [...Buffer.from('memdig reads PDBs from symbol servers. ')].map((lit) => ({ lit }));
  const ops: Op[] = [
    ...text,
    { len: 20, off: text.length }, // copy of earlier text
    { len: 100, off: 1 }, // run-length style overlap
    { len: 5, off: 1 }, // repeated offset (R0)
    { len: 136, off: 97 },
    ...text.slice(0, 7),
  ];
  const want = expand(ops);
  assert.deepEqual(Buffer.from(lzxDecompress(encode(ops), 15, want.length)), Buffer.from(want));
});

test('LZX uncompressed blocks (odd length, realignment) mixed with verbatim ones, across 32 KiB frames', () => {
  const raw = Array.from({ length: 40001 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
  const ops: Op[] = [
    { lit: 65 },
    { raw: raw.slice(0, 32767) },
    { lit: 66 },
    { len: 30, off: 1 },
    { raw: raw.slice(32767) },
  ];
  const want = expand(ops);
  assert.deepEqual(Buffer.from(lzxDecompress(encode(ops), 15, want.length)), Buffer.from(want));
});

test('LZX E8 translation is undone in the output', () => {
  // Data with CALL rel32 instructions; the compressor stored them as absolute targets (rel + position).
  const data = new Uint8Array(64).fill(0x90);
  const calls = [3, 20, 40];
  for (const at of calls) {
    data[at] = 0xe8;
    new DataView(data.buffer).setInt32(at + 1, 0x100 - at, true);
  }
  const stored = data.slice();
  for (const at of calls) new DataView(stored.buffer).setInt32(at + 1, 0x100, true);
  const out = lzxDecompress(encode([{ raw: [...stored] }], { e8FileSize: 1 << 20 }), 15, data.length);
  assert.deepEqual(Buffer.from(out), Buffer.from(data));
});

test('LZX: damaged streams fail with FormatError, quickly', () => {
  const ops: Op[] = [...Buffer.from('abcdefgh')].map((lit) => ({ lit }));
  const good = encode([...ops, { len: 50, off: 8 }]);
  assert.throws(() => lzxDecompress(good.subarray(0, 10), 15, 58), FormatError);
  assert.throws(() => lzxDecompress(encode([{ len: 4, off: 3 }]), 15, 4), /before the start/);
  assert.throws(() => lzxDecompress(good, 22, 58), /window/);
  let seed = 7;
  for (let i = 0; i < 100; i++) {
    const b = good.slice();
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    b[seed % b.length] ^= 1 << (seed % 8);
    try {
      lzxDecompress(b, 15, 58);
    } catch (e) {
      assert.ok(e instanceof FormatError, String(e));
    }
  }
});
