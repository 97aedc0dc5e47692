import { type IsfDocument, type IsfTypeRef, readIsfFile } from '../symbols/isf.js';
import type { Warnings } from '../util/errors.js';
import type { MemberInfo, TypeSource } from './types.js';

/**
 * Struct layouts from a Volatility 3 Linux ISF (dwarf2json), for kernels without BTF in RAM. Anonymous members
 * (dwarf2json's `unnamed_field_N` with `anonymous: true`) are descended like in C.
 */
export class IsfTypes implements TypeSource {
  readonly description: string;

  constructor(
    readonly doc: IsfDocument,
    source: string,
  ) {
    this.description = `ISF ${source} (${Object.keys(doc.user_types).length} types)`;
  }

  static read(path: string, warnings?: Warnings): IsfTypes {
    return new IsfTypes(readIsfFile(path, warnings), path);
  }

  structSize(name: string): number | undefined {
    return this.doc.user_types[name]?.size;
  }

  member(struct: string, path: string): MemberInfo | undefined {
    let cur: string | undefined = struct;
    let off = 0;
    let info: MemberInfo | undefined;
    for (const part of path.split('.')) {
      if (!cur) return undefined;
      const hit = this.find(cur, part, 0);
      if (!hit) return undefined;
      off += hit.offset;
      const t = hit.type;
      const bits = t.kind === 'bitfield' ? (t.bit_length ?? 0) : 0;
      info = { offset: off, size: this.sizeOf(t), bitSize: bits, bitOffset: off * 8 + (t.bit_position ?? 0) };
      cur = t.kind === 'struct' || t.kind === 'union' ? t.name : undefined;
    }
    return info;
  }

  private find(
    struct: string,
    name: string,
    depth: number,
  ): { offset: number; type: IsfTypeRef } | undefined {
    const u = this.doc.user_types[struct];
    if (!u || depth > 8) return undefined;
    const direct = u.fields[name];
    if (direct) return { offset: direct.offset, type: direct.type };
    for (const f of Object.values(u.fields)) {
      if (!f.anonymous || !f.type.name) continue;
      const inner = this.find(f.type.name, name, depth + 1);
      if (inner) return { offset: f.offset + inner.offset, type: inner.type };
    }
    return undefined;
  }

  private sizeOf(t: IsfTypeRef, depth = 0): number {
    if (depth > 16) return -1;
    switch (t.kind) {
      case 'pointer':
        return 8;
      case 'base':
        return this.doc.base_types[t.name ?? '']?.size ?? -1;
      case 'struct':
      case 'union':
      case 'class':
        return this.doc.user_types[t.name ?? '']?.size ?? -1;
      case 'enum':
        return this.doc.enums[t.name ?? '']?.size ?? -1;
      case 'array': {
        const el = t.subtype ? this.sizeOf(t.subtype, depth + 1) : -1;
        return el < 0 ? -1 : el * (t.count ?? 0);
      }
      case 'bitfield':
        return t.type ? this.sizeOf(t.type, depth + 1) : -1;
      default:
        return -1;
    }
  }

  enumValue(name: string): number | undefined {
    for (const e of Object.values(this.doc.enums)) if (name in e.constants) return e.constants[name];
    return undefined;
  }
}
