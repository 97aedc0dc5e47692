import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const BLOCK_SHIFT = 16;
const BLOCK = 1 << BLOCK_SHIFT;

/**
 * Positional reads over a file with a small LRU block cache (default 16 MiB), so page-table pages and structures
 * that are read again and again cost one syscall, while memory stays flat however large the dump is.
 */
export class FileReader {
  readonly size: number;
  private readonly fd: number;
  private readonly cache = new Map<number, Uint8Array>();
  private lastIndex = -1;
  private lastBlock: Uint8Array | null = null;

  constructor(
    readonly path: string,
    private readonly maxBlocks = 256,
  ) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }

  /** Reads up to `len` bytes at `pos`; returns the count read (short only at end of file). */
  read(pos: number, dst: Uint8Array, dstOff: number, len: number): number {
    if (pos >= this.size || len <= 0) return 0;
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
      dst.set(block.subarray(inBlock, inBlock + n), dstOff + done);
      done += n;
    }
    return done;
  }

  /** Reads without touching the cache. */
  direct(pos: number, dst: Uint8Array, dstOff: number, len: number): number {
    let done = 0;
    while (done < len) {
      const n = readSync(this.fd, dst, dstOff + done, len - done, pos + done);
      if (n <= 0) break;
      done += n;
    }
    return done;
  }

  /** Convenience for headers: a fresh buffer of exactly the bytes present (may be shorter than `len`). */
  bytes(pos: number, len: number): Uint8Array {
    const b = new Uint8Array(Math.max(0, Math.min(len, this.size - pos)));
    const n = this.read(pos, b, 0, b.length);
    return n === b.length ? b : b.subarray(0, n);
  }

  private block(bi: number): Uint8Array {
    if (bi === this.lastIndex && this.lastBlock) return this.lastBlock;
    let b = this.cache.get(bi);
    if (b) {
      this.cache.delete(bi);
      this.cache.set(bi, b);
    } else {
      const start = bi * BLOCK;
      const len = Math.min(BLOCK, this.size - start);
      b = new Uint8Array(len);
      this.direct(start, b, 0, len);
      if (this.cache.size >= this.maxBlocks) {
        const oldest = this.cache.keys().next().value as number;
        this.cache.delete(oldest);
      }
      this.cache.set(bi, b);
    }
    this.lastIndex = bi;
    this.lastBlock = b;
    return b;
  }

  close(): void {
    closeSync(this.fd);
    this.cache.clear();
    this.lastBlock = null;
  }
}
