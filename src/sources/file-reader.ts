import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const BLOCK_SHIFT = 16;
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
 * Positional reads over a file with a small LRU block cache (default 16 MiB), so page-table pages and structures
 * that are read again and again cost one syscall, while memory stays flat however large the dump is.
 */
export class FileReader implements ByteSource {
  readonly size: number;
  private readonly fd: number;
  private readonly cache = new Map<number, Buffer>();
  private lastIndex = -1;
  private lastBlock: Buffer | null = null;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly maxBlocks = 256,
  ) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }

  read(pos: number, dst: Uint8Array, dstOff: number, len: number): number {
    if (pos >= this.size || len <= 0 || pos < 0) return 0;
    if (pos + len > this.size) len = this.size - pos;
    // Large reads go straight to the file: they are scans, and caching them would evict the hot blocks.
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
    let b = this.cache.get(bi);
    if (b) {
      this.cache.delete(bi);
      this.cache.set(bi, b);
    } else {
      const start = bi * BLOCK;
      const len = Math.min(BLOCK, this.size - start);
      if (this.cache.size >= this.maxBlocks) {
        // Recycle the evicted block's memory when it has the full size: a long random walk allocates nothing.
        const oldest = this.cache.keys().next().value as number;
        const old = this.cache.get(oldest)!;
        this.cache.delete(oldest);
        b = old.length === len ? old : Buffer.allocUnsafe(len);
      } else b = Buffer.allocUnsafe(len);
      const got = this.direct(start, b, 0, len);
      if (got < len) b.fill(0, got);
      this.cache.set(bi, b);
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
    this.cache.clear();
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
