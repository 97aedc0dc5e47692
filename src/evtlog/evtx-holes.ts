import { ChunkContext } from './evtx/binxml.js';
import { CHUNK_HEADER_SIZE, CHUNK_SIZE, MIN_RECORD_SIZE, RECORD_MAGIC } from './evtx/layout.js';
import { type EvtxOptions, type EvtxRecord, renderRecord } from './evtx/parser.js';

const FILE_HEADER = 0x1000;
const MAGIC = Buffer.from([0x2a, 0x2a, 0, 0]);

/**
 * Records a chunk walk cannot reach in a log rebuilt from memory: the walk stops at the first zero-filled page
 * (it reads as the zeroed tail of a chunk that was not full), yet the pages after it often hold whole records.
 * Every record magic in each chunk slot that is not at an offset in `known` is tried: its size must fit the chunk
 * and match its trailing copy, and it is rendered with its own chunk's tables (templates defined earlier in the
 * chunk may be on a missing page: the record then carries warnings).
 */
export function recordsPastHoles(
  bytes: Uint8Array,
  known: ReadonlySet<number>,
  opts: EvtxOptions = {},
): EvtxRecord[] {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: EvtxRecord[] = [];
  for (let c = FILE_HEADER, index = 0; c + CHUNK_HEADER_SIZE <= buf.length; c += CHUNK_SIZE, index++) {
    const end = Math.min(buf.length, c + CHUNK_SIZE);
    const chunk = buf.subarray(c, end);
    const dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let ctx: ChunkContext | null = null;
    for (let at = chunk.indexOf(MAGIC, CHUNK_HEADER_SIZE); at >= 0 && at + 24 <= chunk.length; ) {
      const size = dv.getUint32(at + 4, true);
      const ok =
        dv.getUint32(at, true) === RECORD_MAGIC &&
        size >= MIN_RECORD_SIZE &&
        at + size <= chunk.length &&
        dv.getUint32(at + size - 4, true) === size;
      if (!ok) {
        at = chunk.indexOf(MAGIC, at + 1);
        continue;
      }
      if (!known.has(c + at)) {
        ctx ??= new ChunkContext(chunk);
        out.push(renderRecord(ctx, at, size, index, c + at, opts));
      }
      at = chunk.indexOf(MAGIC, at + size);
    }
  }
  return out;
}
