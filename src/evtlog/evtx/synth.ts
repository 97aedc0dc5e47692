import { crc32 } from '../../util/crc32.js';
import { CHUNK_HEADER_SIZE, CHUNK_SIZE, chunkDataCrc, chunkHeaderCrc, FILE_HEADER_SIZE } from './layout.js';
import { VT } from './nodes.js';

/**
 * Writes small, valid EVTX bytes for tests (parser, carving, repair): one template per chunk, defined inline in the
 * chunk's first record and referenced by offset afterwards, with inline names, as Windows writes them.
 */

export interface SynthEvent {
  recordId: number;
  /** Milliseconds since 1970. */
  time: number;
  provider: string;
  eventId: number;
  computer: string;
  message: string;
  /** String array rendered as several <Data Name="Item"> elements. */
  items?: string[];
  /** Optional UserID: omitted (null substitution) when absent. */
  sid?: string;
}

/** Little-endian Binary XML writer that knows the chunk offset it writes at (inline names need it). */
export class W {
  readonly b: number[] = [];
  constructor(private readonly base: number) {}
  get pos(): number {
    return this.base + this.b.length;
  }
  u8(v: number) {
    this.b.push(v & 0xff);
  }
  u16(v: number) {
    this.u8(v);
    this.u8(v >>> 8);
  }
  u32(v: number) {
    this.u16(v & 0xffff);
    this.u16(v >>> 16);
  }
  u64(v: number) {
    this.u32(v % 4294967296);
    this.u32(Math.floor(v / 4294967296));
  }
  utf16(s: string) {
    for (let i = 0; i < s.length; i++) this.u16(s.charCodeAt(i));
  }
  bytes(a: ArrayLike<number>) {
    for (let i = 0; i < a.length; i++) this.u8(a[i]!);
  }
  /** Name offset pointing just past itself, then the name structure inline. */
  inlineName(name: string) {
    this.u32(this.pos + 4);
    this.u32(0);
    this.u16(0);
    this.u16(name.length);
    this.utf16(name);
    this.u16(0);
  }
  open(name: string, attrs: boolean) {
    this.u8(attrs ? 0x41 : 0x01);
    this.u16(0xffff);
    this.u32(0);
    this.inlineName(name);
    if (attrs) this.u32(0);
  }
  attr(name: string, more: boolean) {
    this.u8(more ? 0x46 : 0x06);
    this.inlineName(name);
  }
  subst(i: number, type: number, optional = false) {
    this.u8(optional ? 0x0e : 0x0d);
    this.u16(i);
    this.u8(type);
  }
  text(s: string) {
    this.u8(0x05);
    this.u8(0x01);
    this.u16(s.length);
    this.utf16(s);
  }
  cdata(s: string) {
    this.u8(0x07);
    this.u16(s.length);
    this.utf16(s);
  }
  charRef(c: number) {
    this.u8(0x08);
    this.u16(c);
  }
  entityRef(name: string) {
    this.u8(0x09);
    this.inlineName(name);
  }
  pi(target: string, data: string) {
    this.u8(0x0a);
    this.inlineName(target);
    this.u8(0x0b);
    this.u16(data.length);
    this.utf16(data);
  }
}

const TEMPLATE_GUID = [
  0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
];

/** Template body: substitutions 0 provider, 1 event id, 2 time, 3 record id, 4 computer, 5 message, 6 items, 7 sid. */
function writeTemplateBody(w: W): void {
  w.bytes([0x0f, 0x01, 0x01, 0x00]);
  w.open('Event', true);
  w.attr('xmlns', false);
  w.text('http://schemas.microsoft.com/win/2004/08/events/event');
  w.u8(0x02);
  w.open('System', false);
  w.u8(0x02);
  w.open('Provider', true);
  w.attr('Name', false);
  w.subst(0, VT.String);
  w.u8(0x03);
  w.open('EventID', false);
  w.u8(0x02);
  w.subst(1, VT.UInt16);
  w.u8(0x04);
  w.open('TimeCreated', true);
  w.attr('SystemTime', false);
  w.subst(2, VT.FileTime);
  w.u8(0x03);
  w.open('EventRecordID', false);
  w.u8(0x02);
  w.subst(3, VT.UInt64);
  w.u8(0x04);
  w.open('Computer', false);
  w.u8(0x02);
  w.subst(4, VT.String);
  w.u8(0x04);
  w.open('Security', true);
  w.attr('UserID', false);
  w.subst(7, VT.Sid, true);
  w.u8(0x03);
  w.u8(0x04); // </System>
  w.open('EventData', false);
  w.u8(0x02);
  w.open('Data', true);
  w.attr('Name', false);
  w.text('Message');
  w.u8(0x02);
  w.subst(5, VT.String);
  w.u8(0x04);
  w.open('Data', true);
  w.attr('Name', false);
  w.text('Item');
  w.u8(0x02);
  w.subst(6, VT.String | 0x80, true);
  w.u8(0x04);
  w.u8(0x04); // </EventData>
  w.u8(0x04); // </Event>
  w.u8(0x00);
}

function filetime(ms: number): [number, number] {
  const ticks = ms * 10_000 + 116_444_736_000_000_000;
  const hi = Math.floor(ticks / 4294967296);
  return [ticks - hi * 4294967296, hi];
}

function sidBytes(s: string): number[] {
  const parts = s.split('-').slice(1).map(Number);
  const out = [parts[0]!, parts.length - 2, 0, 0, 0, 0, 0, parts[1]!];
  for (const sub of parts.slice(2)) out.push(sub & 0xff, (sub >>> 8) & 0xff, (sub >>> 16) & 0xff, sub >>> 24);
  return out;
}

/** One record at chunk offset `at`; `templateAt` is where the template was defined (or -1 to define it here). */
function writeRecord(e: SynthEvent, at: number, templateAt: number): { bytes: number[]; templateAt: number } {
  const w = new W(at);
  w.u32(0x2a2a);
  w.u32(0); // size, patched below
  w.u64(e.recordId);
  const [lo, hi] = filetime(e.time);
  w.u32(lo);
  w.u32(hi);
  w.bytes([0x0f, 0x01, 0x01, 0x00]);
  w.u8(0x0c);
  w.u8(0x01);
  w.u32(0x44332211);
  if (templateAt < 0) {
    templateAt = w.pos + 4;
    w.u32(templateAt);
    w.u32(0);
    w.bytes(TEMPLATE_GUID);
    const body = new W(w.pos + 4);
    writeTemplateBody(body);
    w.u32(body.b.length);
    w.bytes(body.b);
  } else w.u32(templateAt);
  const values: [number, number[]][] = [];
  const str = (s: string) => {
    const v = new W(0);
    v.utf16(s);
    return v.b;
  };
  const num = (n: number, size: number) => {
    const v = new W(0);
    if (size === 2) v.u16(n);
    else v.u64(n);
    return v.b;
  };
  values.push([VT.String, str(e.provider)]);
  values.push([VT.UInt16, num(e.eventId, 2)]);
  const t = new W(0);
  t.u32(lo);
  t.u32(hi);
  values.push([VT.FileTime, t.b]);
  values.push([VT.UInt64, num(e.recordId, 8)]);
  values.push([VT.String, str(e.computer)]);
  values.push([VT.String, str(e.message)]);
  values.push(e.items ? [VT.String | 0x80, str(e.items.map((s) => `${s}\0`).join(''))] : [VT.Null, []]);
  values.push(e.sid ? [VT.Sid, sidBytes(e.sid)] : [VT.Null, []]);
  w.u32(values.length);
  for (const [type, v] of values) {
    w.u16(v.length);
    w.u8(type);
    w.u8(0);
  }
  for (const [, v] of values) w.bytes(v);
  w.u8(0x00);
  w.u32(w.b.length + 4);
  const size = w.b.length;
  w.b[4] = size & 0xff;
  w.b[5] = (size >>> 8) & 0xff;
  w.b[6] = (size >>> 16) & 0xff;
  w.b[7] = size >>> 24;
  return { bytes: w.b, templateAt };
}

/** A 64 KiB chunk holding `events` (they must fit), with valid CRCs. */
export function synthChunk(events: SynthEvent[]): Uint8Array {
  const c = new Uint8Array(CHUNK_SIZE);
  const dv = new DataView(c.buffer);
  c.set(new TextEncoder().encode('ElfChnk\0'), 0);
  let off = CHUNK_HEADER_SIZE;
  let templateAt = -1;
  let last = off;
  for (const e of events) {
    const r = writeRecord(e, off, templateAt);
    templateAt = r.templateAt;
    if (off + r.bytes.length > CHUNK_SIZE) throw new Error('synthetic events do not fit in one chunk');
    c.set(r.bytes, off);
    last = off;
    off += r.bytes.length;
  }
  const first = events[0]?.recordId ?? 0;
  const lastId = events[events.length - 1]?.recordId ?? 0;
  const put64 = (o: number, v: number) => {
    dv.setUint32(o, v % 4294967296, true);
    dv.setUint32(o + 4, Math.floor(v / 4294967296), true);
  };
  put64(8, first);
  put64(16, lastId);
  put64(24, first);
  put64(32, lastId);
  dv.setUint32(40, 128, true);
  dv.setUint32(44, last, true);
  dv.setUint32(48, off, true);
  dv.setUint32(52, chunkDataCrc(c, off), true);
  dv.setUint32(124, chunkHeaderCrc(c), true);
  return c;
}

/** A whole file: header (with CRC) and the given chunks. */
export function synthFile(chunks: Uint8Array[], nextRecordId: number): Uint8Array {
  const f = new Uint8Array(FILE_HEADER_SIZE + chunks.length * CHUNK_SIZE);
  const dv = new DataView(f.buffer);
  f.set(new TextEncoder().encode('ElfFile\0'), 0);
  dv.setUint32(16, Math.max(0, chunks.length - 1), true);
  dv.setUint32(24, nextRecordId, true);
  dv.setUint32(32, 128, true);
  dv.setUint16(36, 1, true);
  dv.setUint16(38, 3, true);
  dv.setUint16(40, FILE_HEADER_SIZE, true);
  dv.setUint16(42, chunks.length, true);
  dv.setUint32(124, crc32(f.subarray(0, 120)), true);
  for (let i = 0; i < chunks.length; i++) f.set(chunks[i]!, FILE_HEADER_SIZE + i * CHUNK_SIZE);
  return f;
}

export function synthEvents(firstId: number, n: number): SynthEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    recordId: firstId + i,
    time: Date.UTC(2024, 0, 2, 3, 4, 5) + i * 1000,
    provider: 'Memdig-Test',
    eventId: 4624 + (i % 3),
    computer: 'HOST-1',
    message: `event ${firstId + i} <&> "quoted"`,
    items: i % 2 ? ['a', 'b'] : undefined,
    sid: i % 3 === 0 ? 'S-1-5-21-1-2-3-500' : undefined,
  }));
}
