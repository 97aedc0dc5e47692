import type { PhysicalMemory } from '../sources/source.js';
import { MemdigError } from '../util/errors.js';
import { PagedSpace } from './space.js';
import type { PagingArch, SpaceOptions } from './types.js';

const CR4_PSE = 1 << 4;
const CR4_PAE = 1 << 5;
const CR4_LA57 = 1 << 12;

/**
 * Refuses 5-level paging: a PML5 walked as a PML4 gives plausible but wrong translations (a self-referencing
 * PML5 is byte-for-byte indistinguishable from a PML4), so the only safe answer is a clear error.
 */
export function assertFourLevelPaging(opts: { cr4?: number; la57?: boolean }, where = 'this image'): void {
  if (opts.la57 || (opts.cr4 !== undefined && opts.cr4 & CR4_LA57)) {
    const why = opts.la57
      ? 'the kernel reports 5-level page tables'
      : `CR4 0x${opts.cr4!.toString(16)} has LA57 (bit 12) set`;
    throw new MemdigError(`${where} uses 5-level paging (${why}); memdig supports 4-level x64 paging only`);
  }
}

/** Paging mode implied by CR4 (PAE bit) and the kernel's word size; null when CR4 says paging is 5-level. */
export function archFromCr4(cr4: number, is64: boolean): PagingArch | null {
  if (cr4 & CR4_LA57) return null;
  if (is64) return 'x64';
  return cr4 & CR4_PAE ? 'pae' : 'x86';
}

/**
 * Masks CR3 down to the table root: PCID / PWT / PCD in the low 12 bits (x64), bit 63 (no-flush) and anything
 * above the 52-bit physical limit. PAE roots are 32-byte aligned. `cr3` may be given as a number (bits above 52
 * already gone) or as halves via `cr3FromHalves`.
 */
export function dtbFromCr3(arch: PagingArch, cr3: number): number {
  if (arch === 'pae') return ((cr3 % 0x100000000) & 0xffffffe0) >>> 0;
  if (arch === 'x86') return ((cr3 % 0x100000000) & 0xfffff000) >>> 0;
  return (Math.floor(cr3 / 4096) % 2 ** 40) * 4096;
}

/** CR3 read as two u32 halves → table root (x64). */
export function cr3FromHalves(hi: number, lo: number): number {
  return (hi & 0xfffff) * 0x100000000 + ((lo & 0xfffff000) >>> 0);
}

/**
 * A virtual address space over `mem`, rooted at `dtb` (a CR3 value; flag bits are masked). `os` decides how
 * non-present entries are read: Windows software PTEs (transition, prototype, page file, demand zero) or Linux
 * (PROT_NONE, swap entries).
 */
export function createSpace(
  mem: PhysicalMemory,
  arch: PagingArch,
  dtb: number,
  opts: SpaceOptions,
): PagedSpace {
  assertFourLevelPaging(opts);
  if (!(dtb >= 0 && Number.isFinite(dtb)))
    throw new MemdigError(`page-table root ${dtb} is not a physical address`);
  const root = dtbFromCr3(arch, dtb);
  const pse = opts.pse ?? (opts.cr4 !== undefined ? (opts.cr4 & CR4_PSE) !== 0 : true);
  return new PagedSpace(mem, arch, root, {
    windows: opts.os === 'windows',
    pse,
    readTransition: opts.readTransition ?? true,
    resolvePrototypes: opts.resolvePrototypes ?? true,
    layout: {
      pageFileLowBit: opts.pageFileLowBit ?? 1,
      invalidPteMaskHi: opts.invalidPteMaskHi ?? 0,
      fileBackedPtes: opts.fileBackedPtes ?? false,
    },
  });
}
