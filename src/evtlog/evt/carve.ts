import { asBuffer, EVT_RECORD_FIXED_SIZE, EVT_RECORD_MIN_SIZE, EVT_SIGNATURE_BYTES } from './format.js';
import {
  decodeRecord,
  type EvtRecord,
  fieldProblem,
  type RecordBytes,
  wholeRecordLengthAt,
} from './record.js';

export interface EvtCarveOptions {
  /**
   * Largest record accepted; 1 MiB by default. Real records are hundreds of bytes to a few KiB: the bound keeps a
   * stray signature from claiming (and making the carver hold) a huge span.
   */
  maxRecordSize?: number;
}

const DEFAULT_MAX = 0x100000;
const EMPTY = Buffer.alloc(0);

/**
 * Decodes the record at `o` when it is one: signature at +4, 4-aligned length within bounds, trailing length copy
 * equal to the length, SID/strings/data inside the record, and NUL-terminated source and computer names.
 */
function carveAt(rb: RecordBytes, maxLen: number, offset: number): EvtRecord | null {
  const len = wholeRecordLengthAt(rb.buf, rb.dv, rb.o, maxLen);
  if (len === 0 || fieldProblem(rb.dv, rb.o, len) !== null) return null;
  const r = decodeRecord(rb, len, offset, { recovered: true, wrapped: false, complete: true });
  if (r.problems.length) return null;
  // Detach from the caller's buffer, which streaming readers reuse.
  if (r.data.length) r.data = new Uint8Array(r.data); // a copy (Buffer#slice would share memory)
  return r;
}

/** Length a hit at `o` claims, when it could be a record (not yet checked against the bytes present). */
function plausibleLength(dv: DataView, o: number, maxLen: number): number {
  const len = dv.getUint32(o, true);
  return len >= EVT_RECORD_MIN_SIZE && len <= maxLen && (len & 3) === 0 ? len : 0;
}

/**
 * Finds EVT records anywhere in `bytes` (a dump block, an extracted file with holes) by their "LfLe" signature,
 * using the native Buffer search so that bytes without signatures cost almost nothing. Offsets are
 * `baseOffset + position`. Records are marked `recovered` (they come from no log structure).
 */
export function carveEvtRecords(bytes: Uint8Array, baseOffset = 0, opts: EvtCarveOptions = {}): EvtRecord[] {
  const maxLen = opts.maxRecordSize ?? DEFAULT_MAX;
  const buf = asBuffer(bytes);
  const rb: RecordBytes = { buf, dv: new DataView(buf.buffer, buf.byteOffset, buf.byteLength), o: 0 };
  const out: EvtRecord[] = [];
  let i = buf.indexOf(EVT_SIGNATURE_BYTES, 4);
  while (i >= 0) {
    rb.o = i - 4;
    const r = carveAt(rb, maxLen, baseOffset + rb.o);
    if (r) out.push(r);
    i = buf.indexOf(EVT_SIGNATURE_BYTES, r ? rb.o + r.length + 4 : i + 1);
  }
  return out;
}

/**
 * Streaming carver: feed consecutive blocks (`push(block, offset)`), get each record once, including records that
 * span block boundaries. Only the bytes that may start an unfinished record are kept between blocks (at most one
 * maximum record size), so memory stays flat. A gap in offsets drops what was pending.
 */
export class EvtRecordCarver {
  private readonly maxLen: number;
  private carry: Buffer = EMPTY;
  private readonly small = Buffer.alloc(64);
  private readonly tailA = Buffer.alloc(8);
  private readonly tailB = Buffer.alloc(8);
  private flip = false;
  private carryOffset = 0;
  /** Pending record starts that were dropped (offset gaps, or a record longer than what could be kept). */
  dropped = 0;

  constructor(opts: EvtCarveOptions = {}) {
    this.maxLen = opts.maxRecordSize ?? DEFAULT_MAX;
  }

  push(block: Uint8Array, offset: number): EvtRecord[] {
    const out: EvtRecord[] = [];
    const blk = asBuffer(block);
    let carry = this.carry;
    if (carry.length && offset !== this.carryOffset + carry.length) {
      this.dropped++;
      carry = EMPTY;
    }
    const cl = carry.length;
    // Starts (absolute) of records that cannot be finished with the bytes seen so far.
    let pendingAbs = Number.POSITIVE_INFINITY;
    let skipInBlock = 0;
    if (cl) {
      // Records starting in the carried bytes: their signature may straddle into the block, so look at carry + 8.
      const hl = cl + Math.min(8, blk.length);
      const head = hl <= this.small.length ? this.small.subarray(0, hl) : Buffer.allocUnsafe(hl);
      carry.copy(head, 0);
      blk.copy(head, cl, 0, hl - cl);
      let i = head.indexOf(EVT_SIGNATURE_BYTES, 4);
      if (i >= 0) {
        const hdv = new DataView(head.buffer, head.byteOffset, head.byteLength);
        while (i >= 0 && i - 4 < cl) {
          const p = i - 4;
          i = head.indexOf(EVT_SIGNATURE_BYTES, i + 1);
          const len = plausibleLength(hdv, p, this.maxLen);
          if (!len || p + len <= cl) continue; // whole inside the carry: already seen
          const need = p + len - cl;
          if (need > blk.length) {
            pendingAbs = Math.min(pendingAbs, this.carryOffset + p);
            continue;
          }
          const rec = Buffer.concat([carry.subarray(p), blk.subarray(0, need)]);
          const r = carveAt(
            { buf: rec, dv: new DataView(rec.buffer, rec.byteOffset, rec.byteLength), o: 0 },
            this.maxLen,
            this.carryOffset + p,
          );
          if (r) {
            out.push(r);
            skipInBlock = Math.max(skipInBlock, need);
          }
        }
      }
    }
    let i = blk.indexOf(EVT_SIGNATURE_BYTES, skipInBlock + 4);
    if (i >= 0) {
      const rb: RecordBytes = {
        buf: blk,
        dv: new DataView(blk.buffer, blk.byteOffset, blk.byteLength),
        o: 0,
      };
      while (i >= 0) {
        const o = i - 4;
        const len = plausibleLength(rb.dv, o, this.maxLen);
        if (len && o + len > blk.length) {
          pendingAbs = Math.min(pendingAbs, offset + o);
          i = blk.indexOf(EVT_SIGNATURE_BYTES, i + 1);
          continue;
        }
        rb.o = o;
        const r = len ? carveAt(rb, this.maxLen, offset + o) : null;
        if (r) out.push(r);
        i = blk.indexOf(EVT_SIGNATURE_BYTES, r ? o + r.length + 4 : i + 1);
      }
    }
    // Keep from the earliest unfinished start, and always the last 7 bytes (a start whose signature is not yet seen).
    const endAbs = offset + blk.length;
    const tailKeep = Math.min(7, blk.length + cl);
    let keepAbs = Math.min(pendingAbs, endAbs - tailKeep);
    if (endAbs - keepAbs > this.maxLen) {
      this.dropped++;
      keepAbs = endAbs - tailKeep;
    }
    const n = endAbs - keepAbs;
    // Small carries alternate between two preallocated buffers: no allocation per block in the common case.
    this.flip = !this.flip;
    const next = n <= 8 ? (this.flip ? this.tailA : this.tailB).subarray(0, n) : Buffer.allocUnsafe(n);
    const fromCarry = Math.max(0, offset - keepAbs);
    if (fromCarry) carry.copy(next, 0, cl - fromCarry);
    blk.copy(next, fromCarry, Math.max(0, keepAbs - offset));
    this.carry = next;
    this.carryOffset = keepAbs;
    return out;
  }

  /** Ends the stream: a record still unfinished at the end is counted in `dropped`. */
  finish(): void {
    if (this.carry.length >= EVT_RECORD_FIXED_SIZE && this.carry.indexOf(EVT_SIGNATURE_BYTES) >= 0)
      this.dropped++;
    this.carry = EMPTY;
  }
}
