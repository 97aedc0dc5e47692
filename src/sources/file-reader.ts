import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { MemdigError } from '../util/errors.js';

/**
 * Page-sized cache blocks: hot reads (page-table entries, struct fields) are scattered over the whole dump, so a miss
 * must be cheap (one 4 KiB pread) and the cache must hold many distinct pages rather than a few large runs.
 */
const BLOCK_SHIFT = 12;
const BLOCK = 1 << BLOCK_SHIFT;

/**
 * Positional byte access shared by every container and format parser, so a parser works the same on a dump file
 * (`FileReader`) and on bytes already in memory (`BytesReader`: a minidump carved from RAM, a test buffer).
 */
export interface ByteSource {
  /** File name for messages and `memdig info` ('' for in-memory bytes). */
  readonly path: string;
  readonly size: number;
  /** Reads up to `len` bytes at `pos` (cached); returns the count read (short only at the end). */
  read(pos: number, dst: Uint8Array, dstOff: number, len: number): number;
  /** Like `read` but bypassing any cache: for large sequential reads. */
  direct(pos: number, dst: Uint8Array, dstOff: number, len: number): number;
  /** A fresh buffer of exactly the bytes present at [pos, pos+len) (shorter at the end). */
  bytes(pos: number, len: number): Uint8Array;
  close(): void;
}

/**
 * Positional reads over a file with an LRU cache of 4 KiB blocks (default 4096 blocks = 16 MiB), so page-table
 * pages and structures read again and again cost one syscall, while memory stays flat however large the dump is.
 */
export class FileReader implements ByteSource {
  readonly size: number;
  private readonly fd: number;
  /** Block index -> cache slot, as an open-addressing table in typed arrays (a Map lookup costs ~3x more). */
  private readonly index: BlockIndex;
  private readonly slots: Buffer[] = [];
  /** Block index held by each slot. */
  private readonly slotBlock: Float64Array;
  /** CLOCK second-chance bits: set on every hit, cleared as the eviction hand passes. */
  private readonly referenced: Uint8Array;
  private hand = 0;
  private lastIndex = -1;
  private lastBlock: Buffer | null = null;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly maxBlocks = 4096,
  ) {
    this.fd = openSync(path, 'r');
    const st = fstatSync(this.fd);
    if (!st.isFile() && !st.isBlockDevice() && !st.isCharacterDevice()) {
      closeSync(this.fd);
      throw new MemdigError(`${path}: not a file (give the dump file itself, not a folder)`);
    }
    this.size = st.size;
    this.slotBlock = new Float64Array(Math.max(1, maxBlocks));
    this.referenced = new Uint8Array(Math.max(1, maxBlocks));
    this.index = new BlockIndex(Math.max(1, maxBlocks));
  }

  read(pos: number, dst: Uint8Array, dstOff: number, len: number): number {
    if (pos >= this.size || len <= 0 || pos < 0) return 0;
    if (pos + len > this.size) len = this.size - pos;
    // Page-sized and larger reads go straight to the file: they are scans or page copies, and caching them would
    // evict the hot blocks (the OS page cache still serves repeats).
    if (len >= BLOCK) return this.direct(pos, dst, dstOff, len);
    let done = 0;
    while (done < len) {
      const p = pos + done;
      const bi = Math.floor(p / BLOCK);
      const block = this.block(bi);
      const inBlock = p - bi * BLOCK;
      const n = Math.min(len - done, block.length - inBlock);
      if (n <= 0) break;
      // Hot path (page-table entries, struct fields): copy small spans by hand; no view objects are allocated.
      if (n <= 32) {
        const o = dstOff + done;
        for (let i = 0; i < n; i++) dst[o + i] = block[inBlock + i]!;
      } else block.copy(dst, dstOff + done, inBlock, inBlock + n);
      done += n;
    }
    return done;
  }

  direct(pos: number, dst: Uint8Array, dstOff: number, len: number): number {
    let done = 0;
    while (done < len) {
      const n = readSync(this.fd, dst, dstOff + done, len - done, pos + done);
      if (n <= 0) break;
      done += n;
    }
    return done;
  }

  bytes(pos: number, len: number): Uint8Array {
    const b = new Uint8Array(Math.max(0, Math.min(len, this.size - pos)));
    const n = this.read(pos, b, 0, b.length);
    return n === b.length ? b : b.subarray(0, n);
  }

  private block(bi: number): Buffer {
    if (bi === this.lastIndex && this.lastBlock) return this.lastBlock;
    let slot = this.index.get(bi);
    let b: Buffer;
    if (slot >= 0) {
      b = this.slots[slot]!;
      this.referenced[slot] = 1;
    } else {
      if (this.slots.length < this.maxBlocks) {
        slot = this.slots.length;
        this.slots.push(Buffer.allocUnsafe(BLOCK));
      } else {
        // CLOCK: skip recently used slots once (clearing their bit), evict the first one not used since.
        while (this.referenced[this.hand]) {
          this.referenced[this.hand] = 0;
          this.hand = (this.hand + 1) % this.maxBlocks;
        }
        slot = this.hand;
        this.hand = (this.hand + 1) % this.maxBlocks;
        this.index.delete(this.slotBlock[slot]!);
      }
      b = this.slots[slot]!;
      const start = bi * BLOCK;
      const want = Math.min(BLOCK, this.size - start);
      const got = this.direct(start, b, 0, want);
      // The last block of the file is short: a view of the valid bytes keeps reads from running past the end.
      if (got < BLOCK) b.fill(0, got);
      if (want < BLOCK) b = b.subarray(0, want);
      this.index.set(bi, slot);
      this.slotBlock[slot] = bi;
      this.referenced[slot] = 1;
    }
    this.lastIndex = bi;
    this.lastBlock = b;
    return b;
  }

  /** Idempotent: a container that gives up may close before the caller's cleanup does. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    this.index.clear();
    this.slots.length = 0;
    this.lastBlock = null;
    this.lastIndex = -1;
  }
}

/** A `ByteSource` over bytes in memory (a carved buffer, a test fixture, a byte range of another source). */
export class BytesReader implements ByteSource {
  readonly size: number;
  constructor(
    private readonly buf: Uint8Array,
    readonly path = '',
  ) {
    this.size = buf.length;
  }

  read(pos: number, dst: Uint8Array, dstOff: number, len: number): number {
    if (pos >= this.size || len <= 0 || pos < 0) return 0;
    const n = Math.min(len, this.size - pos);
    dst.set(this.buf.subarray(pos, pos + n), dstOff);
    return n;
  }

  direct(pos: number, dst: Uint8Array, dstOff: number, len: number): number {
    return this.read(pos, dst, dstOff, len);
  }

  bytes(pos: number, len: number): Uint8Array {
    if (pos < 0 || pos >= this.size) return new Uint8Array(0);
    // Uint8Array's slice copies; Buffer's would return a view of the caller's memory.
    return Uint8Array.prototype.slice.call(this.buf, pos, Math.min(this.size, pos + len));
  }

  close(): void {}
}

/** Linear-probing hash from block index (>= 0) to slot, sized at twice the slot count; deletion shifts back. */
class BlockIndex {
  private readonly keys: Float64Array;
  private readonly vals: Int32Array;
  private readonly mask: number;

  constructor(entries: number) {
    let cap = 16;
    while (cap < entries * 2) cap *= 2;
    this.keys = new Float64Array(cap).fill(-1);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
  }

  private home(k: number): number {
    // Multiplicative hash of the low 32 bits; block indices above 2^32 (16 TiB files) still work, they just collide.
    return (Math.imul(k >>> 0, 0x9e3779b1) >>> 0) & this.mask;
  }

  get(k: number): number {
    for (let i = this.home(k); ; i = (i + 1) & this.mask) {
      const x = this.keys[i]!;
      if (x === k) return this.vals[i]!;
      if (x === -1) return -1;
    }
  }

  set(k: number, v: number): void {
    let i = this.home(k);
    while (this.keys[i] !== -1 && this.keys[i] !== k) i = (i + 1) & this.mask;
    this.keys[i] = k;
    this.vals[i] = v;
  }

  delete(k: number): void {
    let i = this.home(k);
    while (this.keys[i] !== k) {
      if (this.keys[i] === -1) return;
      i = (i + 1) & this.mask;
    }
    // Backward-shift deletion keeps every remaining key reachable from its home slot without tombstones.
    let j = i;
    for (;;) {
      j = (j + 1) & this.mask;
      const kj = this.keys[j]!;
      if (kj === -1) break;
      const h = this.home(kj);
      // Move kj into the hole at i when its home is not in the cyclic range (i, j].
      if (i <= j ? h <= i || h > j : h <= i && h > j) {
        this.keys[i] = kj;
        this.vals[i] = this.vals[j]!;
        i = j;
      }
    }
    this.keys[i] = -1;
  }

  clear(): void {
    this.keys.fill(-1);
  }
}

/**
 * A window [offset, offset + length) of another source, seen as a whole file: lets a format parser run on a
 * structure embedded in a larger file (a minidump inside a memory image, a dump header carved from disk).
 * Closing it does not close the underlying source.
 */
export class RangeReader implements ByteSource {
  readonly size: number;
  constructor(
    private readonly src: ByteSource,
    private readonly offset: number,
    length: number,
    readonly path = `${src.path}@0x${offset.toString(16)}`,
  ) {
    this.size = Math.max(0, Math.min(length, src.size - offset));
  }

  read(pos: number, dst: Uint8Array, dstOff: number, len: number): number {
    if (pos < 0 || pos >= this.size || len <= 0) return 0;
    return this.src.read(this.offset + pos, dst, dstOff, Math.min(len, this.size - pos));
  }

  direct(pos: number, dst: Uint8Array, dstOff: number, len: number): number {
    if (pos < 0 || pos >= this.size || len <= 0) return 0;
    return this.src.direct(this.offset + pos, dst, dstOff, Math.min(len, this.size - pos));
  }

  bytes(pos: number, len: number): Uint8Array {
    if (pos < 0 || pos >= this.size) return new Uint8Array(0);
    return this.src.bytes(this.offset + pos, Math.min(len, this.size - pos));
  }

  close(): void {}
}
