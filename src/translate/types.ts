/**
 * Address translation contracts. A translation reports the *state* of the final entry, not just an address:
 * forensic extraction needs to know that a page is in transition (still in RAM), behind a prototype PTE, or paged out.
 * Hot paths pass a reusable `PteInfo` so no object is allocated per translation.
 */

export const PageState = {
  /** Present: `phys` is the physical address. (Linux PROT_NONE pages too: see `PteFlag.ProtNone`.) */
  Valid: 0,
  /** Windows transition (bit 11 set, bit 10 clear): not present but still in RAM at `phys`. */
  Transition: 1,
  /**
   * Windows prototype (bit 10): the page is described by the prototype PTE at `protoAddr` (a kernel virtual address),
   * or `protoAddr` is -2 for the "look in the VAD" marker. Reported when the prototype PTE could not be resolved
   * (its page is absent, or resolution was turned off).
   */
  Prototype: 2,
  /** Windows demand-zero (no page-file offset): reads as zeros once touched; no data in the dump. */
  DemandZero: 3,
  /** In a page file (Linux: a swap area): `pageFile` / `pageFileOffset` say where. No data in the dump. */
  PageFile: 4,
  /**
   * No mapping at some level of the walk (entry is zero or not present with nothing to say). `level` and
   * `pageSize` tell how large the unmapped span is (a zero PML4 entry leaves 512 GiB unmapped).
   */
  Unmapped: 5,
  /** A page-table page itself is missing from the dump, so nothing can be said. */
  TableMissing: 6,
  /**
   * Windows: the prototype PTE is a subsection PTE: the page lives only in the mapped file on disk.
   * `subsection` is the `_SUBSECTION` address (-1 where the arch's encoding is not decoded).
   */
  Subsection: 7,
} as const;
export type PageState = (typeof PageState)[keyof typeof PageState];

export const PageStateName: Record<PageState, string> = {
  0: 'valid',
  1: 'transition',
  2: 'prototype',
  3: 'demand-zero',
  4: 'pagefile',
  5: 'unmapped',
  6: 'table-missing',
  7: 'subsection',
};

/** Bits of `PteInfo.flags`. */
export const PteFlag = {
  /** Every level allows writes (R/W set). */
  Writable: 1,
  /** Every level allows user-mode access (U/S set). */
  User: 2,
  /** Some level sets NX (bit 63). */
  NoExecute: 4,
  /** Final entry's dirty bit. */
  Dirty: 8,
  /** Linux PROT_NONE / NUMA-hinting entry: present bit clear but the page is in RAM (`pte_present()` is true). */
  ProtNone: 16,
  /** Windows: reached through a prototype PTE (`protoAddr` says which). */
  ViaPrototype: 32,
  /** Windows: a page-table page on the way was itself in transition (still in RAM) and was walked. */
  TableInTransition: 64,
} as const;

/** Details of one translation; reuse one instance on hot paths. */
export interface PteInfo {
  state: PageState;
  /** Physical address of the byte (Valid, Transition), else -1. */
  phys: number;
  /**
   * Size of the page that maps it: 4096, 2 MiB, 4 MiB or 1 GiB. For Unmapped/TableMissing/PageFile at an upper
   * level, the span covered by the entry that ended the walk.
   */
  pageSize: number;
  /** Paging level of the final entry (1 = PTE, 2 = PDE, 3 = PDPTE, 4 = PML4E). */
  level: number;
  /** Physical address of the final entry read (for a resolved prototype: of the prototype PTE), or -1. */
  entryAddr: number;
  /** The final entry's value as two 32-bit halves (hi is 0 for non-PAE x86). */
  entryLo: number;
  entryHi: number;
  /** Prototype state: virtual address of the prototype PTE (0xFFFFFFFF0 style "use VAD" marker gives -2). */
  protoAddr: number;
  /** PageFile state: page-file number (Linux: swap type) and byte offset. */
  pageFile: number;
  pageFileOffset: number;
  /** Subsection state: `_SUBSECTION` address, or -1. */
  subsection: number;
  /** `PteFlag` bits. */
  flags: number;
}

export function newPteInfo(): PteInfo {
  return {
    state: PageState.Unmapped,
    phys: -1,
    pageSize: 4096,
    level: 1,
    entryAddr: -1,
    entryLo: 0,
    entryHi: 0,
    protoAddr: -1,
    pageFile: 0,
    pageFileOffset: 0,
    subsection: -1,
    flags: 0,
  };
}

export type PagingArch = 'x86' | 'pae' | 'x64';

/** A virtual address space over physical memory: one process's (or the kernel's) view. */
export interface VirtualSpace {
  readonly arch: PagingArch;
  /** Root of the page tables (CR3 without flag bits). */
  readonly dtb: number;
  /** Pointer size in bytes (4 or 8). */
  readonly pointerSize: 4 | 8;
  /**
   * Translates `va` (x64: canonical address with the sign-extension bits dropped, i.e. below 2^48).
   * Returns the physical address for Valid pages, and for Transition pages too when the space reads transition
   * pages (the default); otherwise -1. `info`, when given, receives the full state.
   */
  translate(va: number, info?: PteInfo): number;
  /**
   * Reads `len` bytes at `va` into `dst[dstOff..]`, crossing page boundaries; bytes of pages that cannot be read
   * are zero-filled. Returns how many bytes from the start were readable before the first hole;
   * `lastMissing` then tells how many bytes of the whole request were zero-filled.
   */
  read(va: number, dst: Uint8Array, dstOff: number, len: number): number;
  /** Zero-filled bytes of the last `read` (0 when everything was readable). */
  readonly lastMissing: number;
  /** Little-endian u32 at `va`, or -1 when any byte is unreadable. */
  readU32(va: number): number;
  /**
   * x64 pointer at `va`: the canonical address with the sign bits dropped (a number below 2^48), or -1 when
   * unreadable or not canonical.
   */
  readU64AsNumber(va: number): number;
  /** A pointer of the space's size (4: `readU32`, 8: `readU64AsNumber`); -1 when unreadable. */
  readPointer(va: number): number;
}

export interface SpaceOptions {
  os: 'windows' | 'linux';
  /** CR4 when known: LA57 (bit 12) is refused; PSE (bit 4) decides 4 MiB pages on x86 non-PAE. */
  cr4?: number;
  /** 5-level paging known from elsewhere (Linux VMCOREINFO `NUMBER(pgtable_l5_enabled)=1`): refused. */
  la57?: boolean;
  /** x86 non-PAE: honour PDE.PS (CR4.PSE). Default: from `cr4` when given, else true. */
  pse?: boolean;
  /** Windows: translate/read transition pages (still in RAM). Default true. */
  readTransition?: boolean;
  /** Windows: follow prototype PTEs through this space's kernel mapping. Default true. */
  resolvePrototypes?: boolean;
  /**
   * Windows x64 software-PTE layout: where PageFileLow starts (1 before Windows 10 1803/1809, 12 after, with a
   * SwizzleBit at bit 4). Take it from the build's symbols when available. Default 1.
   */
  pageFileLowBit?: 1 | 12;
  /** Windows 10+: high 32 bits of `MiState.Hardware.InvalidPteMask`, XORed into unswizzled page-file offsets. */
  invalidPteMaskHi?: number;
  /** Windows 11 22H2+ x64: read the file-backed process-PTE pattern (see `WindowsPteLayout.fileBackedPtes`). */
  fileBackedPtes?: boolean;
}
