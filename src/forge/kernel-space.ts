/**
 * Kernel virtual memory of the image being built: regions (pools, system cache, kernel image) whose pages are
 * backed on demand by physical frames and mapped in the shared kernel page tables; pool allocations with real
 * _POOL_HEADERs; and objects with _OBJECT_HEADERs (plus name info) as each Windows version lays them out.
 */
import type { Layout } from './layout.js';
import type { Paging } from './paging.js';
import { PAGE, type PageAlloc, type PhysImage } from './phys-image.js';
import { StructBuf } from './struct.js';

export class KernelMemory {
  /** Kernel virtual page number → physical frame. */
  readonly pages = new Map<number, number>();

  constructor(
    readonly paging: Paging,
    readonly img: PhysImage,
    readonly alloc: PageAlloc,
  ) {}

  /** Maps one kernel page (to a given frame, or a fresh one) and returns the frame. */
  mapPage(va: number, pfn?: number): number {
    const vpn = Math.floor(va / PAGE);
    const have = this.pages.get(vpn);
    if (have !== undefined && pfn === undefined) return have;
    const f = pfn ?? this.alloc.alloc();
    this.pages.set(vpn, f);
    this.paging.map(this.paging.kernelDtbPfn, vpn * PAGE, [
      (((f % 0x100000) * PAGE) | 0x63) >>> 0,
      Math.floor(f / 0x100000),
    ]);
    return f;
  }

  /** Records a range already mapped by large pages (no PTE to write). */
  registerLarge(va: number, pfn: number, pages: number): void {
    for (let i = 0; i < pages; i++) this.pages.set(Math.floor(va / PAGE) + i, pfn + i);
  }

  pa(va: number): number {
    const off = va % PAGE;
    return this.mapPage(va - off) * PAGE + off;
  }

  write(va: number, data: Uint8Array): void {
    let off = 0;
    while (off < data.length) {
      const a = va + off;
      const inPage = a % PAGE;
      const n = Math.min(PAGE - inPage, data.length - off);
      this.img.write(this.mapPage(a - inPage) * PAGE + inPage, data.subarray(off, off + n));
      off += n;
    }
  }

  writeStruct(va: number, s: StructBuf): void {
    this.write(va, s.bytes);
  }

  /** Writes a pointer-sized value (canonical on x64). */
  writePtr(va: number, value: number, ptrSize: number): void {
    const b = new Uint8Array(ptrSize);
    const dv = new DataView(b.buffer);
    if (ptrSize === 4) dv.setUint32(0, value >>> 0, true);
    else {
      let hi = Math.floor(value / 0x100000000) >>> 0;
      if (hi & 0x8000) hi = (hi | 0xffff0000) >>> 0;
      dv.setUint32(0, (value % 0x100000000) >>> 0, true);
      dv.setUint32(4, hi, true);
    }
    this.write(va, b);
  }

  read(va: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let off = 0;
    while (off < len) {
      const a = va + off;
      const inPage = a % PAGE;
      const n = Math.min(PAGE - inPage, len - off);
      out.set(this.img.read(this.pa(a), n), off);
      off += n;
    }
    return out;
  }
}

/** A bump allocator over a kernel virtual range. */
export class Region {
  private next: number;

  constructor(
    readonly name: string,
    readonly base: number,
    readonly end: number,
  ) {
    this.next = base;
  }

  pages(n: number, alignPages = 1): number {
    const align = alignPages * PAGE;
    const at = Math.ceil(this.next / align) * align;
    if (at + n * PAGE > this.end) throw new Error(`forge: kernel region ${this.name} is full`);
    this.next = at + n * PAGE;
    return at;
  }
}

export function tagBytes(tag: string): number {
  let v = 0;
  for (let i = 0; i < 4; i++) v += (tag.charCodeAt(i) & 0xff) * 2 ** (8 * i);
  return v;
}

export interface PoolBlock {
  /** VA of the pool header (null for page-aligned big allocations, which have none). */
  header: number | null;
  /** VA of the first byte after the pool header. */
  data: number;
  /** Bytes available from `data`. */
  size: number;
}

/** Small-pool allocator writing real _POOL_HEADERs; allocations never straddle a page, as in Windows. */
export class Pool {
  readonly align: number;
  readonly hdrSize: number;
  private page = -1;
  private used = PAGE;
  private prevBlocks = 0;

  constructor(
    private readonly kmem: KernelMemory,
    private readonly layout: Layout,
    private readonly region: Region,
    /** Value written to PoolType for blocks of this pool. */
    private readonly poolType: number,
  ) {
    this.align = layout.ptrSize === 8 ? 16 : 8;
    this.hdrSize = layout.size('_POOL_HEADER');
  }

  /** Allocates `bytes` (header excluded) tagged `tag`. Requests above a page minus a header go to the big pool. */
  alloc(tag: string, bytes: number): PoolBlock {
    const total = this.hdrSize + Math.ceil(bytes / this.align) * this.align;
    if (total > PAGE) {
      const n = Math.ceil(bytes / PAGE);
      const va = this.region.pages(n);
      for (let i = 0; i < n; i++) this.kmem.mapPage(va + i * PAGE);
      return { header: null, data: va, size: n * PAGE };
    }
    if (this.used + total > PAGE) {
      this.page = this.region.pages(1);
      this.kmem.mapPage(this.page);
      this.used = 0;
      this.prevBlocks = 0;
    }
    const hdr = this.page + this.used;
    const blocks = total / this.align;
    const h = new StructBuf(this.layout, '_POOL_HEADER');
    h.set('PreviousSize', this.prevBlocks).set('BlockSize', blocks).set('PoolType', this.poolType);
    h.set('PoolIndex', 0, true).set('PoolTag', tagBytes(tag));
    this.kmem.writeStruct(hdr, h);
    this.used += total;
    this.prevBlocks = blocks;
    return { header: hdr, data: hdr + this.hdrSize, size: total - this.hdrSize };
  }
}
