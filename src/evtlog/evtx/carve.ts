import { crc32 } from '../../util/crc32.js';
import { ChunkContext } from './binxml.js';
import {
  CHUNK_HEADER_SIZE,
  CHUNK_SIZE,
  chunkHeaderProblem,
  MIN_RECORD_SIZE,
  RECORD_MAGIC,
  readChunkHeader,
  u64,
  viewOf,
} from './layout.js';
import type { Template } from './nodes.js';
import {
  type ChunkInfo,
  chunkRecords,
  type EvtxOptions,
  type EvtxRecord,
  inspectChunk,
  renderRecord,
} from './parser.js';

/**
 * Carving EVTX out of arbitrary bytes (memory images, unallocated space, damaged logs). The chunk is the smallest
 * self-contained unit (names and templates are chunk-relative), so whole chunks are parsed first, each with its own
 * templates; then records found outside every intact chunk are rendered with templates learnt from those chunks.
 */

export interface CarvedRecord extends EvtxRecord {
  origin: 'chunk' | 'orphan';
  /** The template could not be found: only the raw substitution values are given (UnresolvedTemplate). */
  incomplete: boolean;
}

export interface CarvedChunk extends ChunkInfo {
  /** Absolute offset of the chunk in the carved bytes (plus the base offset). */
  offset: number;
}

export interface CarveResult {
  chunks: CarvedChunk[];
  records: CarvedRecord[];
  orphans: number;
  incomplete: number;
  duplicates: number;
  warnings: string[];
}

const CHUNK_MAGIC_BYTES = Buffer.from('ElfChnk\0', 'latin1');
const RECORD_MAGIC_BYTES = Buffer.from([0x2a, 0x2a, 0, 0]);
/** Record timestamps outside 1990..2100 mean the candidate is not a record. */
const MIN_FILETIME_HI = 0x01b00000;
const MAX_FILETIME_HI = 0x02500000;

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Templates learnt from intact chunks, by (id, offset) and by id, for rendering orphan records. */
class TemplateCatalog {
  private readonly byKey = new Map<string, Template>();
  private readonly byId = new Map<number, Template[]>();

  add(ctx: ChunkContext): void {
    for (const t of ctx.templates.values()) {
      if (!ctx.templateNodes(t)) continue;
      const key = `${t.id}:${t.offset}`;
      if (this.byKey.has(key)) continue;
      this.byKey.set(key, t);
      const list = this.byId.get(t.id);
      if (list) list.push(t);
      else this.byId.set(t.id, [t]);
    }
  }

  find(id: number, offset: number, count: number): Template | null {
    const exact = this.byKey.get(`${id}:${offset}`);
    if (exact && maxSubst(exact) < count) return exact;
    for (const t of this.byId.get(id) ?? []) if (maxSubst(t) < count) return t;
    return null;
  }
}

function maxSubst(t: Template): number {
  let m = -1;
  const walk = (nodes: NonNullable<Template['nodes']>) => {
    for (const n of nodes) {
      if (n.k === 2) m = Math.max(m, n.index);
      else if (n.k === 0) {
        for (const a of n.attrs) walk(a.value);
        walk(n.children);
      }
    }
  };
  if (t.nodes) walk(t.nodes);
  return m;
}

/** Scans `bytes` for EVTX chunks and records. `baseOffset` is added to every reported offset. */
export function carveEvtx(bytes: Uint8Array, baseOffset = 0, opts: EvtxOptions = {}): CarveResult {
  return new EvtxCarver(opts).carve(bytes, baseOffset, true);
}

/** Bytes a block must share with the next one so every chunk and record starts wholly inside some block. */
export const CARVE_OVERLAP = CHUNK_SIZE;

/**
 * Carves a large input block by block (a dump of many GiB never sits in memory at once). Blocks must overlap by
 * CARVE_OVERLAP bytes: a block only takes chunks and records that start before its last CARVE_OVERLAP bytes (unless
 * it is the final one), so each is found exactly once, whole. Templates and the dedup set carry across blocks.
 */
export class EvtxCarver {
  private readonly seen = new Set<string>();
  private readonly catalog = new TemplateCatalog();
  private chunkCount = 0;

  constructor(private readonly opts: EvtxOptions = {}) {}

  carve(bytes: Uint8Array, baseOffset: number, final: boolean): CarveResult {
    const opts = this.opts;
    const buf = asBuffer(bytes);
    const dv = viewOf(bytes);
    const limit = final ? bytes.length : Math.max(0, bytes.length - CARVE_OVERLAP);
    const res: CarveResult = {
      chunks: [],
      records: [],
      orphans: 0,
      incomplete: 0,
      duplicates: 0,
      warnings: [],
    };
    const seen = this.seen;
    const catalog = this.catalog;
    /** [start, end) of record areas already parsed as part of a chunk, in increasing order. */
    const covered: [number, number][] = [];
    /** Intact chunks with their contexts: records in their slack space are tried against their tables first. */
    const intact: { start: number; end: number; ctx: ChunkContext }[] = [];

    const keep = (r: EvtxRecord, origin: 'chunk' | 'orphan', incomplete: boolean, abs: number) => {
      const key = `${r.recordId}:${r.written}:${crc32(bytes.subarray(abs + 24, abs + r.size - 4))}`;
      if (seen.has(key)) {
        res.duplicates++;
        return;
      }
      seen.add(key);
      res.records.push({ ...r, origin, incomplete });
    };

    // Pass 1: whole chunks.
    for (let at = buf.indexOf(CHUNK_MAGIC_BYTES, 0); at >= 0; at = buf.indexOf(CHUNK_MAGIC_BYTES, at + 8)) {
      if (at >= limit || at + CHUNK_HEADER_SIZE > bytes.length) break;
      const h = readChunkHeader(dv, at);
      const avail = Math.min(CHUNK_SIZE, bytes.length - at);
      if (chunkHeaderProblem(h, avail) || h.headerSize !== 128) continue;
      const info = inspectChunk(bytes, at, this.chunkCount) as CarvedChunk;
      // A header that fails its CRC is still used when its first record is well formed (stale CRCs are common in
      // logs that were being written when memory was captured).
      if (!info.headerCrcOk && dv.getUint32(at + CHUNK_HEADER_SIZE, true) !== RECORD_MAGIC) continue;
      info.offset = baseOffset + at;
      const chunk = bytes.subarray(at, at + avail);
      const ctx = new ChunkContext(chunk);
      for (const r of chunkRecords(chunk, info, baseOffset + at, opts, ctx))
        keep(r, 'chunk', false, r.offset - baseOffset);
      intact.push({ start: at, end: at + avail, ctx });
      catalog.add(ctx);
      res.chunks.push(info);
      this.chunkCount++;
      for (const w of info.warnings) res.warnings.push(w);
      covered.push([at, at + Math.min(avail, Math.max(h.freeSpaceOffset, CHUNK_HEADER_SIZE))]);
    }
    covered.sort((a, b) => a[0] - b[0]);

    // Pass 2: records outside the parsed chunks.
    let ci = 0;
    for (let at = buf.indexOf(RECORD_MAGIC_BYTES, 0); at >= 0 && at < limit; ) {
      while (ci < covered.length && covered[ci]![1] <= at) ci++;
      if (ci < covered.length && covered[ci]![0] <= at) {
        at = buf.indexOf(RECORD_MAGIC_BYTES, covered[ci]![1]);
        continue;
      }
      const size = at + 24 <= bytes.length ? dv.getUint32(at + 4, true) : 0;
      if (
        size >= MIN_RECORD_SIZE &&
        size <= CHUNK_SIZE - CHUNK_HEADER_SIZE &&
        at + size <= bytes.length &&
        dv.getUint32(at + size - 4, true) === size
      ) {
        const hi = dv.getUint32(at + 20, true);
        const id = u64(dv, at + 8);
        if (hi >= MIN_FILETIME_HI && hi <= MAX_FILETIME_HI && id > 0 && id < 2 ** 48) {
          const home = intactAround(intact, at);
          let r: (EvtxRecord & { incomplete: boolean }) | null = null;
          if (home) {
            // Slack space of an intact chunk: usually an older record of the same chunk, sharing its tables.
            const inChunk = renderRecord(home.ctx, at - home.start, size, -1, baseOffset + at, opts);
            if (!inChunk.warnings.length) r = { ...inChunk, incomplete: false };
          }
          r ??= renderOrphan(bytes, at, size, baseOffset, opts, catalog);
          res.orphans++;
          if (r.incomplete) res.incomplete++;
          keep(r, 'orphan', r.incomplete, at);
          at = buf.indexOf(RECORD_MAGIC_BYTES, at + size);
          continue;
        }
      }
      at = buf.indexOf(RECORD_MAGIC_BYTES, at + 1);
    }
    return res;
  }
}

function intactAround(
  intact: { start: number; end: number; ctx: ChunkContext }[],
  at: number,
): { start: number; end: number; ctx: ChunkContext } | null {
  let lo = 0;
  let hi = intact.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = intact[mid]!;
    if (at < c.start) hi = mid - 1;
    else if (at >= c.end) lo = mid + 1;
    else return c;
  }
  return null;
}

/**
 * Renders a record without its chunk. Its Binary XML refers to its template by chunk offset; when the definition is
 * inline, that offset minus the definition's position in the record says where the chunk started, so the record is
 * placed at the same chunk offset in a blank chunk and decoded there. Otherwise the template comes from the catalog.
 */
const ORPHAN_CHUNK = new Uint8Array(CHUNK_SIZE);
const orphanUsed = [0, 0];

function renderOrphan(
  bytes: Uint8Array,
  at: number,
  size: number,
  baseOffset: number,
  opts: EvtxOptions,
  catalog: TemplateCatalog,
): EvtxRecord & { incomplete: boolean } {
  const dv = viewOf(bytes);
  let rel = CHUNK_HEADER_SIZE;
  // Fragment header (4 bytes) then TemplateInstance: token, u8, u32 id, u32 definition offset.
  if (bytes[at + 24] === 0x0f && bytes[at + 28] === 0x0c) {
    const defOffset = dv.getUint32(at + 34, true);
    const inlineRel = defOffset - 38;
    // Inline only if a definition really follows: its body fits in the record and opens with a fragment header.
    const bodySize = at + 62 <= at + size ? dv.getUint32(at + 58, true) : Number.MAX_SAFE_INTEGER;
    const inline = 62 + bodySize <= size && bytes[at + 62] === 0x0f;
    if (inline && inlineRel >= CHUNK_HEADER_SIZE && inlineRel + size <= CHUNK_SIZE) rel = inlineRel;
    // Otherwise keep the record where its definition offset cannot look inline.
    else if (defOffset === rel + 38) rel += 8;
  }
  // One scratch chunk for all orphans (a fresh 64 KiB per record dominated carving time); only the previous
  // orphan's bytes need clearing. Rendering decodes everything into strings, so nothing keeps the buffer.
  const chunk = ORPHAN_CHUNK;
  chunk.fill(0, orphanUsed[0]!, orphanUsed[1]!);
  chunk.set(bytes.subarray(at, at + size), rel);
  orphanUsed[0] = rel;
  orphanUsed[1] = rel + size;
  const ctx = new ChunkContext(chunk);
  ctx.trustedStart = rel;
  ctx.trustedEnd = rel + size;
  ctx.fallback = (id, off, count) => catalog.find(id, off, count);
  const r = renderRecord(ctx, rel, size, -1, baseOffset + at, opts);
  const incomplete = r.warnings.some((w) => w.includes('not found') || w.startsWith('template at'));
  return { ...r, incomplete };
}
