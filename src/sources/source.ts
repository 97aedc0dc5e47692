/**
 * Physical memory sources: every dump container exposes the machine's physical address space through this interface.
 * Reads are synchronous positional reads: memdig's hot paths (page-table walks, struct reads) make millions of small
 * reads, and a promise per read costs more than the read itself.
 */

/** A run of physical memory that the container holds, [start, end). */
export interface PhysRange {
  start: number;
  end: number;
}

export interface PhysicalMemory {
  /** Short container name: 'raw', 'lime', 'elf', 'crashdump32', 'crashdump64', 'vmware', ... */
  readonly format: string;
  /** Exclusive upper bound of the physical addresses the container describes. */
  readonly maxAddress: number;
  /** Present ranges, sorted and non-overlapping. Addresses outside them are holes. */
  readonly ranges: readonly PhysRange[];
  /**
   * Copies `len` bytes at physical `addr` into `dst[dstOff..]`. Bytes in holes are zero-filled.
   * Returns how many bytes from the start were present before the first hole (`len` when all were).
   */
  read(addr: number, dst: Uint8Array, dstOff: number, len: number): number;
  /** Whether the byte at `addr` is present. */
  isPresent(addr: number): boolean;
  /** Reads a little-endian u32, or -1 when any of its bytes is absent. */
  readU32(addr: number): number;
  /** Container-specific facts for `memdig info` (header fields, source file names). */
  readonly meta: Readonly<Record<string, unknown>>;
  /** Soft problems found while opening (truncated file, clipped overlapping runs); empty for a sound dump. */
  readonly warnings?: readonly string[];
  /**
   * Sequential scan of present memory in [from, to) in blocks of at most `blockSize` bytes, bypassing the read
   * cache. The yielded object and its buffer are reused: copy what must outlive the next iteration.
   */
  scan(blockSize?: number, from?: number, to?: number): Iterable<ScanBlock>;
  close(): void;
}

/** A block handed out by sequential scans; `bytes` is reused between blocks. */
export interface ScanBlock {
  addr: number;
  bytes: Uint8Array;
}
