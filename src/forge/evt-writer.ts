/**
 * A small writer of valid Windows XP/2003 EVT logs (ELF_LOGFILE_HEADER, EVENTLOGRECORDs, ELF_EOF_RECORD), used
 * when the shared corpus is absent so the demo still has real-shaped event logs to recover.
 */
import type { Rng } from './rng.js';

const SIG = 0x654c664c; // "LfLe"

function utf16z(s: string): Uint8Array {
  const b = new Uint8Array((s.length + 1) * 2);
  for (let i = 0; i < s.length; i++) {
    b[i * 2] = s.charCodeAt(i) & 0xff;
    b[i * 2 + 1] = s.charCodeAt(i) >> 8;
  }
  return b;
}

export interface EvtSpec {
  records: number;
  maxSize: number;
  computer: string;
  source: string;
}

/** Base time of generated records: 2008-04-14 00:00:00 UTC (POSIX seconds). */
const BASE_TIME = 1208131200;

export function buildEvt(spec: EvtSpec, rng: Rng): Uint8Array {
  const out = new Uint8Array(spec.maxSize);
  const dv = new DataView(out.buffer);
  let off = 0x30;
  let n = 0;
  for (let i = 0; i < spec.records; i++) {
    const strings = [`memdig forge event ${i + 1}`, `value=${rng.u32().toString(16)}`];
    const parts = [utf16z(spec.source), utf16z(spec.computer)];
    const strBytes = strings.map(utf16z);
    const data = new Uint8Array(rng.int(17));
    rng.fill(data);
    let len = 0x38 + parts[0]!.length + parts[1]!.length;
    const stringOffset = len;
    for (const s of strBytes) len += s.length;
    const dataOffset = len;
    len += data.length;
    len = Math.ceil(len / 4) * 4 + 4;
    if (off + len + 0x28 > spec.maxSize) break;
    const t = BASE_TIME + i * 60 + rng.int(30);
    dv.setUint32(off, len, true);
    dv.setUint32(off + 4, SIG, true);
    dv.setUint32(off + 8, i + 1, true);
    dv.setUint32(off + 0x0c, t, true);
    dv.setUint32(off + 0x10, t, true);
    dv.setUint32(off + 0x14, 7000 + rng.int(100), true);
    dv.setUint16(off + 0x18, [1, 2, 4, 8, 16][rng.int(5)]!, true);
    dv.setUint16(off + 0x1a, strings.length, true);
    dv.setUint16(off + 0x1c, 0, true);
    dv.setUint32(off + 0x24, stringOffset, true);
    dv.setUint32(off + 0x2c, stringOffset, true);
    dv.setUint32(off + 0x30, data.length, true);
    dv.setUint32(off + 0x34, dataOffset, true);
    let p = off + 0x38;
    for (const b of [...parts, ...strBytes, data]) {
      out.set(b, p);
      p += b.length;
    }
    dv.setUint32(off + len - 4, len, true);
    off += len;
    n++;
  }
  const eof = off;
  dv.setUint32(eof, 0x28, true);
  dv.setUint32(eof + 4, 0x11111111, true);
  dv.setUint32(eof + 8, 0x22222222, true);
  dv.setUint32(eof + 12, 0x33333333, true);
  dv.setUint32(eof + 16, 0x44444444, true);
  dv.setUint32(eof + 20, 0x30, true);
  dv.setUint32(eof + 24, eof, true);
  dv.setUint32(eof + 28, n + 1, true);
  dv.setUint32(eof + 32, n > 0 ? 1 : 0, true);
  dv.setUint32(eof + 36, 0x28, true);
  dv.setUint32(0, 0x30, true);
  dv.setUint32(4, SIG, true);
  dv.setUint32(8, 1, true);
  dv.setUint32(12, 1, true);
  dv.setUint32(0x10, 0x30, true);
  dv.setUint32(0x14, eof, true);
  dv.setUint32(0x18, n + 1, true);
  dv.setUint32(0x1c, n > 0 ? 1 : 0, true);
  dv.setUint32(0x20, spec.maxSize, true);
  dv.setUint32(0x24, 0, true);
  dv.setUint32(0x28, 604800, true);
  dv.setUint32(0x2c, 0x30, true);
  return out;
}
