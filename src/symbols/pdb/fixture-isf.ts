/**
 * Test builder: a PDB whose type and symbol records describe a given ISF table, so that converting it gives that
 * table back. Lets tests serve a kernel PDB from a local symbol server for a synthetic kernel (the forge's structures
 * under a made-up GUID) and check the converter against known layouts. Writes only what the converter reads:
 * forward references then definitions (as compilers do), members, bit fields, arrays, pointers, enums, publics.
 */
import { Bytes, buildPdb, pub32, typeRecord } from './fixture.js';
import { LF, PROP_FWDREF } from './leaves.js';

type Ref =
  | { kind: 'base'; name: string }
  | { kind: 'pointer'; subtype: Ref; base?: string }
  | { kind: 'array'; count: number; subtype: Ref }
  | { kind: 'struct' | 'union' | 'class' | 'enum'; name: string }
  | { kind: 'bitfield'; bit_position: number; bit_length: number; type: Ref }
  | { kind: 'function' };

/** The parts of an ISF document the writer needs (both the reader's and the converter's document types fit). */
export interface IsfTable {
  base_types: Record<string, { size: number }>;
  user_types: Record<
    string,
    { kind: string; size: number; fields: Record<string, { offset: number; type: unknown }> }
  >;
  enums: Record<string, { size: number; base: string; constants: Record<string, number> }>;
  symbols: Record<string, { address: number }>;
}

export interface PdbFromIsfOptions {
  /** 32 hex digits, Volatility's form (as in the RSDS record the kernel image carries). */
  guid: string;
  age: number;
}

/** CodeView built-in type numbers for the base-type names the converter gives them. */
const SIMPLE: Record<string, number> = {
  void: 0x03,
  HRESULT: 0x08,
  char: 0x10,
  'unsigned char': 0x20,
  int8: 0x68,
  uint8: 0x69,
  wchar: 0x71,
  char16_t: 0x7a,
  char32_t: 0x7b,
  short: 0x11,
  'unsigned short': 0x21,
  long: 0x12,
  'unsigned long': 0x22,
  int: 0x74,
  'unsigned int': 0x75,
  'long long': 0x13,
  'unsigned long long': 0x23,
  bool: 0x30,
  f32: 0x40,
  double: 0x41,
};

/** Largest field-list record body before it continues in another record (record lengths are 16-bit). */
const FIELD_LIST_MAX = 0xff00;

/** A CodeView numeric leaf. */
function numeric(b: Bytes, v: number): Bytes {
  if (v >= 0 && v < 0x8000) return b.u16(v);
  if (v < 0 && v >= -0x80000000) return b.u16(0x8003).u32(v >>> 0);
  if (v >= 0 && v <= 0xffffffff) return b.u16(0x8004).u32(v);
  if (v < 0) throw new Error(`numeric leaf ${v} is below the 32-bit range`);
  return b
    .u16(0x800a)
    .u32(v % 2 ** 32)
    .u32(Math.floor(v / 2 ** 32));
}

/** GUID bytes as the PDB info stream stores them (Data1..3 little-endian). */
function guidBytes(guid: string): number[] {
  const g = guid.replace(/[{}-]/g, '');
  if (!/^[0-9A-Fa-f]{32}$/.test(g)) throw new Error(`GUID ${guid} is not 32 hex digits`);
  const bytes = Array.from({ length: 16 }, (_, i) => Number.parseInt(g.slice(i * 2, i * 2 + 2), 16));
  return [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15].map((i) => bytes[i]!);
}

export function pdbFromIsf(isf: IsfTable, opts: PdbFromIsfOptions): Uint8Array {
  const ptrSize = isf.base_types.pointer?.size ?? 8;
  const types: Uint8Array[] = [];
  const add = (leaf: number, payload: Bytes): number => {
    types.push(typeRecord(leaf, payload.done()));
    return 0x1000 + types.length - 1;
  };
  const simple = (name: string): number => {
    const t = SIMPLE[name];
    if (t === undefined) throw new Error(`base type ${name} has no CodeView number in this writer`);
    return t;
  };
  // Every struct, union and enum first as a forward reference: members may then name any of them.
  const fwd = new Map<string, number>();
  const declare = (kind: string, name: string): number => {
    const key = `${kind === 'enum' ? 'enum' : 'udt'}:${name}`;
    let ti = fwd.get(key);
    if (ti !== undefined) return ti;
    const b = new Bytes().u16(0).u16(PROP_FWDREF);
    if (kind === 'enum')
      ti = add(
        LF.ENUM,
        b
          .u32(simple(isf.enums[name]?.base ?? 'int'))
          .u32(0)
          .cstr(name),
      );
    else if (kind === 'union') ti = add(LF.UNION, numeric(b.u32(0), 0).cstr(name));
    else ti = add(LF.STRUCTURE, numeric(b.u32(0).u32(0).u32(0), 0).cstr(name));
    fwd.set(key, ti);
    return ti;
  };
  for (const [name, t] of Object.entries(isf.user_types)) declare(t.kind, name);
  for (const name of Object.keys(isf.enums)) declare('enum', name);

  const sizeOf = (r: Ref): number => {
    switch (r.kind) {
      case 'base':
        return isf.base_types[r.name]?.size ?? 0;
      case 'pointer':
        return r.base ? (isf.base_types[r.base]?.size ?? ptrSize) : ptrSize;
      case 'array':
        return r.count * sizeOf(r.subtype);
      case 'enum':
        return isf.enums[r.name]?.size ?? 4;
      case 'struct':
      case 'union':
      case 'class':
        return isf.user_types[r.name]?.size ?? 0;
      default:
        return 0;
    }
  };
  const memo = new Map<string, number>();
  let procedure = 0;
  const typeIndex = (r: Ref): number => {
    const key = JSON.stringify(r);
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let ti: number;
    switch (r.kind) {
      case 'base':
        ti = simple(r.name);
        break;
      case 'struct':
      case 'union':
      case 'class':
      case 'enum':
        ti = declare(r.kind, r.name);
        break;
      case 'pointer': {
        const size = sizeOf(r);
        if (r.subtype.kind === 'base' && size === ptrSize) {
          // Pointers to built-in types are built-in type numbers with a pointer mode (near32 4, near64 6).
          ti = ((ptrSize === 8 ? 6 : 4) << 8) | simple(r.subtype.name);
        } else {
          const referent = typeIndex(r.subtype);
          ti = add(LF.POINTER, new Bytes().u32(referent).u32((size === 8 ? 0x0c : 0x0a) | (size << 13)));
        }
        break;
      }
      case 'array': {
        const elem = typeIndex(r.subtype);
        const b = new Bytes().u32(elem).u32(ptrSize === 8 ? 0x23 : 0x22);
        ti = add(LF.ARRAY, numeric(b, r.count * sizeOf(r.subtype)).cstr(''));
        break;
      }
      case 'bitfield':
        ti = add(LF.BITFIELD, new Bytes().u32(typeIndex(r.type)).u8(r.bit_length).u8(r.bit_position));
        break;
      case 'function': {
        if (!procedure) {
          const args = add(LF.ARGLIST, new Bytes().u32(0));
          procedure = add(LF.PROCEDURE, new Bytes().u32(0x03).u8(0).u8(0).u16(0).u32(args));
        }
        ti = procedure;
        break;
      }
    }
    memo.set(key, ti);
    return ti;
  };

  /** A field list in as many records as it takes, chained with LF_INDEX; returns the first record's index. */
  const fieldList = (entries: Uint8Array[]): number => {
    const chunks: Uint8Array[][] = [[]];
    let size = 0;
    for (const e of entries) {
      if (size + e.length > FIELD_LIST_MAX) {
        chunks.push([]);
        size = 0;
      }
      chunks[chunks.length - 1]!.push(e);
      size += e.length;
    }
    let next = 0;
    for (let i = chunks.length - 1; i >= 0; i--) {
      const b = new Bytes();
      for (const e of chunks[i]!) b.raw(e);
      if (next) b.u16(LF.INDEX).u16(0).u32(next);
      next = add(LF.FIELDLIST, b);
    }
    return next;
  };

  for (const [name, t] of Object.entries(isf.user_types)) {
    const members = Object.entries(t.fields).map(([fname, f]) => {
      const b = new Bytes()
        .u16(LF.MEMBER)
        .u16(3)
        .u32(typeIndex(f.type as Ref));
      return numeric(b, f.offset).cstr(fname).pad4().done();
    });
    const list = fieldList(members);
    const b = new Bytes().u16(members.length).u16(0).u32(list);
    if (t.kind === 'union') add(LF.UNION, numeric(b, t.size).cstr(name));
    else add(LF.STRUCTURE, numeric(b.u32(0).u32(0), t.size).cstr(name));
  }
  for (const [name, e] of Object.entries(isf.enums)) {
    const consts = Object.entries(e.constants).map(([cname, v]) =>
      numeric(new Bytes().u16(LF.ENUMERATE).u16(3), v).cstr(cname).pad4().done(),
    );
    const list = fieldList(consts);
    add(LF.ENUM, new Bytes().u16(consts.length).u16(0).u32(simple(e.base)).u32(list).cstr(name));
  }

  const syms = Object.entries(isf.symbols);
  const lowest = syms.reduce((m, [, s]) => Math.min(m, s.address), 0x1000);
  const highest = syms.reduce((m, [, s]) => Math.max(m, s.address), 0x1000);
  const sectionVa = lowest >= 0x1000 ? 0x1000 : 0;
  return buildPdb({
    types,
    machine: ptrSize === 8 ? 0x8664 : 0x14c,
    age: opts.age,
    guid: guidBytes(opts.guid),
    // The converter drops one leading `_` or `@` of a public name (x86 decoration): add one where the name has one.
    symbols: syms.map(([n, s]) => pub32(/^[_@]/.test(n) ? `_${n}` : n, 1, s.address - sectionVa)),
    sections: [{ name: '.text', va: sectionVa, size: highest - sectionVa + 0x1000 }],
  });
}
