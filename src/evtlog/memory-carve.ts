import type { PhysicalMemory } from '../sources/source.js';
import { EvtRecordCarver } from './evt/carve.js';
import type { EvtRecord } from './evt/record.js';
import { type CarvedRecord, carveEvtx } from './evtx/carve.js';
import { CHUNK_SIZE } from './evtx/layout.js';
import { evtKey, evtxKey } from './log-records.js';

/**
 * Carves the whole physical address space for event-log records: EVT records (streamed, records across block edges
 * included) and EVTX chunks and records. Blocks overlap by one chunk so that a chunk or record crossing a block edge
 * is seen whole in the next block; duplicates from the overlap are dropped by record identity.
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
  const work = Buffer.allocUnsafe(block + overlap);
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
        // The previous block's last chunk-size bytes go in front when the blocks are contiguous.
        const keep = tailEnd === b.addr ? tailLen : 0;
        const buf = work.subarray(0, keep + n);
        buf.set(b.bytes, keep);
        const baseAddr = b.addr - keep;
        const res = carveEvtx(buf, baseAddr);
        chunks += res.chunks.filter((c) => c.offset >= b.addr).length;
        for (const r of res.records) {
          // Records wholly inside the overlap were seen with the previous block.
          if (r.offset + r.size <= b.addr) continue;
          const k = evtxKey(r, buf, r.offset - baseAddr);
          if (evtxSeen.has(k)) continue;
          evtxSeen.add(k);
          evtx.push({ record: r, key: k });
        }
        tailLen = Math.min(overlap, buf.length);
        work.copyWithin(0, buf.length - tailLen, buf.length);
        tailEnd = b.addr + n;
      }
      done += n;
      opts.onProgress?.(done);
    }
  }
}
