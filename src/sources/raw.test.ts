import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openPhysical } from './index.js';
import { physicalFromBytes } from './raw.js';

test('raw: contiguous from 0, holes past the end are zero-filled and reported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memdig-raw-'));
  const p = join(dir, 'a.raw');
  const b = new Uint8Array(3 * 4096);
  for (let i = 0; i < b.length; i++) b[i] = i & 0xff;
  writeFileSync(p, b);
  const m = openPhysical(p);
  assert.equal(m.format, 'raw');
  assert.deepEqual(m.ranges, [{ start: 0, end: 3 * 4096 }]);
  const dst = new Uint8Array(16).fill(0xee);
  assert.equal(m.read(3 * 4096 - 8, dst, 0, 16), 8);
  assert.deepEqual([...dst.subarray(0, 8)], [0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff]);
  assert.deepEqual([...dst.subarray(8)], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(m.readU32(4), 0x07060504);
  assert.equal(m.readU32(3 * 4096 - 2), -1);
  m.close();
});

test('physicalFromBytes: runs over a buffer, with holes, scan included', () => {
  const buf = new Uint8Array(0x3000);
  buf.fill(1, 0, 0x1000);
  buf.fill(2, 0x1000, 0x3000);
  const m = physicalFromBytes(buf, [
    { phys: 0x10000, length: 0x1000, fileOffset: 0 },
    { phys: 0x20000, length: 0x2000, fileOffset: 0x1000 },
  ]);
  assert.equal(m.readU32(0x10ffc), 0x01010101);
  assert.equal(m.readU32(0x21ffc), 0x02020202);
  assert.equal(m.isPresent(0x11000), false);
  const seen: [number, number][] = [];
  for (const b of m.scan(0x1000, 0x10800, 0x21800)) seen.push([b.addr, b.bytes.length]);
  assert.deepEqual(seen, [
    [0x10800, 0x800],
    [0x20000, 0x1000],
    [0x21000, 0x800],
  ]);
});

test('hibernation files are refused clearly instead of read as raw memory', () => {
  const p = join(mkdtempSync(join(tmpdir(), 'memdig-hib-')), 'hiberfil.sys');
  const b = new Uint8Array(8192);
  b.set([0x48, 0x49, 0x42, 0x52]);
  writeFileSync(p, b);
  assert.throws(() => openPhysical(p), /Windows hibernation file .* not supported yet/);
});
