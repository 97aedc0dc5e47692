import { basename } from 'node:path';
import { FormatError } from '../../util/errors.js';
import { Pdb } from './pdb.js';
import { isForwardRef, TYPE_INDEX_BEGIN, type TypeRecord } from './tpi.js';

/** Volatility 3 ISF, schema 6.2.0 (the newest its 2.x readers accept). */
export const ISF_FORMAT = '6.2.0';
export const PRODUCER = { name: 'memdig', version: '0.1.0' };

export interface IsfBaseType {
  kind: 'int' | 'float' | 'char' | 'bool' | 'void';
  size: number;
  signed: boolean;
  endian: 'little';
}
export type IsfTypeRef =
  | { kind: 'base'; name: string }
  | { kind: 'pointer'; subtype: IsfTypeRef; base?: string }
  | { kind: 'array'; count: number; subtype: IsfTypeRef }
  | { kind: 'struct' | 'union' | 'class' | 'enum'; name: string }
  | { kind: 'bitfield'; bit_position: number; bit_length: number; type: IsfTypeRef }
  | { kind: 'function' };
export interface IsfField {
  offset: number;
  type: IsfTypeRef;
  anonymous?: boolean;
}
export interface IsfUserType {
  kind: 'struct' | 'union' | 'class';
  size: number;
  fields: Record<string, IsfField>;
}
export interface IsfEnum {
  size: number;
  base: string;
  constants: Record<string, number>;
}
export interface IsfSymbol {
  address: number;
  type?: IsfTypeRef;
  linkage_name?: string;
}
export interface IsfDocument {
  metadata: {
    format: string;
    producer: { name: string; version: string; datetime: string };
    windows: { pdb: { GUID: string; age: number; database: string; machine_type: number } };
  };
  base_types: Record<string, IsfBaseType>;
  user_types: Record<string, IsfUserType>;
  enums: Record<string, IsfEnum>;
  symbols: Record<string, IsfSymbol>;
}

export interface ConvertOptions {
  /** The PDB file name recorded in metadata (symbol tables are looked up by it); default: the file's base name. */
  database?: string;
}

export interface ConvertResult {
  isf: IsfDocument;
  warnings: string[];
}

const b = (kind: IsfBaseType['kind'], size: number, signed: boolean): IsfBaseType => ({
  kind,
  size,
  signed,
  endian: 'little',
});

/** Built-in CodeView types by their low byte, under the names Volatility's converter gives them. */
const SIMPLE: Record<number, [string, IsfBaseType]> = {
  0: ['void', b('void', 0, true)],
  3: ['void', b('void', 0, true)],
  7: ['void', b('void', 0, true)],
  8: ['HRESULT', b('int', 4, false)],
  16: ['char', b('char', 1, true)],
  32: ['unsigned char', b('char', 1, false)],
  104: ['int8', b('int', 1, true)],
  105: ['uint8', b('int', 1, false)],
  112: ['char', b('char', 1, true)],
  113: ['wchar', b('int', 2, true)],
  122: ['char16_t', b('int', 2, false)],
  123: ['char32_t', b('int', 4, false)],
  124: ['char8_t', b('char', 1, false)],
  17: ['short', b('int', 2, true)],
  33: ['unsigned short', b('int', 2, false)],
  114: ['short', b('int', 2, true)],
  115: ['unsigned short', b('int', 2, false)],
  18: ['long', b('int', 4, true)],
  34: ['unsigned long', b('int', 4, false)],
  116: ['int', b('int', 4, true)],
  117: ['unsigned int', b('int', 4, false)],
  19: ['long long', b('int', 8, true)],
  35: ['unsigned long long', b('int', 8, false)],
  118: ['long long', b('int', 8, true)],
  119: ['unsigned long long', b('int', 8, false)],
  20: ['int128', b('int', 16, true)],
  36: ['uint128', b('int', 16, false)],
  120: ['int128', b('int', 16, true)],
  121: ['uint128', b('int', 16, false)],
  48: ['bool', b('bool', 1, false)],
  49: ['bool16', b('bool', 2, false)],
  50: ['bool32', b('bool', 4, false)],
  51: ['bool64', b('bool', 8, false)],
  70: ['f16', b('float', 2, true)],
  64: ['f32', b('float', 4, true)],
  69: ['f32pp', b('float', 4, true)],
  68: ['f48', b('float', 6, true)],
  65: ['double', b('float', 8, true)],
  66: ['f80', b('float', 10, true)],
  67: ['f128', b('float', 16, true)],
};
/** Pointer size of each simple-type mode (near16, far16, huge16, near32, far32, near64, near128). */
const MODE_PTR_SIZE = [0, 2, 4, 4, 4, 6, 8, 16];

const MACHINE_PTR_SIZE: Record<number, number> = { 332: 4, 448: 4, 452: 4, 34404: 8, 43620: 8, 512: 8 };

/** Upper bound on nested modifier/pointer/array chains; real types are a few levels deep. */
const MAX_DEPTH = 512;
/** Upper bound on LF_INDEX continuation chains of one field list. */
const MAX_CONTINUATIONS = 4096;

export function pdbToIsf(path: string, opts: ConvertOptions = {}): ConvertResult {
  const pdb = Pdb.open(path);
  try {
    return convertPdb(pdb, { database: opts.database ?? basename(path) });
  } finally {
    pdb.close();
  }
}

export function convertPdb(pdb: Pdb, opts: ConvertOptions = {}): ConvertResult {
  return new IsfConverter(pdb, opts).run();
}

/** Turns the TPI types and DBI symbols of a PDB into an ISF document, following Volatility's naming conventions. */
class IsfConverter {
  private readonly tpi;
  private readonly warnings: string[] = [];
  private readonly bases: Record<string, IsfBaseType> = {};
  private readonly userTypes: Record<string, IsfUserType> = {};
  private readonly enums: Record<string, IsfEnum> = {};
  private readonly byUnique = new Map<string, number>();
  private readonly byName = new Map<string, number>();
  private readonly refMemo = new Map<number, IsfTypeRef>();
  private readonly sizeMemo = new Map<number, number>();
  private readonly inProgress = new Set<number>();
  private readonly pointerSize: number;
  /** Types only ever declared: referenced by name, so they get an empty entry rather than a dangling reference. */
  private readonly undefinedUdts = new Map<string, 'struct' | 'union'>();
  private readonly undefinedEnums = new Map<string, number>();

  constructor(
    private readonly pdb: Pdb,
    private readonly opts: ConvertOptions,
  ) {
    this.tpi = pdb.types;
    this.pointerSize = MACHINE_PTR_SIZE[pdb.machine] ?? this.guessPointerSize();
    this.bases.pointer = b('int', this.pointerSize, false);
  }

  run(): ConvertResult {
    const t = this.tpi;
    for (let ti = t.begin; ti < t.end; ti++) {
      const k = t.kinds[ti - t.begin]!;
      if (!isUdtOrEnumLeaf(k)) continue;
      const r = t.record(ti);
      if ((r.t !== 'udt' && r.t !== 'enum') || isForwardRef(r)) continue;
      if (r.uniqueName && !this.byUnique.has(r.uniqueName)) this.byUnique.set(r.uniqueName, ti);
      if (!this.byName.has(r.name)) this.byName.set(r.name, ti);
    }
    for (let ti = t.begin; ti < t.end; ti++) {
      if (!isUdtOrEnumLeaf(t.kinds[ti - t.begin]!)) continue;
      const r = t.record(ti);
      if (isForwardRef(r)) continue;
      if (r.t === 'udt') this.emitUdt(ti, r);
      else if (r.t === 'enum') this.emitEnum(ti, r);
    }
    const symbols = this.convertSymbols();
    for (const [name, kind] of this.undefinedUdts) {
      if (this.userTypes[name]) continue;
      this.warn(`${name}: declared but never defined; written as an empty ${kind}`);
      this.userTypes[name] = { kind, size: 0, fields: {} };
    }
    for (const [name, underlying] of this.undefinedEnums) {
      if (this.enums[name]) continue;
      this.warn(`enum ${name}: declared but never defined; written without constants`);
      const base = this.typeRef(underlying);
      this.enums[name] = {
        size: this.sizeOf(underlying),
        base: base.kind === 'base' ? base.name : 'int',
        constants: {},
      };
    }
    const info = this.pdb.info;
    const isf: IsfDocument = {
      metadata: {
        format: ISF_FORMAT,
        producer: { ...PRODUCER, datetime: new Date().toISOString() },
        windows: {
          pdb: {
            GUID: info.guid,
            age: this.pdb.age,
            database: this.opts.database ?? 'unknown.pdb',
            machine_type: this.pdb.machine,
          },
        },
      },
      base_types: this.bases,
      user_types: this.userTypes,
      enums: this.enums,
      symbols,
    };
    return { isf, warnings: [...this.warnings, ...this.pdb.warnings.items] };
  }

  private guessPointerSize(): number {
    const t = this.tpi;
    for (let ti = t.begin; ti < t.end; ti++) {
      if (t.kinds[ti - t.begin] !== 0x1002) continue;
      const r = t.record(ti);
      if (r.t === 'pointer' && r.mode === 0 && (r.size === 4 || r.size === 8)) return r.size;
    }
    return 8;
  }

  private warn(msg: string): void {
    if (this.warnings.length < 1000) this.warnings.push(msg);
  }

  /** Forward declaration → its definition (by unique name, then name); the index itself when there is none. */
  private resolve(ti: number): number {
    if (ti < TYPE_INDEX_BEGIN || !this.tpi.has(ti)) return ti;
    const r = this.tpi.record(ti);
    if ((r.t !== 'udt' && r.t !== 'enum') || !isForwardRef(r)) return ti;
    return (r.uniqueName ? this.byUnique.get(r.uniqueName) : undefined) ?? this.byName.get(r.name) ?? ti;
  }

  /** Volatility's names: `<unnamed-tag>` / `__unnamed` become `__unnamed_<type index in hex>`. */
  private isfName(ti: number, name: string): string {
    for (const tag of ['unnamed', 'anonymous']) {
      if (name === `<${tag}-tag>` || name === `__${tag}`) return `__${tag}_${ti.toString(16)}`;
    }
    return name;
  }

  private emitUdt(ti: number, r: Extract<TypeRecord, { t: 'udt' }>): void {
    const name = this.isfName(ti, r.name);
    if (this.userTypes[name]) return;
    const fields: Record<string, IsfField> = {};
    for (const f of this.fieldList(r.fieldList, name)) {
      if (f.f === 'member') {
        if (fields[f.name]) {
          this.warn(`${name}: duplicate member ${f.name} ignored`);
          continue;
        }
        fields[f.name] = { offset: f.offset, type: this.typeRef(f.type) };
      } else if (f.f === 'base') {
        if (f.virtual) {
          this.warn(
            `${name}: virtual base class at type 0x${f.type.toString(16)} has no fixed offset; omitted`,
          );
          continue;
        }
        const ref = this.typeRef(f.type);
        const key = `__base_${'name' in ref ? ref.name : f.type.toString(16)}`;
        // A base class's members are reachable through the derived type, as with an anonymous member.
        fields[key] = { offset: f.offset, type: ref, anonymous: true };
      }
    }
    this.userTypes[name] = { kind: r.udt === 'union' ? 'union' : 'struct', size: r.size, fields };
  }

  private emitEnum(ti: number, r: Extract<TypeRecord, { t: 'enum' }>): void {
    const name = this.isfName(ti, r.name);
    if (this.enums[name]) return;
    const base = this.typeRef(r.underlying);
    const constants: Record<string, number> = {};
    for (const f of this.fieldList(r.fieldList, name)) {
      if (f.f === 'enumerate' && !(f.name in constants)) constants[f.name] = f.value;
    }
    this.enums[name] = {
      size: this.sizeOf(r.underlying),
      base: base.kind === 'base' ? base.name : 'int',
      constants,
    };
  }

  /** All entries of a field list, following LF_INDEX continuations (bounded, loop-checked). */
  private fieldList(ti: number, owner: string) {
    const out = [];
    const seen = new Set<number>();
    let cur = ti;
    while (cur !== 0) {
      if (seen.has(cur) || seen.size > MAX_CONTINUATIONS) {
        throw new FormatError(
          'PDB',
          0,
          `${owner}: field list continuation loops at type 0x${cur.toString(16)}`,
        );
      }
      seen.add(cur);
      if (!this.tpi.has(cur)) {
        throw new FormatError('PDB', 0, `${owner}: field list type 0x${cur.toString(16)} does not exist`);
      }
      const r = this.tpi.record(cur);
      if (r.t !== 'fieldlist') {
        throw new FormatError('PDB', 0, `${owner}: type 0x${cur.toString(16)} is not a field list`);
      }
      cur = 0;
      for (const f of r.fields) {
        if (f.f === 'index') cur = f.type;
        else out.push(f);
      }
    }
    return out;
  }

  private enter(ti: number): void {
    if (this.inProgress.has(ti) || this.inProgress.size > MAX_DEPTH) {
      throw new FormatError('PDB', 0, `type 0x${ti.toString(16)} refers to itself (cyclic type reference)`);
    }
    this.inProgress.add(ti);
  }

  private baseRef(low: number): IsfTypeRef {
    const e = SIMPLE[low];
    if (!e) {
      this.warn(`unknown built-in type 0x${low.toString(16)}; written as void`);
      this.bases.void = SIMPLE[3]![1];
      return { kind: 'base', name: 'void' };
    }
    this.bases[e[0]] = e[1];
    return { kind: 'base', name: e[0] };
  }

  private pointerRef(size: number, subtype: IsfTypeRef): IsfTypeRef {
    if (size === 0 || size === this.pointerSize) return { kind: 'pointer', subtype };
    const base = `pointer${size * 8}`;
    this.bases[base] = b('int', size, false);
    return { kind: 'pointer', base, subtype };
  }

  typeRef(ti: number): IsfTypeRef {
    const memo = this.refMemo.get(ti);
    if (memo) return memo;
    let ref: IsfTypeRef;
    if (ti < TYPE_INDEX_BEGIN) {
      const mode = (ti >>> 8) & 0xf;
      const base = this.baseRef(ti & 0xff);
      ref = mode === 0 ? base : this.pointerRef(MODE_PTR_SIZE[mode] ?? this.pointerSize, base);
    } else {
      if (!this.tpi.has(ti))
        throw new FormatError('PDB', 0, `reference to missing type 0x${ti.toString(16)}`);
      this.enter(ti);
      try {
        ref = this.recordRef(ti);
      } finally {
        this.inProgress.delete(ti);
      }
    }
    this.refMemo.set(ti, ref);
    return ref;
  }

  private recordRef(ti: number): IsfTypeRef {
    const def = this.resolve(ti);
    const r = this.tpi.record(def);
    switch (r.t) {
      case 'udt': {
        const name = this.isfName(def, r.name);
        const kind = r.udt === 'union' ? 'union' : 'struct';
        if (isForwardRef(r)) this.undefinedUdts.set(name, kind);
        return { kind, name };
      }
      case 'enum': {
        const name = this.isfName(def, r.name);
        if (isForwardRef(r)) this.undefinedEnums.set(name, r.underlying);
        return { kind: 'enum', name };
      }
      case 'modifier':
        return this.typeRef(r.referent);
      case 'pointer':
        return this.pointerRef(r.size || this.pointerSize, this.typeRef(r.referent));
      case 'array': {
        const subtype = this.typeRef(r.element);
        const elem = this.sizeOf(r.element);
        return { kind: 'array', count: elem > 0 ? Math.floor(r.size / elem) : 0, subtype };
      }
      case 'bitfield':
        return {
          kind: 'bitfield',
          bit_position: r.position,
          bit_length: r.length,
          type: this.typeRef(r.type),
        };
      case 'procedure':
        return { kind: 'function' };
      default:
        this.warn(`type 0x${ti.toString(16)} (${r.t}) cannot be a member type; written as void`);
        return this.baseRef(3);
    }
  }

  sizeOf(ti: number): number {
    if (ti < TYPE_INDEX_BEGIN) {
      const mode = (ti >>> 8) & 0xf;
      if (mode !== 0) return MODE_PTR_SIZE[mode] ?? this.pointerSize;
      return SIMPLE[ti & 0xff]?.[1].size ?? 0;
    }
    const memo = this.sizeMemo.get(ti);
    if (memo !== undefined) return memo;
    if (!this.tpi.has(ti)) throw new FormatError('PDB', 0, `reference to missing type 0x${ti.toString(16)}`);
    this.enter(ti);
    let size: number;
    try {
      const r = this.tpi.record(this.resolve(ti));
      switch (r.t) {
        case 'udt':
          size = isForwardRef(r) ? 0 : r.size;
          break;
        case 'enum':
          size = this.sizeOf(r.underlying);
          break;
        case 'modifier':
          size = this.sizeOf(r.referent);
          break;
        case 'pointer':
          size = r.size || this.pointerSize;
          break;
        case 'array':
          size = r.size;
          break;
        case 'bitfield':
          size = this.sizeOf(r.type);
          break;
        default:
          size = 0;
      }
    } finally {
      this.inProgress.delete(ti);
    }
    this.sizeMemo.set(ti, size);
    return size;
  }

  private convertSymbols(): Record<string, IsfSymbol> {
    const out: Record<string, IsfSymbol> = {};
    let unplaced = 0;
    const recs = this.pdb.symbols();
    // Publics first (their decorated names become linkage names), then typed records add types at the same address.
    for (const s of recs) {
      if (s.kind !== 'public') continue;
      const address = this.pdb.rva(s.segment, s.offset);
      if (address === null) {
        unplaced++;
        continue;
      }
      const name = stripName(s.name);
      const e: IsfSymbol = { address };
      if (name !== s.name) e.linkage_name = s.name;
      out[name] = e;
    }
    for (const s of recs) {
      if (s.kind === 'public') continue;
      const address = this.pdb.rva(s.segment, s.offset);
      if (address === null) {
        unplaced++;
        continue;
      }
      let type: IsfTypeRef | undefined;
      try {
        type = s.type ? this.typeRef(s.type) : undefined;
      } catch (e) {
        this.warn(`symbol ${s.name}: ${(e as Error).message}`);
      }
      const have = out[s.name];
      if (!have) {
        out[s.name] = type ? { address, type } : { address };
      } else if (have.address === address && type && !have.type) {
        have.type = type;
      }
    }
    if (unplaced) this.warn(`${unplaced} symbol(s) name a section the PDB has no header for; omitted`);
    return out;
  }
}

function isUdtOrEnumLeaf(k: number): boolean {
  return (
    (k >= 0x1004 && k <= 0x1007) ||
    (k >= 0x1504 && k <= 0x1507) ||
    k === 0x1519 ||
    k === 0x1608 ||
    k === 0x1609
  );
}

/**
 * Volatility's name clean-up for public symbols: drop one leading `_`, `@` or DEL, and a stdcall `@<bytes>` suffix
 * unless the name is a C++ decorated one.
 */
export function stripName(name: string): string {
  let n = name;
  if (n.startsWith('_') || n.startsWith('@') || n.startsWith('\u007f')) n = n.slice(1);
  const parts = n.split('@');
  if (parts.length === 2) {
    if (/^[0-9]+$/.test(parts[1]!) && !parts[0]!.startsWith('?')) return parts[0]!;
    return name;
  }
  return n;
}
