import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { FormatError, MemdigError } from '../../util/errors.js';

const FMT = 'PDB/MSF';
/** "Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0": the 32-byte magic of the big-MSF (PDB 7) container. */
const MAGIC = new Uint8Array([
  0x4d, 0x69, 0x63, 0x72, 0x6f, 0x73, 0x6f, 0x66, 0x74, 0x20, 0x43, 0x2f, 0x43, 0x2b, 0x2b, 0x20, 0x4d, 0x53,
  0x46, 0x20, 0x37, 0x2e, 0x30, 0x30, 0x0d, 0x0a, 0x1a, 0x44, 0x53, 0x00, 0x00, 0x00,
]);
const SUPERBLOCK_SIZE = 56;
const VALID_BLOCK_SIZES = new Set([512, 1024, 2048, 4096, 8192, 16384, 32768]);
/** A nil stream (deleted / never written) has this size in the directory. */
const NIL_SIZE = 0xffffffff;
/** No real PDB has more streams than this (one per module plus a few dozen); it bounds hostile directories. */
const MAX_STREAMS = 1 << 20;

/** Where an MSF's bytes come from: a file, or a buffer (a PDB inside a cab, a byte range of something else). */
export interface ByteSource {
  readonly size: number;
  read(pos: number, dst: Uint8Array, dstOff: number, len: number): number;
  close?(): void;
}

export function bufferSource(buf: Uint8Array): ByteSource {
  return {
    size: buf.length,
    read(pos, dst, dstOff, len) {
      if (pos >= buf.length) return 0;
      const n = Math.min(len, buf.length - pos);
      dst.set(buf.subarray(pos, pos + n), dstOff);
      return n;
    },
  };
}

export function fileSource(path: string): ByteSource {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new MemdigError(
      `cannot open ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const size = fstatSync(fd).size;
  return {
    size,
    read(pos, dst, dstOff, len) {
      let done = 0;
      while (done < len) {
        const n = readSync(fd, dst, dstOff + done, len - done, pos + done);
        if (n <= 0) break;
        done += n;
      }
      return done;
    },
    close() {
      closeSync(fd);
    },
  };
}

export interface MsfSuperBlock {
  blockSize: number;
  freeBlockMapBlock: number;
  numBlocks: number;
  numDirectoryBytes: number;
  blockMapAddr: number;
}

/**
 * The multi-stream file under a PDB: fixed-size blocks, a directory listing each stream's size and blocks.
 * Every block index is checked against the block count and the file, so a damaged file fails with a FormatError
 * that says which stream and which block, never with a read past the end.
 */
export class Msf {
  readonly superBlock: MsfSuperBlock;
  readonly streamSizes: number[];
  private readonly streamBlocks: Uint32Array[];

  constructor(private readonly src: ByteSource) {
    const sb = this.readAt(0, SUPERBLOCK_SIZE, 'superblock');
    for (let i = 0; i < MAGIC.length; i++) {
      if (sb[i] !== MAGIC[i]) throw new FormatError(FMT, i, 'not an MSF 7.00 (PDB 7) file: bad magic');
    }
    const dv = new DataView(sb.buffer, sb.byteOffset, sb.byteLength);
    const s: MsfSuperBlock = {
      blockSize: dv.getUint32(32, true),
      freeBlockMapBlock: dv.getUint32(36, true),
      numBlocks: dv.getUint32(40, true),
      numDirectoryBytes: dv.getUint32(44, true),
      blockMapAddr: dv.getUint32(52, true),
    };
    this.superBlock = s;
    if (!VALID_BLOCK_SIZES.has(s.blockSize)) {
      throw new FormatError(FMT, 32, `block size ${s.blockSize} is not a power of two from 512 to 32768`);
    }
    if (s.numBlocks === 0 || s.numBlocks * s.blockSize > src.size + s.blockSize) {
      // Writers pad the file to whole blocks; allow a short last block but not a count the file cannot hold.
      throw new FormatError(
        FMT,
        40,
        `block count ${s.numBlocks} x ${s.blockSize} bytes does not fit the ${src.size}-byte file (truncated?)`,
      );
    }
    if (s.freeBlockMapBlock !== 1 && s.freeBlockMapBlock !== 2) {
      throw new FormatError(FMT, 36, `free block map block ${s.freeBlockMapBlock} (expected 1 or 2)`);
    }
    if (s.numDirectoryBytes === 0 || s.numDirectoryBytes > s.numBlocks * s.blockSize) {
      throw new FormatError(
        FMT,
        44,
        `stream directory size ${s.numDirectoryBytes} is impossible for this file`,
      );
    }
    const dirBlockCount = Math.ceil(s.numDirectoryBytes / s.blockSize);
    if (dirBlockCount * 4 > s.blockSize) {
      throw new FormatError(
        FMT,
        44,
        `stream directory of ${dirBlockCount} blocks does not fit one block map block`,
      );
    }
    this.checkBlock(s.blockMapAddr, 'block map');
    const mapBytes = this.readAt(s.blockMapAddr * s.blockSize, dirBlockCount * 4, 'directory block map');
    const mapDv = new DataView(mapBytes.buffer, mapBytes.byteOffset, mapBytes.byteLength);
    const dirBlocks = new Uint32Array(dirBlockCount);
    const seen = new Set<number>();
    for (let i = 0; i < dirBlockCount; i++) {
      const b = mapDv.getUint32(i * 4, true);
      this.checkBlock(b, `directory block ${i}`);
      if (seen.has(b))
        throw new FormatError(FMT, s.blockMapAddr * s.blockSize + i * 4, `directory block ${b} repeats`);
      seen.add(b);
      dirBlocks[i] = b;
    }
    const dir = this.gather(dirBlocks, s.numDirectoryBytes, 'stream directory');
    const ddv = new DataView(dir.buffer, dir.byteOffset, dir.byteLength);
    const numStreams = ddv.getUint32(0, true);
    if (numStreams > MAX_STREAMS || 4 + numStreams * 4 > dir.length) {
      throw new FormatError(FMT, 0, `stream directory claims ${numStreams} streams in ${dir.length} bytes`);
    }
    this.streamSizes = new Array<number>(numStreams);
    this.streamBlocks = new Array<Uint32Array>(numStreams);
    let pos = 4 + numStreams * 4;
    let totalBlocks = 0;
    for (let i = 0; i < numStreams; i++) {
      const size = ddv.getUint32(4 + i * 4, true);
      const n = size === NIL_SIZE ? 0 : Math.ceil(size / s.blockSize);
      totalBlocks += n;
      if (totalBlocks > s.numBlocks || pos + n * 4 > dir.length) {
        throw new FormatError(
          FMT,
          4 + i * 4,
          `stream ${i} of ${size} bytes needs more blocks than the directory or the file holds`,
        );
      }
      const blocks = new Uint32Array(n);
      for (let j = 0; j < n; j++) {
        const b = ddv.getUint32(pos + j * 4, true);
        this.checkBlock(b, `stream ${i} block ${j}`);
        blocks[j] = b;
      }
      pos += n * 4;
      this.streamSizes[i] = size === NIL_SIZE ? 0 : size;
      this.streamBlocks[i] = blocks;
    }
  }

  get numStreams(): number {
    return this.streamSizes.length;
  }

  /** True when the stream index names a stream with a directory entry (it may still be empty). */
  has(index: number): boolean {
    return Number.isInteger(index) && index >= 0 && index < this.streamSizes.length;
  }

  /** A whole stream's bytes. PDB streams are at most tens of MiB; the total is bounded by the file size. */
  stream(index: number, what = `stream ${index}`): Uint8Array {
    if (!this.has(index)) {
      throw new FormatError(
        FMT,
        0,
        `${what}: stream index ${index} is out of range (file has ${this.numStreams})`,
      );
    }
    return this.gather(this.streamBlocks[index]!, this.streamSizes[index]!, what);
  }

  close(): void {
    this.src.close?.();
  }

  private checkBlock(b: number, what: string): void {
    if (b === 0 || b >= this.superBlock.numBlocks || b * this.superBlock.blockSize >= this.src.size) {
      throw new FormatError(
        FMT,
        b * this.superBlock.blockSize,
        `${what} is block ${b}, outside the file's ${this.superBlock.numBlocks} blocks`,
      );
    }
  }

  private gather(blocks: Uint32Array, size: number, what: string): Uint8Array {
    const bs = this.superBlock.blockSize;
    const out = new Uint8Array(size);
    // Writers lay most streams out in consecutive blocks: read each run of them with one call.
    for (let i = 0, done = 0; done < size; ) {
      let run = 1;
      while (i + run < blocks.length && blocks[i + run] === blocks[i]! + run && run * bs < size - done) run++;
      const n = Math.min(run * bs, size - done);
      const got = this.src.read(blocks[i]! * bs, out, done, n);
      if (got !== n)
        throw new FormatError(FMT, blocks[i]! * bs + got, `${what}: file ends inside block ${blocks[i]}`);
      done += n;
      i += run;
    }
    return out;
  }

  private readAt(pos: number, len: number, what: string): Uint8Array {
    const out = new Uint8Array(len);
    const got = this.src.read(pos, out, 0, len);
    if (got !== len) throw new FormatError(FMT, pos + got, `${what}: file ends after ${got} of ${len} bytes`);
    return out;
  }
}
