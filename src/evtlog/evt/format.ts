/**
 * Classic Windows event log (.evt, NT 3.1 … Server 2003) on-disk constants and the two fixed-size structures:
 * the file header (ELF_LOGFILE_HEADER) and the end-of-file cursor record (ELF_EOF_RECORD). Sources: MSDN "Event Log
 * File Format", libevt's format notes (facts only).
 */

/** "LfLe" read as a little-endian u32: the signature of the file header and of every event record. */
export const EVT_SIGNATURE = 0x654c664c;
export const EVT_SIGNATURE_BYTES = Uint8Array.of(0x4c, 0x66, 0x4c, 0x65);
export const EVT_HEADER_SIZE = 0x30;
/** Fixed part of EVENTLOGRECORD; the variable part (names, SID, strings, data, length copy) follows. */
export const EVT_RECORD_FIXED_SIZE = 0x38;
/** Fixed part + empty source and computer names (2 NUL code units) + the trailing length copy. */
export const EVT_RECORD_MIN_SIZE = 0x40;
export const EVT_EOF_SIZE = 0x28;
/** The four marker dwords of the EOF record, as bytes, for a single indexOf. */
export const EVT_EOF_MARKER = Uint8Array.of(
  0x11,
  0x11,
  0x11,
  0x11,
  0x22,
  0x22,
  0x22,
  0x22,
  0x33,
  0x33,
  0x33,
  0x33,
  0x44,
  0x44,
  0x44,
  0x44,
);
/**
 * The service fills space at the end of a wrapping file that is too small for a record with this dword
 * (ELF_SKIP_DWORD = sizeof(ELF_EOF_RECORD) - 1), then continues right after the header.
 */
export const EVT_SKIP_DWORD = 0x27;
/** A SID is at most 8 + 15 sub-authorities × 4 bytes. */
export const SID_MAX_SIZE = 68;

export const HeaderFlags = {
  dirty: 0x1,
  wrapped: 0x2,
  logFull: 0x4,
  archive: 0x8,
} as const;

export interface EvtHeader {
  headerSize: number;
  majorVersion: number;
  minorVersion: number;
  /** Offset of the oldest record. */
  startOffset: number;
  /** Offset of the end-of-file record. */
  endOffset: number;
  /** Number the next record will get. */
  currentRecordNumber: number;
  /** Number of the oldest record (0 when the log is empty). */
  oldestRecordNumber: number;
  /** Configured maximum size (a registry value; the real ring size is the file size). */
  maxSize: number;
  flags: number;
  dirty: boolean;
  wrapped: boolean;
  logFull: boolean;
  archive: boolean;
  /** Retention in seconds (0 = overwrite as needed, 0xffffffff = never overwrite). */
  retention: number;
  endHeaderSize: number;
}

export interface EvtEofRecord {
  /** Where the EOF record was found. */
  offset: number;
  beginOffset: number;
  endOffset: number;
  currentRecordNumber: number;
  oldestRecordNumber: number;
}

/** Reads the header at offset 0, or returns the reason it is not one. */
export function parseEvtHeader(b: Uint8Array): EvtHeader | string {
  if (b.length < EVT_HEADER_SIZE) return `file is ${b.length} bytes, shorter than the 0x30-byte header`;
  const dv = new DataView(b.buffer, b.byteOffset, EVT_HEADER_SIZE);
  const u = (o: number) => dv.getUint32(o, true);
  if (u(4) !== EVT_SIGNATURE) return `no "LfLe" signature at offset 4 (found 0x${u(4).toString(16)})`;
  if (u(0) !== EVT_HEADER_SIZE) return `header size is 0x${u(0).toString(16)}, expected 0x30`;
  const flags = u(0x24);
  return {
    headerSize: u(0),
    majorVersion: u(0x08),
    minorVersion: u(0x0c),
    startOffset: u(0x10),
    endOffset: u(0x14),
    currentRecordNumber: u(0x18),
    oldestRecordNumber: u(0x1c),
    maxSize: u(0x20),
    flags,
    dirty: (flags & HeaderFlags.dirty) !== 0,
    wrapped: (flags & HeaderFlags.wrapped) !== 0,
    logFull: (flags & HeaderFlags.logFull) !== 0,
    archive: (flags & HeaderFlags.archive) !== 0,
    retention: u(0x28),
    endHeaderSize: u(0x2c),
  };
}

/** Reads an EOF record at `off` if the bytes there are one (both size fields and all four markers). */
export function parseEofRecordAt(b: Uint8Array, off: number): EvtEofRecord | null {
  if (off < 0 || off + EVT_EOF_SIZE > b.length) return null;
  const dv = new DataView(b.buffer, b.byteOffset + off, EVT_EOF_SIZE);
  const u = (o: number) => dv.getUint32(o, true);
  if (u(0) !== EVT_EOF_SIZE || u(0x24) !== EVT_EOF_SIZE) return null;
  if (u(4) !== 0x11111111 || u(8) !== 0x22222222 || u(12) !== 0x33333333 || u(16) !== 0x44444444) return null;
  return {
    offset: off,
    beginOffset: u(0x14),
    endOffset: u(0x18),
    currentRecordNumber: u(0x1c),
    oldestRecordNumber: u(0x20),
  };
}

/** Every EOF record in the bytes (a dirty or recycled file can hold stale ones besides the live one). */
export function findEofRecords(b: Uint8Array, limit = 1024): EvtEofRecord[] {
  const buf = asBuffer(b);
  const out: EvtEofRecord[] = [];
  let i = buf.indexOf(EVT_EOF_MARKER, 4);
  while (i >= 0 && out.length < limit) {
    const r = parseEofRecordAt(b, i - 4);
    if (r) out.push(r);
    i = buf.indexOf(EVT_EOF_MARKER, i + 4);
  }
  return out;
}

/** A Buffer view of the same memory (Buffer.indexOf is the fast native search), without copying. */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
