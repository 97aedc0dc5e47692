import { crc32 } from '../../util/crc32.js';
import { ChunkContext } from './binxml.js';
import {
  CHUNK_HEADER_SIZE,
  CHUNK_SIZE,
  chunkDataCrc,
  chunkHeaderCrc,
  chunkHeaderProblem,
  FILE_HEADER_SIZE,
  MIN_RECORD_SIZE,
  RECORD_MAGIC,
  readChunkHeader,
  readFileHeader,
  u64,
  viewOf,
} from './layout.js';

/**
 * Rebuilds a readable .evtx from a recovered one (dumped from memory, carved, or cut short): the file header may be
 * missing or zeroed, chunks missing, zeroed, duplicated or out of order, and CRCs stale. Every chunk with at least
 * one well-framed record is kept, trimmed to its run of well-framed records from offset 512, and written in record-id
 * order with fresh header fields and CRCs, so strict readers (libevtx, Event Viewer) accept the file.
 */

export interface RepairReport {
  chunksFound: number;
  chunksWritten: number;
  records: number;
  firstRecordId: number | null;
  lastRecordId: number | null;
  /** What was dropped or changed, and why. */
  notes: string[];
}

interface GoodChunk {
  bytes: Uint8Array;
  firstId: number;
  lastId: number;
  count: number;
  from: number;
}

const CHUNK_MAGIC_BYTES = Buffer.from('ElfChnk\0', 'latin1');

/** True when the record's Binary XML decodes whole (its framing alone cannot vouch for it). */
function decodes(ctx: ChunkContext, off: number, size: number): boolean {
  try {
    const end = off + size - 4;
    const r = ctx.parse(off + 24, end, 0);
    // Zeros also "decode" (an immediate end of stream): the stream must carry content and end where the record does.
    return r.nodes.length > 0 && r.end >= end - 8;
  } catch {
    return false;
  }
}

/** Copies the chunk at `at` and fixes its header to describe exactly its leading run of well-framed records. */
function salvageChunk(src: Uint8Array, at: number, notes: string[]): GoodChunk | null {
  const c = new Uint8Array(CHUNK_SIZE);
  c.set(src.subarray(at, Math.min(at + CHUNK_SIZE, src.length)));
  const dv = viewOf(c);
  const ctx = new ChunkContext(c);
  let off = CHUNK_HEADER_SIZE;
  let firstId = -1;
  let lastId = -1;
  let lastOff = 0;
  let count = 0;
  while (off + 24 <= CHUNK_SIZE) {
    if (dv.getUint32(off, true) !== RECORD_MAGIC) break;
    const size = dv.getUint32(off + 4, true);
    if (size < MIN_RECORD_SIZE || off + size > CHUNK_SIZE) break;
    if (dv.getUint32(off + size - 4, true) !== size) {
      // A write interrupted before the trailing size copy: keep the record when its Binary XML is whole, and restore
      // the copy.
      const next = off + size;
      if (!decodes(ctx, off, size)) break;
      dv.setUint32(next - 4, size, true);
      notes.push(
        `chunk at 0x${at.toString(16)}: record ${u64(dv, off + 8)} had no trailing size copy; restored`,
      );
    }
    const id = u64(dv, off + 8);
    if (count && id !== lastId + 1) break; // ids run consecutively inside a chunk
    if (!count) firstId = id;
    lastId = id;
    lastOff = off;
    count++;
    off += size;
  }
  if (!count) {
    notes.push(`chunk at 0x${at.toString(16)}: no well-framed record at offset 512; dropped`);
    return null;
  }
  const h = readChunkHeader(dv, 0);
  if (h.freeSpaceOffset !== off || h.lastRecordId !== lastId)
    notes.push(
      `chunk at 0x${at.toString(16)}: records ${firstId}..${lastId} kept (header said ${h.firstRecordId}..${h.lastRecordId}, free space ${h.freeSpaceOffset} -> ${off})`,
    );
  const put64 = (o: number, v: number) => {
    dv.setUint32(o, v % 4294967296, true);
    dv.setUint32(o + 4, Math.floor(v / 4294967296), true);
  };
  put64(8, firstId);
  put64(16, lastId);
  put64(24, firstId);
  put64(32, lastId);
  dv.setUint32(40, 128, true);
  dv.setUint32(44, lastOff, true);
  dv.setUint32(48, off, true);
  dv.setUint32(52, chunkDataCrc(c, off), true);
  dv.setUint32(124, chunkHeaderCrc(c), true);
  return { bytes: c, firstId, lastId, count, from: at };
}

export function repairEvtx(src: Uint8Array): { bytes: Uint8Array; report: RepairReport } {
  const notes: string[] = [];
  const buf = Buffer.isBuffer(src) ? src : Buffer.from(src.buffer, src.byteOffset, src.byteLength);
  const dv = viewOf(src);
  const oldHeader = readFileHeader(src);
  if (!oldHeader) notes.push('no file header: a new one was written');
  else if (!oldHeader.crcOk) notes.push('file header CRC was stale');
  const found: GoodChunk[] = [];
  let chunksFound = 0;
  for (let at = buf.indexOf(CHUNK_MAGIC_BYTES, 0); at >= 0; at = buf.indexOf(CHUNK_MAGIC_BYTES, at + 8)) {
    if (at + CHUNK_HEADER_SIZE > src.length) break;
    const h = readChunkHeader(dv, at);
    if (h.headerSize !== 128 || chunkHeaderProblem(h, Math.min(CHUNK_SIZE, src.length - at))) continue;
    chunksFound++;
    const g = salvageChunk(src, at, notes);
    if (g) found.push(g);
  }
  // The same chunk may have been recovered more than once (e.g. two copies in memory): keep the fullest copy of
  // each record range; a chunk whose records another kept chunk already covers is dropped.
  found.sort((a, b) => a.firstId - b.firstId || b.count - a.count);
  const kept: GoodChunk[] = [];
  for (const g of found) {
    const prev = kept[kept.length - 1];
    if (prev && g.firstId <= prev.lastId) {
      if (g.lastId > prev.lastId && g.firstId === prev.firstId) kept[kept.length - 1] = g;
      else
        notes.push(
          `chunk at 0x${g.from.toString(16)}: records ${g.firstId}..${g.lastId} duplicate others; dropped`,
        );
      continue;
    }
    kept.push(g);
  }
  const out = new Uint8Array(FILE_HEADER_SIZE + kept.length * CHUNK_SIZE);
  const odv = viewOf(out);
  out.set(Buffer.from('ElfFile\0', 'latin1'), 0);
  const last = kept[kept.length - 1];
  const put64 = (o: number, v: number) => {
    odv.setUint32(o, v % 4294967296, true);
    odv.setUint32(o + 4, Math.floor(v / 4294967296), true);
  };
  put64(8, 0);
  put64(16, Math.max(0, kept.length - 1));
  put64(24, last ? last.lastId + 1 : 1);
  odv.setUint32(32, 128, true);
  odv.setUint16(36, oldHeader?.majorVersion === 3 ? oldHeader.minorVersion : 1, true);
  odv.setUint16(38, 3, true);
  odv.setUint16(40, FILE_HEADER_SIZE, true);
  odv.setUint16(42, kept.length, true);
  odv.setUint32(120, 0, true); // clean: every chunk and CRC is consistent now
  odv.setUint32(124, crc32(out.subarray(0, 120)), true);
  kept.forEach((g, i) => {
    out.set(g.bytes, FILE_HEADER_SIZE + i * CHUNK_SIZE);
  });
  return {
    bytes: out,
    report: {
      chunksFound,
      chunksWritten: kept.length,
      records: kept.reduce((a, g) => a + g.count, 0),
      firstRecordId: kept[0]?.firstId ?? null,
      lastRecordId: last?.lastId ?? null,
      notes,
    },
  };
}
