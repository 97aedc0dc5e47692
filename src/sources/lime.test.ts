import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FormatError } from '../util/errors.js';
import { BytesReader } from './file-reader.js';
import { openPhysical } from './index.js';
import { openLime } from './lime.js';
import type { SegmentedMemory } from './segmented.js';

function limeHeader(start: number, end: number, magic = 0x4c694d45, version = 1): Uint8Array {
  const h = new Uint8Array(32);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, magic, true);
  dv.setUint32(4, version, true);
  dv.setUint32(8, start % 2 ** 32, true);
  dv.setUint32(12, Math.floor(start / 2 ** 32), true);
  dv.setUint32(16, end % 2 ** 32, true);
  dv.setUint32(20, Math.floor(end / 2 ** 32), true);
  return h;
}

function lime(ranges: { start: number; fill: number; len: number }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const r of ranges) {
    parts.push(limeHeader(r.start, r.start + r.len - 1), new Uint8Array(r.len).fill(r.fill));
  }
  return Buffer.concat(parts);
}

test('lime: ranges with gaps map to their physical addresses, chosen by content', () => {
  const bytes = lime([
    { start: 0x1000, fill: 0x11, len: 0x2000 },
    { start: 0x10000, fill: 0x22, len: 0x1000 },
    { start: 0x1_0000_0000, fill: 0x33, len: 0x1000 },
  ]);
  const p = join(mkdtempSync(join(tmpdir(), 'memdig-lime-')), 'mem.lime');
  writeFileSync(p, bytes);
  const m = openPhysical(p);
  assert.equal(m.format, 'lime');
  assert.deepEqual(m.ranges, [
    { start: 0x1000, end: 0x3000 },
    { start: 0x10000, end: 0x11000 },
    { start: 0x1_0000_0000, end: 0x1_0000_1000 },
  ]);
  assert.equal(m.readU32(0x2ffc), 0x11111111);
  assert.equal(m.readU32(0x10000), 0x22222222);
  assert.equal(m.readU32(0x1_0000_0ffc), 0x33333333);
  assert.equal(m.readU32(0x3000), -1);
  const dst = new Uint8Array(8).fill(0xee);
  assert.equal(m.read(0xfffc, dst, 0, 8), 0);
  assert.deepEqual([...dst], [0, 0, 0, 0, 0x22, 0x22, 0x22, 0x22]);
  assert.equal((m as SegmentedMemory).lastMissing, 4);
  assert.deepEqual(m.warnings, []);
  const blocks: number[] = [];
  for (const b of m.scan(0x1000)) blocks.push(b.addr);
  assert.deepEqual(blocks, [0x1000, 0x2000, 0x10000, 0x1_0000_0000]);
  m.close();
});

test('lime: a truncated last range keeps the bytes present and warns', () => {
  const bytes = lime([
    { start: 0, fill: 1, len: 0x1000 },
    { start: 0x2000, fill: 2, len: 0x2000 },
  ]);
  const m = openLime(new BytesReader(bytes.subarray(0, bytes.length - 0x1800)));
  assert.deepEqual(m.ranges, [
    { start: 0, end: 0x1000 },
    { start: 0x2000, end: 0x2800 },
  ]);
  assert.match(m.warnings.join('\n'), /cut short: 2048 of 8192 bytes/);
});

test('lime: a partial trailing header is a warning', () => {
  const bytes = Buffer.concat([lime([{ start: 0, fill: 1, len: 0x1000 }]), new Uint8Array(10)]);
  const m = openLime(new BytesReader(bytes));
  assert.deepEqual(m.ranges, [{ start: 0, end: 0x1000 }]);
  assert.match(m.warnings[0]!, /10 bytes into a range header at offset 0x1020/);
});

test('lime: bad magic, version and absurd ranges name the offset', () => {
  const good = lime([{ start: 0, fill: 1, len: 0x1000 }]);
  const badMagic = Buffer.concat([good, limeHeader(0x2000, 0x2fff, 0x12345678)]);
  assert.throws(
    () => openLime(new BytesReader(badMagic)),
    (e: unknown) =>
      e instanceof FormatError && /offset 0x1020: .*magic 0x12345678, expected 0x4c694d45/.test(e.message),
  );
  assert.throws(
    () => openLime(new BytesReader(limeHeader(0, 0xfff, undefined, 2))),
    /offset 0x4: header version 2/,
  );
  assert.throws(
    () => openLime(new BytesReader(limeHeader(0x2000, 0x1000))),
    /offset 0x8: range 0x2000-0x1000 is invalid/,
  );
  assert.throws(() => openLime(new BytesReader(limeHeader(0, 2 ** 60))), /is invalid/);
});

test('lime: overlapping ranges are clipped with a warning', () => {
  const bytes = lime([
    { start: 0x1000, fill: 1, len: 0x2000 },
    { start: 0x2000, fill: 2, len: 0x2000 },
  ]);
  const m = openLime(new BytesReader(bytes));
  assert.deepEqual(m.ranges, [{ start: 0x1000, end: 0x4000 }]);
  assert.equal(m.readU32(0x2ffc), 0x01010101);
  assert.equal(m.readU32(0x3000), 0x02020202);
  assert.match(m.warnings.join(), /overlap/);
});
