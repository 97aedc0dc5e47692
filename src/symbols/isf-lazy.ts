/**
 * Opening an ISF table without parsing all of it. A Windows kernel table is ~6 MB of JSON of which memdig uses a
 * few dozen types and symbols, so one pass indexes where each user type's JSON lies, and a type is parsed and
 * validated the first time it is read. The 35,000 symbols are found by name through a hash of their raw name bytes
 * and parsed one at a time; listing them all parses the whole section. metadata, base types and enums are small and
 * are parsed and checked at once.
 *
 * A type is handed out only after the same checks `validateIsf` makes (isf-check.ts). Checking a type reads the
 * size of each type it holds by value, which checks that type first; a type met again while it is still being
 * checked contains itself by value, and is reported as the cycle it is. A broken type that is never read does
 * not stop the rest of the table from being used.
 */
import { FormatError, type Warnings } from '../util/errors.js';
import type { IsfBaseType, IsfDocument, IsfEnum, IsfMetadata, IsfSymbol, IsfUserType } from './isf.js';
import { ISF_SECTIONS, IsfChecker } from './isf-check.js';
import { CHILD_FIELDS, type IsfScan, JsonScanError, type ScannedMember, scanIsfJson } from './isf-scan.js';
import { decodeName, JsonKeyIndex, plainBytes } from './json-members.js';

/** A member's name and where its value lies. */
interface JsonMember {
  key: string;
  start: number;
  end: number;
}

function skipWs(b: Uint8Array, i: number): number {
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  return i;
}

const utf8 = new TextEncoder();

/** By-value nesting deeper than this is a broken table (real kernels nest a dozen levels at most). */
const MAX_VALUE_NESTING = 256;

/** Replaces a lazily computed property by its value, keeping it an ordinary enumerable data property. */
function settle(obj: object, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

function defineLazy(obj: object, key: string, compute: () => unknown): void {
  Object.defineProperty(obj, key, {
    enumerable: true,
    configurable: true,
    get() {
      const v = compute();
      settle(obj, key, v);
      return v;
    },
    set(v: unknown) {
      settle(obj, key, v);
    },
  });
}

/** Indexes an ISF held as UTF-8 JSON bytes (already decompressed); see the file comment. */
export function openIsfJson(input: Uint8Array, source: string, warnings: Warnings): IsfDocument {
  const bytes = plainBytes(input);
  const check = new IsfChecker(source, warnings);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const notJson = (offset: number, why: string): never => {
    throw new FormatError('ISF', offset, `${source}: not valid JSON (${why}); truncated file?`);
  };
  const parse = (m: JsonMember): unknown => {
    try {
      return JSON.parse(text.toString('utf8', m.start, m.end));
    } catch (e) {
      const msg = (e as Error).message;
      const pos = /position (\d+)/.exec(msg);
      return notJson(m.start + (pos ? Number(pos[1]) : 0), `in "${m.key}": ${msg}`);
    }
  };

  const first = skipWs(bytes, 0);
  if (first >= bytes.length) notJson(first, 'empty input');
  if (bytes[first] !== 0x7b) check.bad('top level is not a JSON object');
  let scan: IsfScan;
  try {
    scan = scanIsfJson(bytes);
  } catch (e) {
    if (e instanceof JsonScanError) return notJson(e.offset, e.message);
    throw e;
  }
  const sections = new Map<string, ScannedMember & { key: string }>();
  for (const m of scan.top) {
    let key: string;
    try {
      key = decodeName(bytes, text, m.keyStart, m.keyEnd);
    } catch (e) {
      if (e instanceof JsonScanError) return notJson(e.offset, e.message);
      throw e;
    }
    sections.set(key, { ...m, key });
  }
  for (const k of ISF_SECTIONS) {
    const m = sections.get(k);
    if (!m || bytes[m.start] !== 0x7b) check.bad(`missing or malformed "${k}" (expected an object)`);
  }
  const children = scan.children;
  const name = (start: number, end: number): string => {
    try {
      return decodeName(bytes, text, start, end);
    } catch (e) {
      if (e instanceof JsonScanError) return notJson(e.offset, e.message);
      throw e;
    }
  };

  const metadata = parse(sections.get('metadata')!) as IsfMetadata;
  const baseTypes = parse(sections.get('base_types')!) as Record<string, IsfBaseType>;
  const enums = parse(sections.get('enums')!) as Record<string, IsfEnum>;
  check.metadata(metadata);
  check.baseTypes(baseTypes);
  check.enums(enums);

  const userTypes: Record<string, IsfUserType> = {};
  const checking: string[] = [];
  const ut = sections.get('user_types')!;
  for (let c = ut.firstChild; c < ut.firstChild + ut.childCount; c++) {
    const at = c * CHILD_FIELDS;
    const m: JsonMember = {
      key: name(children[at]!, children[at + 1]!),
      start: children[at + 2]!,
      end: children[at + 3]!,
    };
    defineLazy(userTypes, m.key, () => {
      if (checking.includes(m.key)) check.cycle(checking, m.key);
      if (checking.length >= MAX_VALUE_NESTING)
        check.bad(`types nested by value more than ${MAX_VALUE_NESTING} deep at "${m.key}"`);
      const u = parse(m) as IsfUserType;
      checking.push(m.key);
      try {
        check.userType(m.key, u, baseTypes, enums, userTypes);
      } finally {
        checking.pop();
      }
      return u;
    });
  }

  const doc: Record<string, unknown> = { metadata, base_types: baseTypes, enums, user_types: userTypes };
  const sym = sections.get('symbols')!;
  doc.symbols = lazySymbols(
    sym.childEscapes ? null : new JsonKeyIndex(bytes, children, sym.firstChild, sym.childCount),
    sym,
    parse,
    check,
  );
  for (const [k, m] of sections) if (!Object.hasOwn(doc, k)) defineLazy(doc, k, () => parse(m));
  return doc as unknown as IsfDocument;
}

/**
 * The `symbols` section as a record that parses one symbol when it is asked for. Everything that lists the
 * symbols (keys, entries, JSON.stringify) parses and checks the whole section once, and from then on answers
 * from it; so does every lookup when some name holds an escape, as raw bytes cannot be matched then.
 */
function lazySymbols(
  index: JsonKeyIndex | null,
  section: JsonMember,
  parse: (m: JsonMember) => unknown,
  check: IsfChecker,
): Record<string, IsfSymbol> {
  let all: Record<string, IsfSymbol> | null = null;
  const seen = new Map<string, IsfSymbol | undefined>();
  const everything = (): Record<string, IsfSymbol> => {
    if (!all) {
      const parsed = parse(section) as Record<string, IsfSymbol>;
      check.symbols(parsed);
      all = parsed;
    }
    return all;
  };
  const lookup = (name: string): IsfSymbol | undefined => {
    if (all) return Object.hasOwn(all, name) ? all[name] : undefined;
    if (seen.has(name)) return seen.get(name);
    if (!index) {
      const a = everything();
      return Object.hasOwn(a, name) ? a[name] : undefined;
    }
    const r = index.find(utf8.encode(name));
    let sym: IsfSymbol | undefined;
    if (r) {
      sym = parse({ key: name, start: r.start, end: r.end }) as IsfSymbol;
      check.symbols({ [name]: sym });
    }
    seen.set(name, sym);
    return sym;
  };
  const own = (k: string | symbol) => (typeof k === 'string' ? lookup(k) : undefined);
  return new Proxy({} as Record<string, IsfSymbol>, {
    get: (_t, k) => own(k),
    has: (_t, k) => own(k) !== undefined,
    getOwnPropertyDescriptor: (_t, k) => {
      const v = own(k);
      return v === undefined ? undefined : { value: v, writable: true, enumerable: true, configurable: true };
    },
    ownKeys: () => Reflect.ownKeys(everything()),
    set: (_t, k, v) => Reflect.set(everything(), k, v),
    defineProperty: (_t, k, d) => Reflect.defineProperty(everything(), k, d),
    deleteProperty: (_t, k) => Reflect.deleteProperty(everything(), k),
  });
}
