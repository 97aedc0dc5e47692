/**
 * Cutting a full kernel ISF down to the types, members and symbols memdig uses (used.ts), keeping the ISF schema so
 * that the result is itself a valid Volatility 3 table. Rules:
 * - a listed type keeps its size and the listed members that exist in this build;
 * - a by-value member's type that is not listed is kept whole (recursively): its size and bit layout matter;
 * - a pointer to a type that is not kept becomes a pointer to void (the table stays free of dangling references);
 * - anonymous types (`__unnamed_1a2b`, `<unnamed-tag>`) get a name from where they are used
 *   (`__unnamed__MMVAD_SHORT_u`), so identical layouts of different builds compare equal.
 */
import type { IsfDocument, IsfEnum, IsfField, IsfTypeRef, IsfUserType } from './isf.js';

export interface IsfSubset {
  base_types: IsfDocument['base_types'];
  user_types: Record<string, IsfUserType>;
  enums: Record<string, IsfEnum>;
}

/** Names compilers/converters give types without a name: `__unnamed_1a2b`, `__anonymous_1de7`, `<unnamed-tag>`. */
const isAnonymous = (name: string) =>
  name.startsWith('__unnamed_') ||
  name.startsWith('__anonymous_') ||
  name.startsWith('<unnamed') ||
  name.startsWith('<anonymous');

export function extractSubset(
  doc: IsfDocument,
  used: Readonly<Record<string, readonly string[] | '*'>>,
): IsfSubset {
  const src = doc.user_types;
  const has = (n: string) => Object.hasOwn(src, n);
  const keep = new Map<string, Set<string> | '*'>(); // source type name -> members kept
  const rename = new Map<string, string>(); // source anonymous name -> stable name
  const queue: string[] = [];

  const want = (name: string, members: Set<string> | '*') => {
    if (!has(name) || keep.has(name)) return;
    keep.set(name, members);
    queue.push(name);
  };
  for (const name of Object.keys(used).sort()) {
    const m = used[name]!;
    want(name, m === '*' ? '*' : new Set(m));
  }
  // Walk kept members; by-value types not listed are kept whole. Sorted order keeps anonymous names stable.
  const keptFields = (name: string): [string, IsfField][] => {
    const u = src[name]!;
    const m = keep.get(name)!;
    return Object.keys(u.fields)
      .sort()
      .filter((f) => m === '*' || m.has(f))
      .map((f) => [f, u.fields[f]!]);
  };
  while (queue.length) {
    const name = queue.shift()!;
    for (const [fname, f] of keptFields(name)) {
      let t: IsfTypeRef | undefined = f.type;
      while (t && (t.kind === 'array' || t.kind === 'bitfield')) t = t.kind === 'array' ? t.subtype : t.type;
      if (t && (t.kind === 'struct' || t.kind === 'union' || t.kind === 'class') && t.name && has(t.name)) {
        if (isAnonymous(t.name) && !rename.has(t.name))
          rename.set(t.name, `__unnamed_${rename.has(name) ? rename.get(name) : name}_${fname}`);
        if (!used[t.name]) want(t.name, '*');
      }
    }
  }

  const enums: Record<string, IsfEnum> = {};
  const nameOf = (n: string) => rename.get(n) ?? n;
  const mapRef = (t: IsfTypeRef, underPointer: boolean): IsfTypeRef => {
    switch (t.kind) {
      case 'pointer':
        return { ...t, subtype: mapRef(t.subtype!, true) };
      case 'array':
        return { ...t, subtype: mapRef(t.subtype!, underPointer) };
      case 'bitfield':
        return { ...t, type: mapRef(t.type!, underPointer) };
      case 'enum':
        if (doc.enums[t.name!]) enums[t.name!] = doc.enums[t.name!]!;
        return t;
      case 'struct':
      case 'union':
      case 'class':
        if (keep.has(t.name!)) return { ...t, name: nameOf(t.name!) };
        return underPointer ? { kind: 'base', name: 'void' } : t;
      default:
        return t;
    }
  };
  const user_types: Record<string, IsfUserType> = {};
  for (const name of [...keep.keys()].sort()) {
    const u = src[name]!;
    const fields: Record<string, IsfField> = {};
    for (const [fname, f] of keptFields(name)) {
      const nf: IsfField = { offset: f.offset, type: mapRef(f.type, false) };
      if (f.anonymous) nf.anonymous = true;
      fields[fname] = nf;
    }
    user_types[nameOf(name)] = { kind: u.kind, size: u.size, fields };
  }
  return { base_types: doc.base_types, user_types, enums };
}

/** JSON with object keys sorted at every level: the same layout always gives the same text (and hash). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
