import { EVT_RECORD_FIXED_SIZE, EVT_RECORD_MIN_SIZE, EVT_SIGNATURE, SID_MAX_SIZE } from './format.js';
import { sidToString } from './sid.js';

/** Event types (EVENTLOGRECORD.EventType); 0 is EVENTLOG_SUCCESS. */
export const EventTypeNames: Readonly<Record<number, string>> = {
  0: 'success',
  1: 'error',
  2: 'warning',
  4: 'information',
  8: 'audit_success',
  16: 'audit_failure',
};

export function eventTypeName(t: number): string {
  return EventTypeNames[t] ?? `0x${t.toString(16)}`;
}

export interface EvtRecord {
  /** Where the record starts: file offset, or base offset + position for carved records. */
  offset: number;
  length: number;
  recordNumber: number;
  /** POSIX seconds, UTC. */
  timeGenerated: number;
  timeWritten: number;
  /** The stored 32-bit value with severity, customer and facility bits (libevt's "event identifier"). */
  eventIdentifier: number;
  /** Low 16 bits: the Event ID that Event Viewer shows. */
  eventId: number;
  /** Bits 30-31: 0 success, 1 informational, 2 warning, 3 error. */
  severity: number;
  customer: boolean;
  facility: number;
  eventType: number;
  numberOfStrings: number;
  category: number;
  reservedFlags: number;
  closingRecordNumber: number;
  stringsOffset: number;
  userSidLength: number;
  userSidOffset: number;
  dataLength: number;
  dataOffset: number;
  sourceName: string;
  computerName: string;
  /** S-1-… or null when the record has no (readable) user SID. */
  sid: string | null;
  strings: string[];
  data: Uint8Array;
  /** Found in slack (outside the live start..end ring), not among the log's current records. */
  recovered: boolean;
  /** Split at the end of the file, its tail continuing right after the header. */
  wrapped: boolean;
  /** False when the trailing length copy does not match (truncated or partly overwritten): fields best effort. */
  complete: boolean;
  /** Some of its bytes were missing from the source (pages not recovered, zero-filled): fields may be wrong. */
  missingBytes: boolean;
  /** What was wrong with the fields (offsets outside the record, unterminated strings, …). */
  problems: readonly string[];
}

/** How one record's bytes are laid out in memory: `b[o .. o+len)` (possibly shorter when incomplete). */
export interface RecordBytes {
  buf: Buffer;
  dv: DataView;
  o: number;
}

/**
 * Length of a plausible record starting at `o`: signature, 4-aligned length between the minimum and `maxLen`,
 * inside the bytes, and the trailing copy equal to the length. Returns 0 when any of these fails.
 */
export function wholeRecordLengthAt(buf: Uint8Array, dv: DataView, o: number, maxLen: number): number {
  if (o < 0 || o + EVT_RECORD_FIXED_SIZE > buf.length) return 0;
  if (dv.getUint32(o + 4, true) !== EVT_SIGNATURE) return 0;
  const len = dv.getUint32(o, true);
  if (len < EVT_RECORD_MIN_SIZE || len > maxLen || (len & 3) !== 0 || o + len > buf.length) return 0;
  if (dv.getUint32(o + len - 4, true) !== len) return 0;
  return len;
}

/**
 * The variable-part offsets that a real record always keeps inside itself: a SID of at most 68 bytes, data and
 * strings areas inside the record. Returns the first problem or null. (libevt notes offsets may point outside the
 * record when the matching size is 0; those are ignored, not errors.)
 */
export function fieldProblem(dv: DataView, o: number, len: number): string | null {
  const end = len - 4;
  const numStrings = dv.getUint16(o + 0x1a, true);
  const stringsOff = dv.getUint32(o + 0x24, true);
  const sidLen = dv.getUint32(o + 0x28, true);
  const sidOff = dv.getUint32(o + 0x2c, true);
  const dataLen = dv.getUint32(o + 0x30, true);
  const dataOff = dv.getUint32(o + 0x34, true);
  if (sidLen !== 0) {
    if (sidLen < 8 || sidLen > SID_MAX_SIZE) return `user SID size ${sidLen} (a SID is 8..68 bytes)`;
    if (sidOff < EVT_RECORD_FIXED_SIZE || sidOff + sidLen > end)
      return `user SID at 0x${sidOff.toString(16)}+${sidLen} outside the record (length 0x${len.toString(16)})`;
  }
  if (dataLen !== 0 && (dataOff < EVT_RECORD_FIXED_SIZE || dataOff + dataLen > end))
    return `data at 0x${dataOff.toString(16)}+${dataLen} outside the record (length 0x${len.toString(16)})`;
  if (numStrings !== 0 && (stringsOff < EVT_RECORD_FIXED_SIZE || stringsOff > end))
    return `strings offset 0x${stringsOff.toString(16)} outside the record (length 0x${len.toString(16)})`;
  return null;
}

/**
 * Remembers the last string decoded in one role (source name, computer name): consecutive records almost always
 * repeat them, and comparing a few bytes is much cheaper than decoding and keeping a new string per record.
 */
class RepeatCache {
  private readonly bytes = new Uint8Array(512);
  private len = -1;
  private str = '';

  decode(b: Buffer, start: number, end: number): string {
    const n = end - start;
    if (n === this.len) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (b[start + i] !== this.bytes[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.str;
    }
    const s = b.toString('utf16le', start, end);
    if (n <= this.bytes.length) {
      this.bytes.set(b.subarray(start, end));
      this.len = n;
      this.str = s;
    }
    return s;
  }
}

const sourceCache = new RepeatCache();
const computerCache = new RepeatCache();

/** Index of the UTF-16 NUL terminator at or after `from` (2-byte steps) before `end`, or -1. */
function utf16End(b: Uint8Array, from: number, end: number): number {
  for (let i = from; i + 1 < end; i += 2) if (b[i] === 0 && b[i + 1] === 0) return i;
  return -1;
}

export interface DecodeFlags {
  recovered: boolean;
  wrapped: boolean;
  /** Trailing length copy verified. */
  complete: boolean;
}

/**
 * Decodes a record whose fixed part is at `r.o` and whose bytes run to `r.o + avail` (avail = length for a whole
 * record; less when incomplete). Every offset is checked against what is there; problems go into the record.
 */
export function decodeRecord(r: RecordBytes, avail: number, offset: number, flags: DecodeFlags): EvtRecord {
  const { buf, dv, o } = r;
  const length = dv.getUint32(o, true);
  const problems: string[] = [];
  // Bytes we may read: the record minus its trailing copy, clipped to what is actually present.
  const end = Math.min(length - 4, avail);
  const eventIdentifier = dv.getUint32(o + 0x14, true);
  const numberOfStrings = dv.getUint16(o + 0x1a, true);
  const stringsOffset = dv.getUint32(o + 0x24, true);
  const userSidLength = dv.getUint32(o + 0x28, true);
  const userSidOffset = dv.getUint32(o + 0x2c, true);
  const dataLength = dv.getUint32(o + 0x30, true);
  const dataOffset = dv.getUint32(o + 0x34, true);

  // Source and computer names sit between the fixed part and the first of SID / strings / data.
  let namesEnd = end;
  if (userSidLength && userSidOffset >= EVT_RECORD_FIXED_SIZE) namesEnd = Math.min(namesEnd, userSidOffset);
  if (numberOfStrings && stringsOffset >= EVT_RECORD_FIXED_SIZE) namesEnd = Math.min(namesEnd, stringsOffset);
  if (dataLength && dataOffset >= EVT_RECORD_FIXED_SIZE) namesEnd = Math.min(namesEnd, dataOffset);
  let sourceName = '';
  let computerName = '';
  let p = EVT_RECORD_FIXED_SIZE;
  let z = utf16End(buf, o + p, o + namesEnd);
  if (z < 0) problems.push('source name is not NUL-terminated inside the record');
  else {
    sourceName = sourceCache.decode(buf, o + p, z);
    p = z - o + 2;
    z = utf16End(buf, o + p, o + namesEnd);
    if (z < 0) problems.push('computer name is not NUL-terminated inside the record');
    else computerName = computerCache.decode(buf, o + p, z);
  }

  let sid: string | null = null;
  if (userSidLength) {
    if (userSidOffset < EVT_RECORD_FIXED_SIZE || userSidOffset + userSidLength > end)
      problems.push(`user SID at 0x${userSidOffset.toString(16)}+${userSidLength} outside the record`);
    else {
      sid = sidToString(buf, o + userSidOffset, userSidLength);
      if (!sid) problems.push(`user SID at 0x${userSidOffset.toString(16)} is not a valid SID`);
    }
  }

  const strings: string[] = [];
  if (numberOfStrings) {
    if (stringsOffset < EVT_RECORD_FIXED_SIZE || stringsOffset >= end)
      problems.push(`strings offset 0x${stringsOffset.toString(16)} outside the record`);
    else {
      // Strings end where the data begins when the data follows them, else at the trailing length copy.
      let sEnd = end;
      if (dataLength && dataOffset > stringsOffset && dataOffset < sEnd) sEnd = dataOffset;
      let q = o + stringsOffset;
      for (let i = 0; i < numberOfStrings; i++) {
        const e = utf16End(buf, q, o + sEnd);
        if (e < 0) {
          // Truncated strings data (libevt): keep what is there, drop the rest.
          if (q + 1 < o + sEnd) strings.push(buf.toString('utf16le', q, o + sEnd - ((o + sEnd - q) & 1)));
          problems.push(`strings truncated: ${strings.length} of ${numberOfStrings} readable`);
          break;
        }
        strings.push(buf.toString('utf16le', q, e));
        q = e + 2;
      }
    }
  }

  let data: Uint8Array = EMPTY;
  if (dataLength) {
    if (dataOffset < EVT_RECORD_FIXED_SIZE || dataOffset + dataLength > end)
      problems.push(`data at 0x${dataOffset.toString(16)}+${dataLength} outside the record`);
    else data = buf.subarray(o + dataOffset, o + dataOffset + dataLength);
  }
  if (!flags.complete) problems.push('trailing length copy does not match: record truncated or overwritten');

  return {
    offset,
    length,
    recordNumber: dv.getUint32(o + 0x08, true),
    timeGenerated: dv.getUint32(o + 0x0c, true),
    timeWritten: dv.getUint32(o + 0x10, true),
    eventIdentifier,
    eventId: eventIdentifier & 0xffff,
    severity: eventIdentifier >>> 30,
    customer: ((eventIdentifier >>> 29) & 1) === 1,
    facility: (eventIdentifier >>> 16) & 0xfff,
    eventType: dv.getUint16(o + 0x18, true),
    numberOfStrings,
    category: dv.getUint16(o + 0x1c, true),
    reservedFlags: dv.getUint16(o + 0x1e, true),
    closingRecordNumber: dv.getUint32(o + 0x20, true),
    stringsOffset,
    userSidLength,
    userSidOffset,
    dataLength,
    dataOffset,
    sourceName,
    computerName,
    sid,
    strings,
    data,
    recovered: flags.recovered,
    wrapped: flags.wrapped,
    complete: flags.complete,
    missingBytes: false,
    problems: problems.length ? problems : NO_PROBLEMS,
  };
}

const EMPTY = new Uint8Array(0);
/** Shared by every record without problems: most records, so one array fewer to keep per record. */
const NO_PROBLEMS: readonly string[] = Object.freeze([]);

/** POSIX seconds → ISO 8601 UTC without milliseconds. */
export function posixToIso(t: number): string {
  return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}
