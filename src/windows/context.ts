import type { PhysicalMemory } from '../sources/source.js';
import type { Profile } from '../symbols/profile.js';
import type { VirtualSpace } from '../translate/types.js';
import type { Warnings } from '../util/errors.js';

/** One identified fact and how memdig found it, for `memdig info`. */
export interface Finding {
  key: string;
  value: string;
  how: string;
}

/**
 * What every Windows analysis needs: the physical image, the kernel's address space, the layout table for this
 * build, and where the kernel is. Built once by `identifyWindows()`.
 */
export interface WinContext {
  readonly mem: PhysicalMemory;
  readonly kernel: VirtualSpace;
  readonly profile: Profile;
  readonly kernelBase: number;
  /** NT build number (e.g. 2600, 7601, 19041) when known, else 0. */
  readonly build: number;
  /** Major.minor NT version (5.1 XP, 6.1 7, 10.0) when known. */
  readonly ntVersion: string;
  /** Address space of a process given its DirectoryTableBase. */
  processSpace(dtb: number): VirtualSpace;
  /** Absolute kernel address of a global, from the table's symbols or the KDBG block / exports. */
  global(name: string): number | undefined;
  readonly findings: Finding[];
  readonly warnings: Warnings;
}

/** FILETIME (100 ns since 1601) as two u32 halves → ISO string; null for 0 or absurd values. */
export function filetimeToIso(lo: number, hi: number): string | null {
  if (lo === 0 && hi === 0) return null;
  const ms = hi * 429496.7296 + lo / 10000 - 11644473600000;
  if (!Number.isFinite(ms) || ms < 0 || ms > 4102444800000) return null;
  return new Date(Math.floor(ms)).toISOString();
}

/** Is `va` a kernel-mode address for this pointer size (x64 addresses have the sign bits dropped)? */
export function isKernelAddress(va: number, pointerSize: 4 | 8): boolean {
  return pointerSize === 8
    ? va >= 0x800000000000 && va < 0x1000000000000
    : va >= 0x80000000 && va < 0x100000000;
}
