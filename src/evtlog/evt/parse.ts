import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { FormatError, MemdigError, Warnings } from '../../util/errors.js';
import {
  asBuffer,
  EVT_EOF_SIZE,
  EVT_HEADER_SIZE,
  EVT_RECORD_MIN_SIZE,
  EVT_SIGNATURE,
  EVT_SIGNATURE_BYTES,
  EVT_SKIP_DWORD,
  type EvtEofRecord,
  type EvtHeader,
  findEofRecords,
  parseEofRecordAt,
  parseEvtHeader,
} from './format.js';
import {
  decodeRecord,
  type EvtRecord,
  fieldProblem,
  type RecordBytes,
  wholeRecordLengthAt,
} from './record.js';

export interface EvtParseOptions {
  /** Also scan the slack (outside the live ring) for older records. Default true. */
  recovered?: boolean;
  /**
   * End of the circular buffer. Default: the byte count. The header's MaxSize is a registry setting and may differ
   * from the real file size, so it is not used.
   */
  ringEnd?: number;
  /**
   * Byte ranges the source did not have (a file rebuilt from memory: pages not resident, zero-filled). Records
   * touching them are flagged `missingBytes`, so nobody mistakes zeros for content.
   */
  missing?: ReadonlyArray<{ offset: number; length: number }>;
}

export interface EvtLog {
  size: number;
  header: EvtHeader | null;
  /** The EOF record the walk used (the live one), if any was found. */
  eof: EvtEofRecord | null;
  /** `ring`: walked from the oldest record to the EOF record; `scan`: no usable header/EOF, records found by scanning. */
  mode: 'ring' | 'scan';
  /** Offsets the walk started and stopped at (null in scan mode). */
  startOffset: number | null;
  endOffset: number | null;
  /** The log's live records, oldest first. */
  records: EvtRecord[];
  /** Records found in slack (outside start..end), in file order, `recovered: true`. */
  recovered: EvtRecord[];
  warnings: Warnings;
}

const H = EVT_HEADER_SIZE;

/** Largest .evt read whole (a Buffer's limit); real logs are at most a few hundred MiB. */
const MAX_FILE = 2 ** 31 - 1;

/** Reads a .evt file (it is small enough to hold: the format's offsets are 32-bit) and parses it. */
export function readEvtFile(path: string, opts: EvtParseOptions = {}): EvtLog {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new MemdigError(`cannot open ${path}: ${(e as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_FILE)
      throw new FormatError(
        'evt',
        0,
        `file is ${size} bytes; expected an .evt under 2 GiB (use --carve on large files)`,
      );
    const b = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, b, done, size - done, done);
      if (n <= 0) break;
      done += n;
    }
    return parseEvt(b.subarray(0, done), opts);
  } finally {
    closeSync(fd);
  }
}

/** Parses a classic event log held in memory (a file, or a byte range such as a mapped view from a dump). */
export function parseEvt(bytes: Uint8Array, opts: EvtParseOptions = {}): EvtLog {
  return new EvtParser(bytes, opts).run();
}

class EvtParser {
  private readonly buf: Buffer;
  private readonly dv: DataView;
  private readonly size: number;
  private readonly end: number;
  private readonly ringSize: number;
  private readonly warnings = new Warnings(1000);
  private readonly records: EvtRecord[] = [];
  /** Live byte ranges [start, end) of the file, for telling slack from the ring. */
  private readonly live: Array<[number, number]> = [];

  constructor(
    bytes: Uint8Array,
    private readonly opts: EvtParseOptions,
  ) {
    this.buf = asBuffer(bytes);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.size = bytes.length;
    this.end = Math.min(this.size, Math.max(H, opts.ringEnd ?? this.size));
    this.ringSize = this.end - H;
  }

  run(): EvtLog {
    const w = this.warnings;
    const h = parseEvtHeader(this.buf);
    const header = typeof h === 'string' ? null : h;
    if (typeof h === 'string') w.add(`header: ${h}`);
    else if (h.majorVersion !== 1 || h.minorVersion !== 1)
      w.add(`header: version ${h.majorVersion}.${h.minorVersion}, expected 1.1`);
    if (header && header.endHeaderSize !== H)
      w.add(`header: closing size copy is 0x${header.endHeaderSize.toString(16)}, expected 0x30`);

    const eof = this.pickEof(header);
    let start: number | null = null;
    for (const cand of [eof?.beginOffset, header?.startOffset]) {
      if (cand !== undefined && this.looksLikeRecordOrEof(cand)) {
        start = cand;
        break;
      }
    }
    if (header && eof && (header.startOffset !== eof.beginOffset || header.endOffset !== eof.offset))
      w.add(
        `header is stale${header.dirty ? ' (dirty)' : ''}: it says records 0x${header.startOffset.toString(16)}..0x${header.endOffset.toString(16)}, the end-of-file record says 0x${eof.beginOffset.toString(16)}..0x${eof.offset.toString(16)}`,
      );

    let mode: 'ring' | 'scan' = 'ring';
    let endOffset: number | null = null;
    if (start === null) {
      mode = 'scan';
      w.add('no usable start offset in the header or an end-of-file record: records found by scanning');
      // Without a header the bytes may be any fragment: scan from 0. Ring order is record-number order.
      const found = this.scan(header ? H : 0, this.size, false).sort(
        (a, b) => a.recordNumber - b.recordNumber,
      );
      for (const r of found) {
        this.records.push(r);
        this.live.push([r.offset, r.offset + r.length]);
      }
    } else {
      // A dirty header without a live EOF record gives no trustworthy end: walk while records are valid.
      const stopAt = eof ? eof.offset : header && !header.dirty ? header.endOffset : null;
      if (!eof) w.add('no end-of-file record found');
      endOffset = this.walk(start, stopAt);
    }
    if (eof) this.live.push([eof.offset, eof.offset + EVT_EOF_SIZE]);
    const recovered = this.opts.recovered === false ? [] : this.scan(H, this.size, true);
    if (this.opts.missing?.length) this.flagMissing([...this.records, ...recovered]);
    return {
      size: this.size,
      header,
      eof,
      mode,
      startOffset: mode === 'ring' ? start : null,
      endOffset,
      records: this.records,
      recovered,
      warnings: w,
    };
  }

  /** The live EOF record: the one the clean header points at, else the newest (highest next record number). */
  private pickEof(header: EvtHeader | null): EvtEofRecord | null {
    const all = findEofRecords(this.buf).filter((e) => e.offset >= H && e.offset + EVT_EOF_SIZE <= this.end);
    if (all.length === 0) return null;
    if (header && !header.dirty) {
      const at = all.find((e) => e.offset === header.endOffset);
      if (at) return at;
    }
    let best = all[0]!;
    for (const e of all) {
      if (
        e.currentRecordNumber > best.currentRecordNumber ||
        (e.currentRecordNumber === best.currentRecordNumber && header && best.offset < header.endOffset)
      )
        best = e;
    }
    if (all.length > 1)
      this.warnings.add(
        `${all.length} end-of-file records found; using the one at 0x${best.offset.toString(16)}`,
      );
    return best;
  }

  private looksLikeRecordOrEof(off: number): boolean {
    if (off < H || off >= this.end || (off & 3) !== 0) return false;
    if (parseEofRecordAt(this.buf, off)) return true;
    const s = this.slice(off, 8);
    return s.dv.getUint32(s.o + 4, true) === EVT_SIGNATURE;
  }

  /** `n` bytes of the ring at `pos`, contiguous: a view when they do not cross the end, else a copy. */
  private slice(pos: number, n: number): RecordBytes {
    if (pos + n <= this.end) return { buf: this.buf, dv: this.dv, o: pos };
    const first = this.end - pos;
    const b = Buffer.allocUnsafe(n);
    this.buf.copy(b, 0, pos, this.end);
    this.buf.copy(b, first, H, H + (n - first));
    return { buf: b, dv: new DataView(b.buffer, b.byteOffset, n), o: 0 };
  }

  /**
   * Follows records by their lengths from `start`, wrapping from the end of the ring to just after the header,
   * until `stopAt` (the EOF record). A damaged record is reported and the walk resumes at the next valid record.
   * Returns where the walk stopped.
   */
  private walk(start: number, stopAt: number | null): number {
    const w = this.warnings;
    let pos = start;
    let consumed = 0;
    let prevNumber = -1;
    // Each step consumes at least 4 bytes, so this bounds the loop even on hostile input.
    for (let steps = 0; steps <= this.ringSize / 4 + 2; steps++) {
      if (pos === stopAt) break;
      if (consumed >= this.ringSize) {
        w.add(
          `walk went round the whole ring without reaching the end-of-file record (stopped at 0x${pos.toString(16)})`,
        );
        break;
      }
      const room = this.end - pos;
      // Even a record's first 8 bytes may be split at the end of the ring: read them through the ring.
      const hd = room >= 8 ? null : room >= 4 ? this.slice(pos, 8) : null;
      const len = hd ? hd.dv.getUint32(hd.o, true) : room >= 8 ? this.dv.getUint32(pos, true) : 0;
      const sig = hd ? hd.dv.getUint32(hd.o + 4, true) : room >= 8 ? this.dv.getUint32(pos + 4, true) : 0;
      if (sig !== EVT_SIGNATURE && (room < 8 || len === EVT_SKIP_DWORD || this.isZeroTail(pos))) {
        // Space at the end too small for a record is skipped (filled with 0x27 dwords); the ring resumes after the header.
        if (room >= 8 && !this.isSkipTail(pos) && !this.isZeroTail(pos)) {
          const next = this.resync(pos + 4, stopAt, w);
          if (next === null) break;
          consumed += this.distance(pos, next);
          pos = next;
          continue;
        }
        consumed += room;
        this.live.push([pos, this.end]);
        pos = H;
        continue;
      }
      if (len === EVT_EOF_SIZE && sig === 0x11111111 && parseEofRecordAt(this.buf, pos)) {
        if (stopAt !== null)
          w.add(`end-of-file record at 0x${pos.toString(16)}, expected at 0x${stopAt.toString(16)}`);
        break;
      }
      let problem: string | null = null;
      if (sig !== EVT_SIGNATURE) problem = 'no "LfLe" signature';
      else if (len < EVT_RECORD_MIN_SIZE || (len & 3) !== 0 || len > this.ringSize)
        problem = `implausible record length 0x${len.toString(16)}`;
      let rec: EvtRecord | null = null;
      if (!problem) {
        const wrapped = pos + len > this.end;
        const r = this.slice(pos, len);
        const copy = r.dv.getUint32(r.o + len - 4, true);
        if (copy === len || copy === 0) {
          // copy 0: a truncated record (rest zero-filled, libevt): decode what is readable, keep walking.
          rec = decodeRecord(r, len, pos, { recovered: false, wrapped, complete: copy === len });
        } else
          problem = `trailing length copy 0x${copy.toString(16)} differs from length 0x${len.toString(16)}`;
      }
      if (problem || !rec) {
        if (stopAt === null) {
          // No known end: the first invalid record is where the live data stops.
          break;
        }
        w.add(`record at 0x${pos.toString(16)}: ${problem}; resynchronising`);
        const next = this.resync(pos + 4, stopAt, w);
        if (next === null) break;
        consumed += this.distance(pos, next);
        pos = next;
        continue;
      }
      if (rec.problems.length)
        w.add(`record ${rec.recordNumber} at 0x${pos.toString(16)}: ${rec.problems.join('; ')}`);
      if (prevNumber >= 0 && rec.recordNumber !== prevNumber + 1) {
        if (stopAt === null && rec.recordNumber <= prevNumber) break; // older data past the real end
        w.add(`record number ${rec.recordNumber} at 0x${pos.toString(16)} follows ${prevNumber}`);
      }
      prevNumber = rec.recordNumber;
      this.records.push(rec);
      const last = this.live.at(-1);
      if (pos + len <= this.end) {
        if (last && last[1] === pos) last[1] = pos + len;
        else this.live.push([pos, pos + len]);
      } else {
        this.live.push([pos, this.end]);
        this.live.push([H, H + len - (this.end - pos)]);
      }
      consumed += len;
      pos += len;
      if (pos >= this.end) pos = H + (pos - this.end);
    }
    return pos;
  }

  private distance(from: number, to: number): number {
    return to >= from ? to - from : this.end - from + (to - H);
  }

  private isSkipTail(pos: number): boolean {
    for (let p = pos; p + 4 <= this.end; p += 4)
      if (this.dv.getUint32(p, true) !== EVT_SKIP_DWORD) return false;
    return true;
  }

  /** Only zero bytes from `pos` to the end of a ring too short for a record there: unused tail space. */
  private isZeroTail(pos: number): boolean {
    if (this.end - pos >= EVT_RECORD_MIN_SIZE) return false;
    for (let p = pos; p < this.end; p++) if (this.buf[p] !== 0) return false;
    return true;
  }

  /**
   * Next place the walk can continue at, searching forward in ring order from `from` up to `stopAt`: a whole valid
   * record or the EOF record. Returns null when nothing before `stopAt` qualifies.
   */
  private resync(from: number, stopAt: number | null, w: Warnings): number | null {
    const segs: Array<[number, number]> = [];
    if (stopAt !== null && stopAt >= from) segs.push([from, stopAt]);
    else {
      segs.push([from, this.end]);
      if (stopAt !== null) segs.push([H, stopAt]);
    }
    for (const [s, e] of segs) {
      let i = this.buf.indexOf(EVT_SIGNATURE_BYTES, s + 4);
      while (i >= 0 && i - 4 < e) {
        const o = i - 4;
        if ((o & 3) === 0 && this.validAt(o)) {
          w.add(
            `skipped 0x${this.distance(from - 4, o).toString(16)} bytes of damaged data before 0x${o.toString(16)}`,
          );
          return o;
        }
        i = this.buf.indexOf(EVT_SIGNATURE_BYTES, i + 1);
      }
    }
    if (stopAt !== null) {
      w.add(`no valid record after 0x${(from - 4).toString(16)}; skipping to the end-of-file record`);
      return stopAt;
    }
    return null;
  }

  /** A whole, well-formed record at `o` (contiguous, or split at the ring's end). */
  private validAt(o: number): boolean {
    const len = this.dv.getUint32(o, true);
    if (len < EVT_RECORD_MIN_SIZE || (len & 3) !== 0 || len > this.ringSize) return false;
    const r = this.slice(o, len);
    return wholeRecordLengthAt(r.buf, r.dv, r.o, len) === len;
  }

  private flagMissing(records: EvtRecord[]): void {
    const gaps = [...this.opts.missing!].filter((g) => g.length > 0).sort((a, b) => a.offset - b.offset);
    // First gap ending after `x` (gaps sorted and, from a page map, disjoint).
    const firstAfter = (x: number) => {
      let lo = 0;
      let hi = gaps.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (gaps[mid]!.offset + gaps[mid]!.length <= x) lo = mid + 1;
        else hi = mid;
      }
      return gaps[lo];
    };
    const touches = (s: number, e: number) => {
      const g = firstAfter(s);
      return g !== undefined && g.offset < e;
    };
    let n = 0;
    for (const r of records) {
      const first = Math.min(r.length, this.end - r.offset);
      const hit = touches(r.offset, r.offset + first) || (r.wrapped && touches(H, H + r.length - first));
      if (!hit) continue;
      r.missingBytes = true;
      r.problems = [...r.problems, 'some bytes missing from the source (zero-filled)'];
      n++;
    }
    if (n) this.warnings.add(`${n} records overlap bytes missing from the source`);
  }

  /** The live ranges sorted and merged, so the slack scan can jump over them. */
  private mergedLive(): Array<[number, number]> {
    const sorted = [...this.live].sort((a, b) => a[0] - b[0]);
    const out: Array<[number, number]> = [];
    for (const [s, e] of sorted) {
      const last = out.at(-1);
      if (last && s <= last[1]) last[1] = Math.max(last[1], e);
      else out.push([s, e]);
    }
    return out;
  }

  /**
   * Finds records in [from, to) by signature. `slack`: skip the live ranges, keep records whose length copy does
   * not match but whose fixed part is sane (older records partly overwritten) as incomplete, and mark all
   * recovered. Otherwise (scan mode) only whole records count.
   */
  private scan(from: number, to: number, slack: boolean): EvtRecord[] {
    const out: EvtRecord[] = [];
    const live = slack ? this.mergedLive() : [];
    let j = 0;
    let skipUntil = from;
    let i = this.buf.indexOf(EVT_SIGNATURE_BYTES, from + 4);
    const rb: RecordBytes = { buf: this.buf, dv: this.dv, o: 0 };
    while (i >= 0 && i - 4 < to) {
      const o = i - 4;
      while (j < live.length && live[j]![1] <= o) j++;
      if (j < live.length && live[j]![0] <= o) {
        // Inside the live log: jump past it.
        i = this.buf.indexOf(EVT_SIGNATURE_BYTES, live[j]![1] + 4);
        continue;
      }
      i = this.buf.indexOf(EVT_SIGNATURE_BYTES, i + 4);
      if (o < skipUntil || (o & 3) !== 0) continue;
      const whole = wholeRecordLengthAt(this.buf, this.dv, o, this.size - H);
      if (whole) {
        // Signature, aligned length and matching length copy: a record even if some field offsets are off.
        rb.o = o;
        const r = decodeRecord(rb, whole, o, { recovered: slack, wrapped: false, complete: true });
        if (r.problems.length)
          this.warnings.add(`record ${r.recordNumber} at 0x${o.toString(16)}: ${r.problems.join('; ')}`);
        out.push(r);
        skipUntil = o + whole;
        continue;
      }
      if (!slack || o + 0x38 > this.size) continue;
      const len = this.dv.getUint32(o, true);
      if (len < EVT_RECORD_MIN_SIZE || (len & 3) !== 0 || len > this.ringSize) continue;
      const avail = Math.min(len, this.size - o);
      if (fieldProblem(this.dv, o, len) !== null) continue;
      rb.o = o;
      const rec = decodeRecord(rb, avail, o, { recovered: true, wrapped: false, complete: false });
      // Without a matching length copy, demand readable names before calling it a record.
      if (rec.problems.some((p) => p.includes('name is not NUL-terminated'))) continue;
      out.push(rec);
    }
    return out;
  }
}
