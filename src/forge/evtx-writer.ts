/**
 * A small writer of structurally valid EVTX logs: file header and 64 KiB chunks with correct CRC32s, each record a
 * minimal binary-XML fragment (<Event>text</Event> with an inline name). Used when the shared corpus is absent.
 */
import type { Rng } from './rng.js';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32(b: Uint8Array, start = 0, end = b.length, seed = 0): number {
  let c = ~seed >>> 0;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

export interface EvtxSpec {
  chunks: number;
  computer: string;
  channel: string;
}

const CHUNK = 0x10000;
/** 2020-01-01T00:00:00Z as FILETIME seconds offset base. */
const BASE_FILETIME_S = 13222310400;

function utf16(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0xff, s.charCodeAt(i) >> 8);
  return out;
}

function u16(v: number): number[] {
  return [v & 0xff, (v >> 8) & 0xff];
}
function u32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
}

/**
 * Binary XML for one record: fragment header, a template instance whose definition follows inline (template
 * <Event>%1</Event>: element with its name inline, substitution 0 of type string), the substitution array with the record's text, and end of stream. `at` is the chunk-relative offset where this binary XML starts.
 */
function binXml(at: number, text: string, templateId: number): number[] {
  const name = 'Event';
  const nameStruct = [...u32(0), ...u16(0), ...u16(name.length), ...utf16(name), 0, 0];
  // Element inside the template: after its size field come name offset, name, close-start, substitution, end.
  const elemAfterSize = 4 + nameStruct.length + 1 + 4 + 1;
  const defAt = at + 4 + 10; // fragment header + template instance header
  const dataAt = defAt + 24; // template definition header
  const elemNameOffset = dataAt + 4 + 1 + 2 + 4 + 4;
  const tmplData = [
    0x0f,
    0x01,
    0x01,
    0x00,
    0x01,
    ...u16(0xffff),
    ...u32(elemAfterSize),
    ...u32(elemNameOffset),
    ...nameStruct,
    0x02,
    0x0d,
    ...u16(0),
    0x01,
    0x04,
    0x00,
  ];
  const guid = [...u32(templateId), 0x4d, 0x44, 0x46, 0x47, 0x66, 0x6f, 0x72, 0x67, 0x65, 0x65, 0x76, 0x74];
  const value = utf16(text);
  return [
    0x0f,
    0x01,
    0x01,
    0x00,
    0x0c,
    0x01,
    ...u32(templateId),
    ...u32(defAt),
    ...u32(0),
    ...guid,
    ...u32(tmplData.length),
    ...tmplData,
    ...u32(1),
    ...u16(value.length),
    0x01,
    0x00,
    ...value,
    0x00,
  ];
}

export function buildEvtx(spec: EvtxSpec, rng: Rng): Uint8Array {
  const out = new Uint8Array(0x1000 + spec.chunks * CHUNK);
  const dv = new DataView(out.buffer);
  let recordId = 1;
  for (let c = 0; c < spec.chunks; c++) {
    const base = 0x1000 + c * CHUNK;
    const first = recordId;
    let off = 512;
    let last = 0;
    for (;;) {
      const text = `${spec.channel} record ${recordId} on ${spec.computer} #${rng.u32().toString(16)}`;
      const body = binXml(off + 24, text, 0x4d440000 + c);
      const size = Math.ceil((24 + body.length + 4) / 8) * 8;
      if (off + size > CHUNK) break;
      const r = base + off;
      dv.setUint32(r, 0x00002a2a, true);
      dv.setUint32(r + 4, size, true);
      dv.setUint32(r + 8, recordId, true);
      const secs = BASE_FILETIME_S + recordId * 30;
      const ft = secs * 1e7;
      dv.setUint32(r + 16, (ft % 0x100000000) >>> 0, true);
      dv.setUint32(r + 20, Math.floor(ft / 0x100000000), true);
      out.set(body, r + 24);
      dv.setUint32(r + size - 4, size, true);
      last = off;
      off += size;
      recordId++;
      if (recordId - first >= 40) break;
    }
    out.set([0x45, 0x6c, 0x66, 0x43, 0x68, 0x6e, 0x6b, 0x00], base);
    dv.setUint32(base + 8, first, true);
    dv.setUint32(base + 16, recordId - 1, true);
    dv.setUint32(base + 24, first, true);
    dv.setUint32(base + 32, recordId - 1, true);
    dv.setUint32(base + 40, 128, true);
    dv.setUint32(base + 44, last, true);
    dv.setUint32(base + 48, off, true);
    dv.setUint32(base + 52, crc32(out, base + 512, base + off), true);
    const h = crc32(out, base + 128, base + 512, crc32(out, base, base + 120));
    dv.setUint32(base + 124, h, true);
  }
  out.set([0x45, 0x6c, 0x66, 0x46, 0x69, 0x6c, 0x65, 0x00], 0);
  dv.setUint32(8, 0, true);
  dv.setUint32(16, spec.chunks - 1, true);
  dv.setUint32(24, recordId, true);
  dv.setUint32(32, 128, true);
  dv.setUint16(36, 1, true);
  dv.setUint16(38, 3, true);
  dv.setUint16(40, 0x1000, true);
  dv.setUint16(42, spec.chunks, true);
  dv.setUint32(124, crc32(out, 0, 120), true);
  return out;
}
