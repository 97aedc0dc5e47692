import { PageState, type PagingArch, type PteInfo } from './types.js';

/**
 * Windows interpretation of one page-table entry (hardware PTE or prototype PTE), per paging mode.
 * Layouts (bits): valid = bit 0; prototype = bit 10; transition = bit 11 with bit 10 clear; software PTEs keep the
 * page-file number in PageFileLow and the page offset in PageFileHigh (x86: 31:12, PAE and x64: 63:32).
 * Sources: windows-internals.md §1.3–1.5 (Volatility 2 vtypes, MemProcFS mm_win.c, Rekall pagefile.py).
 *
 * `out.phys` receives the *page base* for Valid/Transition; the walker adds the offset inside the page.
 */

const TWO32 = 0x100000000;
const MM_DECOMMIT = 0x10;

/** "Look in the VAD" marker for a prototype pointer (MI_PTE_LOOKUP_NEEDED in the ProtoAddress/PageFileHigh field). */
export const PROTO_USE_VAD = -2;

export interface WindowsPteLayout {
  /** x64: first bit of the 4-bit PageFileLow field: 1 (up to Windows 10 1709/1803) or 12 (later). */
  pageFileLowBit: number;
  /** x64 Win10+: XOR for page-file offsets whose SwizzleBit (bit 4) is clear; 0 = unknown/none. */
  invalidPteMaskHi: number;
  /**
   * x64 Windows 11 22H2+ (build 22621 on): a process PTE of the form `(pte & 0xFFFF80000000000F) ==
   * 0xFFFF800000000000` stands for a page of a mapped file (it points at control-area data, not at a prototype
   * PTE or a page-file slot). Earlier builds never write that pattern into a page table.
   */
  fileBackedPtes?: boolean;
}

export const DEFAULT_WINDOWS_LAYOUT: WindowsPteLayout = { pageFileLowBit: 1, invalidPteMaskHi: 0 };

/** The software-PTE layout of a Windows build (MemProcFS mm_win.c: PageFileLow moved at 17134, file-backed at 22621). */
export function windowsPteLayout(arch: PagingArch, build: number | undefined): WindowsPteLayout {
  const b = build ?? 0;
  return {
    pageFileLowBit: b >= 17134 ? 12 : 1,
    invalidPteMaskHi: 0,
    fileBackedPtes: arch === 'x64' && b >= 22621,
  };
}

/** The Windows 11 22H2+ file-backed process PTE (see `WindowsPteLayout.fileBackedPtes`). */
function isFileBacked(arch: PagingArch, lo: number, hi: number, layout: WindowsPteLayout): boolean {
  // PageFileHigh all ones is the older "look in the VAD" marker, which MemProcFS tests first.
  return (
    arch === 'x64' &&
    layout.fileBackedPtes === true &&
    (hi & 0xffff8000) >>> 0 === 0xffff8000 &&
    hi >>> 0 !== 0xffffffff &&
    (lo & 0xf) === 0
  );
}

/**
 * Decodes `(hi, lo)` as a Windows PTE into `out.state`, `phys`, `protoAddr`, `pageFile`, `pageFileOffset`,
 * `subsection`. With `inPrototypeArray`, a prototype-format entry is a subsection PTE (file-only page) rather than a
 * pointer to a prototype PTE: that is how entries of a `_SEGMENT`/`_SUBSECTION` prototype array must be read.
 */
export function classifyWindowsPte(
  arch: PagingArch,
  lo: number,
  hi: number,
  out: PteInfo,
  inPrototypeArray = false,
  layout: WindowsPteLayout = DEFAULT_WINDOWS_LAYOUT,
): PageState {
  out.phys = -1;
  out.pageFile = 0;
  out.pageFileOffset = 0;
  out.subsection = -1;
  if (!inPrototypeArray) out.protoAddr = -1;
  if (arch === 'x86') hi = 0;
  if (lo & 1) {
    out.phys = arch === 'x86' ? (lo & 0xfffff000) >>> 0 : (hi & 0xfffff) * TWO32 + ((lo & 0xfffff000) >>> 0);
    return setState(out, PageState.Valid);
  }
  if (lo === 0 && hi === 0) return setState(out, PageState.Unmapped);
  // As MemProcFS orders it: a transition PTE stays one; otherwise the pattern wins over the prototype bit, since
  // these PTEs have bit 63 set, which no prototype-pointer PTE has.
  if (!inPrototypeArray && (lo & 0xc00) !== 0x800 && isFileBacked(arch, lo, hi, layout)) {
    return setState(out, PageState.Subsection);
  }
  if (lo & 0x400) {
    if (inPrototypeArray) {
      // Subsection pointer. x86 non-PAE packs it relative to an unknown pool base: not decoded.
      out.subsection = arch === 'x64' ? (hi >>> 0) * 0x10000 + (lo >>> 16) : arch === 'pae' ? hi >>> 0 : -1;
      return setState(out, PageState.Subsection);
    }
    out.protoAddr = prototypeAddress(arch, lo, hi);
    return setState(out, PageState.Prototype);
  }
  if (lo & 0x800) {
    // Transition PFN: x64 Windows 10 (1909+) uses bit 45 as a flag, so keep bits 44:12 (32 TiB is plenty);
    // PAE transition PTEs hold bits 47:12.
    out.phys =
      arch === 'x86'
        ? (lo & 0xfffff000) >>> 0
        : (hi & (arch === 'x64' ? 0x1fff : 0xffff)) * TWO32 + ((lo & 0xfffff000) >>> 0);
    return setState(out, PageState.Transition);
  }
  // Software PTE: page file or demand zero.
  let offPages: number;
  let number: number;
  if (arch === 'x86') {
    offPages = lo >>> 12;
    number = (lo >>> 1) & 0xf;
    if (offPages === 0xfffff) return lookupVad(out);
  } else {
    offPages = hi >>> 0;
    if (offPages === 0xffffffff) return lookupVad(out);
    if (arch === 'x64' && layout.pageFileLowBit === 12) {
      number = (lo >>> 12) & 0xf;
      if (!(lo & 0x10) && layout.invalidPteMaskHi) offPages = (offPages ^ layout.invalidPteMaskHi) >>> 0;
    } else number = (lo >>> 1) & 0xf;
  }
  if (offPages === 0) {
    // Protection (bits 9:5) MM_DECOMMIT (0x10) with no page-file slot: decommitted, an access faults. Nothing to
    // read, and not zeros either.
    return setState(out, ((lo >>> 5) & 0x1f) === MM_DECOMMIT ? PageState.Unmapped : PageState.DemandZero);
  }
  out.pageFile = number;
  out.pageFileOffset = offPages * 4096;
  return setState(out, PageState.PageFile);
}

function lookupVad(out: PteInfo): PageState {
  out.protoAddr = PROTO_USE_VAD;
  return setState(out, PageState.Prototype);
}

/** Virtual address of the prototype PTE a process PTE points to, or `PROTO_USE_VAD`. */
export function prototypeAddress(arch: PagingArch, lo: number, hi: number): number {
  if (arch === 'x86') {
    if (lo >>> 12 === 0xfffff) return PROTO_USE_VAD;
    // Windows 7-style non-PAE packing (ProtoAddressLow 8:1 → VA 9:2, ProtoAddressHigh 31:11 → VA 30:10, in the
    // upper 2 GiB). XP/2003 pack differently and are not decoded authoritatively by any tool: prefer the VAD's
    // FirstPrototypePte there.
    return 0x80000000 + (lo >>> 11) * 0x400 + ((lo >>> 1) & 0xff) * 4;
  }
  if (hi >>> 0 === 0xffffffff) return PROTO_USE_VAD;
  // PAE: ProtoAddress is bits 63:32. x64: bits 63:16 hold VA 47:0 (the sign bits are dropped, as memdig does).
  return arch === 'pae' ? hi >>> 0 : (hi >>> 0) * 0x10000 + (lo >>> 16);
}

function setState(out: PteInfo, s: PageState): PageState {
  out.state = s;
  return s;
}
