import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CARVE_OVERLAP, carveEvtx, EvtxCarver } from './carve.js';
import { CHUNK_HEADER_SIZE, CHUNK_SIZE } from './layout.js';
import { synthChunk, synthEvents } from './synth.js';

/** Deterministic noise (xorshift), so a failure can be replayed. */
function noise(n: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(n);
  const w = new Uint32Array(out.buffer, 0, n >>> 2);
  let x = seed;
  for (let i = 0; i < w.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    w[i] = x >>> 0;
  }
  return out;
}

test('carving finds whole chunks, orphan records, and drops duplicates', () => {
  const img = noise(2 << 20);
  const a = synthChunk(synthEvents(1, 5));
  const c = synthChunk(synthEvents(6, 5));
  img.set(a, 100_003);
  img.set(a, 700_000); // the same chunk twice (e.g. cached and mapped copies)
  c.fill(0, 0, CHUNK_HEADER_SIZE); // chunk header lost: its records are orphans
  // Record 7 refers to its template by offset; give it an unknown template id so nothing can render it.
  const dv = new DataView(c.buffer);
  let off = CHUNK_HEADER_SIZE;
  off += dv.getUint32(off + 4, true);
  dv.setUint32(off + 30, 0xdeadbeef, true);
  img.set(c, 1_300_001);

  const res = carveEvtx(img, 0x1000_0000, { xml: true });
  assert.equal(res.chunks.length, 2);
  assert.equal(res.chunks[0]!.offset, 0x1000_0000 + 100_003);
  assert.equal(res.duplicates, 5);
  const ids = res.records.map((r) => r.recordId).sort((x, y) => x - y);
  assert.deepEqual(ids, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const byId = new Map(res.records.map((r) => [r.recordId, r]));
  for (const id of [1, 2, 3, 4, 5]) assert.equal(byId.get(id)!.origin, 'chunk');
  for (const id of [6, 7, 8, 9, 10]) assert.equal(byId.get(id)!.origin, 'orphan');
  // Record 6 defines its template inline; 8..10 use the template learnt from the intact chunk.
  for (const id of [6, 8, 9, 10]) {
    const r = byId.get(id)!;
    assert.equal(r.incomplete, false, `record ${id}: ${r.warnings.join('; ')}`);
    assert.equal(r.json?.EventRecordID, id);
    assert.equal(r.json?.Computer, 'HOST-1');
  }
  const r7 = byId.get(7)!;
  assert.equal(r7.incomplete, true);
  assert.match(r7.xml!, /UnresolvedTemplate/);
  assert.match(r7.xml!, /event 7 &lt;&amp;&gt;/);
  assert.equal(r7.offset, 0x1000_0000 + 1_300_001 + off);
});

test('carving random bytes finds nothing', () => {
  const res = carveEvtx(noise(1 << 20, 1234));
  assert.equal(res.records.length, 0);
  assert.equal(res.chunks.length, 0);
});

test('block-wise carving with overlap finds each chunk and record once', () => {
  const img = noise(3 << 20, 77);
  const chunks = [
    synthChunk(synthEvents(1, 5)),
    synthChunk(synthEvents(6, 5)),
    synthChunk(synthEvents(11, 5)),
  ];
  const block = 1 << 20;
  // One chunk across the first block boundary, one inside the overlap of the second, one at the very end.
  const at = [block - 30_000, 2 * block - 70_000, img.length - CHUNK_SIZE];
  chunks.forEach((c, i) => {
    img.set(c, at[i]!);
  });
  const carver = new EvtxCarver();
  const found: number[] = [];
  const offsets: number[] = [];
  for (let pos = 0; ; pos += block - CARVE_OVERLAP) {
    const end = Math.min(pos + block, img.length);
    const res = carver.carve(img.subarray(pos, end), pos, end === img.length);
    for (const c of res.chunks) offsets.push(c.offset);
    for (const r of res.records) found.push(r.recordId);
    if (end === img.length) break;
  }
  assert.deepEqual(offsets, at);
  assert.deepEqual(
    found.sort((x, y) => x - y),
    Array.from({ length: 15 }, (_, i) => i + 1),
  );
});
