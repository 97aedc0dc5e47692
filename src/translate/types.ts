/**
 * Address translation contracts. A translation reports the *state* of the final entry, not just an address:
 * forensic extraction needs to know that a page is in transition (still in RAM), behind a prototype PTE, or paged out.
 * Hot paths pass a reusable `PteInfo` so no object is allocated per translation.
 */

export const PageState = {
  /** Present: `phys` is the physical address. */
  Valid: 0,
  /** Windows transition (bit 11 set, bit 10 clear): not present but still in RAM at `phys`. */
  Transition: 1,
  /** Windows prototype (bit 10): the page is described by the prototype PTE at `protoAddr` (a virtual address). */
  Prototype: 2,
  /** Windows demand-zero (no page-file offset): reads as zeros once touched; no data in the dump. */
  DemandZero: 3,
  /** In a page file: `pageFile` / `pageFileOffset` say where. No data in the dump. */
  PageFile: 4,
  /** No mapping at some level of the walk (entry is zero or not present with nothing to say). */
  Unmapped: 5,
  /** A page-table page itself is missing from the dump, so nothing can be said. */
  TableMissing: 6,
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
};

/** Details of one translation; reuse one instance on hot paths. */
export interface PteInfo {
  state: PageState;
  /** Physical address of the byte (Valid, Transition), else -1. */
  phys: number;
  /** Size of the page that maps it: 4096, 2 MiB, 4 MiB or 1 GiB. */
  pageSize: number;
  /** Paging level of the final entry (1 = PTE, 2 = PDE, 3 = PDPTE, 4 = PML4E). */
  level: number;
  /** Physical address of the final entry read, or -1. */
  entryAddr: number;
  /** The final entry's value as two 32-bit halves (hi is 0 for non-PAE x86). */
  entryLo: number;
  entryHi: number;
  /** Prototype state: virtual address of the prototype PTE (0xFFFFFFFF0 style "use VAD" marker gives -2). */
  protoAddr: number;
  /** PageFile state: page-file number and byte offset. */
  pageFile: number;
  pageFileOffset: number;
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
  };
}

/** A virtual address space over physical memory: one process's (or the kernel's) view. */
export interface VirtualSpace {
  readonly arch: 'x86' | 'pae' | 'x64';
  /** Root of the page tables (CR3 without flag bits). */
  readonly dtb: number;
  /** Pointer size in bytes (4 or 8). */
  readonly pointerSize: 4 | 8;
  /**
   * Translates `va` (x64: canonical address with the sign-extension bits dropped, i.e. below 2^48).
   * Returns the physical address for Valid pages, and for Transition pages too when `allowTransition`;
   * otherwise -1. `info`, when given, receives the full state.
   */
  translate(va: number, info?: PteInfo): number;
  /**
   * Reads `len` bytes at `va` into `dst[dstOff..]`, crossing page boundaries; bytes of pages that cannot be read
   * are zero-filled. Returns how many bytes from the start were readable before the first hole.
   */
  read(va: number, dst: Uint8Array, dstOff: number, len: number): number;
}
