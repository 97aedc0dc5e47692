/**
 * The builder's own structure-layout lookup. It reads Volatility-3 ISF JSON (user_types → fields → offset/type) and
 * answers "where does this field live and how wide is it". It deliberately shares no code with the reader's typed
 * access (src/symbols): a builder that borrowed the reader's layout code would reproduce the reader's mistakes.
 *
 * Sources, in order: the repository's built-in compact tables (data/layouts, ISF subset, index.json), so a fresh
 * clone can build the demo; then the shared real ISF corpus (../shared/corpus/isf, isf-x86).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { sharedPath } from '../testing/shared.js';
import { MemdigError } from '../util/errors.js';
import { bundledXz } from '../util/xz.js';

interface IsfType {
  kind: string;
  name?: string;
  subtype?: IsfType;
  count?: number;
  bit_position?: number;
  bit_length?: number;
  type?: IsfType;
}
interface IsfField {
  offset: number;
  type: IsfType;
  anonymous?: boolean;
}
interface IsfUserType {
  kind: string;
  size: number;
  fields: Record<string, IsfField>;
}
export interface Isf {
  metadata: { windows?: { pdb?: { GUID: string; age: number; database: string; machine_type?: number } } };
  base_types: Record<string, { size: number; signed?: boolean; kind?: string }>;
  user_types: Record<string, IsfUserType>;
  enums?: Record<string, { size: number }>;
  symbols: Record<string, { address: number }>;
}

/** Where a (possibly nested) field lives inside its outermost structure. */
export interface FieldLoc {
  offset: number;
  /** Byte size of the field, or of the storage unit of a bit field. */
  size: number;
  /** Bit field position and length inside the storage unit; len 0 for ordinary fields. */
  bitPos: number;
  bitLen: number;
  kind: string;
}

export interface PdbIdentity {
  name: string;
  guid: string;
  age: number;
}

export class Layout {
  readonly ptrSize: number;
  readonly pdb: PdbIdentity;
  private readonly cache = new Map<string, FieldLoc | null>();

  constructor(
    private readonly isf: Isf,
    readonly source: string,
  ) {
    this.ptrSize = isf.base_types.pointer?.size ?? 4;
    const p = isf.metadata.windows?.pdb;
    this.pdb = { name: p?.database ?? 'unknown.pdb', guid: (p?.GUID ?? '').toUpperCase(), age: p?.age ?? 0 };
  }

  hasType(type: string): boolean {
    return type in this.isf.user_types;
  }

  size(type: string): number {
    const t = this.isf.user_types[type];
    if (!t) throw new MemdigError(`layout ${this.source}: no type ${type}`);
    return t.size;
  }

  /** Kernel symbol RVA, when the table carries symbols (the XP tables do not). */
  sym(name: string): number | undefined {
    return this.isf.symbols[name]?.address;
  }

  has(type: string, path: string): boolean {
    return this.lookup(type, path) !== null;
  }

  field(type: string, path: string): FieldLoc {
    const f = this.lookup(type, path);
    if (!f) throw new MemdigError(`layout ${this.source}: ${type} has no field ${path}`);
    return f;
  }

  off(type: string, path: string): number {
    return this.field(type, path).offset;
  }

  private lookup(type: string, path: string): FieldLoc | null {
    const key = `${type}:${path}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const r = this.resolve(type, path.split('.'));
    this.cache.set(key, r);
    return r;
  }

  private resolve(type: string, parts: string[]): FieldLoc | null {
    let cur: IsfUserType | undefined = this.isf.user_types[type];
    let base = 0;
    let loc: FieldLoc | null = null;
    for (let i = 0; i < parts.length; i++) {
      if (!cur) return null;
      const m = /^(\w+)(?:\[(\d+)\])?$/.exec(parts[i]!);
      if (!m) return null;
      const found = this.findField(cur, m[1]!);
      if (!found) return null;
      let t = found.field.type;
      let offset = base + found.offset;
      if (m[2] !== undefined) {
        if (t.kind !== 'array' || !t.subtype) return null;
        offset += Number(m[2]) * this.typeSize(t.subtype);
        t = t.subtype;
      }
      loc = this.locOf(t, offset);
      base = offset;
      cur =
        t.kind === 'struct' || t.kind === 'union' || t.kind === 'class'
          ? this.isf.user_types[t.name!]
          : undefined;
    }
    return loc;
  }

  /** Finds a member by name, descending into anonymous members (unnamed unions inside Windows structures). */
  private findField(t: IsfUserType, name: string, depth = 0): { field: IsfField; offset: number } | null {
    const f = t.fields[name];
    if (f) return { field: f, offset: f.offset };
    if (depth > 4) return null;
    for (const g of Object.values(t.fields)) {
      if (!g.anonymous || !g.type.name) continue;
      const inner = this.isf.user_types[g.type.name];
      if (!inner) continue;
      const r = this.findField(inner, name, depth + 1);
      if (r) return { field: r.field, offset: g.offset + r.offset };
    }
    return null;
  }

  private locOf(t: IsfType, offset: number): FieldLoc {
    if (t.kind === 'bitfield') {
      return {
        offset,
        size: this.typeSize(t.type!),
        bitPos: t.bit_position!,
        bitLen: t.bit_length!,
        kind: 'bitfield',
      };
    }
    return { offset, size: this.typeSize(t), bitPos: 0, bitLen: 0, kind: t.kind };
  }

  typeSize(t: IsfType): number {
    switch (t.kind) {
      case 'pointer':
        return this.ptrSize;
      case 'base':
        return this.isf.base_types[t.name!]?.size ?? 0;
      case 'array':
        return (t.count ?? 0) * this.typeSize(t.subtype!);
      case 'enum':
        return this.isf.enums?.[t.name!]?.size ?? 4;
      case 'bitfield':
        return this.typeSize(t.type!);
      default:
        return this.isf.user_types[t.name!]?.size ?? 0;
    }
  }
}

/** Which kernel table a profile needs: the folder of the shared corpus and the file inside it. */
export interface LayoutRef {
  corpus: 'isf' | 'isf-x86';
  pdbName: string;
  guid: string;
  age: number;
}

const loaded = new Map<string, Layout>();

function repoRoot(): string {
  // dist/forge/layout.js -> repository root is two levels up (same for src/ when run from source).
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** The built-in tables (data/layouts/index.json: {format, kernels: [{pdb, guid, age, layout, symbols}]}). */
function builtinIsf(ref: LayoutRef): { isf: Isf; source: string } | null {
  const dir = process.env.MEMDIG_LAYOUTS ?? join(repoRoot(), 'data', 'layouts');
  const index = join(dir, 'index.json');
  if (!existsSync(index)) return null;
  try {
    const idx = JSON.parse(readFileSync(index, 'utf8')) as {
      kernels?: { pdb: string; guid: string; age: number; layout: string; symbols?: Isf['symbols'] }[];
    };
    const k = idx.kernels?.find(
      (e) => e.guid.toUpperCase() === ref.guid && e.age === ref.age && e.pdb.toLowerCase() === ref.pdbName,
    );
    if (!k) return null;
    const p = join(dir, k.layout);
    if (!existsSync(p)) return null;
    const isf = readIsf(p);
    isf.symbols = k.symbols ?? {};
    isf.metadata = {
      ...isf.metadata,
      windows: { pdb: { GUID: ref.guid, age: ref.age, database: ref.pdbName } },
    };
    return { isf, source: `builtin:${k.layout}` };
  } catch {
    return null;
  }
}

/** Types and members the builder writes; a built-in table lacking any of them is not used. */
const NEEDED: [string, string][] = [
  ['_KUSER_SHARED_DATA', 'NtMajorVersion'],
  ['_PEB', 'ProcessParameters'],
  ['_RTL_USER_PROCESS_PARAMETERS', 'CommandLine'],
  ['_DEVICE_OBJECT', 'DeviceType'],
  ['_HANDLE_TABLE_ENTRY', 'GrantedAccess'],
  ['_CM_NAME_CONTROL_BLOCK', 'NameLength'],
  ['_MMPTE_SOFTWARE', 'PageFileHigh'],
  ['_LDR_DATA_TABLE_ENTRY', 'FullDllName'],
  ['_ETHREAD', 'Cid'],
  ['_OBJECT_TYPE', 'Name'],
];

function complete(isf: Isf): boolean {
  const l = new Layout(isf, 'check');
  return NEEDED.every(
    ([t, f]) =>
      l.hasType(t) && (l.has(t, f) || (t === '_HANDLE_TABLE_ENTRY' && l.has(t, 'GrantedAccessBits'))),
  );
}

function readIsf(path: string): Isf {
  const raw = readFileSync(path);
  const text = path.endsWith('.xz')
    ? bundledXz().decompressSync(raw).toString('utf8')
    : path.endsWith('.gz')
      ? gunzipSync(raw).toString('utf8')
      : raw.toString('utf8');
  return JSON.parse(text) as Isf;
}

/** Loads the layout for a kernel identity, preferring built-in tables; throws a clear error when neither exists. */
export function loadLayout(ref: LayoutRef): Layout {
  const key = `${ref.pdbName}/${ref.guid}-${ref.age}`;
  const hit = loaded.get(key);
  if (hit) return hit;
  const builtin = builtinIsf(ref);
  let layout: Layout;
  if (builtin && complete(builtin.isf)) layout = new Layout(builtin.isf, builtin.source);
  else {
    const path = sharedPath('corpus', ref.corpus, ref.pdbName, `${ref.guid}-${ref.age}.json.xz`);
    if (!path) {
      throw new MemdigError(
        `no complete structure layout for ${key}: data/layouts ${builtin ? 'lacks types the builder writes' : 'does not list it'} ` +
          `and ../shared/corpus/${ref.corpus} is absent`,
      );
    }
    layout = new Layout(readIsf(path), path);
  }
  loaded.set(key, layout);
  return layout;
}
