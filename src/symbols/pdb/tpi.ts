import { FormatError } from '../../util/errors.js';
import { Cursor } from './cursor.js';
import { LF, LF_ST_MAX, PROP_FWDREF, PROP_HAS_UNIQUE_NAME } from './leaves.js';

export const TYPE_INDEX_BEGIN = 0x1000;
const TPI_HEADER_MIN = 56;
/** MSVC writes 0x1000; no toolchain has a bigger first index, and a bogus one would skew every lookup. */
const MAX_TYPE_RECORDS = 1 << 24;

export type UdtKind = 'struct' | 'class' | 'union' | 'interface';

export type TypeRecord =
  | {
      t: 'udt';
      udt: UdtKind;
      props: number;
      fieldList: number;
      size: number;
      name: string;
      uniqueName: string | null;
    }
  | {
      t: 'enum';
      props: number;
      underlying: number;
      fieldList: number;
      name: string;
      uniqueName: string | null;
    }
  | { t: 'pointer'; referent: number; attrs: number; size: number; mode: number; ptrKind: number }
  | { t: 'modifier'; referent: number; mods: number }
  | { t: 'array'; element: number; indexType: number; size: number; name: string }
  | { t: 'bitfield'; type: number; length: number; position: number }
  | { t: 'procedure'; returnType: number; argList: number; member: boolean }
  | { t: 'arglist'; args: number[] }
  | { t: 'fieldlist'; fields: FieldRecord[] }
  | { t: 'other'; kind: number };

export type FieldRecord =
  | { f: 'member'; name: string; type: number; offset: number; attr: number }
  | { f: 'static'; name: string; type: number }
  | { f: 'base'; type: number; offset: number; virtual: boolean }
  | { f: 'enumerate'; name: string; value: number }
  | { f: 'nested'; name: string; type: number }
  | { f: 'index'; type: number }
  | { f: 'method'; name: string }
  | { f: 'vfunctab'; type: number };

export interface TpiHeader {
  version: number;
  headerSize: number;
  typeIndexBegin: number;
  typeIndexEnd: number;
  typeRecordBytes: number;
  hashStreamIndex: number;
}

/**
 * The TPI (or IPI) stream: a header and length-prefixed type records numbered from `typeIndexBegin`.
 * Records are indexed up front (offset and kind) and decoded on demand, so the ISF pass touches only the records it
 * needs and a malformed one fails with its type index.
 */
export class TypeStream {
  readonly header: TpiHeader;
  private readonly offsets: Uint32Array;
  private readonly lengths: Uint16Array;
  readonly kinds: Uint16Array;
  private readonly cache = new Map<number, TypeRecord>();

  constructor(
    private readonly data: Uint8Array,
    readonly streamName = 'TPI',
  ) {
    const c = new Cursor(data, `${streamName} header`);
    if (data.length < TPI_HEADER_MIN) c.fail(`stream of ${data.length} bytes is shorter than its header`);
    const h: TpiHeader = {
      version: c.u32(),
      headerSize: c.u32(),
      typeIndexBegin: c.u32(),
      typeIndexEnd: c.u32(),
      typeRecordBytes: c.u32(),
      hashStreamIndex: c.u16(),
    };
    this.header = h;
    if (h.headerSize < TPI_HEADER_MIN || h.headerSize > data.length) c.fail(`header size ${h.headerSize}`, 4);
    if (h.typeIndexBegin < TYPE_INDEX_BEGIN || h.typeIndexEnd < h.typeIndexBegin) {
      c.fail(`type index range 0x${h.typeIndexBegin.toString(16)}..0x${h.typeIndexEnd.toString(16)}`, 8);
    }
    const count = h.typeIndexEnd - h.typeIndexBegin;
    if (count > MAX_TYPE_RECORDS || count * 4 > h.typeRecordBytes) {
      c.fail(`${count} type records cannot fit in ${h.typeRecordBytes} bytes`, 12);
    }
    if (h.headerSize + h.typeRecordBytes > data.length) {
      c.fail(`type records of ${h.typeRecordBytes} bytes run past the ${data.length}-byte stream`, 16);
    }
    this.offsets = new Uint32Array(count);
    this.lengths = new Uint16Array(count);
    this.kinds = new Uint16Array(count);
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const end = h.headerSize + h.typeRecordBytes;
    let pos = h.headerSize;
    for (let i = 0; i < count; i++) {
      if (pos + 4 > end) {
        throw new FormatError(
          'PDB',
          pos,
          `${streamName}: type 0x${(h.typeIndexBegin + i).toString(16)} missing`,
        );
      }
      const len = dv.getUint16(pos, true);
      if (len < 2 || pos + 2 + len > end) {
        throw new FormatError('PDB', pos, `${streamName}: type record length ${len} runs past the records`);
      }
      this.kinds[i] = dv.getUint16(pos + 2, true);
      this.offsets[i] = pos + 4;
      this.lengths[i] = len - 2;
      pos += 2 + len;
    }
  }

  get begin(): number {
    return this.header.typeIndexBegin;
  }
  get end(): number {
    return this.header.typeIndexEnd;
  }

  has(ti: number): boolean {
    return ti >= this.begin && ti < this.end;
  }

  kindOf(ti: number): number {
    this.check(ti);
    return this.kinds[ti - this.begin]!;
  }

  record(ti: number): TypeRecord {
    this.check(ti);
    let r = this.cache.get(ti);
    if (!r) {
      r = this.decode(ti);
      this.cache.set(ti, r);
    }
    return r;
  }

  private check(ti: number): void {
    if (!this.has(ti)) {
      throw new FormatError(
        'PDB',
        0,
        `${this.streamName}: type index 0x${ti.toString(16)} is outside 0x${this.begin.toString(16)}..0x${this.end.toString(16)}`,
      );
    }
  }

  private decode(ti: number): TypeRecord {
    const i = ti - this.begin;
    const kind = this.kinds[i]!;
    const start = this.offsets[i]!;
    const c = new Cursor(
      this.data,
      `${this.streamName} type 0x${ti.toString(16)} (leaf 0x${kind.toString(16)})`,
      start,
      start + this.lengths[i]!,
    );
    const pascal = kind < LF_ST_MAX;
    switch (kind) {
      case LF.CLASS:
      case LF.STRUCTURE:
      case LF.INTERFACE:
      case LF.CLASS_ST:
      case LF.STRUCTURE_ST: {
        c.u16(); // member count
        const props = c.u16();
        const fieldList = c.u32();
        c.u32(); // derived-from list
        c.u32(); // vtable shape
        const size = c.numeric();
        const name = c.name(pascal);
        const uniqueName = props & PROP_HAS_UNIQUE_NAME && c.remaining > 0 ? c.name(pascal) : null;
        const udt: UdtKind =
          kind === LF.INTERFACE
            ? 'interface'
            : kind === LF.CLASS || kind === LF.CLASS_ST
              ? 'class'
              : 'struct';
        return { t: 'udt', udt, props, fieldList, size, name, uniqueName };
      }
      case LF.CLASS_VS19:
      case LF.STRUCTURE_VS19: {
        const props = c.u16();
        c.u16();
        const fieldList = c.u32();
        c.u32();
        c.u32();
        c.u16(); // member count
        const size = c.numeric();
        const name = c.cstring();
        const uniqueName = props & PROP_HAS_UNIQUE_NAME && c.remaining > 0 ? c.cstring() : null;
        return {
          t: 'udt',
          udt: kind === LF.CLASS_VS19 ? 'class' : 'struct',
          props,
          fieldList,
          size,
          name,
          uniqueName,
        };
      }
      case LF.UNION:
      case LF.UNION_ST: {
        c.u16();
        const props = c.u16();
        const fieldList = c.u32();
        const size = c.numeric();
        const name = c.name(pascal);
        const uniqueName = props & PROP_HAS_UNIQUE_NAME && c.remaining > 0 ? c.name(pascal) : null;
        return { t: 'udt', udt: 'union', props, fieldList, size, name, uniqueName };
      }
      case LF.ENUM:
      case LF.ENUM_ST: {
        c.u16();
        const props = c.u16();
        const underlying = c.u32();
        const fieldList = c.u32();
        const name = c.name(pascal);
        const uniqueName = props & PROP_HAS_UNIQUE_NAME && c.remaining > 0 ? c.name(pascal) : null;
        return { t: 'enum', props, underlying, fieldList, name, uniqueName };
      }
      case LF.POINTER: {
        const referent = c.u32();
        const attrs = c.u32();
        return {
          t: 'pointer',
          referent,
          attrs,
          ptrKind: attrs & 0x1f,
          mode: (attrs >>> 5) & 7,
          size: (attrs >>> 13) & 0x3f,
        };
      }
      case LF.MODIFIER:
        return { t: 'modifier', referent: c.u32(), mods: c.u16() };
      case LF.ARRAY:
      case LF.ARRAY_ST: {
        const element = c.u32();
        const indexType = c.u32();
        const size = c.numeric();
        const name = c.remaining > 0 ? c.name(pascal) : '';
        return { t: 'array', element, indexType, size, name };
      }
      case LF.STRIDED_ARRAY: {
        const element = c.u32();
        const indexType = c.u32();
        c.u32(); // stride
        const size = c.numeric();
        return { t: 'array', element, indexType, size, name: '' };
      }
      case LF.BITFIELD: {
        const type = c.u32();
        const length = c.u8();
        const position = c.u8();
        return { t: 'bitfield', type, length, position };
      }
      case LF.PROCEDURE: {
        const returnType = c.u32();
        c.u8();
        c.u8();
        c.u16();
        return { t: 'procedure', returnType, argList: c.u32(), member: false };
      }
      case LF.MFUNCTION: {
        const returnType = c.u32();
        c.u32(); // class
        c.u32(); // this
        c.u8();
        c.u8();
        c.u16();
        return { t: 'procedure', returnType, argList: c.u32(), member: true };
      }
      case LF.ARGLIST: {
        const n = c.u32();
        if (n * 4 > c.remaining) c.fail(`argument list of ${n} entries in ${c.remaining} bytes`);
        const args: number[] = [];
        for (let k = 0; k < n; k++) args.push(c.u32());
        return { t: 'arglist', args };
      }
      case LF.FIELDLIST:
        return { t: 'fieldlist', fields: readFieldList(c) };
      default:
        return { t: 'other', kind };
    }
  }
}

/** The sub-records of an LF_FIELDLIST; each is followed by LF_PAD bytes (0xF1..0xFF, low nibble = count). */
function readFieldList(c: Cursor): FieldRecord[] {
  const out: FieldRecord[] = [];
  while (c.remaining >= 2) {
    const at = c.pos;
    const leaf = c.u16();
    const pascal = leaf < LF_ST_MAX;
    switch (leaf) {
      case LF.MEMBER:
      case LF.MEMBER_ST: {
        const attr = c.u16();
        const type = c.u32();
        const offset = c.numeric();
        out.push({ f: 'member', attr, type, offset, name: c.name(pascal) });
        break;
      }
      case LF.STMEMBER:
      case LF.STMEMBER_ST: {
        c.u16();
        const type = c.u32();
        out.push({ f: 'static', type, name: c.name(pascal) });
        break;
      }
      case LF.BCLASS:
      case LF.BINTERFACE: {
        c.u16();
        const type = c.u32();
        out.push({ f: 'base', type, offset: c.numeric(), virtual: false });
        break;
      }
      case LF.VBCLASS:
      case LF.IVBCLASS: {
        c.u16();
        const type = c.u32();
        c.u32(); // virtual base pointer type
        c.numeric(); // vbptr offset
        c.numeric(); // index in vbtable
        out.push({ f: 'base', type, offset: 0, virtual: true });
        break;
      }
      case LF.ENUMERATE:
      case LF.ENUMERATE_ST: {
        c.u16();
        const value = c.numeric();
        out.push({ f: 'enumerate', value, name: c.name(pascal) });
        break;
      }
      case LF.NESTTYPE:
      case LF.NESTTYPE_ST:
      case LF.NESTTYPEEX:
      case LF.NESTTYPEEX_ST: {
        c.u16();
        const type = c.u32();
        out.push({ f: 'nested', type, name: c.name(pascal) });
        break;
      }
      case LF.METHOD:
      case LF.METHOD_ST: {
        c.u16(); // overload count
        c.u32(); // method list
        out.push({ f: 'method', name: c.name(pascal) });
        break;
      }
      case LF.ONEMETHOD:
      case LF.ONEMETHOD_ST: {
        const attr = c.u16();
        c.u32();
        const mprop = (attr >>> 2) & 7;
        // Introducing virtuals (plain or pure) carry their vtable offset.
        if (mprop === 4 || mprop === 6) c.u32();
        out.push({ f: 'method', name: c.name(pascal) });
        break;
      }
      case LF.VFUNCTAB: {
        c.u16();
        out.push({ f: 'vfunctab', type: c.u32() });
        break;
      }
      case LF.INDEX: {
        c.u16();
        out.push({ f: 'index', type: c.u32() });
        break;
      }
      case LF.FRIENDFCN:
      case LF.FRIENDFCN_ST:
        c.u16();
        c.u32();
        c.name(pascal);
        break;
      case LF.FRIENDCLS:
        c.u16();
        c.u32();
        break;
      case LF.VFUNCOFF:
        c.u16();
        c.u32();
        c.u32();
        break;
      case LF.MEMBERMODIFY:
      case LF.MEMBERMODIFY_ST:
        c.u16();
        c.u32();
        c.name(pascal);
        break;
      default:
        c.fail(`unknown field list entry 0x${leaf.toString(16)}`, at);
    }
    if (c.pos < c.end && c.buf[c.pos]! > 0xf0) c.pos = Math.min(c.end, c.pos + (c.buf[c.pos]! & 0x0f));
  }
  return out;
}

/** True for a forward declaration (no fields, size 0) that names a definition elsewhere in the stream. */
export function isForwardRef(r: TypeRecord): boolean {
  return (r.t === 'udt' || r.t === 'enum') && (r.props & PROP_FWDREF) !== 0;
}
