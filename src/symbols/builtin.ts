/**
 * memdig's built-in kernel tables (data/layouts, see its README): an index of known kernels (PDB identity, build,
 * symbols) and one ISF-subset file per distinct layout. Lets memdig analyse a dump with no symbol files at all.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { MemdigError } from '../util/errors.js';
import { type IsfDocument, openIsf } from './isf.js';
import type { KernelArch } from './profile.js';

export interface BuiltinKernel {
  /** Kernel PDB name as in the RSDS record ("ntkrnlmp.pdb"). */
  pdb: string;
  /** Uppercase hex GUID, Volatility's form. */
  guid: string;
  age: number;
  /** Build number (19041). */
  build: number;
  /** Full version "10.0.19041.1415". */
  version: string;
  /** Release label(s): "Win10", "Win8.1, windows-2012", "WinXP". */
  os: string;
  arch: KernelArch;
  /** Layout file name in data/layouts. */
  layout: string;
  /** Kernel globals, ISF-style: RVA from the kernel base. */
  symbols: Record<string, { address: number }>;
  /** Which shared collection the table came from. */
  source: string;
  /** The identity is made up (the layout is real): never matched by GUID, only as a nearest build. */
  syntheticGuid?: boolean;
}

export interface BuiltinIndex {
  format: 1;
  kernels: BuiltinKernel[];
}

/** data/layouts beside dist/ (and beside src/ when run from source). */
export function builtinDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'layouts');
}

let cachedIndex: BuiltinIndex | null = null;
const cachedLayouts = new Map<string, Uint8Array>();

export function builtinIndex(dir = builtinDir()): BuiltinIndex {
  if (cachedIndex && dir === builtinDir()) return cachedIndex;
  const p = join(dir, 'index.json');
  if (!existsSync(p))
    throw new MemdigError(`built-in symbol index missing: ${p} (run gen-builtin or reinstall)`);
  const idx = JSON.parse(readFileSync(p, 'utf8')) as BuiltinIndex;
  if (idx.format !== 1 || !Array.isArray(idx.kernels)) throw new MemdigError(`${p}: unknown index format`);
  if (dir === builtinDir()) cachedIndex = idx;
  return idx;
}

/** Exact match by PDB identity (name, GUID, age); synthetic identities never match. */
export function findBuiltin(
  pdbName: string,
  guid: string,
  age: number,
  dir = builtinDir(),
): BuiltinKernel | null {
  const g = guid.toUpperCase();
  const n = pdbName.toLowerCase();
  for (const k of builtinIndex(dir).kernels) {
    if (!k.syntheticGuid && k.guid === g && k.age === age && k.pdb.toLowerCase() === n) return k;
  }
  return null;
}

/**
 * The known kernel of `arch` whose build is nearest to `build`: the highest build ≤ it (structures only grow
 * between updates of one release, so an older table is the safer guess), else the lowest above it. Within one
 * build, the highest version. Without a build, the newest kernel of that architecture.
 */
export function nearestBuiltin(
  arch: KernelArch,
  build: number | undefined,
  dir = builtinDir(),
): BuiltinKernel | null {
  const same = builtinIndex(dir).kernels.filter((k) => k.arch === arch);
  if (same.length === 0) return null;
  const byVersion = (a: BuiltinKernel, b: BuiltinKernel) => cmpVersions(a.version, b.version);
  same.sort(byVersion);
  if (build === undefined) return same[same.length - 1]!;
  const below = same.filter((k) => k.build <= build);
  if (below.length) return below[below.length - 1]!;
  return same[0]!;
}

function cmpVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** A complete ISF document for one known kernel: its layout file plus its identity and symbols. */
export function builtinIsf(k: BuiltinKernel, dir = builtinDir()): IsfDocument {
  const file = join(dir, k.layout);
  let bytes = cachedLayouts.get(file);
  if (bytes === undefined) {
    if (!existsSync(file)) throw new MemdigError(`built-in layout missing: ${file}`);
    const raw = readFileSync(file);
    bytes = file.endsWith('.gz') ? gunzipSync(raw) : raw;
    if (cachedLayouts.size < 64) cachedLayouts.set(file, bytes);
  }
  // Opened like any table (each type validated when first read): a run reads a few dozen of its types.
  const doc = openIsf(bytes, `builtin:${k.layout}`);
  doc.symbols = k.symbols;
  doc.metadata.windows = {
    pdb: { database: k.pdb, GUID: k.guid, age: k.age, machine_type: k.arch === 'x64' ? 0x8664 : 0x14c },
  };
  return doc;
}
