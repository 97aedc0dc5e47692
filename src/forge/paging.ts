/**
 * Page tables for x86 non-PAE, PAE and x64, built the way Windows lays them out: a self-referencing top-level entry,
 * a kernel half shared by every process (entries copied into each top-level table, and propagated when a new
 * kernel table appears), and leaf PTEs in every Windows state. Software PTE bit positions come from the kernel's
 * own layout (_MMPTE_SOFTWARE, _MMPTE_TRANSITION, ...), since they moved between builds.
 */
import type { Layout } from './layout.js';
import { PAGE, type PageAlloc, type PhysImage } from './phys-image.js';

export type Arch = 'x86' | 'pae' | 'x64';

/** A PTE value as two 32-bit halves (hi is 0 for 4-byte entries). */
export type Pte = [lo: number, hi: number];

interface Level {
  shift: number;
  bits: number;
}

interface ArchSpec {
  entry: 4 | 8;
  /** Top level first. PAE's top level is its four page directories seen as one 2048-entry table. */
  levels: Level[];
  kernelTopStart: number;
}

const SPECS: Record<Arch, ArchSpec> = {
  x86: {
    entry: 4,
    levels: [
      { shift: 22, bits: 10 },
      { shift: 12, bits: 10 },
    ],
    kernelTopStart: 0x200,
  },
  pae: {
    entry: 8,
    levels: [
      { shift: 21, bits: 11 },
      { shift: 12, bits: 9 },
    ],
    kernelTopStart: 0x400,
  },
  x64: {
    entry: 8,
    levels: [
      { shift: 39, bits: 9 },
      { shift: 30, bits: 9 },
      { shift: 21, bits: 9 },
      { shift: 12, bits: 9 },
    ],
    kernelTopStart: 0x100,
  },
};

/** Hardware flag bytes: present | writable | (user) | accessed | dirty. */
const KERNEL_FLAGS = 0x63;
const USER_FLAGS = 0x67;

function idx(va: number, l: Level): number {
  return Math.floor(va / 2 ** l.shift) % 2 ** l.bits;
}

function putBits(v: Pte, pos: number, len: number, value: number): void {
  for (let i = 0; i < len; i++) {
    const bit = pos + i;
    const on = Math.floor(value / 2 ** i) % 2 === 1;
    const half = bit < 32 ? 0 : 1;
    const m = 2 ** (bit & 31);
    const cur = v[half];
    const has = Math.floor(cur / m) % 2 === 1;
    if (on && !has) v[half] = cur + m;
    else if (!on && has) v[half] = cur - m;
  }
}

/** Encodes the software (invalid) PTE forms for one kernel build. */
export class PteCodec {
  private readonly f: (type: string, name: string) => { pos: number; len: number } | null;

  constructor(
    readonly arch: Arch,
    layout: Layout,
  ) {
    this.f = (type, name) => {
      if (!layout.has(type, name)) return null;
      const fl = layout.field(type, name);
      return { pos: fl.bitPos + (fl.offset % 8) * 8, len: fl.bitLen || fl.size * 8 };
    };
  }

  private set(v: Pte, type: string, name: string, value: number): void {
    const loc = this.f(type, name);
    if (loc) putBits(v, loc.pos, loc.len, value);
  }

  valid(pfn: number, user: boolean): Pte {
    return [
      (((pfn % 0x100000) * PAGE) | (user ? USER_FLAGS : KERNEL_FLAGS)) >>> 0,
      Math.floor(pfn / 0x100000),
    ];
  }

  transition(pfn: number, protection: number): Pte {
    const v: Pte = [0, 0];
    putBits(v, 11, 1, 1);
    putBits(v, 5, 5, protection);
    putBits(v, 12, this.arch === 'x86' ? 20 : 36, pfn);
    return v;
  }

  demandZero(protection: number): Pte {
    const v: Pte = [0, 0];
    putBits(v, 5, 5, protection);
    return v;
  }

  /** A page-file PTE; the swizzle bit (when the build has one) is set so the offset is stored plainly. */
  pageFile(fileNumber: number, pageOffset: number, protection: number): Pte {
    const v: Pte = [0, 0];
    putBits(v, 5, 5, protection);
    if (this.arch === 'pae') {
      putBits(v, 1, 4, fileNumber);
      putBits(v, 32, 32, pageOffset);
      return v;
    }
    this.set(v, '_MMPTE_SOFTWARE', 'PageFileLow', fileNumber);
    this.set(v, '_MMPTE_SOFTWARE', 'PageFileHigh', pageOffset);
    this.set(v, '_MMPTE_SOFTWARE', 'SwizzleBit', 1);
    return v;
  }

  /**
   * A process PTE that points at a prototype PTE. x64: bits 63:16 = 48-bit VA; PAE: bits 63:32 = VA. x86 non-PAE
   * (XP): offset from MmProtopte_Base (0xE1000000, paged pool start): ProtoAddressLow = offset bits 8:2,
   * ProtoAddressHigh = offset bits 29:9 — readers should prefer the VAD's FirstPrototypePte route there.
   */
  prototype(protoVa: number): Pte {
    const v: Pte = [0, 0];
    putBits(v, 10, 1, 1);
    if (this.arch === 'x64') putBits(v, 16, 48, protoVa);
    else if (this.arch === 'pae') putBits(v, 32, 32, protoVa);
    else {
      const off = protoVa - XP_PROTO_BASE;
      putBits(v, 1, 7, (off >>> 2) & 0x7f);
      putBits(v, 11, 21, off >>> 9);
    }
    return v;
  }

  /**
   * A prototype PTE whose page lives only in the file: it points at the subsection. x86 non-PAE (XP): offset from
   * MmSubsectionBase (0x80000000) with WhichPool = 1: SubsectionAddressLow = offset bits 6:3, High = bits 26:7.
   */
  subsection(subsectionVa: number, protection: number): Pte {
    const v: Pte = [0, 0];
    putBits(v, 10, 1, 1);
    putBits(v, 5, 5, protection);
    if (this.arch === 'x64') putBits(v, 16, 48, subsectionVa);
    else if (this.arch === 'pae') putBits(v, 32, 32, subsectionVa);
    else {
      const off = subsectionVa - XP_SUBSECTION_BASE;
      putBits(v, 1, 4, (off >>> 3) & 0xf);
      putBits(v, 11, 20, off >>> 7);
      putBits(v, 31, 1, 1);
    }
    return v;
  }
}

const TWO32 = 0x100000000;

export const XP_PROTO_BASE = 0xe1000000;
export const XP_SUBSECTION_BASE = 0x80000000;

/** Builds and owns every page-table page of the image. */
export class Paging {
  readonly spec: ArchSpec;
  /** Child table frame for (table frame, index). */
  private readonly children = new Map<number, number>();
  /** Kernel-half top-level entries created so far (index → entry value), replayed into every new process. */
  private readonly kernelTop = new Map<number, Pte>();
  private readonly tops: number[] = [];
  /** Number of page-table pages written (for the bench / manifest). */
  tablePages = 0;

  constructor(
    readonly arch: Arch,
    private readonly img: PhysImage,
    private readonly alloc: PageAlloc,
    /** Kernel DTB frame (PAE: the PDPT frame, with its four page directories in the next four frames). */
    readonly kernelDtbPfn: number,
    /** x64 top-level self-reference index (0x1ED before Windows 10, random on 10); ignored on x86/PAE. */
    readonly selfRefIndex: number,
  ) {
    this.spec = SPECS[arch];
    this.initTop(kernelDtbPfn);
  }

  /** The value a process's DirectoryTableBase holds for a top-level frame. */
  dtbOf(topPfn: number): number {
    return topPfn * PAGE;
  }

  /** A new process top-level table with the kernel half copied in. */
  newTop(): number {
    const pfn = this.arch === 'pae' ? this.alloc.allocContiguous(5) : this.alloc.alloc();
    this.initTop(pfn);
    for (const [i, v] of this.kernelTop) this.writeEntry(this.topEntryPa(pfn, i), v);
    return pfn;
  }

  private initTop(pfn: number): void {
    this.tops.push(pfn);
    this.tablePages += this.arch === 'pae' ? 5 : 1;
    if (this.arch === 'pae') {
      for (let i = 0; i < 4; i++) this.writeEntry(pfn * PAGE + i * 8, [((pfn + 1 + i) * PAGE + 1) >>> 0, 0]);
      // PD 3 entries 0..3 map the four page directories themselves (PTEs at 0xC0000000, PDs at 0xC0600000).
      for (let i = 0; i < 4; i++)
        this.writeEntry(this.topEntryPa(pfn, 0x600 + i), this.codecValid(pfn + 1 + i));
    } else if (this.arch === 'x86') {
      this.writeEntry(this.topEntryPa(pfn, 0x300), this.codecValid(pfn));
    } else {
      this.writeEntry(this.topEntryPa(pfn, this.selfRefIndex), this.codecValid(pfn));
    }
  }

  private codecValid(pfn: number): Pte {
    return [(((pfn % 0x100000) * PAGE) | KERNEL_FLAGS) >>> 0, Math.floor(pfn / 0x100000)];
  }

  private topEntryPa(topPfn: number, i: number): number {
    if (this.arch === 'pae') return (topPfn + 1 + (i >> 9)) * PAGE + (i & 511) * 8;
    return topPfn * PAGE + i * this.spec.entry;
  }

  private writeEntry(pa: number, v: Pte): void {
    this.img.writeU32(pa, v[0]);
    if (this.spec.entry === 8) this.img.writeU32(pa + 4, v[1]);
  }

  private writeTopEntry(topPfn: number, i: number, child: number, user: boolean): void {
    const v: Pte = [
      (((child % 0x100000) * PAGE) | (user ? USER_FLAGS : KERNEL_FLAGS)) >>> 0,
      Math.floor(child / 0x100000),
    ];
    this.writeEntry(this.topEntryPa(topPfn, i), v);
  }

  /** Frame of the leaf page table covering `va` under `topPfn`, creating intermediate tables as needed. */
  private leafTable(topPfn: number, va: number, user: boolean): number {
    const levels = this.spec.levels;
    const kernel = idx(va, levels[0]!) >= this.spec.kernelTopStart;
    let table = topPfn;
    for (let l = 0; l < levels.length - 1; l++) {
      const i = idx(va, levels[l]!);
      if (l === 0 && kernel) table = this.kernelDtbPfn;
      const key = table * 2048 + i;
      let child = this.children.get(key);
      if (child === -1) throw new Error(`forge: 0x${va.toString(16)} lies in a large-page mapping`);
      if (child === undefined) {
        child = this.alloc.alloc();
        this.tablePages++;
        this.children.set(key, child);
        if (l === 0) {
          if (kernel) {
            this.setKernelTop(i, [
              (((child % 0x100000) * PAGE) | KERNEL_FLAGS) >>> 0,
              Math.floor(child / 0x100000),
            ]);
          } else {
            this.writeTopEntry(table, i, child, user);
          }
        } else {
          this.writeEntry(table * PAGE + i * this.spec.entry, [
            (((child % 0x100000) * PAGE) | (user ? USER_FLAGS : KERNEL_FLAGS)) >>> 0,
            Math.floor(child / 0x100000),
          ]);
        }
      }
      table = child;
    }
    return table;
  }

  private setKernelTop(i: number, v: Pte): void {
    this.kernelTop.set(i, v);
    for (const t of this.tops) this.writeEntry(this.topEntryPa(t, i), v);
  }

  /**
   * x86 / PAE: maps the kernel's large-page region (4 MiB / 2 MiB pages, PDE flags 0xE3) the way XP maps
   * 0x80000000 onto the start of physical memory. Returns the large-page size.
   */
  mapLarge(va: number, pa: number): number {
    const l = this.spec.levels[0]!;
    const size = 2 ** l.shift;
    this.setKernelTop(idx(va, l), [(pa + 0xe3) >>> 0, Math.floor(pa / TWO32)]);
    this.children.set(this.kernelDtbPfn * 2048 + idx(va, l), -1);
    return size;
  }

  /** Writes the leaf PTE for `va` (48-bit on x64). Kernel addresses always go to the shared kernel tables. */
  map(topPfn: number, va: number, pte: Pte, user = false): void {
    const leaf = this.leafTable(topPfn, va, user);
    const last = this.spec.levels[this.spec.levels.length - 1]!;
    this.writeEntry(leaf * PAGE + idx(va, last) * this.spec.entry, pte);
  }

  /** Physical address of the leaf PTE for `va` (the builder records it for the manifest and tests). */
  ptePa(topPfn: number, va: number): number {
    const leaf = this.leafTable(topPfn, va, false);
    const last = this.spec.levels[this.spec.levels.length - 1]!;
    return leaf * PAGE + idx(va, last) * this.spec.entry;
  }
}
