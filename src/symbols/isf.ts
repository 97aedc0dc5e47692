/**
 * Volatility 3 "Intermediate Symbol Format" (ISF) tables: reading and validation.
 *
 * An ISF is one JSON document: `base_types`, `user_types` (structs/unions with member offsets and type
 * descriptors), `enums`, `symbols` (addresses relative to the image base) and `metadata`. Files may be plain
 * `.json` or `.json.xz`. Every type handed out has been validated (isf-check.ts), so later layout lookups can
 * trust it. `parseIsf` parses and checks the whole table; `openIsf` and `readIsfFile` index it and parse each type
 * on first use (isf-lazy.ts), which is what makes loading a 6 MB kernel table cheap.
 */
import { readFileSync } from 'node:fs';
import { FormatError, MemdigError, Warnings } from '../util/errors.js';
import { isXz, XzError, xzDecompress } from '../util/xz.js';
import { validateIsf } from './isf-check.js';
import { openIsfJson } from './isf-lazy.js';
import { warmUpIsfScan } from './isf-scan.js';

export { byValueRefs, MAX_TYPE_SIZE, validateIsf } from './isf-check.js';

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

/** Reads an ISF file (`.json` or `.json.xz`, detected by content); types are parsed and checked on first use. */
export function readIsfFile(path: string, warnings?: Warnings): IsfDocument {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new MemdigError(`cannot read symbol table ${path}: ${(e as Error).message}`);
  }
  return openIsf(bytes, path, warnings, path);
}

/**
 * Inputs (as stored, perhaps compressed) from which warming the scan up pays: a 100 KB table is scanned in a few
 * milliseconds by the interpreter, less than the warm-up itself costs.
 */
const WARM_UP_FROM = 256 * 1024;

/** Largest decompressed table accepted: kernel tables are ~6 MB, the largest Linux tables ~100 MB. */
const MAX_ISF_BYTES = 2 ** 30;

/** The JSON bytes of a table: xz is recognised by its magic and decompressed. */
function jsonBytes(bytes: Uint8Array, source: string, path?: string): Uint8Array {
  if (!isXz(bytes)) return bytes;
  try {
    return xzDecompress(bytes, source, MAX_ISF_BYTES, path);
  } catch (e) {
    if (e instanceof XzError) throw new FormatError('ISF', 0, e.message);
    throw e;
  }
}

/**
 * Indexes a table and checks its metadata, base types and enums; user types and symbols on first use. `path`, when
 * `input` is that file's whole content, lets the system xz read the file itself.
 */
export function openIsf(
  input: Uint8Array,
  source: string,
  warnings = new Warnings(),
  path?: string,
): IsfDocument {
  // Started before decompression so that the scan is compiled while xz runs.
  if (input.length >= WARM_UP_FROM) warmUpIsfScan();
  return openIsfJson(jsonBytes(input, source, path), source, warnings);
}

/** Parses and validates the whole table at once (for tools and tests that must know every type is sound). */
export function parseIsf(input: Uint8Array | string, source: string, warnings?: Warnings): IsfDocument {
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    const bytes = jsonBytes(input, source);
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
