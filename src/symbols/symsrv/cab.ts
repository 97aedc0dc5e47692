import { constants, inflateRawSync } from 'node:zlib';
import { FormatError, MemdigError } from '../../util/errors.js';
import { lzxDecompress } from './lzx.js';

const FMT = 'CAB';
const COMP_NONE = 0;
const COMP_MSZIP = 1;
const COMP_QUANTUM = 2;
const COMP_LZX = 3;
/** MSZIP blocks hold at most 32 KiB of output, and each one's dictionary is the previous block's output. */
const MSZIP_WINDOW = 32768;

export interface CabFile {
  name: string;
  size: number;
  folder: number;
  offsetInFolder: number;
}

export interface CabOptions {
  /** Refuse to produce more than this many bytes (a compressed bomb must not exhaust memory). */
  maxBytes?: number;
}

/**
 * A Microsoft cabinet as symbol servers serve `.pd_` files: one cabinet, usually one file. Folders compressed with
 * MSZIP (deflate blocks, each prefixed "CK") are expanded with zlib, LZX ones by lzx.ts; Quantum is refused.
 */
export class Cabinet {
  readonly files: CabFile[] = [];
  private readonly folders: { dataOffset: number; blocks: number; compression: number }[] = [];
  private readonly dataReserve: number;
  private readonly dv: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    if (buf.length < 36 || this.dv.getUint32(0, true) !== 0x4643534d) {
      throw new FormatError(FMT, 0, 'not a cabinet (no MSCF signature)');
    }
    const size = this.dv.getUint32(8, true);
    if (size > buf.length)
      throw new FormatError(FMT, 8, `cabinet of ${size} bytes, only ${buf.length} present`);
    const filesOffset = this.dv.getUint32(16, true);
    const major = buf[25]!;
    const numFolders = this.dv.getUint16(26, true);
    const numFiles = this.dv.getUint16(28, true);
    const flags = this.dv.getUint16(30, true);
    if (major !== 1) throw new FormatError(FMT, 25, `cabinet format version ${major}.x (expected 1.3)`);
    if (flags & 3)
      throw new MemdigError('CAB: multi-cabinet sets are not supported (symbol files are single cabinets)');
    let pos = 36;
    let folderReserve = 0;
    let dataReserve = 0;
    if (flags & 4) {
      this.need(pos, 4);
      const headerReserve = this.dv.getUint16(pos, true);
      folderReserve = buf[pos + 2]!;
      dataReserve = buf[pos + 3]!;
      pos += 4 + headerReserve;
    }
    this.dataReserve = dataReserve;
    for (let i = 0; i < numFolders; i++) {
      this.need(pos, 8);
      this.folders.push({
        dataOffset: this.dv.getUint32(pos, true),
        blocks: this.dv.getUint16(pos + 4, true),
        compression: this.dv.getUint16(pos + 6, true),
      });
      pos += 8 + folderReserve;
    }
    pos = filesOffset;
    for (let i = 0; i < numFiles; i++) {
      this.need(pos, 16);
      const size = this.dv.getUint32(pos, true);
      const offsetInFolder = this.dv.getUint32(pos + 4, true);
      const folder = this.dv.getUint16(pos + 8, true);
      let e = pos + 16;
      while (e < buf.length && buf[e] !== 0) e++;
      if (e >= buf.length) throw new FormatError(FMT, pos + 16, 'file name runs past the cabinet');
      const name = Buffer.from(buf.subarray(pos + 16, e)).toString('latin1');
      if (folder >= numFolders)
        throw new FormatError(FMT, pos + 8, `file ${name} names folder ${folder} of ${numFolders}`);
      this.files.push({ name, size, folder, offsetInFolder });
      pos = e + 1;
    }
  }

  /** The bytes of one file (default: the first). */
  extract(name?: string, opts: CabOptions = {}): Uint8Array {
    const f =
      name === undefined
        ? this.files[0]
        : this.files.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!f) throw new MemdigError(`CAB: no file ${name ?? ''} in the cabinet`);
    const max = opts.maxBytes ?? 2 ** 31;
    if (f.offsetInFolder + f.size > max) {
      throw new MemdigError(
        `CAB: ${f.name} ends ${f.offsetInFolder + f.size} bytes into its folder, over the ${max}-byte limit`,
      );
    }
    const folder = this.folderBytes(f.folder, f.offsetInFolder + f.size);
    if (folder.length < f.offsetInFolder + f.size) {
      throw new FormatError(
        FMT,
        0,
        `${f.name}: folder holds ${folder.length} bytes, file needs ${f.offsetInFolder + f.size}`,
      );
    }
    return folder.subarray(f.offsetInFolder, f.offsetInFolder + f.size);
  }

  private need(pos: number, n: number): void {
    if (pos + n > this.buf.length)
      throw new FormatError(FMT, pos, `structure runs past the ${this.buf.length}-byte cabinet`);
  }

  /** LZX folders are one bit stream across their data blocks: gather the payloads, then decode them together. */
  private lzxFolder(
    folder: { dataOffset: number; blocks: number; compression: number },
    wanted: number,
  ): Uint8Array {
    const parts: Uint8Array[] = [];
    let pos = folder.dataOffset;
    let outSize = 0;
    let inSize = 0;
    for (let i = 0; i < folder.blocks && outSize < wanted; i++) {
      this.need(pos, 8 + this.dataReserve);
      const cb = this.dv.getUint16(pos + 4, true);
      const uncomp = this.dv.getUint16(pos + 6, true);
      const start = pos + 8 + this.dataReserve;
      this.need(start, cb);
      if (uncomp > 32768) throw new FormatError(FMT, pos + 6, `LZX block of ${uncomp} bytes (at most 32768)`);
      parts.push(this.buf.subarray(start, start + cb));
      outSize += uncomp;
      inSize += cb;
      pos = start + cb;
    }
    const input = new Uint8Array(inSize);
    let o = 0;
    for (const p of parts) {
      input.set(p, o);
      o += p.length;
    }
    return lzxDecompress(input, (folder.compression >>> 8) & 0x1f, outSize);
  }

  private folderBytes(index: number, wanted: number): Uint8Array {
    const folder = this.folders[index]!;
    const type = folder.compression & 0x0f;
    if (type === COMP_LZX) return this.lzxFolder(folder, wanted);
    if (type === COMP_QUANTUM) throw new MemdigError('CAB: Quantum compression is not supported');
    if (type !== COMP_NONE && type !== COMP_MSZIP) {
      throw new FormatError(FMT, 0, `unknown compression type ${folder.compression}`);
    }
    const out = new Uint8Array(wanted);
    let done = 0;
    let pos = folder.dataOffset;
    let window: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < folder.blocks && done < wanted; i++) {
      this.need(pos, 8 + this.dataReserve);
      const cb = this.dv.getUint16(pos + 4, true);
      const uncomp = this.dv.getUint16(pos + 6, true);
      const start = pos + 8 + this.dataReserve;
      this.need(start, cb);
      const data = this.buf.subarray(start, start + cb);
      let block: Uint8Array;
      if (type === COMP_NONE) {
        block = data;
      } else {
        if (cb < 2 || data[0] !== 0x43 || data[1] !== 0x4b)
          throw new FormatError(FMT, start, 'MSZIP block without its CK signature');
        try {
          block = inflateRawSync(data.subarray(2), {
            dictionary: window.length ? window : undefined,
            finishFlush: constants.Z_SYNC_FLUSH,
            maxOutputLength: MSZIP_WINDOW,
          });
        } catch (e) {
          throw new FormatError(FMT, start, `MSZIP block ${i} does not inflate: ${(e as Error).message}`);
        }
        window = block;
      }
      if (block.length !== uncomp) {
        throw new FormatError(FMT, pos, `block ${i} expands to ${block.length} bytes, header says ${uncomp}`);
      }
      const n = Math.min(block.length, wanted - done);
      out.set(block.subarray(0, n), done);
      done += n;
      pos = start + cb;
    }
    return out.subarray(0, done);
  }
}
