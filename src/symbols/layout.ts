/**
 * Resolved structure layouts. A `StructLayout` is built once per type from the ISF; member paths
 * ("Pcb.DirectoryTableBase", "u.VadFlags.Protection", "InitialVacbs[2]") resolve once into a `FieldLayout` with
 * an absolute offset, and `accessor()` compiles that into a reader with no name lookups left on the hot path.
 */
import { MemdigError } from '../util/errors.js';
import type { IsfDocument, IsfTypeRef, IsfUserType } from './isf.js';

export type TypeKind =
  | 'int'
  | 'float'
  | 'bool'
  | 'pointer'
  | 'bitfield'
  | 'array'
  | 'struct'
  | 'enum'
  | 'void'
  | 'function';

/** A type descriptor with sizes and names resolved. */
export interface ResolvedType {
  readonly kind: TypeKind;
  /** Bytes the value occupies (bitfield: its storage integer; void/function: 0; undefined struct: -1). */
  readonly size: number;
  readonly signed: boolean;
  /** Struct/union/enum name, base type name ("unsigned long", "wchar"), or "" for pointers/arrays. */
  readonly name: string;
  readonly bitPos: number;
  readonly bitLen: number;
  /** Array element count (0 otherwise). */
  readonly count: number;
  /** Pointer target, array element, or (enum/bitfield) the integer type. */
  readonly target: ResolvedType | null;
  /** For struct: 'struct' | 'union' | 'class'. */
  readonly aggregate: string;
}

export interface FieldLayout {
  /** Full path as asked ("u.VadFlags.Protection"). */
  readonly path: string;
  /** Offset from the start of the outermost struct. */
  readonly offset: number;
  readonly type: ResolvedType;
}

export interface TypeTable {
  readonly isf: IsfDocument;
  readonly pointerSize: 4 | 8;
  userType(name: string): IsfUserType | undefined;
}

const VOID: ResolvedType = {
  kind: 'void',
  size: 0,
  signed: false,
  name: 'void',
  bitPos: 0,
  bitLen: 0,
  count: 0,
  target: null,
  aggregate: '',
};

/** Resolves one ISF type descriptor; pointer targets resolve one level deep lazily (they may be recursive). */
export function resolveType(table: TypeTable, t: IsfTypeRef): ResolvedType {
  const isf = table.isf;
  switch (t.kind) {
    case 'base': {
      const b = isf.base_types[t.name!]!;
      const kind: TypeKind =
        b.kind === 'void' ? 'void' : b.kind === 'float' ? 'float' : b.kind === 'bool' ? 'bool' : 'int';
      return { ...VOID, kind, size: b.size, signed: !!b.signed && kind !== 'void', name: t.name! };
    }
    case 'pointer': {
      const size = isf.base_types[t.base ?? 'pointer']!.size;
      let target: ResolvedType | null = null;
      const sub = t.subtype!;
      return {
        ...VOID,
        kind: 'pointer',
        size,
        name: '',
        get target(): ResolvedType {
          target ??= resolveType(table, sub);
          return target;
        },
      };
    }
    case 'array': {
      const el = resolveType(table, t.subtype!);
      return {
        ...VOID,
        kind: 'array',
        size: Math.max(0, el.size) * t.count!,
        name: '',
        count: t.count!,
        target: el,
      };
    }
    case 'bitfield': {
      const under = resolveType(table, t.type!);
      return {
        ...VOID,
        kind: 'bitfield',
        size: under.size,
        signed: under.signed,
        name: under.name,
        bitPos: t.bit_position!,
        bitLen: t.bit_length!,
        target: under,
      };
    }
    case 'enum': {
      const e = isf.enums[t.name!]!;
      const base = isf.base_types[e.base];
      const under: ResolvedType = {
        ...VOID,
        kind: 'int',
        size: e.size,
        signed: base ? !!base.signed : true,
        name: e.base,
      };
      return { ...VOID, kind: 'enum', size: e.size, signed: under.signed, name: t.name!, target: under };
    }
    case 'struct':
    case 'union':
    case 'class': {
      const u = table.userType(t.name!);
      return {
        ...VOID,
        kind: 'struct',
        size: u ? u.size : -1,
        name: t.name!,
        aggregate: u ? u.kind : t.kind,
      };
    }
    case 'function':
      return { ...VOID, kind: 'function', name: 'function' };
  }
}

/** One struct/union type, resolved. Built by `Profile.struct()`, which caches it. */
export class StructLayout {
  readonly name: string;
  readonly kind: 'struct' | 'union' | 'class';
  readonly size: number;
  /** Member names in offset order (ties by name), for views and dumps. */
  readonly memberNames: readonly string[];
  private readonly raw: IsfUserType;
  private readonly fieldCache = new Map<string, FieldLayout | null>();

  constructor(
    private readonly table: TypeTable,
    name: string,
    raw: IsfUserType,
  ) {
    this.name = name;
    this.raw = raw;
    this.kind = raw.kind;
    this.size = raw.size;
    this.memberNames = Object.keys(raw.fields).sort(
      (a, b) => raw.fields[a]!.offset - raw.fields[b]!.offset || (a < b ? -1 : 1),
    );
  }

  /** Whether a member path resolves (use for members that exist only in some builds). */
  has(path: string): boolean {
    return this.tryField(path) !== null;
  }

  /** Resolves a member path; throws when a part is missing. */
  field(path: string): FieldLayout {
    const f = this.tryField(path);
    if (!f) throw new MemdigError(`symbol table has no member ${this.name}.${path}`);
    return f;
  }

  offsetOf(path: string): number {
    return this.field(path).offset;
  }

  /** Like `offsetOf` but -1 when absent. */
  offsetOrMinus1(path: string): number {
    return this.tryField(path)?.offset ?? -1;
  }

  tryField(path: string): FieldLayout | null {
    const cached = this.fieldCache.get(path);
    if (cached !== undefined) return cached;
    const f = this.resolvePath(path);
    if (this.fieldCache.size < 4096) this.fieldCache.set(path, f);
    return f;
  }

  /** Compiled reader for a scalar member (integer, pointer, bitfield, enum, bool, float). */
  accessor(path: string): Accessor {
    return new Accessor(this.field(path));
  }

  /** Like `accessor` but null when the member is absent in this build. */
  tryAccessor(path: string): Accessor | null {
    const f = this.tryField(path);
    return f ? new Accessor(f) : null;
  }

  private resolvePath(path: string): FieldLayout | null {
    let raw: IsfUserType | undefined = this.raw;
    let offset = 0;
    let type: ResolvedType | null = null;
    for (const part of path.split('.')) {
      const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
      if (!m) return null;
      if (type !== null) {
        if (type.kind !== 'struct') return null;
        raw = this.table.userType(type.name);
      }
      if (!raw) return null;
      const f = Object.hasOwn(raw.fields, m[1]!) ? raw.fields[m[1]!] : undefined;
      if (!f) return null;
      offset += f.offset;
      type = resolveType(this.table, f.type);
      if (m[2]) {
        for (const idx of m[2].slice(1, -1).split('][')) {
          const i = Number(idx);
          if (type.kind !== 'array' || i >= type.count) return null;
          type = type.target!;
          offset += i * type.size;
        }
      }
    }
    return type ? { path, offset, type } : null;
  }
}

/** Where struct bytes come from: a `VirtualSpace` or any reader with the same `read` contract. */
export interface Readable {
  /** Copies `len` bytes at `addr`; returns how many from the start were readable. */
  read(addr: number, dst: Uint8Array, dstOff: number, len: number): number;
}

/** A byte buffer as a Readable: `base` is the address of `bytes[0]`; outside bytes read as absent. */
export function bytesReadable(bytes: Uint8Array, base = 0): Readable {
  return {
    read(addr: number, dst: Uint8Array, dstOff: number, len: number): number {
      const start = addr - base;
      let n = 0;
      if (start >= 0 && start < bytes.length) {
        n = Math.min(len, bytes.length - start);
        dst.set(bytes.subarray(start, start + n), dstOff);
      }
      if (n < len) dst.fill(0, dstOff + n, dstOff + len);
      return n;
    },
  };
}

const scratch = new Uint8Array(16);

/** Little-endian u32 from bytes; no allocation. */
export function u32At(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** 64-bit value as a number (exact below 2^53). */
export function u64At(b: Uint8Array, o: number): number {
  return u32At(b, o + 4) * 4294967296 + u32At(b, o);
}

/** x64 pointer with the sign-extension bits dropped: a number below 2^48. */
export function ptr64At(b: Uint8Array, o: number): number {
  return (u32At(b, o + 4) & 0xffff) * 4294967296 + u32At(b, o);
}

// Value decoders by shape, chosen once per accessor (the switch is what would otherwise run per read).
type Decoder = (b: Uint8Array, o: number) => number;

function intDecoder(size: number, signed: boolean): Decoder {
  switch (size) {
    case 1:
      return signed ? (b, o) => (b[o]! << 24) >> 24 : (b, o) => b[o]!;
    case 2:
      return signed ? (b, o) => ((b[o]! | (b[o + 1]! << 8)) << 16) >> 16 : (b, o) => b[o]! | (b[o + 1]! << 8);
    case 4:
      return signed ? (b, o) => b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24) : u32At;
    case 8:
      return signed ? (b, o) => (u32At(b, o + 4) | 0) * 4294967296 + u32At(b, o) : u64At;
    default:
      return () => Number.NaN;
  }
}

function bitDecoder(size: number, pos: number, len: number, signed: boolean): Decoder {
  if (size <= 4 && len < 32) {
    const base = intDecoder(size, false);
    const mask = len === 32 ? 0xffffffff : (1 << len) - 1;
    if (signed) {
      const sh = 32 - len;
      return (b, o) => (((base(b, o) >>> pos) & mask) << sh) >> sh;
    }
    return (b, o) => (base(b, o) >>> pos) & mask;
  }
  if (size <= 4) return intDecoder(size, signed); // a bitfield spanning the whole 32-bit word
  // 64-bit storage: pick bits from the two halves without BigInt. Widths above 53 bits lose precision.
  if (pos >= 32) {
    const p = pos - 32;
    const l = Math.min(len, 32);
    const mask = l === 32 ? 0xffffffff : (1 << l) - 1;
    return (b, o) => ((u32At(b, o + 4) >>> p) & mask) >>> 0;
  }
  if (pos + len <= 32) {
    const mask = len === 32 ? 0xffffffff : (1 << len) - 1;
    return (b, o) => ((u32At(b, o) >>> pos) & mask) >>> 0;
  }
  const lowBits = 32 - pos;
  const highBits = pos + len - 32;
  const hmask = highBits >= 32 ? 0xffffffff : (1 << highBits) - 1;
  const mul = 2 ** lowBits;
  return (b, o) => ((u32At(b, o + 4) & hmask) >>> 0) * mul + (u32At(b, o) >>> pos);
}

function floatDecoder(size: number): Decoder {
  // Floats are rare in kernel structs (none on memdig's hot paths): a DataView per read is acceptable.
  return (b, o) => {
    const dv = new DataView(b.buffer, b.byteOffset + o, size);
    return size === 4 ? dv.getFloat32(0, true) : dv.getFloat64(0, true);
  };
}

/**
 * A compiled reader for one scalar member. `get(bytes, structOffset)` decodes from a buffer that holds the struct
 * (the fast path: read the struct once, decode many members); `read(mem, structAddr)` reads just the member.
 */
export class Accessor {
  readonly offset: number;
  /** Bytes read for the value (storage integer for bitfields). */
  readonly size: number;
  readonly field: FieldLayout;
  readonly decode: Decoder;

  constructor(field: FieldLayout) {
    this.field = field;
    this.offset = field.offset;
    const t = field.type;
    this.size = t.size;
    switch (t.kind) {
      case 'int':
      case 'bool':
      case 'enum':
        this.decode = intDecoder(t.size, t.signed);
        break;
      case 'pointer':
        this.decode = t.size === 8 ? ptr64At : t.size === 4 ? u32At : intDecoder(t.size, false);
        break;
      case 'bitfield':
        this.decode = bitDecoder(t.size, t.bitPos, t.bitLen, t.signed);
        break;
      case 'float':
        this.decode = floatDecoder(t.size);
        break;
      default:
        throw new MemdigError(
          `${field.path} is a ${t.kind}${t.name ? ` (${t.name})` : ''}, not a scalar: use a nested layout or view`,
        );
    }
  }

  /** Value from a buffer holding the struct at `structOff`. */
  get(bytes: Uint8Array, structOff: number): number {
    return this.decode(bytes, structOff + this.offset);
  }

  /** Reads the member of the struct at `structAddr`; NaN when its bytes are not all readable. */
  read(mem: Readable, structAddr: number): number {
    if (mem.read(structAddr + this.offset, scratch, 0, this.size) < this.size) return Number.NaN;
    return this.decode(scratch, 0);
  }
}
