/**
 * Validation of ISF tables, in pieces so that a table can be checked all at once (`validateIsf`) or type by type
 * as it is first used (the lazy reader in isf-lazy.ts). Either way the guarantee is the same for every type that
 * is handed out: sizes, offsets, counts and bit ranges are bounded, every base type and enum it names exists, and
 * no type contains itself by value (a cycle would make size and nested-layout walks loop forever).
 */
import { FormatError, Warnings } from '../util/errors.js';
import type {
  IsfBaseType,
  IsfDocument,
  IsfEnum,
  IsfField,
  IsfMetadata,
  IsfSymbol,
  IsfTypeRef,
  IsfUserType,
} from './isf.js';

/**
 * Largest struct/array we accept. Real kernels have types that describe address-space regions (Windows 10's
 * `_MI_HYPER_SPACE` is 264 MiB), so the bound is 1 GiB: beyond that the table is broken, not big.
 */
export const MAX_TYPE_SIZE = 2 ** 30;
const MAX_DESCRIPTOR_DEPTH = 32;

export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** The top-level sections every table has; all must be JSON objects. */
export const ISF_SECTIONS = ['base_types', 'user_types', 'enums', 'symbols', 'metadata'] as const;

export class IsfChecker {
  constructor(
    readonly source: string,
    readonly warnings: Warnings,
  ) {}

  bad(what: string): never {
    throw new FormatError('ISF', 0, `${this.source}: ${what}`);
  }

  /** Format version and PDB identity. */
  metadata(meta: IsfMetadata): void {
    if (typeof meta.format !== 'string' || !/^\d+\.\d+\.\d+$/.test(meta.format)) {
      this.bad('metadata.format missing or not "major.minor.patch"');
    }
    const major = Number(meta.format.split('.')[0]);
    if (major < 4 || major > 8)
      this.warnings.add(`${this.source}: ISF format ${meta.format} is not one memdig was tested with`);
    const pdb = meta.windows?.pdb;
    if (pdb !== undefined) {
      if (
        !isObj(pdb) ||
        typeof pdb.database !== 'string' ||
        typeof pdb.GUID !== 'string' ||
        !isCount(pdb.age, 2 ** 32)
      ) {
        this.bad('metadata.windows.pdb must have database, GUID and age');
      }
    }
  }

  baseTypes(baseTypes: Record<string, IsfBaseType>): void {
    for (const [name, b] of Object.entries(baseTypes)) {
      if (!isObj(b) || !isCount(b.size, 16) || typeof b.kind !== 'string') {
        this.bad(`base type "${name}" is malformed (needs kind and a size of at most 16)`);
      }
    }
  }

  enums(enums: Record<string, IsfEnum>): void {
    for (const [name, e] of Object.entries(enums)) {
      if (!isObj(e) || !isObj(e.constants) || !isCount(e.size, 8) || typeof e.base !== 'string') {
        this.bad(`enum "${name}" is malformed (needs base, size and constants)`);
      }
    }
  }

  symbols(symbols: Record<string, IsfSymbol>): void {
    for (const name of Object.keys(symbols)) {
      const s = symbols[name]!;
      if (
        !isObj(s) ||
        (s.address !== undefined && (typeof s.address !== 'number' || !Number.isFinite(s.address)))
      ) {
        this.bad(`symbol "${name}" is malformed (address must be a number)`);
      }
    }
  }

  /**
   * Checks one user type against the table's base types, enums and user types. A by-value member reads the
   * size of the type it names from `userTypes`; with the lazy reader that access validates that type first.
   */
  userType(
    name: string,
    u: IsfUserType,
    baseTypes: Record<string, IsfBaseType>,
    enums: Record<string, IsfEnum>,
    userTypes: Record<string, IsfUserType>,
  ): void {
    // Where the member being checked is; error texts are built only when something is wrong (this runs over
    // every member of a 1500-type table, so no per-member strings).
    let curField = '';
    const loc = () => `${name}.${curField}`;
    const sizeOfRef = (t: IsfTypeRef, depth: number): number => {
      if (depth > MAX_DESCRIPTOR_DEPTH)
        this.bad(`${loc()}: type descriptor nested deeper than ${MAX_DESCRIPTOR_DEPTH}`);
      if (!isObj(t) || typeof t.kind !== 'string')
        return this.bad(`${loc()}: type descriptor without a kind`);
      switch (t.kind) {
        case 'base': {
          const b =
            typeof t.name === 'string' && hasOwn.call(baseTypes, t.name) ? baseTypes[t.name] : undefined;
          if (!b) return this.bad(`${loc()}: base type "${String(t.name)}" is not defined in base_types`);
          return b.size;
        }
        case 'pointer': {
          const pb = t.base ?? 'pointer';
          const b = hasOwn.call(baseTypes, pb) ? baseTypes[pb] : undefined;
          if (!b) return this.bad(`${loc()}: pointer base type "${pb}" is not defined in base_types`);
          if (t.subtype === undefined) return this.bad(`${loc()}: pointer without subtype`);
          checkTarget(t.subtype, depth + 1);
          return b.size;
        }
        case 'array': {
          if (!isCount(t.count, MAX_TYPE_SIZE))
            return this.bad(`${loc()}: array count ${String(t.count)} is not a sane count`);
          if (t.subtype === undefined) return this.bad(`${loc()}: array without subtype`);
          const es = sizeOfRef(t.subtype, depth + 1);
          if (es * t.count > MAX_TYPE_SIZE)
            this.bad(`${loc()}: array of ${t.count} x ${es} bytes is absurdly large`);
          return es * t.count;
        }
        case 'bitfield': {
          if (t.type === undefined) return this.bad(`${loc()}: bitfield without an underlying type`);
          const s = sizeOfRef(t.type, depth + 1);
          const pos = t.bit_position;
          const len = t.bit_length;
          if (!isCount(pos, 63) || !isCount(len, 64) || len === 0 || pos + len > s * 8) {
            this.bad(`${loc()}: bit range ${String(pos)}+${String(len)} does not fit a ${s}-byte integer`);
          }
          return s;
        }
        case 'enum': {
          const e = typeof t.name === 'string' && hasOwn.call(enums, t.name) ? enums[t.name] : undefined;
          if (!e) return this.bad(`${loc()}: enum "${String(t.name)}" is not defined`);
          return e.size;
        }
        case 'struct':
        case 'union':
        case 'class': {
          if (typeof t.name !== 'string') return this.bad(`${loc()}: ${t.kind} reference without a name`);
          const ref = hasOwn.call(userTypes, t.name) ? userTypes[t.name] : undefined;
          if (!ref) {
            this.warnings.add(`${this.source}: ${loc()}: by-value member of undefined type "${t.name}"`);
            return 0;
          }
          return isCount(ref.size, MAX_TYPE_SIZE) ? ref.size : 0;
        }
        case 'function':
          return 0;
        default:
          return this.bad(`${loc()}: unknown type kind "${String((t as { kind: unknown }).kind)}"`);
      }
    };
    // Pointer targets may name types the table only declares (Volatility's own tables do this): accept them.
    const checkTarget = (t: IsfTypeRef, depth: number): void => {
      if (depth > MAX_DESCRIPTOR_DEPTH)
        this.bad(`${loc()}: type descriptor nested deeper than ${MAX_DESCRIPTOR_DEPTH}`);
      if (!isObj(t) || typeof t.kind !== 'string') this.bad(`${loc()}: type descriptor without a kind`);
      if (t.kind === 'struct' || t.kind === 'union' || t.kind === 'class' || t.kind === 'enum') {
        if (typeof t.name !== 'string') this.bad(`${loc()}: ${t.kind} reference without a name`);
        return;
      }
      if (t.kind === 'pointer') {
        if (t.subtype === undefined) this.bad(`${loc()}: pointer without subtype`);
        checkTarget(t.subtype!, depth + 1);
        return;
      }
      if (t.kind === 'array') {
        if (!isCount(t.count, MAX_TYPE_SIZE) || t.subtype === undefined)
          this.bad(`${loc()}: malformed array`);
        checkTarget(t.subtype!, depth + 1);
        return;
      }
      sizeOfRef(t, depth);
    };

    if (!isObj(u) || !isObj(u.fields))
      this.bad(`user type "${name}" is malformed (needs kind, size and fields)`);
    if (u.kind !== 'struct' && u.kind !== 'union' && u.kind !== 'class') {
      this.bad(`user type "${name}" has unknown kind "${String(u.kind)}"`);
    }
    if (!isCount(u.size, MAX_TYPE_SIZE)) this.bad(`user type "${name}" has an absurd size ${String(u.size)}`);
    const fields = u.fields;
    for (const fname of Object.keys(fields)) {
      const f = fields[fname]!;
      curField = fname;
      if (!isObj(f) || !isCount(f.offset, u.size)) {
        this.bad(`${loc()}: offset ${String((f as IsfField)?.offset)} is outside the ${u.size}-byte type`);
      }
      const storage = sizeOfRef(f.type, 0);
      // A bitfield's storage unit may overhang its struct (Linux desc_struct.base2: a u16 unit at +7 of 8 bytes);
      // only the bytes holding its bits must fit.
      const t = f.type;
      const fs = t.kind === 'bitfield' ? Math.ceil((t.bit_position! + t.bit_length!) / 8) : storage;
      if (f.offset + fs > u.size) {
        this.warnings.add(
          `${this.source}: ${loc()}: member (${fs} bytes at +${f.offset}) runs past the end of its type`,
        );
      }
    }
  }

  cycle(chain: string[], next: string): never {
    const cyc = chain.slice(chain.indexOf(next)).concat(next).join(' -> ');
    return this.bad(`type contains itself by value (cyclic layout): ${cyc}`);
  }
}

/**
 * Checks the whole table and returns it typed. Throws FormatError for anything that would make later access
 * wrong or unbounded; soft problems (a by-value member of a type the table does not define, unknown format
 * version) go to `warnings`.
 */
export function validateIsf(doc: unknown, source: string, warnings = new Warnings()): IsfDocument {
  const check = new IsfChecker(source, warnings);
  if (!isObj(doc)) check.bad('top level is not a JSON object');
  const d = doc as Record<string, unknown>;
  for (const k of ISF_SECTIONS) {
    if (!isObj(d[k])) check.bad(`missing or malformed "${k}" (expected an object)`);
  }
  const baseTypes = d.base_types as Record<string, IsfBaseType>;
  const enums = d.enums as Record<string, IsfEnum>;
  const userTypes = d.user_types as Record<string, IsfUserType>;
  check.metadata(d.metadata as IsfMetadata);
  check.baseTypes(baseTypes);
  check.enums(enums);
  check.symbols(d.symbols as Record<string, IsfSymbol>);
  for (const name of Object.keys(userTypes))
    check.userType(name, userTypes[name]!, baseTypes, enums, userTypes);
  checkNoValueCycles(userTypes, check);
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
function checkNoValueCycles(userTypes: Record<string, IsfUserType>, check: IsfChecker): void {
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
      if (st === 1)
        check.cycle(
          stack.map((s) => s.name),
          next,
        );
      if (st === undefined) push(next);
    }
  }
}
