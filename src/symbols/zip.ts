/**
 * Minimal ZIP reader for symbol packs (Volatility's `windows.zip` is hundreds of MiB with tens of thousands of
 * entries, of which a run needs one). It reads the central directory with positional reads and inflates just the
 * requested entry with node:zlib, so memory use is the central directory plus one table — in-memory unzip
 * libraries would have to load the whole archive. Handles stored and deflated entries and ZIP64 archives.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { FormatError } from '../util/errors.js';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

/** Largest entry we inflate: symbol tables are tens of MiB; a bigger claim is a damaged or hostile archive. */
const MAX_ENTRY_BYTES = 1 << 30;
const MAX_ENTRIES = 2_000_000;

export class ZipReader {
  readonly path: string;
  readonly entries: ReadonlyMap<string, ZipEntry>;
  private readonly fd: number;
  private readonly fileSize: number;

  private constructor(path: string, fd: number, fileSize: number, entries: Map<string, ZipEntry>) {
    this.path = path;
    this.fd = fd;
    this.fileSize = fileSize;
    this.entries = entries;
  }

  static open(path: string): ZipReader {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      return new ZipReader(path, fd, size, readCentralDirectory(path, fd, size));
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** The entry's uncompressed bytes. */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) throw new FormatError('zip', 0, `${this.path}: no entry ${name}`);
    const bad = (off: number, what: string): never => {
      throw new FormatError('zip', off, `${this.path}: entry ${name}: ${what}`);
    };
    const lh = Buffer.alloc(30);
    if (readSync(this.fd, lh, 0, 30, e.localHeaderOffset) < 30 || lh.readUInt32LE(0) !== 0x04034b50) {
      bad(e.localHeaderOffset, 'local header signature missing');
    }
    const dataOff = e.localHeaderOffset + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
    if (dataOff + e.compressedSize > this.fileSize) bad(dataOff, 'data runs past the end of the archive');
    const raw = Buffer.alloc(e.compressedSize);
    if (readSync(this.fd, raw, 0, raw.length, dataOff) < raw.length) bad(dataOff, 'short read');
    if (e.method === 0) return raw;
    if (e.method !== 8)
      bad(e.localHeaderOffset, `compression method ${e.method} is not supported (stored/deflate)`);
    try {
      const out = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
      if (out.length !== e.size) bad(dataOff, `inflated to ${out.length} bytes, directory says ${e.size}`);
      return out;
    } catch (err) {
      if (err instanceof FormatError) throw err;
      return bad(dataOff, `deflate data damaged (${(err as Error).message})`);
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

function readCentralDirectory(path: string, fd: number, fileSize: number): Map<string, ZipEntry> {
  const bad = (off: number, what: string): never => {
    throw new FormatError('zip', off, `${path}: ${what}`);
  };
  // End-of-central-directory record: last 22 bytes plus up to 64 KiB of comment.
  const tailLen = Math.min(fileSize, 22 + 0xffff + 20);
  const tail = Buffer.alloc(tailLen);
  readSync(fd, tail, 0, tailLen, fileSize - tailLen);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) bad(fileSize, 'no end-of-central-directory record: not a zip archive or truncated');
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOff = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOff === 0xffffffff) {
    // ZIP64: the locator just before the EOCD gives the ZIP64 EOCD record.
    const loc = eocd - 20;
    if (loc < 0 || tail.readUInt32LE(loc) !== 0x07064b50)
      bad(fileSize - tailLen + eocd, 'ZIP64 locator missing');
    const z64 = Number(tail.readBigUInt64LE(loc + 8));
    const rec = Buffer.alloc(56);
    if (z64 + 56 > fileSize || readSync(fd, rec, 0, 56, z64) < 56 || rec.readUInt32LE(0) !== 0x06064b50) {
      bad(z64, 'ZIP64 end-of-central-directory record missing');
    }
    count = Number(rec.readBigUInt64LE(32));
    cdSize = Number(rec.readBigUInt64LE(40));
    cdOff = Number(rec.readBigUInt64LE(48));
  }
  if (count > MAX_ENTRIES || cdOff + cdSize > fileSize || cdSize > 512 * 1024 * 1024) {
    bad(
      cdOff,
      `central directory (${count} entries, ${cdSize} bytes at 0x${cdOff.toString(16)}) does not fit`,
    );
  }
  const cd = Buffer.alloc(cdSize);
  if (readSync(fd, cd, 0, cdSize, cdOff) < cdSize) bad(cdOff, 'short read of the central directory');
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdSize || cd.readUInt32LE(p) !== 0x02014b50)
      bad(cdOff + p, `central directory entry ${i} damaged`);
    const method = cd.readUInt16LE(p + 10);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    let localHeaderOffset = cd.readUInt32LE(p + 42);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdSize) bad(cdOff + p, `central directory entry ${i} runs past the directory`);
    const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
    // ZIP64 extra field (id 1) carries the 64-bit values whose 32-bit slots are all ones, in this order.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = cd.readUInt16LE(x);
      const len = cd.readUInt16LE(x + 2);
      if (id === 1) {
        let q = x + 4;
        const take = (): number => {
          if (q + 8 > x + 4 + len) return bad(cdOff + q, `ZIP64 extra field of ${name} too short`);
          const v = Number(cd.readBigUInt64LE(q));
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
      }
      x += 4 + len;
    }
    if (size > MAX_ENTRY_BYTES || localHeaderOffset + compressedSize > fileSize) {
      bad(cdOff + p, `entry ${name}: sizes (${compressedSize} -> ${size}) do not fit the archive`);
    }
    entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
    p = end;
  }
  return entries;
}
