import type { ByteSource } from './file-reader.js';
import type { PhysicalMemory, PhysRange, ScanBlock } from './source.js';

/** A run of physical memory stored contiguously in the container file. */
export interface Segment {
  phys: number;
  length: number;
  fileOffset: number;
}

/**
 * Runs kept as three parallel Float64Arrays (24 bytes a run): a bitmap crash dump of a fragmented 64 GiB machine
 * has millions of runs, and an object per run would cost several times that.
 */
export class SegmentList {
  phys = new Float64Array(16);
  length = new Float64Array(16);
  fileOffset = new Float64Array(16);
  count = 0;

  static from(segs: readonly Segment[]): SegmentList {
    const l = new SegmentList();
    for (const s of segs) l.push(s.phys, s.length, s.fileOffset);
    return l;
  }

  push(phys: number, length: number, fileOffset: number): void {
    if (length <= 0) return;
    const n = this.count;
    // Extend the previous run when this one continues it both in memory and in the file.
    if (n > 0 && this.phys[n - 1]! + this.length[n - 1]! === phys) {
      if (this.fileOffset[n - 1]! + this.length[n - 1]! === fileOffset) {
        this.length[n - 1]! += length;
        return;
      }
    }
    if (n === this.phys.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.phys = grow(this.phys);
      this.length = grow(this.length);
      this.fileOffset = grow(this.fileOffset);
    }
    this.phys[n] = phys;
    this.length[n] = length;
    this.fileOffset[n] = fileOffset;
    this.count = n + 1;
  }
}

/**
 * Physical memory made of runs stored in one file: raw images (one run), LiME and ELF (one per range header),
 * crash dumps (one per run or per bitmap run), VMware (one per region), minidumps (one per memory range, with
 * virtual addresses in place of physical ones). Subclasses only find the runs.
 */
export class SegmentedMemory implements PhysicalMemory {
  readonly maxAddress: number;
  /** Soft problems found while opening (truncation, clipped overlaps): the dump is usable but incomplete. */
  readonly warnings: string[];
  private readonly starts: Float64Array;
  private readonly lens: Float64Array;
  private readonly offs: Float64Array;
  private readonly n: number;
  private rangeCache: PhysRange[] | null = null;
  /** Zero-filled bytes (holes and truncation) of the last `read`. */
  lastMissing = 0;
  private readonly tmp4 = new Uint8Array(4);
  private readonly dv4 = new DataView(this.tmp4.buffer);

  constructor(
    readonly format: string,
    protected readonly file: ByteSource,
    segments: readonly Segment[] | SegmentList,
    readonly meta: Readonly<Record<string, unknown>> = {},
    warnings: string[] = [],
  ) {
    this.warnings = warnings;
    const list = normalise(segments instanceof SegmentList ? segments : SegmentList.from(segments), warnings);
    this.n = list.count;
    this.starts = list.phys.subarray(0, this.n);
    this.lens = list.length.subarray(0, this.n);
    this.offs = list.fileOffset.subarray(0, this.n);
    this.maxAddress = this.n ? this.starts[this.n - 1]! + this.lens[this.n - 1]! : 0;
  }

  /** Present ranges (adjacent runs merged); built on first use so bitmap dumps pay only when asked. */
  get ranges(): readonly PhysRange[] {
    if (!this.rangeCache) {
      const out: PhysRange[] = [];
      for (let i = 0; i < this.n; i++) {
        const prev = out[out.length - 1];
        const s = this.starts[i]!;
        if (prev && prev.end === s) prev.end = s + this.lens[i]!;
        else out.push({ start: s, end: s + this.lens[i]! });
      }
      this.rangeCache = out;
    }
    return this.rangeCache;
  }

  get segmentCount(): number {
    return this.n;
  }

  /** All runs as objects (allocates one per run: prefer segmentCount/segment(i) on bitmap dumps). */
  get segments(): Segment[] {
    const out: Segment[] = [];
    for (let i = 0; i < this.n; i++) out.push(this.segment(i));
    return out;
  }

  /** The i-th stored run (sorted by address). */
  segment(i: number): Segment {
    return { phys: this.starts[i]!, length: this.lens[i]!, fileOffset: this.offs[i]! };
  }

  /** Total bytes present. */
  get presentBytes(): number {
    let t = 0;
    for (let i = 0; i < this.n; i++) t += this.lens[i]!;
    return t;
  }

  /** Index of the segment holding `addr`, or -1. */
  private find(addr: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = this.n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid]! <= addr) lo = mid + 1;
      else hi = mid - 1;
    }
    if (hi < 0) return -1;
    return addr < s[hi]! + this.lens[hi]! ? hi : -1;
  }

  isPresent(addr: number): boolean {
    return this.find(addr) >= 0;
  }

  /** Offset in the container file of the byte at `addr`, or -1 when the container does not hold it. */
  fileOffsetOf(addr: number): number {
    const i = this.find(addr);
    return i < 0 ? -1 : this.offs[i]! + (addr - this.starts[i]!);
  }

  read(addr: number, dst: Uint8Array, dstOff: number, len: number): number {
    let done = 0;
    let contiguous = true;
    let present = 0;
    let missing = 0;
    while (done < len) {
      const a = addr + done;
      const i = this.find(a);
      if (i < 0) {
        // Hole: zero-fill up to the next segment (or the end of the request).
        const next = this.nextStart(a);
        const n = Math.min(len - done, next - a);
        dst.fill(0, dstOff + done, dstOff + done + n);
        done += n;
        missing += n;
        contiguous = false;
        continue;
      }
      const start = this.starts[i]!;
      const n = Math.min(len - done, start + this.lens[i]! - a);
      const got = this.file.read(this.offs[i]! + (a - start), dst, dstOff + done, n);
      if (got < n) {
        // The container says the bytes exist but the file ends early (truncated dump): treat the rest as a hole.
        dst.fill(0, dstOff + done + got, dstOff + done + n);
        if (contiguous) present += got;
        missing += n - got;
        contiguous = false;
      } else if (contiguous) present += n;
      done += n;
    }
    this.lastMissing = missing;
    return present;
  }

  readU32(addr: number): number {
    // `lastMissing` describes the caller's last bulk read, not this internal one.
    const keep = this.lastMissing;
    const n = this.read(addr, this.tmp4, 0, 4);
    this.lastMissing = keep;
    if (n < 4) return -1;
    return this.dv4.getUint32(0, true);
  }

  /** Sequential scan over present memory in blocks of `blockSize` bytes (the buffer is reused). */
  *scan(blockSize = 1 << 22, from = 0, to = this.maxAddress): Generator<ScanBlock> {
    const buf = new Uint8Array(blockSize);
    const block: ScanBlock = { addr: 0, bytes: buf };
    let i = Math.max(0, this.find(from) >= 0 ? this.find(from) : this.nextIndex(from));
    for (; i < this.n; i++) {
      const segStart = this.starts[i]!;
      if (segStart >= to) break;
      const s = Math.max(segStart, from);
      const e = Math.min(segStart + this.lens[i]!, to);
      for (let a = s; a < e; a += blockSize) {
        const n = Math.min(blockSize, e - a);
        const got = this.file.direct(this.offs[i]! + (a - segStart), buf, 0, n);
        if (got < n) buf.fill(0, got, n);
        block.addr = a;
        block.bytes = n === blockSize ? buf : buf.subarray(0, n);
        yield block;
      }
    }
  }

  /** Index of the first segment starting above `addr` (binary search: bitmap crash dumps have many runs). */
  private nextIndex(addr: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid]! <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private nextStart(addr: number): number {
    const i = this.nextIndex(addr);
    return i < this.n ? this.starts[i]! : Number.POSITIVE_INFINITY;
  }

  close(): void {
    this.file.close();
  }
}

/** Sorts runs by address and clips overlaps (the run starting lower wins; ties go to container order). */
function normalise(l: SegmentList, warnings: string[]): SegmentList {
  let sorted = true;
  for (let i = 1; i < l.count && sorted; i++) {
    if (l.phys[i]! < l.phys[i - 1]! + l.length[i - 1]!) sorted = false;
  }
  if (sorted) return l;
  const order = new Uint32Array(l.count);
  for (let i = 0; i < l.count; i++) order[i] = i;
  // Stable by address, then by container order, so "earlier wins" holds among runs with the same start.
  order.sort((a, b) => l.phys[a]! - l.phys[b]! || a - b);
  const out = new SegmentList();
  let clipped = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const i of order) {
    let p = l.phys[i]!;
    let len = l.length[i]!;
    let off = l.fileOffset[i]!;
    if (p < end) {
      clipped++;
      const cut = end - p;
      if (cut >= len) continue;
      p += cut;
      len -= cut;
      off += cut;
    }
    out.push(p, len, off);
    end = Math.max(end, p + len);
  }
  if (clipped)
    warnings.push(
      `${clipped} run(s) overlap others; overlapping bytes were taken from the run starting lower`,
    );
  return out;
}
