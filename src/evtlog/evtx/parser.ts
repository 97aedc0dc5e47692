import { readFileSync } from 'node:fs';
import { Warnings } from '../../util/errors.js';
import { ChunkContext } from './binxml.js';
import { type EvtxJson, toJson } from './json.js';
import {
  CHUNK_HEADER_SIZE,
  CHUNK_MAGIC,
  CHUNK_SIZE,
  type ChunkHeader,
  chunkCrcs,
  chunkHeaderProblem,
  type EvtxFileHeader,
  FILE_HEADER_SIZE,
  hasMagic,
  MIN_RECORD_SIZE,
  RECORD_MAGIC,
  readChunkHeader,
  readFileHeader,
  u64,
  viewOf,
} from './layout.js';
import { Resolver, toXml, type XChild } from './render.js';
import { filetimeToIso } from './time.js';

export interface EvtxOptions {
  /** Render Event Viewer XML for each record (default false). */
  xml?: boolean;
  /** Build the flat JSON object (default true). */
  json?: boolean;
  /** Keep the substituted element tree on the record (default false). */
  tree?: boolean;
  /** Decode Binary XML at all (default true); false walks record framing only (ids, times, offsets). */
  render?: boolean;
}

export interface EvtxRecord {
  recordId: number;
  /** Record header FILETIME, ISO 8601 with 100 ns digits. */
  written: string;
  chunkIndex: number;
  /** Offset of the record in the parsed bytes (plus the caller's base offset). */
  offset: number;
  size: number;
  xml?: string;
  json: EvtxJson | null;
  tree?: XChild[];
  warnings: string[];
}

export type ChunkStatus = 'ok' | 'empty' | 'bad-magic' | 'bad-header' | 'truncated';

export interface ChunkInfo {
  index: number;
  offset: number;
  status: ChunkStatus;
  header: ChunkHeader | null;
  headerCrcOk: boolean | null;
  dataCrcOk: boolean | null;
  records: number;
  /** Records whose XML could not be fully rendered. */
  damagedRecords: number;
  warnings: string[];
}

/**
 * Parses one chunk: its own names and templates, records in [512, free space). Bad records are reported and
 * skipped by resynchronising on the next record magic; nothing here throws on damaged bytes.
 */
export function* chunkRecords(
  chunk: Uint8Array,
  info: ChunkInfo,
  baseOffset: number,
  opts: EvtxOptions,
  ctx: ChunkContext = new ChunkContext(chunk),
): Generator<EvtxRecord> {
  const dv = ctx.dv;
  const h = info.header!;
  const limit = Math.min(chunk.length, Math.max(h.freeSpaceOffset, CHUNK_HEADER_SIZE));
  let off = CHUNK_HEADER_SIZE;
  let resyncs = 0;
  while (off + 24 <= limit) {
    const magic = dv.getUint32(off, true);
    const size = dv.getUint32(off + 4, true);
    const sane = magic === RECORD_MAGIC && size >= MIN_RECORD_SIZE && off + size <= limit;
    if (sane && dv.getUint32(off + size - 4, true) !== size) {
      // A record whose trailing size copy was never written (interrupted write) often still decodes; keep it when
      // its Binary XML is whole.
      const rec = renderRecord(ctx, off, size, info.index, baseOffset + off, opts);
      const whole = !rec.warnings.some((w) => w.startsWith('binxml'));
      rec.warnings.push(`size copy at the end of the record does not match its size ${size}`);
      info.damagedRecords++;
      info.records++;
      yield rec;
      if (whole) {
        off += size;
        continue;
      }
      // Torn record: reported with what could be decoded (id, time, partial XML), then the size is not trusted.
    }
    if (!sane || dv.getUint32(off + size - 4, true) !== size) {
      if (magic === 0 && size === 0) break; // zeroed tail: the chunk was not full
      const next = findRecordMagic(chunk, off + 1, limit);
      info.warnings.push(
        `chunk ${info.index}: bad record at chunk offset 0x${off.toString(16)} (magic 0x${magic.toString(16)}, size ${size})${next < 0 ? '' : `; resuming at 0x${next.toString(16)}`}`,
      );
      if (next < 0 || ++resyncs > 64) break;
      off = next;
      continue;
    }
    const rec = renderRecord(ctx, off, size, info.index, baseOffset + off, opts);
    if (rec.warnings.length) info.damagedRecords++;
    info.records++;
    yield rec;
    off += size;
  }
}

function findRecordMagic(b: Uint8Array, from: number, to: number): number {
  let i = from;
  while (i + 4 <= to) {
    const j = b.indexOf(0x2a, i);
    if (j < 0 || j + 4 > to) return -1;
    if (b[j + 1] === 0x2a && b[j + 2] === 0 && b[j + 3] === 0) return j;
    i = j + 1;
  }
  return -1;
}

/** Decodes one record at `off` in the context's bytes (size already validated against its trailing copy). */
export function renderRecord(
  ctx: ChunkContext,
  off: number,
  size: number,
  chunkIndex: number,
  absOffset: number,
  opts: EvtxOptions,
): EvtxRecord {
  const dv = ctx.dv;
  const warnings: string[] = [];
  const recordId = u64(dv, off + 8);
  const written = filetimeToIso(dv.getUint32(off + 16, true), dv.getUint32(off + 20, true));
  const out: XChild[] = [];
  const mismatches = ctx.mismatches;
  if (opts.render === false)
    return { recordId, written, chunkIndex, offset: absOffset, size, json: null, warnings };
  try {
    const { nodes } = ctx.parse(off + 24, off + size - 4, 0);
    if (ctx.mismatches !== mismatches) warnings.push('substitution value types differ from the template');
    new Resolver(ctx, warnings).resolve(nodes, null, out);
  } catch (e) {
    warnings.push((e as Error).message);
  }
  const rec: EvtxRecord = {
    recordId,
    written,
    chunkIndex,
    offset: absOffset,
    size,
    json: opts.json === false ? null : toJson(out),
    warnings,
  };
  if (opts.xml) rec.xml = toXml(out);
  if (opts.tree) rec.tree = out;
  return rec;
}

/** Validates a chunk header at `off` of `bytes` and computes its CRCs. */
export function inspectChunk(bytes: Uint8Array, off: number, index: number): ChunkInfo {
  const info: ChunkInfo = {
    index,
    offset: off,
    status: 'ok',
    header: null,
    headerCrcOk: null,
    dataCrcOk: null,
    records: 0,
    damagedRecords: 0,
    warnings: [],
  };
  const avail = Math.min(CHUNK_SIZE, bytes.length - off);
  if (!hasMagic(bytes, off, CHUNK_MAGIC)) {
    let zero = true;
    for (let i = off, e = off + Math.min(avail, CHUNK_HEADER_SIZE); i < e; i++)
      if (bytes[i] !== 0) {
        zero = false;
        break;
      }
    info.status = zero ? 'empty' : 'bad-magic';
    if (!zero) info.warnings.push(`chunk ${index} at 0x${off.toString(16)}: bad magic; skipped`);
    return info;
  }
  const chunk = bytes.subarray(off, off + avail);
  const h = readChunkHeader(viewOf(chunk), 0);
  info.header = h;
  const problem = chunkHeaderProblem(h, avail);
  if (problem) {
    info.status = 'bad-header';
    info.warnings.push(`chunk ${index} at 0x${off.toString(16)}: ${problem}; skipped`);
    return info;
  }
  if (avail < CHUNK_SIZE) {
    info.status = 'truncated';
    info.warnings.push(`chunk ${index} at 0x${off.toString(16)}: only ${avail} of 65536 bytes present`);
  }
  const crcs = chunkCrcs(chunk, h);
  info.headerCrcOk = crcs.headerCrcOk;
  info.dataCrcOk = h.freeSpaceOffset <= avail ? crcs.dataCrcOk : false;
  if (!info.headerCrcOk) info.warnings.push(`chunk ${index}: header CRC mismatch`);
  if (!info.dataCrcOk) info.warnings.push(`chunk ${index}: record data CRC mismatch`);
  return info;
}

/** A parsed log: header and chunk table (filled as records are iterated), and the record iterator. */
export class EvtxLog implements Iterable<EvtxRecord> {
  readonly header: EvtxFileHeader | null;
  readonly chunks: ChunkInfo[] = [];
  readonly warnings = new Warnings();
  private done = false;

  constructor(
    readonly bytes: Uint8Array,
    private readonly opts: EvtxOptions = {},
    private readonly baseOffset = 0,
  ) {
    this.header = readFileHeader(bytes);
    if (!this.header) this.warnings.add('no ElfFile header: reading chunks at 4096 + n*65536 anyway');
    else if (!this.header.crcOk) this.warnings.add('file header CRC mismatch');
  }

  *records(): Generator<EvtxRecord> {
    if (this.done) this.chunks.length = 0;
    const b = this.bytes;
    let index = 0;
    for (let off = FILE_HEADER_SIZE; off + CHUNK_HEADER_SIZE <= b.length; off += CHUNK_SIZE, index++) {
      const info = inspectChunk(b, off, index);
      info.offset += this.baseOffset;
      this.chunks.push(info);
      if (info.status === 'ok' || info.status === 'truncated') {
        const chunk = b.subarray(off, Math.min(off + CHUNK_SIZE, b.length));
        yield* chunkRecords(chunk, info, this.baseOffset + off, this.opts);
      }
      for (const w of info.warnings) this.warnings.add(w);
    }
    this.done = true;
  }

  [Symbol.iterator](): Iterator<EvtxRecord> {
    return this.records();
  }
}

/** Parses EVTX bytes (a whole file, or a byte range that starts where a file would). */
export function parseEvtx(bytes: Uint8Array, opts: EvtxOptions = {}, baseOffset = 0): EvtxLog {
  return new EvtxLog(bytes, opts, baseOffset);
}

/** Reads the file into memory (logs are at most a few hundred MiB) and parses it. */
export function parseEvtxFile(path: string, opts: EvtxOptions = {}): EvtxLog {
  return new EvtxLog(readFileSync(path), opts);
}
