/**
 * Writes classic event-log structures from field values: the test and benchmark inputs are built from these, so
 * no real log needs to be committed. Independent of the reader (it does not import record.ts or parse.ts).
 */

export interface EvtRecordSpec {
  recordNumber: number;
  timeGenerated?: number;
  timeWritten?: number;
  eventIdentifier?: number;
  eventType?: number;
  category?: number;
  source?: string;
  computer?: string;
  /** "S-1-5-18" style. */
  sid?: string;
  strings?: string[];
  data?: Uint8Array;
}

function utf16z(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf16le');
}

export function sidBytes(sid: string): Buffer {
  const parts = sid.split('-');
  if (parts[0] !== 'S' || parts.length < 3) throw new Error(`not a SID: ${sid}`);
  const subs = parts.slice(3).map(Number);
  const b = Buffer.alloc(8 + subs.length * 4);
  b[0] = Number(parts[1]);
  b[1] = subs.length;
  b.writeUIntBE(Number(parts[2]), 2, 6);
  subs.forEach((v, i) => {
    b.writeUInt32LE(v, 8 + i * 4);
  });
  return b;
}

/** One EVENTLOGRECORD with its names, SID (4-aligned), strings, data, padding and trailing length copy. */
export function buildEvtRecord(s: EvtRecordSpec): Buffer {
  const names = Buffer.concat([utf16z(s.source ?? 'TestSource'), utf16z(s.computer ?? 'HOST')]);
  let p = 0x38 + names.length;
  const parts: Buffer[] = [names];
  let sidOff = 0;
  let sidLen = 0;
  if (s.sid) {
    const pad = (4 - (p & 3)) & 3;
    parts.push(Buffer.alloc(pad));
    p += pad;
    const sb = sidBytes(s.sid);
    sidOff = p;
    sidLen = sb.length;
    parts.push(sb);
    p += sb.length;
  }
  const strings = s.strings ?? [];
  const stringsOff = p;
  for (const str of strings) {
    const b = utf16z(str);
    parts.push(b);
    p += b.length;
  }
  const data = s.data ?? new Uint8Array(0);
  const dataOff = p;
  parts.push(Buffer.from(data));
  p += data.length;
  const pad = (4 - (p & 3)) & 3;
  parts.push(Buffer.alloc(pad));
  p += pad;
  const len = p + 4;
  const fixed = Buffer.alloc(0x38);
  fixed.writeUInt32LE(len, 0);
  fixed.write('LfLe', 4, 'latin1');
  fixed.writeUInt32LE(s.recordNumber, 0x08);
  fixed.writeUInt32LE(s.timeGenerated ?? 1_300_000_000 + s.recordNumber, 0x0c);
  fixed.writeUInt32LE(s.timeWritten ?? 1_300_000_000 + s.recordNumber, 0x10);
  fixed.writeUInt32LE((s.eventIdentifier ?? 7036) >>> 0, 0x14);
  fixed.writeUInt16LE(s.eventType ?? 4, 0x18);
  fixed.writeUInt16LE(strings.length, 0x1a);
  fixed.writeUInt16LE(s.category ?? 0, 0x1c);
  fixed.writeUInt32LE(stringsOff, 0x24);
  fixed.writeUInt32LE(sidLen, 0x28);
  fixed.writeUInt32LE(sidOff, 0x2c);
  fixed.writeUInt32LE(data.length, 0x30);
  fixed.writeUInt32LE(dataOff, 0x34);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(len, 0);
  return Buffer.concat([fixed, ...parts, tail]);
}

export interface EvtHeaderSpec {
  startOffset: number;
  endOffset: number;
  currentRecordNumber: number;
  oldestRecordNumber: number;
  maxSize: number;
  flags?: number;
  retention?: number;
}

export function buildEvtHeader(h: EvtHeaderSpec): Buffer {
  const b = Buffer.alloc(0x30);
  const v = [0x30, 0x654c664c, 1, 1, h.startOffset, h.endOffset, h.currentRecordNumber, h.oldestRecordNumber];
  v.forEach((x, i) => {
    b.writeUInt32LE(x >>> 0, i * 4);
  });
  b.writeUInt32LE(h.maxSize >>> 0, 0x20);
  b.writeUInt32LE(h.flags ?? 0, 0x24);
  b.writeUInt32LE(h.retention ?? 0, 0x28);
  b.writeUInt32LE(0x30, 0x2c);
  return b;
}

export function buildEofRecord(begin: number, end: number, current: number, oldest: number): Buffer {
  const b = Buffer.alloc(0x28);
  [0x28, 0x11111111, 0x22222222, 0x33333333, 0x44444444, begin, end, current, oldest, 0x28].forEach(
    (x, i) => {
      b.writeUInt32LE(x >>> 0, i * 4);
    },
  );
  return b;
}

export interface EvtLogLayout {
  file: Buffer;
  /** Where each record was written (its first byte). */
  offsets: number[];
  eofOffset: number;
}

/**
 * Lays records out as the service does: from `startOffset`, each after the previous, a record that does not fit
 * before `size` continuing right after the header; then the EOF record (never split: the space left at the end is
 * filled with 0x27 dwords when it cannot hold it). The header is written with the final offsets unless
 * `staleHeader` gives the values a dirty (not yet flushed) header would hold.
 */
export function buildEvtLog(opts: {
  size: number;
  startOffset?: number;
  records: Buffer[];
  firstNumber?: number;
  flags?: number;
  staleHeader?: Partial<EvtHeaderSpec>;
}): EvtLogLayout {
  const { size, records } = opts;
  const file = Buffer.alloc(size);
  const start = opts.startOffset ?? 0x30;
  const offsets: number[] = [];
  let pos = start;
  for (const r of records) {
    offsets.push(pos);
    const first = Math.min(r.length, size - pos);
    r.copy(file, pos, 0, first);
    if (first < r.length) {
      r.copy(file, 0x30, first);
      pos = 0x30 + (r.length - first);
    } else {
      pos += r.length;
      if (pos === size) pos = 0x30;
    }
  }
  if (size - pos < 0x28) {
    for (let p = pos; p + 4 <= size; p += 4) file.writeUInt32LE(0x27, p);
    pos = 0x30;
  }
  const first = opts.firstNumber ?? 1;
  const current = first + records.length;
  buildEofRecord(start, pos, current, first).copy(file, pos);
  const header: EvtHeaderSpec = {
    startOffset: start,
    endOffset: pos,
    currentRecordNumber: current,
    oldestRecordNumber: first,
    maxSize: size,
    flags: opts.flags ?? 0,
    ...opts.staleHeader,
  };
  buildEvtHeader(header).copy(file, 0);
  return { file, offsets, eofOffset: pos };
}
