import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sharedPath, skipWithoutShared } from '../../testing/shared.js';
import { CHUNK_SIZE, FILE_HEADER_SIZE } from './layout.js';
import { parseEvtx } from './parser.js';
import { repairEvtx } from './repair.js';
import { synthChunk, synthEvents, synthFile } from './synth.js';

function assertClean(bytes: Uint8Array): number[] {
  const log = parseEvtx(bytes, { render: false });
  const ids = [...log].map((r) => r.recordId);
  assert.ok(log.header?.crcOk, 'file header CRC');
  assert.equal(log.header?.dirty, false);
  assert.equal(log.header?.chunkCount, log.chunks.length);
  for (const c of log.chunks) {
    assert.equal(c.status, 'ok');
    assert.equal(c.headerCrcOk, true, `chunk ${c.index} header CRC`);
    assert.equal(c.dataCrcOk, true, `chunk ${c.index} data CRC`);
  }
  assert.equal(log.header?.nextRecordId, Math.max(...ids) + 1);
  return ids;
}

test('repair: missing header, zeroed and out-of-order chunks, stale CRCs, a torn record', () => {
  const c1 = synthChunk(synthEvents(1, 4));
  const c2 = synthChunk(synthEvents(5, 4));
  const c3 = synthChunk(synthEvents(9, 4));
  const dump = synthFile([c3, c1, new Uint8Array(CHUNK_SIZE), c2], 13);
  dump.fill(0, 0, FILE_HEADER_SIZE); // header lost
  dump[FILE_HEADER_SIZE + 3 * CHUNK_SIZE + 700] ^= 0x55; // c2: a value byte changed, data CRC now stale
  // c3: the last record's trailing size copy never written (it still decodes: restored); c1: its last record cut
  // mid-way (Binary XML broken, copy gone: dropped).
  const c3dv = new DataView(dump.buffer, FILE_HEADER_SIZE, CHUNK_SIZE);
  const free = c3dv.getUint32(48, true);
  c3dv.setUint32(free - 4, 0, true);
  const c1dv = new DataView(dump.buffer, FILE_HEADER_SIZE + CHUNK_SIZE, CHUNK_SIZE);
  const c1free = c1dv.getUint32(48, true);
  const c1last = c1dv.getUint32(44, true);
  dump.fill(0, FILE_HEADER_SIZE + CHUNK_SIZE + c1last + 40, FILE_HEADER_SIZE + CHUNK_SIZE + c1free);

  const { bytes, report } = repairEvtx(dump);
  assert.equal(report.chunksFound, 3);
  assert.equal(report.chunksWritten, 3);
  assert.equal(report.records, 11);
  assert.equal(bytes.length, FILE_HEADER_SIZE + 3 * CHUNK_SIZE);
  assert.deepEqual(assertClean(bytes), [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.ok(report.notes.some((n) => n.includes('no file header')));
  assert.ok(report.notes.some((n) => n.includes('record 12 had no trailing size copy; restored')));
});

test('repair: the same chunk recovered twice is written once', () => {
  const c1 = synthChunk(synthEvents(1, 4));
  const { report, bytes } = repairEvtx(synthFile([c1, c1, synthChunk(synthEvents(5, 2))], 7));
  assert.equal(report.chunksWritten, 2);
  assert.deepEqual(assertClean(bytes), [1, 2, 3, 4, 5, 6]);
});

const dir = sharedPath('corpus', 'evtx');
test('repair: every corpus log comes out CRC-clean and keeps its records', {
  skip: skipWithoutShared('corpus', 'evtx'),
}, () => {
  for (const f of readdirSync(dir!).filter((x) => x.endsWith('.evtx'))) {
    const src = readFileSync(join(dir!, f));
    const { bytes, report } = repairEvtx(src);
    const ids = assertClean(bytes);
    assert.equal(ids.length, report.records, f);
    // Every record id the intact chunks held is still there (damaged tails may be cut).
    const before = new Set([...parseEvtx(src, { render: false })].map((r) => r.recordId));
    const after = new Set(ids);
    let lost = 0;
    for (const id of before) if (!after.has(id)) lost++;
    assert.ok(lost <= Math.max(3, before.size * 0.1), `${f}: ${lost} of ${before.size} records lost`);
  }
});
