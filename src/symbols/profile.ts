/**
 * A kernel profile: one validated ISF table with its identity, plus cached layouts and typed-access helpers.
 *
 *   const eproc = profile.struct('_EPROCESS');
 *   const offLinks = eproc.offsetOf('ActiveProcessLinks');     // resolve once
 *   const pid = eproc.accessor('UniqueProcessId');              // compiled reader
 *   pid.read(space, eprocVa)                                    // hot path, no string lookups
 *   profile.view('_EPROCESS', space, eprocVa).get('Peb')        // convenient, for non-hot code
 */
import { MemdigError } from '../util/errors.js';
import type { IsfDocument, IsfEnum, IsfUserType } from './isf.js';
import { type Readable, StructLayout, type TypeTable } from './layout.js';
import { StructView } from './view.js';

export type KernelArch = 'x86' | 'pae' | 'x64';

/** Kernel PDB names of 32-bit PAE kernels; the name alone tells PAE from non-PAE on x86. */
const PAE_PDBS = new Set(['ntkrnlpa.pdb', 'ntkrpamp.pdb']);

export interface ProfileIdentity {
  pdbName: string;
  /** Uppercase hex, Volatility's form (Data1-3 byte-swapped from the RSDS record). */
  guid: string;
  age: number;
}

/**
 * How a kernel table was found: a `--symbols` folder, memdig's symbol cache, downloaded from a symbol server on this
 * run, a built-in table for this exact kernel, or the built-in table of the nearest build.
 */
export type TableOrigin = 'user' | 'cache' | 'downloaded' | 'builtin' | 'nearest' | 'file';

export interface ProfileInfo {
  /** Where the table came from: a file path, or "builtin:<layout file>". */
  source: string;
  /** How it was chosen (absent for tables built by hand). */
  origin?: TableOrigin;
  /** For a download: the URL the PDB came from. */
  url?: string;
  /** Build number (e.g. 19041) when known. */
  build?: number;
  /** Full version string (e.g. "10.0.19041.1415") when known. */
  version?: string;
  /** True when this table was chosen for a different kernel (nearest build) rather than by exact GUID/age. */
  approximate?: boolean;
}

export class Profile implements TypeTable {
  readonly isf: IsfDocument;
  readonly pointerSize: 4 | 8;
  readonly arch: KernelArch;
  readonly identity: ProfileIdentity | null;
  readonly info: ProfileInfo;
  private readonly structs = new Map<string, StructLayout>();
  private readonly enumNames = new Map<string, Map<number, string>>();
  private usAccessors: { len: number; buf: number; size: number } | null = null;

  constructor(isf: IsfDocument, info: ProfileInfo) {
    this.isf = isf;
    this.info = info;
    const ptr = isf.base_types.pointer?.size;
    if (ptr !== 4 && ptr !== 8) {
      throw new MemdigError(`${info.source}: base type "pointer" must be 4 or 8 bytes, not ${String(ptr)}`);
    }
    this.pointerSize = ptr;
    const pdb = isf.metadata.windows?.pdb;
    this.identity = pdb ? { pdbName: pdb.database, guid: pdb.GUID.toUpperCase(), age: pdb.age } : null;
    if (ptr === 8) this.arch = 'x64';
    else {
      const pte = this.userType('_MMPTE')?.size;
      const paeName = pdb ? PAE_PDBS.has(pdb.database.toLowerCase()) : false;
      this.arch = paeName || pte === 8 ? 'pae' : 'x86';
    }
  }

  userType(name: string): IsfUserType | undefined {
    return Object.hasOwn(this.isf.user_types, name) ? this.isf.user_types[name] : undefined;
  }

  hasStruct(name: string): boolean {
    return this.userType(name) !== undefined;
  }

  /** The resolved layout of a struct/union; cached. Throws when the table lacks it. */
  struct(name: string): StructLayout {
    const s = this.tryStruct(name);
    if (!s) throw new MemdigError(`symbol table ${this.info.source} has no type ${name}`);
    return s;
  }

  tryStruct(name: string): StructLayout | null {
    let s = this.structs.get(name);
    if (s) return s;
    const raw = this.userType(name);
    if (!raw) return null;
    s = new StructLayout(this, name, raw);
    this.structs.set(name, s);
    return s;
  }

  sizeOf(name: string): number {
    return this.struct(name).size;
  }

  enum(name: string): IsfEnum | undefined {
    return Object.hasOwn(this.isf.enums, name) ? this.isf.enums[name] : undefined;
  }

  /** Name of an enum constant, or null. Builds a reverse map once per enum. */
  enumName(enumName: string, value: number): string | null {
    let m = this.enumNames.get(enumName);
    if (!m) {
      m = new Map();
      const e = this.enum(enumName);
      if (e) for (const [k, v] of Object.entries(e.constants)) if (!m.has(v)) m.set(v, k);
      this.enumNames.set(enumName, m);
    }
    return m.get(value) ?? null;
  }

  /** Symbol address relative to the kernel image base, or undefined. */
  symbol(name: string): number | undefined {
    const s = Object.hasOwn(this.isf.symbols, name) ? this.isf.symbols[name] : undefined;
    return s?.address;
  }

  /** Absolute address of a symbol given the kernel base, or undefined. */
  symbolAddress(name: string, kernelBase: number): number | undefined {
    const rva = this.symbol(name);
    return rva === undefined ? undefined : kernelBase + rva;
  }

  /** Reads `_NAME` at `addr` once and gives field access by name (for non-hot code). */
  view(name: string, mem: Readable, addr: number): StructView {
    return StructView.read(this, this.struct(name), mem, addr);
  }

  /** Pointer-sized value at `addr` (x64: sign bits dropped); NaN when unreadable. */
  readPointer(mem: Readable, addr: number): number {
    return readPointer(mem, addr, this.pointerSize);
  }

  /**
   * Reads the UNICODE_STRING at `addr` and its buffer; null when the header or buffer is unreadable or malformed
   * (odd length, Length > MaximumLength). `maxBytes` caps the read (a hostile Length cannot exceed 0xFFFF anyway).
   */
  readUnicodeString(mem: Readable, addr: number, maxBytes = 0xfffe): string | null {
    if (!this.usAccessors) {
      const us = this.struct('_UNICODE_STRING');
      this.usAccessors = { len: us.offsetOf('Length'), buf: us.offsetOf('Buffer'), size: us.size };
    }
    const a = this.usAccessors;
    const hdr = scratch16;
    if (mem.read(addr, hdr, 0, a.size) < a.size) return null;
    const len = hdr[a.len]! | (hdr[a.len + 1]! << 8);
    const max = hdr[a.len + 2]! | (hdr[a.len + 3]! << 8);
    const buf = this.pointerSize === 8 ? ptr64FromBytes(hdr, a.buf) : u32FromBytes(hdr, a.buf);
    if (len === 0) return '';
    if (len & 1 || len > max || buf === 0) return null;
    const n = Math.min(len, maxBytes & ~1);
    const bytes = new Uint8Array(n);
    if (mem.read(buf, bytes, 0, n) < n) return null;
    return Buffer.from(bytes.buffer, 0, n).toString('utf16le');
  }
}

const scratch16 = new Uint8Array(16);
const scratch8 = new Uint8Array(8);

function u32FromBytes(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

function ptr64FromBytes(b: Uint8Array, o: number): number {
  return (u32FromBytes(b, o + 4) & 0xffff) * 4294967296 + u32FromBytes(b, o);
}

/** Pointer of `size` bytes at `addr` (x64: below 2^48, sign bits dropped); NaN when unreadable. */
export function readPointer(mem: Readable, addr: number, size: 4 | 8): number {
  if (mem.read(addr, scratch8, 0, size) < size) return Number.NaN;
  return size === 8 ? ptr64FromBytes(scratch8, 0) : u32FromBytes(scratch8, 0);
}
