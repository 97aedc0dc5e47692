import { crc32 } from '../../util/crc32.js';

/** EVTX on-disk constants (libyal "Windows XML Event Log (EVTX) format"; the Rust `evtx` crate agrees). */
export const FILE_HEADER_SIZE = 4096;
export const CHUNK_SIZE = 65536;
export const CHUNK_HEADER_SIZE = 512;
export const RECORD_MAGIC = 0x00002a2a;
export const FILE_MAGIC = 'ElfFile\0';
export const CHUNK_MAGIC = 'ElfChnk\0';
/** Smallest plausible record: 24-byte header, at least a fragment header + end of stream, 4-byte size copy. */
export const MIN_RECORD_SIZE = 32;

export interface EvtxFileHeader {
  firstChunk: number;
  lastChunk: number;
  nextRecordId: number;
  headerSize: number;
  minorVersion: number;
  majorVersion: number;
  headerBlockSize: number;
  chunkCount: number;
  flags: number;
  dirty: boolean;
  full: boolean;
  crc: number;
  crcComputed: number;
  crcOk: boolean;
}

export interface ChunkHeader {
  firstRecordNumber: number;
  lastRecordNumber: number;
  firstRecordId: number;
  lastRecordId: number;
  headerSize: number;
  lastRecordOffset: number;
  freeSpaceOffset: number;
  dataCrc: number;
  flags: number;
  headerCrc: number;
}

export interface ChunkCrcs {
  headerCrcComputed: number;
  headerCrcOk: boolean;
  dataCrcComputed: number;
  dataCrcOk: boolean;
}

/** Reads a little-endian u64 as a JS number (exact up to 2^53, which record ids never approach). */
export function u64(dv: DataView, off: number): number {
  return dv.getUint32(off + 4, true) * 4294967296 + dv.getUint32(off, true);
}

export function hasMagic(b: Uint8Array, off: number, magic: string): boolean {
  if (off < 0 || off + magic.length > b.length) return false;
  for (let i = 0; i < magic.length; i++) if (b[off + i] !== magic.charCodeAt(i)) return false;
  return true;
}

export function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Parses the 4096-byte file header at the start of `b`; null when the magic is absent. */
export function readFileHeader(b: Uint8Array): EvtxFileHeader | null {
  if (b.length < 128 || !hasMagic(b, 0, FILE_MAGIC)) return null;
  const dv = viewOf(b);
  const flags = dv.getUint32(120, true);
  const crc = dv.getUint32(124, true);
  const crcComputed = crc32(b.subarray(0, 120));
  return {
    firstChunk: u64(dv, 8),
    lastChunk: u64(dv, 16),
    nextRecordId: u64(dv, 24),
    headerSize: dv.getUint32(32, true),
    minorVersion: dv.getUint16(36, true),
    majorVersion: dv.getUint16(38, true),
    headerBlockSize: dv.getUint16(40, true),
    chunkCount: dv.getUint16(42, true),
    flags,
    dirty: (flags & 1) !== 0,
    full: (flags & 2) !== 0,
    crc,
    crcComputed,
    crcOk: crc === crcComputed,
  };
}

/** Parses a chunk header at `off` (the magic must already have been checked). */
export function readChunkHeader(dv: DataView, off: number): ChunkHeader {
  return {
    firstRecordNumber: u64(dv, off + 8),
    lastRecordNumber: u64(dv, off + 16),
    firstRecordId: u64(dv, off + 24),
    lastRecordId: u64(dv, off + 32),
    headerSize: dv.getUint32(off + 40, true),
    lastRecordOffset: dv.getUint32(off + 44, true),
    freeSpaceOffset: dv.getUint32(off + 48, true),
    dataCrc: dv.getUint32(off + 52, true),
    flags: dv.getUint32(off + 120, true),
    headerCrc: dv.getUint32(off + 124, true),
  };
}

/** Header CRC covers bytes 0..120 and 128..512 (the string and template tables); data CRC covers the records. */
export function chunkHeaderCrc(chunk: Uint8Array): number {
  return crc32(chunk.subarray(128, CHUNK_HEADER_SIZE), crc32(chunk.subarray(0, 120)));
}

export function chunkDataCrc(chunk: Uint8Array, freeSpaceOffset: number): number {
  const end = Math.min(Math.max(freeSpaceOffset, CHUNK_HEADER_SIZE), chunk.length);
  return crc32(chunk.subarray(CHUNK_HEADER_SIZE, end));
}

export function chunkCrcs(chunk: Uint8Array, h: ChunkHeader): ChunkCrcs {
  const headerCrcComputed = chunkHeaderCrc(chunk);
  const dataCrcComputed = chunkDataCrc(chunk, h.freeSpaceOffset);
  return {
    headerCrcComputed,
    headerCrcOk: headerCrcComputed === h.headerCrc,
    dataCrcComputed,
    dataCrcOk: dataCrcComputed === h.dataCrc,
  };
}

/** Why a chunk header cannot be trusted for parsing, or null when its offsets are sane. */
export function chunkHeaderProblem(h: ChunkHeader, available: number): string | null {
  if (h.freeSpaceOffset < CHUNK_HEADER_SIZE || h.freeSpaceOffset > CHUNK_SIZE)
    return `free space offset ${h.freeSpaceOffset} outside [512, 65536]`;
  if (
    h.lastRecordOffset !== 0 &&
    (h.lastRecordOffset < CHUNK_HEADER_SIZE || h.lastRecordOffset >= h.freeSpaceOffset)
  )
    return `last record offset ${h.lastRecordOffset} outside [512, free space ${h.freeSpaceOffset})`;
  if (available < CHUNK_HEADER_SIZE) return `only ${available} bytes available`;
  return null;
}
