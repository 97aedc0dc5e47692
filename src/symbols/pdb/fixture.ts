/**
 * Builders for small synthetic PDBs, used by tests to exercise records the real corpus lacks (LF_INDEX
 * continuations, `_ST` names, hostile sizes). They write the layout the reader expects, nothing more.
 */

export class Bytes {
  private readonly parts: number[] = [];
  get length(): number {
    return this.parts.length;
  }
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.parts.push(b[i]!);
    return this;
  }
  cstr(s: string): this {
    return this.raw(Buffer.from(s, 'utf8')).u8(0);
  }
  pascal(s: string): this {
    return this.u8(s.length).raw(Buffer.from(s, 'latin1'));
  }
  /** Field-list alignment: LF_PAD bytes (0xF0 | remaining) up to a multiple of 4. */
  pad4(): this {
    while (this.parts.length % 4) this.u8(0xf0 | (4 - (this.parts.length % 4)));
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** One type record: u16 length, u16 leaf, payload, padded to 4 bytes. */
export function typeRecord(leaf: number, payload: Uint8Array): Uint8Array {
  const body = new Bytes().u16(leaf).raw(payload);
  while ((body.length + 2) % 4) body.u8(0xf0 | (4 - ((body.length + 2) % 4)));
  return new Bytes().u16(body.length).raw(body.done()).done();
}

export function tpiStream(records: Uint8Array[], begin = 0x1000): Uint8Array {
  const bytes = records.reduce((a, r) => a + r.length, 0);
  const h = new Bytes()
    .u32(20040203)
    .u32(56)
    .u32(begin)
    .u32(begin + records.length)
    .u32(bytes);
  h.u16(0xffff).u16(0xffff).u32(4).u32(0x3ffff);
  for (let i = 0; i < 6; i++) h.u32(0);
  for (const r of records) h.raw(r);
  return h.done();
}

export function infoStream(guidBytes: number[], age: number): Uint8Array {
  return new Bytes().u32(20000404).u32(0x12345678).u32(age).raw(guidBytes).u32(0).u32(0).u32(0).u32(0).done();
}

export interface DbiSpec {
  machine: number;
  age: number;
  symRecordStream: number;
  sectionHeaderStream: number;
}

export function dbiStream(s: DbiSpec): Uint8Array {
  const dbg = new Bytes();
  for (let i = 0; i < 11; i++) dbg.u16(i === 5 ? s.sectionHeaderStream : 0xffff);
  const h = new Bytes().u32(0xffffffff).u32(19990903).u32(s.age);
  h.u16(0xffff).u16(0).u16(0xffff).u16(0).u16(s.symRecordStream).u16(0);
  h.u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).u32(dbg.length).u32(0).u16(0).u16(s.machine).u32(0);
  return h.raw(dbg.done()).done();
}

export function sectionHeaders(sections: { name: string; va: number; size: number }[]): Uint8Array {
  const b = new Bytes();
  for (const s of sections) {
    const name = Buffer.alloc(8);
    name.write(s.name, 'latin1');
    b.raw(name).u32(s.size).u32(s.va).u32(0).u32(0).u32(0).u32(0).u16(0).u16(0).u32(0x60000020);
  }
  return b.done();
}

export function pub32(name: string, segment: number, offset: number): Uint8Array {
  const body = new Bytes().u16(0x110e).u32(0).u32(offset).u16(segment).cstr(name);
  while ((body.length + 2) % 4) body.u8(0);
  return new Bytes().u16(body.length).raw(body.done()).done();
}

export function gdata32(name: string, type: number, segment: number, offset: number): Uint8Array {
  const body = new Bytes().u16(0x110d).u32(type).u32(offset).u16(segment).cstr(name);
  while ((body.length + 2) % 4) body.u8(0);
  return new Bytes().u16(body.length).raw(body.done()).done();
}

/** An MSF 7.00 file holding `streams` (null = nil stream): superblock, two free-block maps, block map, directory. */
export function buildMsf(streams: (Uint8Array | null)[], blockSize = 512): Uint8Array {
  const blocks: Uint8Array[] = [
    new Uint8Array(blockSize),
    new Uint8Array(blockSize),
    new Uint8Array(blockSize),
  ];
  const alloc = (data: Uint8Array): number[] => {
    const idx: number[] = [];
    for (let p = 0; p < data.length; p += blockSize) {
      const blk = new Uint8Array(blockSize);
      blk.set(data.subarray(p, p + blockSize));
      idx.push(blocks.length);
      blocks.push(blk);
    }
    return idx;
  };
  blocks.push(new Uint8Array(blockSize)); // block 3: block map, filled below
  const dir = new Bytes().u32(streams.length);
  for (const s of streams) dir.u32(s ? s.length : 0xffffffff);
  for (const s of streams) if (s) for (const b of alloc(s)) dir.u32(b);
  const dirBytes = dir.done();
  const dirBlocks = alloc(dirBytes);
  const map = blocks[3]!;
  dirBlocks.forEach((b, i) => {
    new DataView(map.buffer).setUint32(i * 4, b, true);
  });
  const sb = blocks[0]!;
  sb.set(Buffer.from('Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0', 'latin1'));
  const dv = new DataView(sb.buffer);
  dv.setUint32(32, blockSize, true);
  dv.setUint32(36, 1, true);
  dv.setUint32(40, blocks.length, true);
  dv.setUint32(44, dirBytes.length, true);
  dv.setUint32(52, 3, true);
  const out = new Uint8Array(blocks.length * blockSize);
  blocks.forEach((b, i) => {
    out.set(b, i * blockSize);
  });
  return out;
}

export interface PdbSpec {
  types: Uint8Array[];
  machine?: number;
  age?: number;
  symbols?: Uint8Array[];
  sections?: { name: string; va: number; size: number }[];
  guid?: number[];
}

/** A whole PDB: streams 0 (old directory), 1 info, 2 TPI, 3 DBI, 4 IPI, 5 symbol records, 6 section headers. */
export function buildPdb(spec: PdbSpec): Uint8Array {
  const guid = spec.guid ?? Array.from({ length: 16 }, (_, i) => i + 1);
  const syms = spec.symbols ?? [];
  const symBytes = new Bytes();
  for (const s of syms) symBytes.raw(s);
  return buildMsf([
    new Uint8Array(0),
    infoStream(guid, spec.age ?? 1),
    tpiStream(spec.types),
    dbiStream({
      machine: spec.machine ?? 0x8664,
      age: spec.age ?? 1,
      symRecordStream: 5,
      sectionHeaderStream: 6,
    }),
    tpiStream([]),
    symBytes.done(),
    sectionHeaders(spec.sections ?? [{ name: '.text', va: 0x1000, size: 0x1000 }]),
  ]);
}
