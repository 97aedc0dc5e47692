import type { PhysicalMemory } from '../sources/source.js';
import { EvtRecordCarver } from './evt/carve.js';
import type { EvtRecord } from './evt/record.js';
import { type CarvedRecord, carveEvtx } from './evtx/carve.js';
import { CHUNK_SIZE } from './evtx/layout.js';
import { evtKey, evtxKey } from './log-records.js';

/**
 * Carves the whole physical address space for event-log records: EVT records (streamed, records across block edges
 * included) and EVTX chunks and records (each block in place, plus a seam buffer across each block edge so a chunk
 * or record crossing it is seen whole). Records seen twice are dropped by record identity.
 */

export interface MemoryCarveOptions {
  blockSize?: number;
  evt?: boolean;
  evtx?: boolean;
  /** Called after each block with bytes done so far. */
  onProgress?: (done: number) => void;
}

export interface CarvedEvtx {
  record: CarvedRecord;
  key: string;
}

export interface MemoryCarveResult {
  evt: EvtRecord[];
  evtx: CarvedEvtx[];
  bytes: number;
  seconds: number;
  chunks: number;
}

const DEFAULT_BLOCK = 16 << 20;

export function carveMemory(mem: PhysicalMemory, opts: MemoryCarveOptions = {}): MemoryCarveResult {
  const t0 = performance.now();
  const block = opts.blockSize ?? DEFAULT_BLOCK;
  const evtCarver = opts.evt === false ? null : new EvtRecordCarver();
  const evt: EvtRecord[] = [];
  const evtSeen = new Set<string>();
  const evtx: CarvedEvtx[] = [];
  const evtxSeen = new Set<string>();
  let chunks = 0;
  const overlap = CHUNK_SIZE;
  const seam = Buffer.allocUnsafe(2 * overlap);
  let tailLen = 0;
  let tailEnd = -1;
  let done = 0;
  // Most candidates in random memory fail to decode, and the Binary XML reader reports that by throwing: without
  // stack traces a failure costs a fraction of what it would (restored below).
  const stackLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    carveBlocks();
  } finally {
    Error.stackTraceLimit = stackLimit;
  }
  return { evt, evtx, bytes: done, seconds: (performance.now() - t0) / 1000, chunks };

  function carveBlocks(): void {
    for (const b of mem.scan(block)) {
      const n = b.bytes.length;
      if (evtCarver) {
        for (const r of evtCarver.push(b.bytes, b.addr)) {
          const k = evtKey(r);
          if (!evtSeen.has(k)) {
            evtSeen.add(k);
            evt.push(r);
          }
        }
      }
      if (opts.evtx !== false) {
        const addRecords = (
          res: ReturnType<typeof carveEvtx>,
          buf: Uint8Array,
          baseAddr: number,
          seam: boolean,
        ) => {
          for (const r of res.records) {
            // The seam carve only adds what crosses the block edge; the rest is found in one block or the other.
            if (seam && !(r.offset < b.addr && r.offset + r.size > b.addr)) continue;
            const k = evtxKey(r, buf, r.offset - baseAddr);
            if (evtxSeen.has(k)) continue;
            evtxSeen.add(k);
            evtx.push({ record: r, key: k });
          }
        };
        // Blocks are carved in place; chunks and records crossing from the previous contiguous block are found
        // in a small seam buffer (its last chunk-size bytes and this block's first), not by copying blocks.
        if (tailEnd === b.addr && tailLen) {
          const head = Math.min(overlap, n);
          seam.set(b.bytes.subarray(0, head), tailLen);
          const sb = seam.subarray(0, tailLen + head);
          const res = carveEvtx(sb, b.addr - tailLen);
          chunks += res.chunks.filter((c) => c.offset < b.addr && c.offset + CHUNK_SIZE > b.addr).length;
          addRecords(res, sb, b.addr - tailLen, true);
        }
        const res = carveEvtx(b.bytes, b.addr);
        chunks += res.chunks.length;
        addRecords(res, b.bytes, b.addr, false);
        tailLen = Math.min(overlap, n);
        seam.set(b.bytes.subarray(n - tailLen, n), 0);
        tailEnd = b.addr + n;
      }
      done += n;
      opts.onProgress?.(done);
    }
  }
}
