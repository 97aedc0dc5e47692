import { PageState, type PagingArch, PteFlag, type PteInfo } from './types.js';

/**
 * Linux interpretation of a last-level PTE whose present bit is clear (x86 `pgtable_64.h`, `pgtable-3level.h`,
 * `pgtable-2level.h`, `pgtable-invert.h`):
 * - `_PAGE_PROTNONE` (bit 8, the Global bit's slot) set: a PROT_NONE or NUMA-hinting entry. `pte_present()` is true:
 *   the page is in RAM. Since the L1TF mitigation (4.19+; backported), 64-bit and PAE kernels store the PFN of such
 *   entries inverted, so the frame is `~entry` bits 51:12; 2-level (non-PAE) tables never invert.
 * - otherwise, non-zero: a swap entry. 64-bit/PAE (4.19+): type in bits 63:59, *inverted* offset in bits 58:9;
 *   2-level: type in bits 5:1, offset in bits 31:9. Types at the top of the range are kernel-internal (migration,
 *   hwpoison, device, marker entries); they are reported as swap too, with their type.
 * The Accessed and Dirty bits (5, 6) may be set spuriously on non-present entries (an Intel erratum): ignored.
 */

const TWO32 = 0x100000000;

export function classifyLinuxPte(arch: PagingArch, lo: number, hi: number, out: PteInfo): PageState {
  out.phys = -1;
  out.pageFile = 0;
  out.pageFileOffset = 0;
  if (arch === 'x86') hi = 0;
  if (lo & 1) {
    out.phys = arch === 'x86' ? (lo & 0xfffff000) >>> 0 : (hi & 0xfffff) * TWO32 + ((lo & 0xfffff000) >>> 0);
    return setState(out, PageState.Valid);
  }
  if ((lo & ~0x60) === 0 && hi === 0) return setState(out, PageState.Unmapped);
  if (lo & 0x100) {
    out.phys =
      arch === 'x86' ? (lo & 0xfffff000) >>> 0 : (~hi & 0xfffff) * TWO32 + ((~lo & 0xfffff000) >>> 0);
    out.flags |= PteFlag.ProtNone;
    return setState(out, PageState.Valid);
  }
  if (arch === 'x86') {
    out.pageFile = (lo >>> 1) & 0x1f;
    out.pageFileOffset = (lo >>> 9) * 4096;
  } else {
    out.pageFile = hi >>> 27;
    out.pageFileOffset = ((~hi & 0x7ffffff) * 0x800000 + (~lo >>> 9)) * 4096;
  }
  return setState(out, PageState.PageFile);
}

/**
 * Linux `pmd_present()` is P, PROTNONE or PSE: a huge PMD made PROT_NONE keeps PSE and PROTNONE with P clear, and
 * its frame is inverted like a PTE's (64-bit/PAE). Returns the large-page base, or -1 when the entry is not such a
 * page. (PSE alone with P clear also counts as present for the kernel, but only for the instant a THP is being
 * split; memdig does not trust a lone bit 7 in a non-present entry.)
 */
export function linuxProtNoneHuge(arch: PagingArch, lo: number, hi: number, largeMaskLo: number): number {
  if (lo & 1 || !(lo & 0x80) || !(lo & 0x100)) return -1;
  if (arch === 'x86') return (lo & largeMaskLo) >>> 0;
  return (~hi & 0xfffff) * TWO32 + ((~lo & largeMaskLo) >>> 0);
}

function setState(out: PteInfo, s: PageState): PageState {
  out.state = s;
  return s;
}
