import type { PhysicalMemory, PhysRange, ScanBlock } from './source.js';

const PAGE = 4096;

/**
 * Physical memory held in RAM as a sparse set of 4 KiB pages: for tests and synthetic images, where page tables and
 * data are built byte by byte. Pages never written are holes, exactly like absent runs of a real dump.
 */
export class BufferMemory implements PhysicalMemory {
  readonly format = 'buffer';
  readonly meta: Readonly<Record<string, unknown>> = {};
  private readonly pages = new Map<number, Uint8Array>();
  private cachedRanges: PhysRange[] | null = null;
  private top = 0;

  get maxAddress(): number {
    return this.top;
  }

  get ranges(): readonly PhysRange[] {
    if (!this.cachedRanges) {
      const keys = [...this.pages.keys()].sort((a, b) => a - b);
      const out: PhysRange[] = [];
      for (const k of keys) {
        const prev = out[out.length - 1];
        if (prev && prev.end === k * PAGE) prev.end += PAGE;
        else out.push({ start: k * PAGE, end: (k + 1) * PAGE });
      }
      this.cachedRanges = out;
    }
    return this.cachedRanges;
  }

  /** The page holding `addr`, created (zeroed) when absent. */
  page(addr: number): Uint8Array {
    const n = Math.floor(addr / PAGE);
    let p = this.pages.get(n);
    if (!p) {
      p = new Uint8Array(PAGE);
      this.pages.set(n, p);
      this.cachedRanges = null;
      if ((n + 1) * PAGE > this.top) this.top = (n + 1) * PAGE;
    }
    return p;
  }

  /** Makes the page holding `addr` a hole again. */
  remove(addr: number): void {
    if (this.pages.delete(Math.floor(addr / PAGE))) {
      this.cachedRanges = null;
      let top = 0;
      for (const k of this.pages.keys()) if ((k + 1) * PAGE > top) top = (k + 1) * PAGE;
      this.top = top;
    }
  }

  write(addr: number, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; ) {
      const a = addr + i;
      const off = a % PAGE;
      const n = Math.min(bytes.length - i, PAGE - off);
      this.page(a).set(bytes.subarray(i, i + n), off);
      i += n;
    }
  }

  writeU32(addr: number, v: number): void {
    for (let i = 0; i < 4; i++) {
      const a = addr + i;
      this.page(a)[a % PAGE] = (v >>> (8 * i)) & 0xff;
    }
  }

  /** Writes a u64 given as halves (page-table entries are built this way: no BigInt needed). */
  writeU64(addr: number, hi: number, lo: number): void {
    this.writeU32(addr, lo);
    this.writeU32(addr + 4, hi);
  }

  /** Sequential scan over present ranges; each block is a copy (tests only, so simplicity beats speed). */
  *scan(blockSize = 1 << 22, from = 0, to = this.maxAddress): Generator<ScanBlock> {
    for (const r of this.ranges) {
      const s = Math.max(r.start, from);
      const e = Math.min(r.end, to);
      for (let a = s; a < e; a += blockSize) {
        const n = Math.min(blockSize, e - a);
        const bytes = new Uint8Array(n);
        this.read(a, bytes, 0, n);
        yield { addr: a, bytes };
      }
    }
  }

  isPresent(addr: number): boolean {
    return this.pages.has(Math.floor(addr / PAGE));
  }

  read(addr: number, dst: Uint8Array, dstOff: number, len: number): number {
    let present = 0;
    let contiguous = true;
    for (let done = 0; done < len; ) {
      const a = addr + done;
      const off = a % PAGE;
      const n = Math.min(len - done, PAGE - off);
      const p = this.pages.get(Math.floor(a / PAGE));
      if (p) {
        dst.set(p.subarray(off, off + n), dstOff + done);
        if (contiguous) present += n;
      } else {
        dst.fill(0, dstOff + done, dstOff + done + n);
        contiguous = false;
      }
      done += n;
    }
    return present;
  }

  readU32(addr: number): number {
    const off = addr % PAGE;
    const p = this.pages.get(Math.floor(addr / PAGE));
    if (off <= PAGE - 4) {
      if (!p) return -1;
      return (p[off]! | (p[off + 1]! << 8) | (p[off + 2]! << 16) | (p[off + 3]! << 24)) >>> 0;
    }
    // Straddles two pages.
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const a = addr + i;
      const q = this.pages.get(Math.floor(a / PAGE));
      if (!q) return -1;
      v += q[a % PAGE]! * 2 ** (8 * i);
    }
    return v;
  }

  close(): void {
    this.pages.clear();
    this.cachedRanges = null;
  }
}
