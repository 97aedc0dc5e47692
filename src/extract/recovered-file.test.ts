import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BufferMemory } from '../sources/buffer.js';
import { FilePageMap, writeRecoveredFile } from './recovered-file.js';

test('recovered file: resident pages at their offsets, holes zero-filled and reported, size honoured', () => {
  const mem = new BufferMemory();
  mem.write(0x10000, new Uint8Array(4096).fill(0xaa));
  mem.write(0x30000, new Uint8Array(4096).fill(0xbb));
  const map = new FilePageMap();
  map.set(0, { source: 'data-section', state: 'valid', phys: 0x10000 });
  map.set(4096, { source: 'data-section', state: 'pagefile', phys: -1 });
  // A resident copy from the cache replaces a non-resident entry; a later resident one is only an alternate.
  map.set(4096, { source: 'shared-cache-map', state: 'valid', phys: 0x30000 });
  map.set(0, { source: 'image-section', state: 'valid', phys: 0x30000 });
  map.set(3 * 4096, { source: 'data-section', state: 'transition', phys: 0x50000 }); // not in the dump
  const out = join(mkdtempSync(join(tmpdir(), 'memdig-rf-')), 'f.bin');
  const w = writeRecoveredFile(mem, map, 4 * 4096 - 100, out);
  const bytes = readFileSync(out);
  assert.equal(bytes.length, 4 * 4096 - 100);
  assert.equal(bytes[0], 0xaa);
  assert.equal(bytes[4096], 0xbb);
  assert.equal(bytes[2 * 4096], 0);
  assert.equal(w.sha256, createHash('sha256').update(bytes).digest('hex'));
  assert.equal(w.residentBytes, 8192);
  assert.deepEqual(
    w.runs.map((r) => [r.offset, r.length, r.source, r.state, r.resident]),
    [
      [0, 4096, 'data-section', 'valid', true],
      [4096, 4096, 'shared-cache-map', 'valid', true],
      [8192, 4096, '-', 'missing', false],
      [12288, 4096 - 100, 'data-section', 'unreadable', false],
    ],
  );
  assert.equal(w.runs[0]!.sha256, createHash('sha256').update(bytes.subarray(0, 4096)).digest('hex'));
  assert.deepEqual(map.alternatesOf(0), [{ source: 'image-section', state: 'valid', phys: 0x30000 }]);
});
