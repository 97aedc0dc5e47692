/**
 * Object-style access to one struct instance, for code that is not on a hot path (info commands, tests, JSON
 * dumps). The struct's bytes are read once; members decode from that copy.
 */
import { MemdigError } from '../util/errors.js';
import { Accessor, type Readable, type ResolvedType, type StructLayout, u32At } from './layout.js';
import type { Profile } from './profile.js';

/** Views copy the whole struct; region-describing types (hundreds of MiB) must use accessors. */
const MAX_VIEW_BYTES = 1 << 20;

export type ViewValue = number | string | StructView | ViewValue[] | null;

export class StructView {
  private constructor(
    readonly profile: Profile,
    readonly layout: StructLayout,
    /** Address the struct was read from. */
    readonly address: number,
    readonly bytes: Uint8Array,
    readonly offset: number,
    /** How many of the struct's bytes were readable. */
    readonly readable: number,
    private readonly mem: Readable,
  ) {}

  static read(profile: Profile, layout: StructLayout, mem: Readable, addr: number): StructView {
    if (layout.size > MAX_VIEW_BYTES) {
      throw new MemdigError(`${layout.name} is ${layout.size} bytes: too large for a view, use accessors`);
    }
    const bytes = new Uint8Array(Math.max(0, layout.size));
    const n = mem.read(addr, bytes, 0, bytes.length);
    return new StructView(profile, layout, addr, bytes, 0, n, mem);
  }

  /** Whether every byte of the struct was readable. */
  get complete(): boolean {
    return this.readable >= this.bytes.length;
  }

  has(path: string): boolean {
    return this.layout.has(path);
  }

  /** Scalar member value (integer, pointer, bitfield, enum). */
  num(path: string): number {
    const f = this.layout.field(path);
    return new Accessor(f).get(this.bytes, this.offset);
  }

  /** Enum member as its constant name (or the number as a string when unnamed). */
  enumName(path: string): string {
    const f = this.layout.field(path);
    const v = this.num(path);
    return (f.type.kind === 'enum' && this.profile.enumName(f.type.name, v)) || String(v);
  }

  /** Embedded struct/union member as a view on the same bytes. */
  struct(path: string): StructView {
    const f = this.layout.field(path);
    if (f.type.kind !== 'struct')
      throw new MemdigError(`${this.layout.name}.${path} is not an embedded struct`);
    const inner = this.profile.struct(f.type.name);
    const sub = this.bytes.subarray(this.offset + f.offset, this.offset + f.offset + inner.size);
    const readable = Math.max(0, Math.min(inner.size, this.readable - f.offset));
    return new StructView(this.profile, inner, this.address + f.offset, sub, 0, readable, this.mem);
  }

  /** Follows a pointer member to a struct (given type name, or the pointer's declared target). Null for 0. */
  deref(path: string, typeName?: string): StructView | null {
    const f = this.layout.field(path);
    if (f.type.kind !== 'pointer') throw new MemdigError(`${this.layout.name}.${path} is not a pointer`);
    const target = typeName ?? (f.type.target?.kind === 'struct' ? f.type.target.name : '');
    if (!target)
      throw new MemdigError(`${this.layout.name}.${path}: pointer target is not a struct; name one`);
    const p = this.num(path);
    return p ? this.profile.view(target, this.mem, p) : null;
  }

  /** Byte array member as text: NUL-terminated Latin-1 (ImageFileName) or UTF-16 for wchar arrays. */
  string(path: string): string {
    const f = this.layout.field(path);
    if (f.type.kind !== 'array') throw new MemdigError(`${this.layout.name}.${path} is not an array`);
    const start = this.offset + f.offset;
    const b = this.bytes.subarray(start, start + f.type.size);
    if (f.type.target?.size === 2) {
      let end = 0;
      while (end + 1 < b.length && (b[end] || b[end + 1])) end += 2;
      return Buffer.from(b.buffer, b.byteOffset, end).toString('utf16le');
    }
    let end = b.indexOf(0);
    if (end < 0) end = b.length;
    return Buffer.from(b.buffer, b.byteOffset, end).toString('latin1');
  }

  /** UNICODE_STRING member, following its Buffer. */
  unicode(path: string): string | null {
    return this.profile.readUnicodeString(this.mem, this.address + this.layout.offsetOf(path));
  }

  /** Generic member value: numbers for scalars, views for structs, arrays element-wise (capped at 256). */
  get(path: string): ViewValue {
    const f = this.layout.field(path);
    return this.valueOf(f.type, this.offset + f.offset, this.address + f.offset);
  }

  private valueOf(t: ResolvedType, off: number, addr: number): ViewValue {
    switch (t.kind) {
      case 'struct': {
        const inner = this.profile.tryStruct(t.name);
        if (!inner) return null;
        const sub = this.bytes.subarray(off, off + inner.size);
        return new StructView(this.profile, inner, addr, sub, 0, sub.length, this.mem);
      }
      case 'array': {
        const el = t.target!;
        const out: ViewValue[] = [];
        for (let i = 0; i < Math.min(t.count, 256); i++)
          out.push(this.valueOf(el, off + i * el.size, addr + i * el.size));
        return out;
      }
      case 'void':
      case 'function':
        return null;
      default:
        return new Accessor({ path: '', offset: 0, type: t }).get(this.bytes, off);
    }
  }

  /** Plain object of all members (nested structs expanded, arrays capped): for JSON output and debugging. */
  toObject(depth = 4): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const name of this.layout.memberNames) {
      const v = this.get(name);
      out[name] = plain(v, depth - 1);
    }
    return out;
  }

  /** First 4 bytes as u32 (cheap check helpers use it for tags/types). */
  u32(off: number): number {
    return u32At(this.bytes, this.offset + off);
  }
}

function plain(v: ViewValue, depth: number): unknown {
  if (v instanceof StructView) return depth > 0 ? v.toObject(depth) : `<${v.layout.name}>`;
  if (Array.isArray(v)) return v.map((x) => plain(x, depth));
  return v;
}
