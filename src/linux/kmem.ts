import type { PhysicalMemory } from '../sources/source.js';
import type { VirtualSpace } from '../translate/types.js';

/** `__START_KERNEL_map` (0xffffffff80000000) without the sign-extension bits. */
export const KERNEL_MAP_48 = 0xffff80000000;
/** The image mapping spans KERNEL_IMAGE_SIZE (1 GiB with KASLR); modules follow it. */
export const KERNEL_IMAGE_SIZE = 0x40000000;
const TWO32 = 0x100000000;

/** A kernel virtual address as memdig holds it: below 2^48, upper half (>= 2^47). */
export function isKernelVa(p: number): boolean {
  return p >= 0x800000000000 && p < 0x1000000000000;
}

/**
 * Reads kernel virtual memory. The image and the direct map are translated by arithmetic (no page-table reads,
 * which is what makes discovery fast and lets it work before any page table is trusted); everything else
 * (vmalloc, vmemmap) goes through the kernel's page tables when a `VirtualSpace` is attached.
 */
export class KernelMemory {
  /** PA = VA − __START_KERNEL_map + physBase for the kernel image (physBase may be negative). */
  physBase = 0;
  /** 48-bit start of the direct map, or -1 while unknown. */
  pageOffsetBase = -1;
  /** Page-table translation for addresses outside the image and the direct map. */
  space: VirtualSpace | null = null;
  private readonly scratch = new Uint8Array(8);
  private readonly dv = new DataView(this.scratch.buffer);
  private readonly directEnd: number;

  constructor(readonly mem: PhysicalMemory) {
    this.directEnd = mem.maxAddress;
  }

  /** Physical address of a kernel VA, or -1 when it cannot be translated. */
  pa(va: number): number {
    if (va >= KERNEL_MAP_48 && va < KERNEL_MAP_48 + KERNEL_IMAGE_SIZE)
      return va - KERNEL_MAP_48 + this.physBase;
    const pob = this.pageOffsetBase;
    if (pob >= 0 && va >= pob && va - pob < this.directEnd) return va - pob;
    if (this.space) return this.space.translate(va);
    return -1;
  }

  /** Reads `len` bytes; returns the count readable from the start (the rest is zero-filled). */
  read(va: number, dst: Uint8Array, dstOff: number, len: number): number {
    let done = 0;
    while (done < len) {
      const a = va + done;
      // The image and the direct map are linear: one physical read for the whole span (BTF, kallsyms tables).
      let n = Math.min(len - done, 4096 - (a % 4096));
      if (a >= KERNEL_MAP_48 && a < KERNEL_MAP_48 + KERNEL_IMAGE_SIZE) {
        n = Math.min(len - done, KERNEL_MAP_48 + KERNEL_IMAGE_SIZE - a);
      } else if (
        this.pageOffsetBase >= 0 &&
        a >= this.pageOffsetBase &&
        a - this.pageOffsetBase < this.directEnd
      ) {
        n = Math.min(len - done, this.directEnd - (a - this.pageOffsetBase));
      }
      const p = this.pa(a);
      if (p < 0) {
        dst.fill(0, dstOff + done, dstOff + len);
        return done;
      }
      const got = this.mem.read(p, dst, dstOff + done, n);
      if (got < n) {
        dst.fill(0, dstOff + done + got, dstOff + len);
        return done + got;
      }
      done += n;
    }
    return done;
  }

  bytes(va: number, len: number): Uint8Array {
    const b = new Uint8Array(len);
    this.read(va, b, 0, len);
    return b;
  }

  /** Whether all `len` bytes at `va` can be read. */
  readable(va: number, len = 1): boolean {
    const p = this.pa(va);
    if (p < 0 || !this.mem.isPresent(p)) return false;
    const last = va + len - 1;
    if (Math.floor(last / 4096) === Math.floor(va / 4096)) return true;
    const q = this.pa(last);
    return q >= 0 && this.mem.isPresent(q);
  }

  private load(va: number, n: number): boolean {
    return this.read(va, this.scratch, 0, n) === n;
  }

  u8(va: number): number {
    return this.load(va, 1) ? this.scratch[0]! : -1;
  }
  u16(va: number): number {
    return this.load(va, 2) ? this.dv.getUint16(0, true) : -1;
  }
  u32(va: number): number {
    return this.load(va, 4) ? this.dv.getUint32(0, true) : -1;
  }
  s32(va: number): number {
    return this.load(va, 4) ? this.dv.getInt32(0, true) : 0;
  }
  /** Unsigned 64-bit as a number (exact below 2^53); -1 when unreadable. */
  u64(va: number): number {
    if (!this.load(va, 8)) return -1;
    return this.dv.getUint32(4, true) * TWO32 + this.dv.getUint32(0, true);
  }
  /** Signed 64-bit as a number (exact within ±2^53). */
  s64(va: number): number {
    if (!this.load(va, 8)) return 0;
    return this.dv.getInt32(4, true) * TWO32 + this.dv.getUint32(0, true);
  }
  /**
   * A pointer in memdig's 48-bit form: 0 for NULL or unreadable, the address for canonical upper-half values,
   * and -1 for anything else (garbage, or a user address where a kernel one was expected).
   */
  ptr(va: number): number {
    if (!this.load(va, 8)) return 0;
    const hi = this.dv.getUint32(4, true);
    const lo = this.dv.getUint32(0, true);
    if (hi === 0 && lo === 0) return 0;
    if (hi >>> 16 === 0xffff && (hi & 0x8000) !== 0) return (hi & 0xffff) * TWO32 + lo;
    return -1;
  }
  /** Raw 64-bit value as (hi, lo) packed into a number when below 2^53, keeping low tag bits exact. */
  word(va: number): number {
    if (!this.load(va, 8)) return 0;
    const hi = this.dv.getUint32(4, true);
    const lo = this.dv.getUint32(0, true);
    // Kernel pointers with tag bits: drop the sign extension so the value stays exact.
    if (hi >>> 16 === 0xffff) return (hi & 0xffff) * TWO32 + lo;
    return hi * TWO32 + lo;
  }

  /** NUL-terminated string of at most `max` bytes. */
  cstr(va: number, max: number): string {
    const b = this.bytes(va, max);
    let end = b.indexOf(0);
    if (end < 0) end = max;
    return Buffer.from(b.buffer, b.byteOffset, end).toString('latin1');
  }
}
