/**
 * A small PE reader for images found in memory (the kernel, drivers, DLLs) or on disk: DOS/NT headers, sections,
 * the export directory, and the CodeView (RSDS) debug record that names the image's PDB (name, GUID, age) — which
 * is how memdig picks a kernel's symbol table. Every value comes from a dump and is treated as hostile: counts are
 * capped, RVAs are checked against SizeOfImage, strings are length-bounded, and nothing loops on input data.
 */
import { FormatError, type Warnings } from '../util/errors.js';
import type { Readable } from './layout.js';

export interface PeSection {
  name: string;
  virtualAddress: number;
  virtualSize: number;
  rawOffset: number;
  rawSize: number;
  characteristics: number;
}

export interface PeDataDirectory {
  rva: number;
  size: number;
}

export interface PeExport {
  name: string | null;
  ordinal: number;
  /** RVA of the exported item (0 for a forwarder). */
  rva: number;
  /** "NTDLL.RtlFoo" when the export forwards to another module. */
  forwarder?: string;
}

export interface PdbInfo {
  pdbName: string;
  /** Uppercase hex in Volatility's form: Data1, Data2, Data3 byte-swapped from their little-endian storage. */
  guid: string;
  age: number;
}

/** Maximum bytes of headers read (SizeOfHeaders is 0x400-0x1000 in practice). */
const MAX_HEADERS = 0x10000;
const MAX_SECTIONS = 96;
const MAX_EXPORTS = 65536;
const MAX_NAME = 512;
const MAX_DEBUG_ENTRIES = 32;

export const IMAGE_DIRECTORY_ENTRY_EXPORT = 0;
export const IMAGE_DIRECTORY_ENTRY_DEBUG = 6;
const IMAGE_DEBUG_TYPE_CODEVIEW = 2;
const RSDS = 0x53445352;

export class PeImage {
  readonly machine: number;
  readonly is64: boolean;
  readonly timeDateStamp: number;
  readonly imageBase: number;
  readonly sizeOfImage: number;
  readonly sizeOfHeaders: number;
  readonly checkSum: number;
  readonly subsystem: number;
  readonly osVersion: { major: number; minor: number };
  readonly imageVersion: { major: number; minor: number };
  readonly sections: readonly PeSection[];
  readonly directories: readonly PeDataDirectory[];
  private exportCache: PeExport[] | null = null;

  private constructor(
    private readonly readAt: (rva: number, dst: Uint8Array, len: number) => number,
    hdr: Uint8Array,
    private readonly source: string,
  ) {
    const dv = new DataView(hdr.buffer, hdr.byteOffset, hdr.byteLength);
    const bad = (off: number, what: string): never => {
      throw new FormatError('PE', off, `${source}: ${what}`);
    };
    if (hdr.length < 0x40 || dv.getUint16(0, true) !== 0x5a4d) bad(0, 'no MZ signature');
    const lfanew = dv.getUint32(0x3c, true);
    if (lfanew < 0x40 || lfanew + 24 > hdr.length)
      bad(0x3c, `e_lfanew 0x${lfanew.toString(16)} is outside the headers`);
    if (dv.getUint32(lfanew, true) !== 0x4550) bad(lfanew, 'no "PE\\0\\0" signature');
    const fh = lfanew + 4;
    this.machine = dv.getUint16(fh, true);
    const nSections = dv.getUint16(fh + 2, true);
    this.timeDateStamp = dv.getUint32(fh + 4, true);
    const optSize = dv.getUint16(fh + 16, true);
    const opt = fh + 20;
    if (opt + optSize > hdr.length || optSize < 0x60)
      bad(fh + 16, `optional header size ${optSize} does not fit`);
    const magic = dv.getUint16(opt, true);
    if (magic !== 0x10b && magic !== 0x20b)
      bad(opt, `optional header magic 0x${magic.toString(16)} is not PE32/PE32+`);
    this.is64 = magic === 0x20b;
    this.imageBase = this.is64
      ? hi(dv, opt + 24) + dv.getUint32(opt + 24, true)
      : dv.getUint32(opt + 28, true);
    this.osVersion = { major: dv.getUint16(opt + 40, true), minor: dv.getUint16(opt + 42, true) };
    this.imageVersion = { major: dv.getUint16(opt + 44, true), minor: dv.getUint16(opt + 46, true) };
    this.sizeOfImage = dv.getUint32(opt + 56, true);
    this.sizeOfHeaders = dv.getUint32(opt + 60, true);
    this.checkSum = dv.getUint32(opt + 64, true);
    this.subsystem = dv.getUint16(opt + 68, true);
    const nDirsOff = this.is64 ? opt + 108 : opt + 92;
    const nDirs = Math.min(16, dv.getUint32(nDirsOff, true));
    const dirs: PeDataDirectory[] = [];
    for (let i = 0; i < nDirs; i++) {
      const o = nDirsOff + 4 + i * 8;
      if (o + 8 > opt + optSize) break;
      dirs.push({ rva: dv.getUint32(o, true), size: dv.getUint32(o + 4, true) });
    }
    this.directories = dirs;
    if (nSections > MAX_SECTIONS) bad(fh + 2, `${nSections} sections (more than ${MAX_SECTIONS})`);
    const sec = opt + optSize;
    if (sec + nSections * 40 > hdr.length)
      bad(sec, `section table of ${nSections} entries runs past the headers`);
    const sections: PeSection[] = [];
    for (let i = 0; i < nSections; i++) {
      const o = sec + i * 40;
      let end = 0;
      while (end < 8 && hdr[o + end]) end++;
      sections.push({
        name: Buffer.from(hdr.buffer, hdr.byteOffset + o, end).toString('latin1'),
        virtualSize: dv.getUint32(o + 8, true),
        virtualAddress: dv.getUint32(o + 12, true),
        rawSize: dv.getUint32(o + 16, true),
        rawOffset: dv.getUint32(o + 20, true),
        characteristics: dv.getUint32(o + 36, true),
      });
    }
    this.sections = sections;
  }

  /** An image mapped in memory at `base` (RVA = address − base), e.g. the kernel in a dump. */
  static fromMemory(mem: Readable, base: number, source = `image at 0x${base.toString(16)}`): PeImage {
    const hdr = new Uint8Array(0x1000);
    if (mem.read(base, hdr, 0, hdr.length) < 0x200)
      throw new FormatError('PE', 0, `${source}: headers not readable`);
    const readAt = (rva: number, dst: Uint8Array, len: number) => mem.read(base + rva, dst, 0, len);
    return new PeImage(readAt, hdr, source);
  }

  /** A PE file's bytes (RVA → file offset through the section table). */
  static fromFile(bytes: Uint8Array, source = 'PE file'): PeImage {
    const hdr = bytes.subarray(0, Math.min(bytes.length, MAX_HEADERS));
    let img: PeImage | null = null;
    const readAt = (rva: number, dst: Uint8Array, len: number): number => {
      const off = img ? img.rvaToFileOffset(rva) : rva;
      if (off < 0 || off >= bytes.length) return 0;
      const n = Math.min(len, bytes.length - off);
      dst.set(bytes.subarray(off, off + n));
      return n;
    };
    img = new PeImage(readAt, hdr, source);
    return img;
  }

  /** File offset of an RVA, or -1 when no section (or the headers) holds it. */
  rvaToFileOffset(rva: number): number {
    if (rva < this.sizeOfHeaders) return rva;
    for (const s of this.sections) {
      const span = Math.max(s.virtualSize, s.rawSize);
      if (rva >= s.virtualAddress && rva < s.virtualAddress + span) {
        const d = rva - s.virtualAddress;
        return d < s.rawSize ? s.rawOffset + d : -1;
      }
    }
    return -1;
  }

  section(name: string): PeSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  private read(rva: number, len: number): Uint8Array | null {
    if (len < 0 || len > 64 * 1024 * 1024 || rva < 0 || (this.sizeOfImage && rva + len > this.sizeOfImage))
      return null;
    const b = new Uint8Array(len);
    return this.readAt(rva, b, len) === len ? b : null;
  }

  private cstring(rva: number, max = MAX_NAME): string | null {
    const b = new Uint8Array(max);
    const n = this.readAt(rva, b, max);
    const end = b.subarray(0, n).indexOf(0);
    if (end < 0) return null;
    return Buffer.from(b.buffer, 0, end).toString('latin1');
  }

  /** Exported names, ordinals and RVAs; damaged parts are skipped with a warning. */
  exports(warnings?: Warnings): PeExport[] {
    if (this.exportCache) return this.exportCache;
    const out: PeExport[] = [];
    this.exportCache = out;
    const dir = this.directories[IMAGE_DIRECTORY_ENTRY_EXPORT];
    if (!dir || dir.rva === 0 || dir.size < 40) return out;
    const d = this.read(dir.rva, 40);
    if (!d) {
      warnings?.add(`${this.source}: export directory at RVA 0x${dir.rva.toString(16)} not readable`);
      return out;
    }
    const dv = new DataView(d.buffer);
    const ordBase = dv.getUint32(16, true);
    const nFuncs = dv.getUint32(20, true);
    const nNames = dv.getUint32(24, true);
    if (nFuncs > MAX_EXPORTS || nNames > nFuncs) {
      warnings?.add(`${this.source}: export directory claims ${nFuncs} functions / ${nNames} names: ignored`);
      return out;
    }
    const funcs = this.read(dv.getUint32(28, true), nFuncs * 4);
    const names = this.read(dv.getUint32(32, true), nNames * 4);
    const ords = this.read(dv.getUint32(36, true), nNames * 2);
    if (!funcs || (nNames && (!names || !ords))) {
      warnings?.add(`${this.source}: export tables not readable`);
      return out;
    }
    const fdv = new DataView(funcs.buffer);
    const nameOf = new Map<number, string>();
    if (names && ords) {
      const ndv = new DataView(names.buffer);
      const odv = new DataView(ords.buffer);
      for (let i = 0; i < nNames; i++) {
        const idx = odv.getUint16(i * 2, true);
        const name = this.cstring(ndv.getUint32(i * 4, true), 256);
        if (name !== null && idx < nFuncs && !nameOf.has(idx)) nameOf.set(idx, name);
      }
    }
    for (let i = 0; i < nFuncs; i++) {
      const rva = fdv.getUint32(i * 4, true);
      if (rva === 0) continue;
      const e: PeExport = { name: nameOf.get(i) ?? null, ordinal: ordBase + i, rva };
      if (rva >= dir.rva && rva < dir.rva + dir.size) {
        e.forwarder = this.cstring(rva, 256) ?? '';
        e.rva = 0;
      }
      out.push(e);
    }
    return out;
  }

  /** RVA of an exported name, or undefined. */
  exportRva(name: string, warnings?: Warnings): number | undefined {
    const e = this.exports(warnings).find((x) => x.name === name);
    return e && !e.forwarder ? e.rva : undefined;
  }

  /** The PDB identity from the first CodeView RSDS debug record, or null. */
  pdbInfo(warnings?: Warnings): PdbInfo | null {
    const dir = this.directories[IMAGE_DIRECTORY_ENTRY_DEBUG];
    if (!dir || dir.rva === 0 || dir.size < 28) return null;
    const n = Math.min(MAX_DEBUG_ENTRIES, Math.floor(dir.size / 28));
    const entries = this.read(dir.rva, n * 28);
    if (!entries) {
      warnings?.add(`${this.source}: debug directory at RVA 0x${dir.rva.toString(16)} not readable`);
      return null;
    }
    const dv = new DataView(entries.buffer);
    for (let i = 0; i < n; i++) {
      const o = i * 28;
      if (dv.getUint32(o + 12, true) !== IMAGE_DEBUG_TYPE_CODEVIEW) continue;
      const size = dv.getUint32(o + 16, true);
      const rva = dv.getUint32(o + 20, true);
      if (size < 24 || size > 24 + MAX_NAME) continue;
      const rec = this.read(rva, size);
      if (!rec) {
        warnings?.add(`${this.source}: CodeView record at RVA 0x${rva.toString(16)} not readable`);
        continue;
      }
      const info = parseRsds(rec);
      if (info) return info;
    }
    return null;
  }
}

function hi(dv: DataView, off: number): number {
  // ImageBase of PE32+ is 64-bit: keep it below 2^48 like every other address in memdig.
  return (dv.getUint32(off + 4, true) & 0xffff) * 4294967296;
}

/** Parses an RSDS CodeView record: "RSDS", GUID (16), age (u32), NUL-terminated PDB path. */
export function parseRsds(rec: Uint8Array): PdbInfo | null {
  if (rec.length < 25) return null;
  const dv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  if (dv.getUint32(0, true) !== RSDS) return null;
  const age = dv.getUint32(20, true);
  let end = 24;
  while (end < rec.length && rec[end] !== 0) end++;
  const path = Buffer.from(rec.buffer, rec.byteOffset + 24, end - 24).toString('utf8');
  if (!path) return null;
  // Volatility keys tables by the file name only (the record may hold a build machine's full path).
  const pdbName = path.split(/[\\/]/).pop()!;
  return { pdbName, guid: formatGuid(rec.subarray(4, 20)), age };
}

/** GUID bytes as stored (Data1 u32 LE, Data2/Data3 u16 LE, Data4 8 bytes) → uppercase hex as Volatility names tables. */
export function formatGuid(g: Uint8Array): string {
  const h = (i: number) => g[i]!.toString(16).padStart(2, '0');
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  return order.map(h).join('').toUpperCase();
}

/**
 * Kernel globals that ntoskrnl exports as data, resolved to their addresses. `PsActiveProcessHead` is not among
 * them (it is not exported): reach the process list from `PsInitialSystemProcess` (a pointer to the System
 * EPROCESS) or from KDBG. `PsLoadedModuleList` is the head of the loaded-module list itself.
 */
export const KERNEL_DATA_EXPORTS = [
  'PsInitialSystemProcess',
  'PsLoadedModuleList',
  'PsProcessType',
  'PsThreadType',
  'IoFileObjectType',
  'IoDriverObjectType',
  'MmSectionObjectType',
  'SeTokenObjectType',
  'KeServiceDescriptorTable',
  'NtBuildNumber',
  'KeNumberProcessors',
  'MmSystemRangeStart',
  'MmHighestUserAddress',
  'MmUserProbeAddress',
  'KdDebuggerEnabled',
  'InitSafeBootMode',
] as const;

/** Addresses of the kernel's exported globals (those present), from its export table in memory. */
export function kernelExportedGlobals(
  mem: Readable,
  kernelBase: number,
  warnings?: Warnings,
): Partial<Record<(typeof KERNEL_DATA_EXPORTS)[number], number>> {
  const pe = PeImage.fromMemory(mem, kernelBase, 'kernel image');
  const want = new Set<string>(KERNEL_DATA_EXPORTS);
  const out: Partial<Record<string, number>> = {};
  for (const e of pe.exports(warnings)) {
    if (e.name && want.has(e.name) && !e.forwarder) out[e.name] = kernelBase + e.rva;
  }
  return out;
}
