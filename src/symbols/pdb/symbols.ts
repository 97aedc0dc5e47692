import type { Warnings } from '../../util/errors.js';
import { Cursor } from './cursor.js';
import { S } from './leaves.js';

export interface SymbolRecord {
  kind: 'public' | 'data' | 'proc';
  name: string;
  segment: number;
  offset: number;
  /** Type index, 0 when the record has none (publics). */
  type: number;
  /** Public flags: bit 1 = code, bit 2 = function. */
  flags: number;
  global: boolean;
}

/** A reference from the global symbol stream to a procedure record inside a module's symbol stream. */
export interface ProcRef {
  name: string;
  module: number;
  offset: number;
  global: boolean;
}

/**
 * Walks a symbol record stream (u16 length, u16 kind, payload) and keeps what locates a global: publics, global and
 * file-static data, and references to procedures. Records that are too short for their kind are reported and skipped.
 */
export function readSymbolRecords(
  data: Uint8Array,
  what: string,
  warnings: Warnings,
  procRefs?: ProcRef[],
): SymbolRecord[] {
  const out: SymbolRecord[] = [];
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  while (pos + 4 <= data.length) {
    const len = dv.getUint16(pos, true);
    if (len < 2) break; // zero padding at the end of the stream
    const end = pos + 2 + len;
    if (end > data.length) {
      warnings.add(`${what}: symbol record at 0x${pos.toString(16)} runs past the stream; rest ignored`);
      break;
    }
    const kind = dv.getUint16(pos + 2, true);
    try {
      const r = parseRecord(data, kind, pos, end, what, procRefs);
      if (r) out.push(r);
    } catch (e) {
      warnings.add(`${what}: ${(e as Error).message}`);
    }
    pos = end;
  }
  return out;
}

/** Parses one record that starts at `pos` (its length field) and ends at `end`. */
export function parseRecord(
  data: Uint8Array,
  kind: number,
  pos: number,
  end: number,
  what: string,
  procRefs?: ProcRef[],
): SymbolRecord | null {
  const c = new Cursor(data, `${what} record 0x${kind.toString(16)}`, pos + 4, end);
  switch (kind) {
    case S.PUB32: {
      const flags = c.u32();
      const offset = c.u32();
      const segment = c.u16();
      return { kind: 'public', name: c.cstring(), segment, offset, type: 0, flags, global: true };
    }
    case S.GDATA32:
    case S.LDATA32: {
      const type = c.u32();
      const offset = c.u32();
      const segment = c.u16();
      return { kind: 'data', name: c.cstring(), segment, offset, type, flags: 0, global: kind === S.GDATA32 };
    }
    case S.GPROC32:
    case S.LPROC32:
    case S.GPROC32_ID:
    case S.LPROC32_ID: {
      c.skip(24); // parent, end, next, length, debug start, debug end
      const t = c.u32();
      const offset = c.u32();
      const segment = c.u16();
      c.u8();
      // The _ID forms hold an IPI item, not a TPI type: no type for them.
      const type = kind === S.GPROC32 || kind === S.LPROC32 ? t : 0;
      const global = kind === S.GPROC32 || kind === S.GPROC32_ID;
      return { kind: 'proc', name: c.cstring(), segment, offset, type, flags: 0, global };
    }
    case S.PROCREF:
    case S.LPROCREF: {
      c.u32(); // checksum of the name
      const offset = c.u32();
      const module = c.u16();
      const name = c.cstring();
      procRefs?.push({ name, module, offset, global: kind === S.PROCREF });
      return null;
    }
    default:
      return null;
  }
}
