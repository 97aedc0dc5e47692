import { BufferMemory } from '../sources/buffer.js';

type Arch = 'x86' | 'pae' | 'x64';

const SPAN: Record<Arch, number[]> = {
  x86: [0, 4096, 2 ** 22],
  pae: [0, 4096, 2 ** 21, 2 ** 30],
  x64: [0, 4096, 2 ** 21, 2 ** 30, 2 ** 39],
};
const MASK: Record<Arch, number[]> = {
  x86: [0, 1023, 1023],
  pae: [0, 511, 511, 3],
  x64: [0, 511, 511, 511, 511],
};

/**
 * Builds page tables byte by byte in a BufferMemory, for tests and benchmarks: tables come from a bump allocator,
 * entries are written as raw (hi, lo) halves so any present or software encoding can be placed at any level.
 */
export class PageTableBuilder {
  readonly mem = new BufferMemory();
  readonly top: number;
  readonly entrySize: number;
  private next: number;

  constructor(
    readonly arch: Arch,
    readonly root = 0x1000,
    firstFree = 0x100000,
  ) {
    this.top = arch === 'x64' ? 4 : arch === 'pae' ? 3 : 2;
    this.entrySize = arch === 'x86' ? 4 : 8;
    this.next = firstFree;
    this.mem.page(root);
  }

  /** A fresh zeroed page (a table or a data page). */
  alloc(): number {
    const pa = this.next;
    this.next += 4096;
    this.mem.page(pa);
    return pa;
  }

  /** Physical address of the entry for `va` at `level`, creating present tables above it (flags 0x7 = P|RW|US). */
  entryAddr(va: number, level: number): number {
    let table = this.root;
    for (let l = this.top; l > level; l--) {
      const a = this.slot(table, va, l);
      let lo = this.mem.readU32(a);
      let hi = this.entrySize === 8 ? this.mem.readU32(a + 4) : 0;
      if (lo <= 0 || !(lo & 1)) {
        const t = this.alloc();
        // PAE PDPTEs carry only P (bits 1, 2 are reserved there).
        lo = t + (this.arch === 'pae' && l === 3 ? 1 : 7);
        hi = 0;
        this.write(a, hi, lo);
      }
      table = (hi & 0xfffff) * 2 ** 32 + ((lo & 0xfffff000) >>> 0);
    }
    return this.slot(table, va, level);
  }

  /** Writes the raw entry for `va` at `level`. */
  set(va: number, level: number, hi: number, lo: number): number {
    const a = this.entryAddr(va, level);
    this.write(a, hi, lo);
    return a;
  }

  /** Maps a page of `size` (4 KiB, or the large size of a level) at `va` to `pa` with extra low/high flag bits. */
  map(va: number, pa: number, size = 4096, loFlags = 0x7, hiFlags = 0): number {
    const level = SPAN[this.arch].indexOf(size);
    if (level < 1) throw new Error(`no ${size}-byte pages in ${this.arch}`);
    const large = level > 1 ? 0x80 : 0;
    const lo = ((pa % 2 ** 32) | loFlags | large) >>> 0;
    const hi = (Math.floor(pa / 2 ** 32) | hiFlags) >>> 0;
    return this.set(va, level, hi, lo);
  }

  write(a: number, hi: number, lo: number): void {
    if (this.entrySize === 8) this.mem.writeU64(a, hi, lo);
    else this.mem.writeU32(a, lo);
  }

  private slot(table: number, va: number, level: number): number {
    return table + (Math.floor(va / SPAN[this.arch][level]!) & MASK[this.arch][level]!) * this.entrySize;
  }
}
