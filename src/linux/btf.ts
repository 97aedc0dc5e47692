import { FormatError } from '../util/errors.js';

/**
 * BTF (BPF Type Format, Documentation/bpf/btf.rst): the compact type information kernels built with
 * CONFIG_DEBUG_INFO_BTF carry in their image (`__start_BTF`, /sys/kernel/btf/vmlinux). It gives every struct's
 * exact layout for *that* build (struct randomization included), so memdig needs no external symbol file.
 * Records are indexed once and decoded on demand: vmlinux BTF has ~100,000 types.
 */

export const BtfKind = {
  Void: 0,
  Int: 1,
  Ptr: 2,
  Array: 3,
  Struct: 4,
  Union: 5,
  Enum: 6,
  Fwd: 7,
  Typedef: 8,
  Volatile: 9,
  Const: 10,
  Restrict: 11,
  Func: 12,
  FuncProto: 13,
  Var: 14,
  Datasec: 15,
  Float: 16,
  DeclTag: 17,
  TypeTag: 18,
  Enum64: 19,
} as const;
export type BtfKind = (typeof BtfKind)[keyof typeof BtfKind];

export const BTF_MAGIC = 0xeb9f;
const HEADER_MIN = 24;
const MAX_TYPES = 4_000_000;

export interface BtfMember {
  name: string;
  type: number;
  /** Offset from the start of the struct, in bits. */
  bitOffset: number;
  /** Bitfield width in bits, 0 for ordinary members. */
  bitSize: number;
}

export interface BtfEnumValue {
  name: string;
  value: number;
}

export interface BtfParam {
  name: string;
  type: number;
}

export interface BtfVarSecInfo {
  type: number;
  offset: number;
  size: number;
}

export interface BtfType {
  id: number;
  kind: BtfKind;
  name: string;
  kindFlag: boolean;
  vlen: number;
  /** Byte size for Int, Struct, Union, Enum, Enum64, Datasec, Float; otherwise 0. */
  size: number;
  /** Referenced type for Ptr, Typedef, Volatile, Const, Restrict, Func, FuncProto (return), Var, DeclTag, TypeTag. */
  type: number;
  /** Int: encoding bits (1 signed, 2 char, 4 bool), bit offset and bit count. */
  intEncoding?: number;
  intOffset?: number;
  intBits?: number;
  array?: { type: number; indexType: number; nelems: number };
  members?: BtfMember[];
  enumValues?: BtfEnumValue[];
  params?: BtfParam[];
  /** Var: linkage; Func: linkage (in vlen); DeclTag: component index (-1 for the whole type). */
  linkage?: number;
  componentIdx?: number;
  secinfo?: BtfVarSecInfo[];
}

/** Sizes in bytes of the data following the 12-byte common record, per kind. */
function extraSize(kind: number, vlen: number): number {
  switch (kind) {
    case BtfKind.Int:
    case BtfKind.Var:
    case BtfKind.DeclTag:
      return 4;
    case BtfKind.Array:
      return 12;
    case BtfKind.Struct:
    case BtfKind.Union:
    case BtfKind.Enum64:
    case BtfKind.Datasec:
      return 12 * vlen;
    case BtfKind.Enum:
    case BtfKind.FuncProto:
      return 8 * vlen;
    case BtfKind.Ptr:
    case BtfKind.Fwd:
    case BtfKind.Typedef:
    case BtfKind.Volatile:
    case BtfKind.Const:
    case BtfKind.Restrict:
    case BtfKind.Func:
    case BtfKind.Float:
    case BtfKind.TypeTag:
      return 0;
    default:
      return -1;
  }
}

export class Btf {
  private readonly dv: DataView;
  /** Byte offset (in `bytes`) of each local type record; index 0 unused. */
  private readonly recOff: Uint32Array;
  /** name_off and kind of each local record, for lookups by name without decoding records. */
  private readonly nameOffs: Uint32Array;
  private readonly kinds: Uint8Array;
  private readonly cache = new Map<number, BtfType>();
  private strings: string | null = null;
  private readonly typeStart: number;
  private readonly strStart: number;
  private readonly strLen: number;
  /** First local type id (1, or after the base's last id for split BTF). */
  readonly firstId: number;
  readonly localCount: number;

  private constructor(
    readonly bytes: Uint8Array,
    readonly base: Btf | null,
  ) {
    const fmt = 'BTF';
    if (bytes.length < HEADER_MIN)
      throw new FormatError(fmt, 0, `${bytes.length} bytes, too short for a header`);
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const dv = this.dv;
    if (dv.getUint16(0, true) !== BTF_MAGIC)
      throw new FormatError(fmt, 0, `magic 0x${dv.getUint16(0, true).toString(16)}, expected 0xeb9f`);
    if (bytes[2] !== 1) throw new FormatError(fmt, 2, `version ${bytes[2]}, expected 1`);
    const hdrLen = dv.getUint32(4, true);
    if (hdrLen < HEADER_MIN || hdrLen > 256)
      throw new FormatError(fmt, 4, `hdr_len ${hdrLen}, expected 24..256`);
    const typeOff = dv.getUint32(8, true);
    const typeLen = dv.getUint32(12, true);
    const strOff = dv.getUint32(16, true);
    const strLen = dv.getUint32(20, true);
    this.typeStart = hdrLen + typeOff;
    this.strStart = hdrLen + strOff;
    this.strLen = strLen;
    if (this.typeStart + typeLen > bytes.length)
      throw new FormatError(
        fmt,
        12,
        `type section (${typeLen} bytes at ${this.typeStart}) runs past the blob`,
      );
    if (this.strStart + strLen > bytes.length)
      throw new FormatError(
        fmt,
        20,
        `string section (${strLen} bytes at ${this.strStart}) runs past the blob`,
      );
    this.firstId = base ? base.firstId + base.localCount : 1;
    const offs: number[] = [0];
    let p = this.typeStart;
    const end = this.typeStart + typeLen;
    while (p < end) {
      if (p + 12 > end) throw new FormatError(fmt, p, 'truncated type record');
      const info = dv.getUint32(p + 4, true);
      const kind = (info >>> 24) & 0x1f;
      const extra = extraSize(kind, info & 0xffff);
      if (extra < 0) throw new FormatError(fmt, p + 4, `unknown type kind ${kind} (type #${offs.length})`);
      if (p + 12 + extra > end)
        throw new FormatError(fmt, p, `type #${offs.length} runs past the type section`);
      offs.push(p);
      if (offs.length > MAX_TYPES) throw new FormatError(fmt, p, `more than ${MAX_TYPES} types`);
      p += 12 + extra;
    }
    this.recOff = Uint32Array.from(offs);
    this.localCount = offs.length - 1;
    this.nameOffs = new Uint32Array(offs.length);
    this.kinds = new Uint8Array(offs.length);
    for (let i = 1; i < offs.length; i++) {
      this.nameOffs[i] = dv.getUint32(offs[i]!, true);
      this.kinds[i] = (dv.getUint32(offs[i]! + 4, true) >>> 24) & 0x1f;
    }
  }

  /** Parses a BTF blob; `base` makes it split BTF (module BTF continues the vmlinux ids and strings). */
  static parse(bytes: Uint8Array, base?: Btf): Btf {
    return new Btf(bytes, base ?? null);
  }

  /** Total bytes the blob claims (header + sections): lets a scanner read exactly one blob. */
  static blobSize(header: Uint8Array): number {
    const dv = new DataView(header.buffer, header.byteOffset, header.byteLength);
    if (header.length < HEADER_MIN || dv.getUint16(0, true) !== BTF_MAGIC || header[2] !== 1) return -1;
    const hdrLen = dv.getUint32(4, true);
    if (hdrLen < HEADER_MIN || hdrLen > 256) return -1;
    const typeEnd = dv.getUint32(8, true) + dv.getUint32(12, true);
    const strEnd = dv.getUint32(16, true) + dv.getUint32(20, true);
    return hdrLen + Math.max(typeEnd, strEnd);
  }

  /** Highest valid type id. */
  get lastId(): number {
    return this.firstId + this.localCount - 1;
  }

  get stringsSize(): number {
    return this.strLen;
  }

  /** A string from the string section (split BTF: offsets below the base's size are the base's). */
  str(off: number): string {
    if (this.base) {
      if (off < this.base.stringsSize) return this.base.str(off);
      off -= this.base.stringsSize;
    }
    if (off >= this.strLen) return '';
    // One latin1 decode of the whole section, then slices: ~100,000 names are looked up to index by name.
    if (this.strings === null) {
      this.strings = Buffer.from(
        this.bytes.buffer,
        this.bytes.byteOffset + this.strStart,
        this.strLen,
      ).toString('latin1');
    }
    const e = this.strings.indexOf('\0', off);
    return this.strings.slice(off, e < 0 ? this.strLen : e);
  }

  type(id: number): BtfType | undefined {
    if (id === 0)
      return { id: 0, kind: BtfKind.Void, name: 'void', kindFlag: false, vlen: 0, size: 0, type: 0 };
    if (id < this.firstId) return this.base?.type(id);
    const local = id - this.firstId + 1;
    if (local > this.localCount) return undefined;
    const hit = this.cache.get(id);
    if (hit) return hit;
    const t = this.decode(id, this.recOff[local]!);
    this.cache.set(id, t);
    return t;
  }

  private decode(id: number, p: number): BtfType {
    const dv = this.dv;
    const info = dv.getUint32(p + 4, true);
    const kind = ((info >>> 24) & 0x1f) as BtfKind;
    const vlen = info & 0xffff;
    const kindFlag = info >>> 31 === 1;
    const sizeOrType = dv.getUint32(p + 8, true);
    const t: BtfType = { id, kind, name: this.str(dv.getUint32(p, true)), kindFlag, vlen, size: 0, type: 0 };
    const x = p + 12;
    switch (kind) {
      case BtfKind.Int: {
        t.size = sizeOrType;
        const enc = dv.getUint32(x, true);
        t.intEncoding = (enc >>> 24) & 0x0f;
        t.intOffset = (enc >>> 16) & 0xff;
        t.intBits = enc & 0xff;
        break;
      }
      case BtfKind.Array:
        t.array = {
          type: dv.getUint32(x, true),
          indexType: dv.getUint32(x + 4, true),
          nelems: dv.getUint32(x + 8, true),
        };
        break;
      case BtfKind.Struct:
      case BtfKind.Union: {
        t.size = sizeOrType;
        const m: BtfMember[] = [];
        for (let i = 0; i < vlen; i++) {
          const o = x + i * 12;
          const raw = dv.getUint32(o + 8, true);
          // kind_flag: the offset word packs bitfield size (high 8 bits) and bit offset (low 24).
          m.push({
            name: this.str(dv.getUint32(o, true)),
            type: dv.getUint32(o + 4, true),
            bitOffset: kindFlag ? raw & 0xffffff : raw,
            bitSize: kindFlag ? raw >>> 24 : 0,
          });
        }
        t.members = m;
        break;
      }
      case BtfKind.Enum: {
        t.size = sizeOrType;
        const v: BtfEnumValue[] = [];
        for (let i = 0; i < vlen; i++) {
          const o = x + i * 8;
          // kind_flag set = signed values.
          const val = kindFlag ? dv.getInt32(o + 4, true) : dv.getUint32(o + 4, true);
          v.push({ name: this.str(dv.getUint32(o, true)), value: val });
        }
        t.enumValues = v;
        break;
      }
      case BtfKind.Enum64: {
        t.size = sizeOrType;
        const v: BtfEnumValue[] = [];
        for (let i = 0; i < vlen; i++) {
          const o = x + i * 12;
          const lo = dv.getUint32(o + 4, true);
          const hi = dv.getUint32(o + 8, true);
          const val = kindFlag ? (hi | 0) * 0x100000000 + lo : hi * 0x100000000 + lo;
          v.push({ name: this.str(dv.getUint32(o, true)), value: val });
        }
        t.enumValues = v;
        break;
      }
      case BtfKind.FuncProto: {
        t.type = sizeOrType;
        const ps: BtfParam[] = [];
        for (let i = 0; i < vlen; i++) {
          const o = x + i * 8;
          ps.push({ name: this.str(dv.getUint32(o, true)), type: dv.getUint32(o + 4, true) });
        }
        t.params = ps;
        break;
      }
      case BtfKind.Var:
        t.type = sizeOrType;
        t.linkage = dv.getUint32(x, true);
        break;
      case BtfKind.Datasec: {
        t.size = sizeOrType;
        const si: BtfVarSecInfo[] = [];
        for (let i = 0; i < vlen; i++) {
          const o = x + i * 12;
          si.push({
            type: dv.getUint32(o, true),
            offset: dv.getUint32(o + 4, true),
            size: dv.getUint32(o + 8, true),
          });
        }
        t.secinfo = si;
        break;
      }
      case BtfKind.DeclTag:
        t.type = sizeOrType;
        t.componentIdx = dv.getInt32(x, true);
        break;
      case BtfKind.Float:
        t.size = sizeOrType;
        break;
      case BtfKind.Func:
        t.type = sizeOrType;
        t.linkage = vlen;
        break;
      default:
        // Ptr, Fwd (kind_flag: union), Typedef, Volatile, Const, Restrict, TypeTag.
        t.type = sizeOrType;
    }
    return t;
  }

  /** Ids of named types with this name (optionally of one kind), base types first. */
  findByName(name: string, kind?: BtfKind): number[] {
    const ids = [...(this.base?.findByName(name, kind) ?? [])];
    if (name === '' || this.localCount === 0) return ids;
    this.str(0);
    // Find the name's string offset(s) first, then compare numbers: no per-type string decoding, which would cost
    // ~100 ms on vmlinux BTF for a handful of lookups.
    const strs = this.strings!;
    const offsets: number[] = [];
    const needle = `\0${name}\0`;
    for (let i = strs.indexOf(needle); i >= 0; i = strs.indexOf(needle, i + 1)) offsets.push(i + 1);
    if (offsets.length === 0) return ids;
    const baseStr = this.base ? this.base.stringsSize : 0;
    const names = this.nameOffs;
    const first = offsets[0]! + baseStr;
    for (let local = 1; local <= this.localCount; local++) {
      const n = names[local]!;
      if (n !== first && (offsets.length === 1 || !offsets.includes(n - baseStr))) continue;
      if (kind !== undefined && this.kinds[local] !== kind) continue;
      ids.push(local + this.firstId - 1);
    }
    return ids;
  }

  /** Follows typedef / const / volatile / restrict / type_tag to the underlying type id. */
  resolve(id: number): number {
    for (let guard = 0; guard < 64; guard++) {
      const t = this.type(id);
      if (!t) return id;
      switch (t.kind) {
        case BtfKind.Typedef:
        case BtfKind.Const:
        case BtfKind.Volatile:
        case BtfKind.Restrict:
        case BtfKind.TypeTag:
          id = t.type;
          break;
        default:
          return id;
      }
    }
    return id;
  }

  /** Size in bytes of a type (pointers are 8: memdig reads x86-64 kernels), or -1 when it has none. */
  sizeOf(id: number): number {
    const r = this.resolve(id);
    const t = this.type(r);
    if (!t) return -1;
    switch (t.kind) {
      case BtfKind.Ptr:
        return 8;
      case BtfKind.Array: {
        const el = this.sizeOf(t.array!.type);
        return el < 0 ? -1 : el * t.array!.nelems;
      }
      case BtfKind.Int:
      case BtfKind.Struct:
      case BtfKind.Union:
      case BtfKind.Enum:
      case BtfKind.Enum64:
      case BtfKind.Float:
      case BtfKind.Datasec:
        return t.size;
      default:
        return -1;
    }
  }

  /** A C-like name for a type (for messages and listings). */
  typeName(id: number, depth = 0): string {
    const t = this.type(id);
    if (!t || depth > 16) return '?';
    switch (t.kind) {
      case BtfKind.Void:
        return 'void';
      case BtfKind.Ptr:
        return `${this.typeName(t.type, depth + 1)} *`;
      case BtfKind.Array:
        return `${this.typeName(t.array!.type, depth + 1)}[${t.array!.nelems}]`;
      case BtfKind.Struct:
        return `struct ${t.name || '(anon)'}`;
      case BtfKind.Union:
        return `union ${t.name || '(anon)'}`;
      case BtfKind.Enum:
      case BtfKind.Enum64:
        return `enum ${t.name || '(anon)'}`;
      case BtfKind.Fwd:
        return `${t.kindFlag ? 'union' : 'struct'} ${t.name}`;
      case BtfKind.Const:
        return `const ${this.typeName(t.type, depth + 1)}`;
      case BtfKind.Volatile:
        return `volatile ${this.typeName(t.type, depth + 1)}`;
      case BtfKind.Restrict:
      case BtfKind.TypeTag:
        return this.typeName(t.type, depth + 1);
      case BtfKind.FuncProto:
        return `${this.typeName(t.type, depth + 1)} (*)()`;
      default:
        return t.name || '?';
    }
  }
}
