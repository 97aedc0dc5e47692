import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildEvtx } from '../forge/evtx-writer.js';
import { Rng } from '../forge/rng.js';
import { BufferMemory } from '../sources/buffer.js';
import { sharedPath } from '../testing/shared.js';
import { CHUNK_SIZE } from './evtx/layout.js';
import { parseEvtx } from './evtx/parser.js';
import { plausibleEvtx } from './log-records.js';
import { carveMemory } from './memory-carve.js';

const PAGE = 4096;
const CORPUS = ['plaso__System.evtx', 'evtxrs__security.evtx', 'deepbluecli__many-events-application.evtx'];

/** Real logs when ../shared is present, else logs made by the forge's writer (the test runs either way). */
function logs(): { name: string; bytes: Uint8Array }[] {
  const out: { name: string; bytes: Uint8Array }[] = [];
  for (const n of CORPUS) {
    const p = sharedPath('corpus', 'evtx', n);
    if (p) out.push({ name: n, bytes: new Uint8Array(readFileSync(p)) });
  }
  if (out.length) return out;
  const rng = new Rng(7);
  for (const [i, channel] of ['System', 'Security', 'Application'].entries())
    out.push({
      name: channel,
      bytes: buildEvtx({ chunks: 3 + i, computer: 'CARVE-PC', channel }, rng.fork(channel)),
    });
  return out;
}

test('carveMemory: every record of every chunk whose pages are all in memory, nothing invented', () => {
  const rng = new Rng(42);
  const mem = new BufferMemory();
  /** Record identity → event id, over every original record. */
  const truth = new Map<string, number | null>();
  const mustFind = new Set<string>();
  let slot = 0;
  // Chunks go to shuffled 128 KiB slots, so each chunk is contiguous but far from its neighbours in the file.
  const chunks: { bytes: Uint8Array; records: string[] }[] = [];
  for (const log of logs()) {
    const parsed = parseEvtx(log.bytes);
    const byChunk = new Map<number, string[]>();
    for (const r of parsed) {
      const key = `${r.recordId}:${r.written}`;
      truth.set(key, r.json?.EventID ?? null);
      const list = byChunk.get(r.chunkIndex) ?? [];
      list.push(key);
      byChunk.set(r.chunkIndex, list);
    }
    for (const [index, keys] of byChunk) {
      const off = 0x1000 + index * CHUNK_SIZE;
      chunks.push({ bytes: log.bytes.subarray(off, off + CHUNK_SIZE), records: keys });
    }
  }
  const slots = chunks.map((_, i) => i);
  for (let i = slots.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [slots[i], slots[j]] = [slots[j]!, slots[i]!];
  }
  const junk = new Uint8Array(PAGE);
  for (const c of chunks) {
    // A slot is 2 chunks wide with a random page shift, so chunks start at every page alignment.
    const base = slots[slot++]! * 2 * CHUNK_SIZE + 0x100000 + rng.int(16) * PAGE;
    let whole = true;
    for (let p = 0; p < CHUNK_SIZE / PAGE; p++) {
      const drop = rng.chance(0.12);
      if (!drop) mem.write(base + p * PAGE, c.bytes.subarray(p * PAGE, (p + 1) * PAGE));
      else {
        whole = false;
        // A removed page is a hole or someone else's data.
        if (rng.chance(0.5)) {
          rng.fill(junk);
          mem.write(base + p * PAGE, junk);
        }
      }
    }
    if (whole) for (const k of c.records) mustFind.add(k);
  }
  // Small blocks so chunks straddle block edges.
  const res = carveMemory(mem, { blockSize: 256 * 1024 });
  const found = new Map<string, number | null>();
  for (const { record: r } of res.evtx) {
    if (!plausibleEvtx(r)) continue;
    const key = `${r.recordId}:${r.written}`;
    assert.ok(truth.has(key), `carved record ${key} at 0x${r.offset.toString(16)} is in no original log`);
    if (!r.incomplete && r.json?.EventID !== undefined && r.json.EventID !== null && truth.get(key) !== null)
      assert.equal(r.json.EventID, truth.get(key), `${key}: event id`);
    found.set(key, r.json?.EventID ?? null);
  }
  const missing = [...mustFind].filter((k) => !found.has(k));
  assert.ok(mustFind.size > 20, `enough whole chunks to mean something (${mustFind.size})`);
  assert.deepEqual(
    missing.slice(0, 5),
    [],
    `${missing.length} of ${mustFind.size} records of whole chunks missing`,
  );
});
