/**
 * Volatility 3 "Intermediate Symbol Format" (ISF) tables: reading and validation.
 *
 * An ISF is one JSON document: `base_types`, `user_types` (structs/unions with member offsets and type
 * descriptors), `enums`, `symbols` (addresses relative to the image base) and `metadata`. Files may be plain
 * `.json` or `.json.xz`. Validation runs once at load so that every later layout lookup can trust the table:
 * sizes, offsets, counts and bit ranges are bounded, and a struct that contains itself by value is rejected
 * (a cycle would make size and nested-layout walks loop forever).
 */
import { readFileSync } from 'node:fs';
import { FormatError, MemdigError, Warnings } from '../util/errors.js';
import { xzDecompress } from '../util/xz.js';

export interface IsfTypeRef {
  kind: 'base' | 'pointer' | 'array' | 'bitfield' | 'enum' | 'struct' | 'union' | 'class' | 'function';
  name?: string;
  /** pointer target / array element */
  subtype?: IsfTypeRef;
  /** pointer: name of the base type that holds the pointer value (default "pointer") */
  base?: string;
  count?: number;
  bit_position?: number;
  bit_length?: number;
  /** bitfield: the integer type the bits live in */
  type?: IsfTypeRef;
}

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

export interface IsfBaseType {
  kind: 'int' | 'char' | 'bool' | 'float' | 'void';
  size: number;
  signed: boolean;
  endian: 'little' | 'big';
}

export interface IsfEnum {
  base: string;
  size: number;
  constants: Record<string, number>;
}

export interface IsfSymbol {
  address: number;
  type?: IsfTypeRef;
  constant_data?: string;
}

export interface IsfPdbIdentity {
  database: string;
  GUID: string;
  age: number;
  machine_type?: number;
}

export interface IsfMetadata {
  format: string;
  producer?: { name?: string; version?: string; datetime?: string };
  windows?: {
    pdb?: IsfPdbIdentity;
    pe?: { major?: number; minor?: number; build?: number; revision?: number };
  };
  [k: string]: unknown;
}

export interface IsfDocument {
  metadata: IsfMetadata;
  base_types: Record<string, IsfBaseType>;
  user_types: Record<string, IsfUserType>;
  enums: Record<string, IsfEnum>;
  symbols: Record<string, IsfSymbol>;
}

/**
 * Largest struct/array we accept. Real kernels have types that describe address-space regions (Windows 10's
 * `_MI_HYPER_SPACE` is 264 MiB), so the bound is 1 GiB: beyond that the table is broken, not big.
 */
export const MAX_TYPE_SIZE = 2 ** 30;
const MAX_DESCRIPTOR_DEPTH = 32;
const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

/** Reads an ISF file (`.json` or `.json.xz`, detected by content) and validates it. */
export function readIsfFile(path: string, warnings?: Warnings): IsfDocument {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new MemdigError(`cannot read symbol table ${path}: ${(e as Error).message}`);
  }
  return parseIsf(bytes, path, warnings);
}

/** Decompresses when the bytes are xz (by magic), then parses and validates. */
export function parseIsf(input: Uint8Array | string, source: string, warnings?: Warnings): IsfDocument {
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    let bytes = input;
    if (bytes.length >= 6 && XZ_MAGIC.every((b, i) => bytes[i] === b)) {
      try {
        bytes = xzDecompress(bytes);
      } catch (e) {
        throw new FormatError(
          'ISF',
          0,
          `${source}: xz stream is damaged or truncated (${(e as Error).message})`,
        );
      }
    }
    text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    const pos = m ? Number(m[1]) : text.length;
    throw new FormatError('ISF', pos, `${source}: not valid JSON (${msg}); truncated file?`);
  }
  return validateIsf(doc, source, warnings);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

/**
 * Checks the whole table and returns it typed. Throws FormatError for anything that would make later access
 * wrong or unbounded; soft problems (a by-value member of a type the table does not define, unknown format
 * version) go to `warnings`.
 */
export function validateIsf(doc: unknown, source: string, warnings = new Warnings()): IsfDocument {
  const bad = (what: string): never => {
    throw new FormatError('ISF', 0, `${source}: ${what}`);
  };
  if (!isObj(doc)) bad('top level is not a JSON object');
  const d = doc as Record<string, unknown>;
  for (const k of ['base_types', 'user_types', 'enums', 'symbols', 'metadata']) {
    if (!isObj(d[k])) bad(`missing or malformed "${k}" (expected an object)`);
  }
  const meta = d.metadata as IsfMetadata;
  if (typeof meta.format !== 'string' || !/^\d+\.\d+\.\d+$/.test(meta.format)) {
    bad('metadata.format missing or not "major.minor.patch"');
  }
  const major = Number(meta.format.split('.')[0]);
  if (major < 4 || major > 8)
    warnings.add(`${source}: ISF format ${meta.format} is not one memdig was tested with`);
  const pdb = meta.windows?.pdb;
  if (pdb !== undefined) {
    if (
      !isObj(pdb) ||
      typeof pdb.database !== 'string' ||
      typeof pdb.GUID !== 'string' ||
      !isCount(pdb.age, 2 ** 32)
    ) {
      bad('metadata.windows.pdb must have database, GUID and age');
    }
  }

  const baseTypes = d.base_types as Record<string, IsfBaseType>;
  for (const [name, b] of Object.entries(baseTypes)) {
    if (!isObj(b) || !isCount(b.size, 16) || typeof b.kind !== 'string') {
      bad(`base type "${name}" is malformed (needs kind and a size of at most 16)`);
    }
  }
  const enums = d.enums as Record<string, IsfEnum>;
  for (const [name, e] of Object.entries(enums)) {
    if (!isObj(e) || !isObj(e.constants) || !isCount(e.size, 8) || typeof e.base !== 'string') {
      bad(`enum "${name}" is malformed (needs base, size and constants)`);
    }
  }
  const symbols = d.symbols as Record<string, IsfSymbol>;
  for (const name of Object.keys(symbols)) {
    const s = symbols[name]!;
    if (
      !isObj(s) ||
      (s.address !== undefined && (typeof s.address !== 'number' || !Number.isFinite(s.address)))
    ) {
      bad(`symbol "${name}" is malformed (address must be a number)`);
    }
  }

  const userTypes = d.user_types as Record<string, IsfUserType>;
  const hasOwn = Object.prototype.hasOwnProperty;
  // Where the member being checked is; error texts are built only when something is wrong (this loop runs over
  // every member of a 1500-type table, so no per-member strings).
  let curType = '';
  let curField = '';
  const loc = () => `${curType}.${curField}`;
  const sizeOfRef = (t: IsfTypeRef, depth: number): number => {
    if (depth > MAX_DESCRIPTOR_DEPTH)
      bad(`${loc()}: type descriptor nested deeper than ${MAX_DESCRIPTOR_DEPTH}`);
    if (!isObj(t) || typeof t.kind !== 'string') return bad(`${loc()}: type descriptor without a kind`);
    switch (t.kind) {
      case 'base': {
        const b =
          typeof t.name === 'string' && hasOwn.call(baseTypes, t.name) ? baseTypes[t.name] : undefined;
        if (!b) return bad(`${loc()}: base type "${String(t.name)}" is not defined in base_types`);
        return b.size;
      }
      case 'pointer': {
        const pb = t.base ?? 'pointer';
        const b = hasOwn.call(baseTypes, pb) ? baseTypes[pb] : undefined;
        if (!b) return bad(`${loc()}: pointer base type "${pb}" is not defined in base_types`);
        if (t.subtype === undefined) return bad(`${loc()}: pointer without subtype`);
        checkTarget(t.subtype, depth + 1);
        return b.size;
      }
      case 'array': {
        if (!isCount(t.count, MAX_TYPE_SIZE))
          return bad(`${loc()}: array count ${String(t.count)} is not a sane count`);
        if (t.subtype === undefined) return bad(`${loc()}: array without subtype`);
        const es = sizeOfRef(t.subtype, depth + 1);
        if (es * t.count > MAX_TYPE_SIZE)
          bad(`${loc()}: array of ${t.count} x ${es} bytes is absurdly large`);
        return es * t.count;
      }
      case 'bitfield': {
        if (t.type === undefined) return bad(`${loc()}: bitfield without an underlying type`);
        const s = sizeOfRef(t.type, depth + 1);
        const pos = t.bit_position;
        const len = t.bit_length;
        if (!isCount(pos, 63) || !isCount(len, 64) || len === 0 || pos + len > s * 8) {
          bad(`${loc()}: bit range ${String(pos)}+${String(len)} does not fit a ${s}-byte integer`);
        }
        return s;
      }
      case 'enum': {
        const e = typeof t.name === 'string' && hasOwn.call(enums, t.name) ? enums[t.name] : undefined;
        if (!e) return bad(`${loc()}: enum "${String(t.name)}" is not defined`);
        return e.size;
      }
      case 'struct':
      case 'union':
      case 'class': {
        if (typeof t.name !== 'string') return bad(`${loc()}: ${t.kind} reference without a name`);
        const u = hasOwn.call(userTypes, t.name) ? userTypes[t.name] : undefined;
        if (!u) {
          warnings.add(`${source}: ${loc()}: by-value member of undefined type "${t.name}"`);
          return 0;
        }
        return isCount(u.size, MAX_TYPE_SIZE) ? u.size : 0;
      }
      case 'function':
        return 0;
      default:
        return bad(`${loc()}: unknown type kind "${String((t as { kind: unknown }).kind)}"`);
    }
  };
  // Pointer targets may name types the table only declares (Volatility's own tables do this): accept them.
  const checkTarget = (t: IsfTypeRef, depth: number): void => {
    if (depth > MAX_DESCRIPTOR_DEPTH)
      bad(`${loc()}: type descriptor nested deeper than ${MAX_DESCRIPTOR_DEPTH}`);
    if (!isObj(t) || typeof t.kind !== 'string') bad(`${loc()}: type descriptor without a kind`);
    if (t.kind === 'struct' || t.kind === 'union' || t.kind === 'class' || t.kind === 'enum') {
      if (typeof t.name !== 'string') bad(`${loc()}: ${t.kind} reference without a name`);
      return;
    }
    if (t.kind === 'pointer') {
      if (t.subtype === undefined) bad(`${loc()}: pointer without subtype`);
      checkTarget(t.subtype!, depth + 1);
      return;
    }
    if (t.kind === 'array') {
      if (!isCount(t.count, MAX_TYPE_SIZE) || t.subtype === undefined) bad(`${loc()}: malformed array`);
      checkTarget(t.subtype!, depth + 1);
      return;
    }
    sizeOfRef(t, depth);
  };

  for (const name of Object.keys(userTypes)) {
    const u = userTypes[name]!;
    if (!isObj(u) || !isObj(u.fields)) bad(`user type "${name}" is malformed (needs kind, size and fields)`);
    if (u.kind !== 'struct' && u.kind !== 'union' && u.kind !== 'class') {
      bad(`user type "${name}" has unknown kind "${String(u.kind)}"`);
    }
    if (!isCount(u.size, MAX_TYPE_SIZE)) bad(`user type "${name}" has an absurd size ${String(u.size)}`);
    const fields = u.fields;
    for (const fname of Object.keys(fields)) {
      const f = fields[fname]!;
      curType = name;
      curField = fname;
      if (!isObj(f) || !isCount(f.offset, u.size)) {
        bad(`${loc()}: offset ${String((f as IsfField)?.offset)} is outside the ${u.size}-byte type`);
      }
      const fs = sizeOfRef(f.type, 0);
      if (f.offset + fs > u.size) {
        warnings.add(
          `${source}: ${loc()}: member (${fs} bytes at +${f.offset}) runs past the end of its type`,
        );
      }
    }
  }
  checkNoValueCycles(userTypes, bad);
  return d as unknown as IsfDocument;
}

/** The user types a type holds by value (directly or as array elements): what nested layouts recurse into. */
export function byValueRefs(u: IsfUserType): string[] {
  const out: string[] = [];
  for (const f of Object.values(u.fields)) {
    let t: IsfTypeRef | undefined = f.type;
    while (t && t.kind === 'array') t = t.subtype;
    if (t && (t.kind === 'struct' || t.kind === 'union' || t.kind === 'class') && t.name) out.push(t.name);
  }
  return out;
}

/** Iterative three-colour DFS over by-value containment; a back edge is a type that contains itself. */
function checkNoValueCycles(userTypes: Record<string, IsfUserType>, bad: (what: string) => never): void {
  const state = new Map<string, 1 | 2>();
  for (const root of Object.keys(userTypes)) {
    if (state.has(root)) continue;
    const stack: { name: string; refs: string[]; i: number }[] = [];
    const push = (name: string) => {
      state.set(name, 1);
      const u = Object.hasOwn(userTypes, name) ? userTypes[name] : undefined;
      stack.push({ name, refs: u ? byValueRefs(u) : [], i: 0 });
    };
    push(root);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (top.i >= top.refs.length) {
        state.set(top.name, 2);
        stack.pop();
        continue;
      }
      const next = top.refs[top.i++]!;
      const st = state.get(next);
      if (st === 1) {
        const chain = stack.map((s) => s.name);
        const cyc = chain.slice(chain.indexOf(next)).concat(next).join(' -> ');
        bad(`type contains itself by value (cyclic layout): ${cyc}`);
      }
      if (st === undefined) push(next);
    }
  }
}
