/**
 * Writes memdig's built-in kernel layouts (data/layouts) from the shared ISF corpus:
 *
 *   node dist/symbols/gen-builtin.js [--shared DIR] [--out DIR]
 *
 * Reads every table of `corpus/isf` (x64, Volatility 3 tables, INDEX.tsv gives build and OS) and `corpus/isf-x86`
 * (XP-7 x86/PAE and two x64 tables converted from Volatility 2's vtypes), keeps what used.ts lists, stores each
 * distinct layout once, and writes index.json mapping each kernel's PDB identity to its layout and symbols.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { sharedDir } from '../testing/shared.js';
import { Warnings } from '../util/errors.js';
import { xzDecompress } from '../util/xz.js';
import type { BuiltinIndex, BuiltinKernel } from './builtin.js';
import { type IsfDocument, validateIsf } from './isf.js';
import { addKdbgTypes } from './kdbg.js';
import { canonicalJson, extractSubset } from './subset.js';
import { USED_SYMBOLS, USED_TYPES } from './used.js';

export interface CorpusTable {
  /** Path of the .json.xz file. */
  path: string;
  /** "corpus/isf" or "corpus/isf-x86". */
  collection: string;
  /** Full version "10.0.19041.1415" when the collection says it. */
  version?: string;
  /** OS label(s) from INDEX.tsv ("Win10", "Win8.1, windows-2012"). */
  os?: string;
}

/** Lists the tables of both shared collections with what their indexes say. */
export function listCorpusTables(shared: string): CorpusTable[] {
  const out: CorpusTable[] = [];
  const isf = join(shared, 'corpus', 'isf');
  if (existsSync(join(isf, 'INDEX.tsv'))) {
    const byFile = new Map<string, CorpusTable>();
    const lines = readFileSync(join(isf, 'INDEX.tsv'), 'utf8').split('\n').slice(1);
    for (const line of lines) {
      const [version, file, os, present] = line.split('\t');
      if (!file || present?.trim() !== 'yes') continue;
      const prev = byFile.get(file);
      if (prev) prev.os = `${prev.os}, ${os}`;
      else byFile.set(file, { path: join(isf, file), collection: 'corpus/isf', version, os });
    }
    out.push(...[...byFile.values()].filter((t) => existsSync(t.path)));
  }
  const x86 = join(shared, 'corpus', 'isf-x86');
  if (existsSync(x86)) {
    for (const pdb of readdirSync(x86).sort()) {
      if (!pdb.endsWith('.pdb')) continue;
      for (const f of readdirSync(join(x86, pdb)).sort()) {
        if (f.endsWith('.json.xz')) out.push({ path: join(x86, pdb, f), collection: 'corpus/isf-x86' });
      }
    }
  }
  return out;
}

/** Runs `fn` over the tables in order, each decompressed in turn (the system xz, see util/xz.ts). */
export async function forEachTable<T>(
  tables: CorpusTable[],
  fn: (t: CorpusTable, json: Uint8Array, index: number) => T,
): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < tables.length; i++) {
    const path = tables[i]!.path;
    out.push(fn(tables[i]!, xzDecompress(readFileSync(path), path, 2 ** 30, path), i));
  }
  return out;
}

const X86_OS: Record<string, string> = { '5.1': 'WinXP', '5.2': 'Win2003', '6.0': 'Vista', '6.1': 'Win7' };

/** Identity and version facts of one table. */
export function describeTable(t: CorpusTable, doc: IsfDocument): Omit<BuiltinKernel, 'layout' | 'symbols'> {
  const pdb = doc.metadata.windows?.pdb;
  if (!pdb) throw new Error(`${t.path}: no metadata.windows.pdb`);
  const ptr = doc.base_types.pointer?.size;
  const arch = ptr === 8 ? 'x64' : 'x86';
  const pteSize = doc.user_types._MMPTE?.size;
  const pae = arch === 'x86' && pteSize === 8;
  let version = t.version;
  const pe = doc.metadata.windows?.pe;
  // Volatility 3 names the third version component "revision" and the fourth "build" (XP SP2: 5.1.2600.2180).
  if (!version && pe?.major !== undefined) version = `${pe.major}.${pe.minor}.${pe.revision}.${pe.build}`;
  if (!version) throw new Error(`${t.path}: no version (not in INDEX.tsv, no metadata.windows.pe)`);
  const parts = version.split('.');
  const build = Number(parts[2]);
  const os = t.os ?? X86_OS[`${parts[0]}.${parts[1]}`] ?? `Windows ${parts[0]}.${parts[1]}`;
  const k: Omit<BuiltinKernel, 'layout' | 'symbols'> = {
    pdb: pdb.database,
    guid: pdb.GUID.toUpperCase(),
    age: pdb.age,
    build,
    version,
    os,
    arch: pae ? 'pae' : arch,
    source: t.collection,
  };
  // The isf-x86 README marks this identity as made up (real layout, unknown GUID): never an exact match.
  if (/^0{16}/.test(k.guid)) k.syntheticGuid = true;
  return k;
}

/** The subset of one table that built-in data keeps: layout JSON text and symbols. */
export function builtinPart(doc: IsfDocument): {
  layoutJson: string;
  symbols: Record<string, { address: number }>;
} {
  addKdbgTypes(doc);
  const sub = extractSubset(doc, USED_TYPES);
  const symbols: Record<string, { address: number }> = {};
  for (const s of USED_SYMBOLS) {
    const v = doc.symbols[s];
    if (v && typeof v.address === 'number') symbols[s] = { address: v.address };
  }
  return { layoutJson: canonicalJson(sub), symbols };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const shared = opt('--shared') ?? sharedDir();
  if (!shared) throw new Error('shared folder not found: pass --shared DIR');
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const outDir = resolve(opt('--out') ?? join(root, 'data', 'layouts'));
  const tables = listCorpusTables(shared);
  console.log(`gen-builtin: ${tables.length} tables from ${shared}`);
  const t0 = performance.now();
  const layouts = new Map<string, { json: string; kernels: BuiltinKernel[] }>();
  const kernels: BuiltinKernel[] = [];
  await forEachTable(tables, (t, json) => {
    const text = Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8');
    const warnings = new Warnings();
    const doc = validateIsf(JSON.parse(text), t.path, warnings);
    const info = describeTable(t, doc);
    const { layoutJson, symbols } = builtinPart(doc);
    const hash = createHash('sha256').update(layoutJson).digest('hex').slice(0, 10);
    let entry = layouts.get(hash);
    if (!entry) {
      entry = { json: layoutJson, kernels: [] };
      layouts.set(hash, entry);
    }
    const k: BuiltinKernel = { ...info, layout: hash, symbols };
    entry.kernels.push(k);
    kernels.push(k);
  });
  // Name each layout after the lowest build that uses it.
  mkdirSync(outDir, { recursive: true });
  // Replace the generated files only: README.md beside them is hand-written.
  for (const f of readdirSync(outDir)) if (/\.json(\.gz)?$/.test(f)) rmSync(join(outDir, f));
  const fileOf = new Map<string, string>();
  let total = 0;
  for (const [hash, e] of layouts) {
    const first = e.kernels.reduce((a, b) => (cmpVersion(a.version, b.version) <= 0 ? a : b));
    const file = `${first.arch}-${first.version.split('.').slice(0, 3).join('.')}-${hash}.json.gz`;
    fileOf.set(hash, file);
    const text = `${canonicalJson({
      metadata: { format: '6.2.0', producer: { name: 'memdig-gen-builtin', version: '1' } },
      ...JSON.parse(e.json),
      symbols: {},
    })}\n`;
    // gzip: the layouts share most of their text, and -9 output is stable for identical input.
    const gz = gzipSync(text, { level: 9 });
    writeFileSync(join(outDir, file), gz);
    total += gz.length;
  }
  for (const k of kernels) k.layout = fileOf.get(k.layout)!;
  kernels.sort(
    (a, b) =>
      a.arch.localeCompare(b.arch) || cmpVersion(a.version, b.version) || a.guid.localeCompare(b.guid),
  );
  const index: BuiltinIndex = { format: 1, kernels };
  const indexText = `${JSON.stringify(index, null, 0).replace(/\{"pdb"/g, '\n{"pdb"')}\n`;
  writeFileSync(join(outDir, 'index.json'), indexText);
  total += indexText.length;
  console.log(
    `gen-builtin: ${kernels.length} kernels, ${layouts.size} distinct layouts, ${(total / 1024).toFixed(0)} KiB, ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s -> ${outDir}`,
  );
}

export function cmpVersion(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
