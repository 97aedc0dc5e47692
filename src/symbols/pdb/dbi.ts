import { Cursor } from './cursor.js';

const NO_STREAM = 0xffff;
const DBI_HEADER_SIZE = 64;
/** Bounds the module list of a hostile stream; real images have at most a few tens of thousands of modules. */
const MAX_MODULES = 1 << 20;

export interface PdbInfo {
  version: number;
  signature: number;
  age: number;
  /** 32 uppercase hex digits in the order symbol servers and Volatility use (Data1..3 byte-swapped). */
  guid: string;
}

export function readPdbInfo(data: Uint8Array): PdbInfo {
  const c = new Cursor(data, 'PDB info stream');
  const version = c.u32();
  const signature = c.u32();
  const age = c.u32();
  c.need(16);
  const g = data.subarray(c.pos, c.pos + 16);
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  let guid = '';
  for (const i of order) guid += g[i]!.toString(16).padStart(2, '0');
  return { version, signature, age, guid: guid.toUpperCase() };
}

export interface SectionHeader {
  name: string;
  virtualSize: number;
  virtualAddress: number;
}

export interface ModuleInfo {
  name: string;
  symStream: number;
  symBytes: number;
}

export interface DbiStream {
  age: number;
  machine: number;
  globalStream: number;
  publicStream: number;
  symRecordStream: number;
  modules: ModuleInfo[];
  /** Optional debug header stream indices (NO_STREAM entries become -1). */
  sectionHeaderStream: number;
  sectionHeaderOrigStream: number;
  omapFromSrcStream: number;
}

const streamIndex = (v: number) => (v === NO_STREAM ? -1 : v);

/**
 * The DBI stream: header (age, machine, symbol stream indices), then substreams in a fixed order — module info,
 * section contributions, section map, file info, type server map, EC info, optional debug header.
 */
export function readDbi(data: Uint8Array): DbiStream {
  const c = new Cursor(data, 'DBI stream');
  if (data.length < DBI_HEADER_SIZE) c.fail(`stream of ${data.length} bytes is shorter than the DBI header`);
  const sig = c.i32();
  if (sig !== -1) c.fail(`version signature ${sig} (expected -1: only the VC 7+ DBI format is supported)`, 0);
  c.u32(); // version header
  const age = c.u32();
  const globalStream = c.u16();
  c.u16(); // build number
  const publicStream = c.u16();
  c.u16(); // pdb dll version
  const symRecordStream = c.u16();
  c.u16();
  const sizes = [c.i32(), c.i32(), c.i32(), c.i32(), c.i32()]; // modinfo, seccontr, secmap, fileinfo, tsmap
  c.u32(); // MFC type server index
  const dbgHeaderSize = c.i32();
  const ecSize = c.i32();
  c.u16(); // flags
  const machine = c.u16();
  let pos = DBI_HEADER_SIZE;
  const all = [...sizes, ecSize, dbgHeaderSize];
  for (const s of all) {
    if (s < 0 || pos + s > data.length)
      c.fail(`substream size ${s} runs past the ${data.length}-byte stream`, pos);
    pos += s;
  }
  const modules = readModules(data, DBI_HEADER_SIZE, sizes[0]!);
  const dbgStart = pos - dbgHeaderSize;
  const dbg = new Cursor(data, 'DBI optional debug header', dbgStart, pos);
  const dbgStreams: number[] = [];
  while (dbg.remaining >= 2) dbgStreams.push(streamIndex(dbg.u16()));
  return {
    age,
    machine,
    globalStream: streamIndex(globalStream),
    publicStream: streamIndex(publicStream),
    symRecordStream: streamIndex(symRecordStream),
    modules,
    sectionHeaderStream: dbgStreams[5] ?? -1,
    sectionHeaderOrigStream: dbgStreams[10] ?? -1,
    omapFromSrcStream: dbgStreams[4] ?? -1,
  };
}

function readModules(data: Uint8Array, start: number, size: number): ModuleInfo[] {
  const c = new Cursor(data, 'DBI module info', start, start + size);
  const out: ModuleInfo[] = [];
  while (c.remaining >= 64 && out.length < MAX_MODULES) {
    c.skip(4 + 28 + 2); // unused, section contribution, flags
    const symStream = c.u16();
    const symBytes = c.u32();
    c.skip(4 + 4 + 2 + 2 + 4 + 4 + 4);
    const name = c.cstring();
    c.cstring(); // object file
    c.pos = Math.min(c.end, (c.pos + 3) & ~3);
    out.push({ name, symStream: streamIndex(symStream), symBytes });
  }
  return out;
}

export function readSectionHeaders(data: Uint8Array): SectionHeader[] {
  const out: SectionHeader[] = [];
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let p = 0; p + 40 <= data.length; p += 40) {
    let name = '';
    for (let i = 0; i < 8 && data[p + i] !== 0; i++) name += String.fromCharCode(data[p + i]!);
    out.push({ name, virtualSize: dv.getUint32(p + 8, true), virtualAddress: dv.getUint32(p + 12, true) });
  }
  return out;
}

/** OMAP (from source to image): sorted [from, to] pairs for images whose code was reordered after linking. */
export class Omap {
  private readonly from: Uint32Array;
  private readonly to: Uint32Array;
  constructor(data: Uint8Array) {
    const n = Math.floor(data.length / 8);
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.from = new Uint32Array(n);
    this.to = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      this.from[i] = dv.getUint32(i * 8, true);
      this.to[i] = dv.getUint32(i * 8 + 4, true);
    }
  }
  get size(): number {
    return this.from.length;
  }
  /** Maps an address; 0 when it falls in a range the optimiser dropped. */
  map(addr: number): number {
    let lo = 0;
    let hi = this.from.length - 1;
    if (hi < 0 || addr < this.from[0]!) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.from[mid]! <= addr) lo = mid;
      else hi = mid - 1;
    }
    const to = this.to[lo]!;
    return to === 0 ? 0 : to + (addr - this.from[lo]!);
  }
}
