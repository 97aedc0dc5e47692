import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BytesReader, FileReader } from './file-reader.js';

test('file reader: cached reads match the file across blocks, evictions and the short last block', () => {
  const data = new Uint8Array(5 * 4096 + 123);
  let seed = 7;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    data[i] = seed >>> 24;
  }
  const p = join(mkdtempSync(join(tmpdir(), 'memdig-fr-')), 'f.bin');
  writeFileSync(p, data);
  const f = new FileReader(p, 2);
  const dst = new Uint8Array(9000);
  for (let i = 0; i < 2000; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const pos = seed % (data.length + 50);
    const len = [1, 4, 8, 33, 100, 4095, 4096, 8191][i % 8]!;
    const n = f.read(pos, dst, 5, len);
    const want = Math.max(0, Math.min(len, data.length - pos));
    assert.equal(n, want, `read(${pos}, ${len})`);
    assert.deepEqual(dst.subarray(5, 5 + n), data.subarray(pos, pos + n));
  }
  assert.deepEqual(f.bytes(data.length - 3, 10), data.subarray(data.length - 3));
  f.close();
  f.close();
  const b = new BytesReader(Buffer.from(data));
  const copy = b.bytes(0, 4);
  copy[0] = (copy[0]! + 1) & 0xff;
  assert.notEqual(copy[0], data[0], 'bytes() returns a copy, never a view of the source');
});
