/**
 * The image file being built: physical address = file offset. Writes are positional; small writes go through a
 * bounded page cache (structures are written a few bytes at a time), whole-page writes go straight to the file.
 * Untouched regions are never written, so the file stays sparse.
 */
import { closeSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

export const PAGE = 4096;

export class PhysImage {
  private readonly fd: number;
  private readonly cache = new Map<number, Uint8Array>();
  private closed = false;

  constructor(
    readonly path: string,
    readonly size: number,
    private readonly maxCachedPages = 8192,
  ) {
    this.fd = openSync(path, 'w+');
    ftruncateSync(this.fd, size);
  }

  /** The cached copy of a page, loaded from the file the first time (zeros when never written). */
  page(pfn: number): Uint8Array {
    let p = this.cache.get(pfn);
    if (p) return p;
    if (this.cache.size >= this.maxCachedPages) this.flush();
    p = new Uint8Array(PAGE);
    readSync(this.fd, p, 0, PAGE, pfn * PAGE);
    this.cache.set(pfn, p);
    return p;
  }

  write(pa: number, data: Uint8Array): void {
    this.check(pa, data.length);
    let off = 0;
    while (off < data.length) {
      const a = pa + off;
      const inPage = a % PAGE;
      const n = Math.min(PAGE - inPage, data.length - off);
      const pfn = (a - inPage) / PAGE;
      if (n === PAGE && !this.cache.has(pfn)) {
        writeSync(this.fd, data, off, PAGE, a);
      } else {
        this.page(pfn).set(data.subarray(off, off + n), inPage);
      }
      off += n;
    }
  }

  /** Writes a whole page directly (file content, noise), replacing any cached copy. */
  writePage(pfn: number, data: Uint8Array): void {
    this.check(pfn * PAGE, PAGE);
    const cached = this.cache.get(pfn);
    if (cached) {
      cached.set(data.subarray(0, PAGE));
      return;
    }
    writeSync(this.fd, data, 0, PAGE, pfn * PAGE);
  }

  writeU32(pa: number, v: number): void {
    const inPage = pa % PAGE;
    if (inPage > PAGE - 4) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, v >>> 0, true);
      this.write(pa, b);
      return;
    }
    const p = this.page((pa - inPage) / PAGE);
    p[inPage] = v & 0xff;
    p[inPage + 1] = (v >>> 8) & 0xff;
    p[inPage + 2] = (v >>> 16) & 0xff;
    p[inPage + 3] = (v >>> 24) & 0xff;
  }

  /** Reads back bytes (through the cache), for the builder's own consistency checks. */
  read(pa: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let off = 0;
    while (off < len) {
      const a = pa + off;
      const inPage = a % PAGE;
      const n = Math.min(PAGE - inPage, len - off);
      const pfn = (a - inPage) / PAGE;
      const c = this.cache.get(pfn);
      if (c) out.set(c.subarray(inPage, inPage + n), off);
      else readSync(this.fd, out, off, n, a);
      off += n;
    }
    return out;
  }

  flush(): void {
    const pfns = [...this.cache.keys()].sort((a, b) => a - b);
    for (const pfn of pfns) writeSync(this.fd, this.cache.get(pfn)!, 0, PAGE, pfn * PAGE);
    this.cache.clear();
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    closeSync(this.fd);
    this.closed = true;
  }

  private check(pa: number, len: number): void {
    if (pa < 0 || pa + len > this.size) {
      throw new Error(
        `forge: physical write 0x${pa.toString(16)}+${len} outside the ${this.size}-byte image`,
      );
    }
  }
}

/**
 * Physical page allocator: hands out free frames in a seeded random order (real memory is fragmented; readers must
 * not depend on contiguity), after reserved ranges are removed. Lazy Fisher–Yates over a frame array.
 */
export class PageAlloc {
  private readonly free: Uint32Array;
  private n: number;
  private next = 0;
  private readonly taken: Uint8Array;

  constructor(
    readonly pages: number,
    reserved: readonly [number, number][],
    private readonly rand: (n: number) => number,
  ) {
    this.taken = new Uint8Array(pages);
    for (const [a, b] of reserved) {
      for (let p = Math.floor(a / PAGE); p < Math.ceil(b / PAGE) && p < pages; p++) this.taken[p] = 1;
    }
    this.free = new Uint32Array(pages);
    let n = 0;
    for (let p = 0; p < pages; p++) if (!this.taken[p]) this.free[n++] = p;
    this.n = n;
  }

  /** A random free frame. */
  alloc(): number {
    while (this.next < this.n) {
      const j = this.next + this.rand(this.n - this.next);
      const pfn = this.free[j]!;
      this.free[j] = this.free[this.next]!;
      this.free[this.next] = pfn;
      this.next++;
      if (!this.taken[pfn]) {
        this.taken[pfn] = 1;
        return pfn;
      }
    }
    throw new Error('forge: physical memory exhausted; raise physicalSize in the scenario');
  }

  /** `count` contiguous free frames (PAE page-directory blocks, kernel image), searched from `fromPfn` upwards. */
  allocContiguous(count: number, fromPfn = 0x100): number {
    for (let p = fromPfn; p + count <= this.pages; p++) {
      let ok = true;
      for (let i = 0; i < count; i++) {
        if (this.taken[p + i]) {
          ok = false;
          p += i;
          break;
        }
      }
      if (ok) {
        for (let i = 0; i < count; i++) this.taken[p + i] = 1;
        return p;
      }
    }
    throw new Error(`forge: no ${count} contiguous free pages`);
  }

  /** Marks a specific frame used (fixed-address structures such as the kernel DTB). */
  claim(pfn: number): void {
    this.taken[pfn] = 1;
  }

  get remaining(): number {
    let c = 0;
    for (let i = this.next; i < this.n; i++) if (!this.taken[this.free[i]!]) c++;
    return c;
  }
}
