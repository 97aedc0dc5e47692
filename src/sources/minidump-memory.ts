import { PageState, PteFlag, type PteInfo, type VirtualSpace } from '../translate/types.js';
import type { Minidump } from './minidump.js';
import { SegmentedMemory, SegmentList } from './segmented.js';

/**
 * A minidump's captured memory as the process's virtual address space. There are no page tables: each captured
 * range is stored contiguously in the file, so translation is a binary search over the ranges.
 *
 * What `translate` reports, honestly:
 * - `phys` (and the return value) is the FILE OFFSET of the byte in the minidump, not a physical address: it is
 *   the only "where" a minidump has. -1 when the byte was not captured.
 * - state Valid when captured, Unmapped otherwise. Unmapped means "no bytes in the dump", not "not mapped in the
 *   process": use `Minidump.regionAt(va)` (MemoryInfoList) to learn whether the page was committed, mapped, image.
 * - `flags`: User always (process memory); Writable and NoExecute from the MemoryInfoList protection when the
 *   dump has one (without it nothing more is known, so neither is set).
 * - `dtb` is 0 and `arch` gives only the pointer model ('x64' = 64-bit pointers, 'x86' = 32-bit), whatever the CPU
 *   (see `Minidump.systemInfo.archName` for it).
 * Overlapping ranges (a thread stack captured twice) are resolved once: the range starting lower wins.
 */
export class MinidumpMemory implements VirtualSpace {
  readonly arch: 'x86' | 'x64';
  readonly dtb = 0;
  readonly pointerSize: 4 | 8;
  private readonly runs: SegmentedMemory;

  constructor(readonly dump: Minidump) {
    const segs = new SegmentList();
    // SegmentList merges only runs adjacent in memory and in the file, so each range keeps its own file offset.
    for (const r of dump.memoryRanges) segs.push(r.start, r.size, r.rva);
    const warnings: string[] = [];
    this.runs = new SegmentedMemory('minidump', dump.source, segs, {}, warnings);
    for (const w of warnings) dump.warnings.add(`memory ranges: ${w}`);
    this.pointerSize = dump.pointerSize;
    this.arch = dump.pointerSize === 4 ? 'x86' : 'x64';
  }

  /** Captured ranges, sorted, overlaps resolved, adjacent ranges merged. */
  get ranges(): readonly { start: number; end: number }[] {
    return this.runs.ranges;
  }

  get capturedBytes(): number {
    return this.runs.presentBytes;
  }

  translate(va: number, info?: PteInfo): number {
    const off = this.runs.fileOffsetOf(va);
    if (info) {
      info.state = off < 0 ? PageState.Unmapped : PageState.Valid;
      info.phys = off;
      info.pageSize = 4096;
      info.level = 0;
      info.entryAddr = -1;
      info.entryLo = 0;
      info.entryHi = 0;
      info.protoAddr = -1;
      info.pageFile = 0;
      info.pageFileOffset = 0;
      info.subsection = -1;
      info.flags = off < 0 ? 0 : this.flagsAt(va);
    }
    return off;
  }

  /** Zero-filled bytes of the last `read`. */
  get lastMissing(): number {
    return this.runs.lastMissing;
  }

  private flagsAt(va: number): number {
    const r = this.dump.regionAt(va);
    if (!r) return PteFlag.User;
    const p = r.protect & 0xff;
    let f = PteFlag.User;
    // PAGE_READWRITE, PAGE_WRITECOPY, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY.
    if (p === 0x04 || p === 0x08 || p === 0x40 || p === 0x80) f |= PteFlag.Writable;
    if (p < 0x10) f |= PteFlag.NoExecute;
    return f;
  }

  /** Reads across ranges; bytes not captured are zero-filled. Returns the count readable before the first hole. */
  read(va: number, dst: Uint8Array, dstOff: number, len: number): number {
    return this.runs.read(va, dst, dstOff, len);
  }

  /** 64-bit pointer as a canonical address without its sign bits, or -1 when not captured or not canonical. */
  readU64AsNumber(va: number): number {
    const lo = this.runs.readU32(va);
    const hi = this.runs.readU32(va + 4);
    if (lo < 0 || hi < 0) return -1;
    const top = hi >>> 15;
    if (top !== 0 && top !== 0x1ffff) return -1;
    return (hi & 0xffff) * 0x100000000 + lo;
  }

  readPointer(va: number): number {
    return this.pointerSize === 8 ? this.readU64AsNumber(va) : this.runs.readU32(va);
  }

  isPresent(va: number): boolean {
    return this.runs.isPresent(va);
  }

  /** Little-endian u32 at `va`, or -1 when any byte was not captured. */
  readU32(va: number): number {
    return this.runs.readU32(va);
  }

  /** Sequential scan over captured memory (the block object and buffer are reused). */
  scan(blockSize = 1 << 20, from = 0, to = this.runs.maxAddress) {
    return this.runs.scan(blockSize, from, to);
  }
}
