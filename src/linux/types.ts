import { type Btf, BtfKind } from './btf.js';

/** Where a member sits: byte offset from the start of the outer struct, and its byte size (-1 when unknown). */
export interface MemberInfo {
  offset: number;
  size: number;
  /** Bitfield width, 0 for ordinary members. */
  bitSize: number;
  bitOffset: number;
}

/**
 * Struct layouts by name, from whichever type source the kernel offers (in-RAM BTF, or a user's ISF).
 * Member paths are dotted (`f_path.dentry`); anonymous structs/unions are descended transparently, as in C.
 */
export interface TypeSource {
  /** Human description: "BTF in RAM at PA 0x132c1b88 (100750 types)". */
  readonly description: string;
  structSize(name: string): number | undefined;
  member(struct: string, path: string): MemberInfo | undefined;
  enumValue(name: string): number | undefined;
}

export class BtfTypes implements TypeSource {
  private readonly structs = new Map<string, number | null>();
  private enums: Map<string, number> | null = null;

  constructor(
    readonly btf: Btf,
    readonly description: string,
  ) {}

  private structId(name: string): number | undefined {
    if (this.structs.has(name)) return this.structs.get(name) ?? undefined;
    let best: number | null = null;
    for (const id of this.btf.findByName(name)) {
      const t = this.btf.type(id)!;
      if (t.kind !== BtfKind.Struct && t.kind !== BtfKind.Union) continue;
      // Prefer the complete definition (a struct can appear empty where only declared).
      if (best === null || t.vlen > this.btf.type(best)!.vlen) best = id;
    }
    this.structs.set(name, best);
    return best ?? undefined;
  }

  structSize(name: string): number | undefined {
    const id = this.structId(name);
    return id === undefined ? undefined : this.btf.type(id)!.size;
  }

  member(struct: string, path: string): MemberInfo | undefined {
    let id = this.structId(struct);
    if (id === undefined) return undefined;
    let off = 0;
    let last: MemberInfo | undefined;
    for (const part of path.split('.')) {
      const hit = this.findMember(id!, part, 0);
      if (!hit) return undefined;
      off += hit.bitOffset;
      last = { offset: 0, size: this.btf.sizeOf(hit.type), bitSize: hit.bitSize, bitOffset: off };
      id = this.btf.resolve(hit.type);
    }
    if (!last) return undefined;
    last.offset = Math.floor(last.bitOffset / 8);
    return last;
  }

  /** Finds `name` in a struct/union, descending anonymous members; bit offsets accumulate. */
  private findMember(
    id: number,
    name: string,
    depth: number,
  ): { type: number; bitOffset: number; bitSize: number } | undefined {
    if (depth > 8) return undefined;
    const t = this.btf.type(this.btf.resolve(id));
    if (!t?.members) return undefined;
    for (const m of t.members) {
      if (m.name === name) return { type: m.type, bitOffset: m.bitOffset, bitSize: m.bitSize };
    }
    for (const m of t.members) {
      if (m.name !== '') continue;
      const inner = this.findMember(m.type, name, depth + 1);
      if (inner) return { ...inner, bitOffset: inner.bitOffset + m.bitOffset };
    }
    return undefined;
  }

  enumValue(name: string): number | undefined {
    if (!this.enums) {
      this.enums = new Map();
      for (let id = this.btf.firstId; id <= this.btf.lastId; id++) {
        const t = this.btf.type(id)!;
        if (t.kind === BtfKind.Enum || t.kind === BtfKind.Enum64) {
          for (const v of t.enumValues!) if (!this.enums.has(v.name)) this.enums.set(v.name, v.value);
        }
      }
    }
    return this.enums.get(name);
  }
}
