import type { FileReader } from './file-reader.js';
import type { PhysicalMemory, PhysRange, ScanBlock } from './source.js';

/** A run of physical memory stored contiguously in the container file. */
export interface Segment {
  phys: number;
  length: number;
  fileOffset: number;
}

/**
 * Physical memory made of runs stored in one file: raw images (one run), LiME and ELF (one per range header),
 * crash dumps (one per run or per bitmap run), VMware (one per region). Subclasses only find the runs.
 */
export class SegmentedMemory implements PhysicalMemory {
  readonly ranges: readonly PhysRange[];
  readonly maxAddress: number;
  private readonly segs: Segment[];
  private readonly starts: Float64Array;
  private readonly tmp4 = new Uint8Array(4);
  private readonly dv4 = new DataView(this.tmp4.buffer);

  constructor(
    readonly format: string,
    protected readonly file: FileReader,
    segments: Segment[],
    readonly meta: Readonly<Record<string, unknown>> = {},
  ) {
    this.segs = normalise(segments);
    this.starts = Float64Array.from(this.segs, (s) => s.phys);
    this.ranges = mergeRanges(this.segs);
    const last = this.segs[this.segs.length - 1];
    this.maxAddress = last ? last.phys + last.length : 0;
  }

  get segments(): readonly Segment[] {
    return this.segs;
  }

  /** Index of the segment holding `addr`, or -1. */
  private find(addr: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid]! <= addr) lo = mid + 1;
      else hi = mid - 1;
    }
    if (hi < 0) return -1;
    const seg = this.segs[hi]!;
    return addr < seg.phys + seg.length ? hi : -1;
  }

  isPresent(addr: number): boolean {
    return this.find(addr) >= 0;
  }

  read(addr: number, dst: Uint8Array, dstOff: number, len: number): number {
    let done = 0;
    let contiguous = true;
    let present = 0;
    while (done < len) {
      const a = addr + done;
      const i = this.find(a);
      if (i < 0) {
        // Hole: zero-fill up to the next segment (or the end of the request).
        const next = this.nextStart(a);
        const n = Math.min(len - done, next - a);
        dst.fill(0, dstOff + done, dstOff + done + n);
        done += n;
        contiguous = false;
        continue;
      }
      const seg = this.segs[i]!;
      const n = Math.min(len - done, seg.phys + seg.length - a);
      const got = this.file.read(seg.fileOffset + (a - seg.phys), dst, dstOff + done, n);
      if (got < n) {
        // The container says the bytes exist but the file ends early (truncated dump): treat the rest as a hole.
        dst.fill(0, dstOff + done + got, dstOff + done + n);
        if (contiguous) present += got;
        contiguous = false;
      } else if (contiguous) present += n;
      done += n;
    }
    return present;
  }

  readU32(addr: number): number {
    if (this.read(addr, this.tmp4, 0, 4) < 4) return -1;
    return this.dv4.getUint32(0, true);
  }

  /** Sequential scan over present memory in blocks of `blockSize` bytes (the buffer is reused). */
  *scan(blockSize = 1 << 22, from = 0, to = this.maxAddress): Generator<ScanBlock> {
    const buf = new Uint8Array(blockSize);
    const block: ScanBlock = { addr: 0, bytes: buf };
    for (const seg of this.segs) {
      const s = Math.max(seg.phys, from);
      const e = Math.min(seg.phys + seg.length, to);
      for (let a = s; a < e; a += blockSize) {
        const n = Math.min(blockSize, e - a);
        const got = this.file.direct(seg.fileOffset + (a - seg.phys), buf, 0, n);
        if (got < n) buf.fill(0, got, n);
        block.addr = a;
        block.bytes = n === blockSize ? buf : buf.subarray(0, n);
        yield block;
      }
    }
  }

  /** Start of the first segment above `addr` (binary search: bitmap crash dumps have many runs). */
  private nextStart(addr: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid]! <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo < s.length ? s[lo]! : Number.POSITIVE_INFINITY;
  }

  close(): void {
    this.file.close();
  }
}

function normalise(segments: Segment[]): Segment[] {
  const segs = segments.filter((s) => s.length > 0).sort((a, b) => a.phys - b.phys);
  // Overlapping runs: the earlier one wins, the later one is clipped, so every address has exactly one source.
  const out: Segment[] = [];
  for (const s of segs) {
    const prev = out[out.length - 1];
    if (prev && s.phys < prev.phys + prev.length) {
      const cut = prev.phys + prev.length - s.phys;
      if (cut >= s.length) continue;
      out.push({ phys: s.phys + cut, length: s.length - cut, fileOffset: s.fileOffset + cut });
    } else out.push({ ...s });
  }
  return out;
}

function mergeRanges(segs: Segment[]): PhysRange[] {
  const out: PhysRange[] = [];
  for (const s of segs) {
    const prev = out[out.length - 1];
    if (prev && prev.end === s.phys) prev.end = s.phys + s.length;
    else out.push({ start: s.phys, end: s.phys + s.length });
  }
  return out;
}
