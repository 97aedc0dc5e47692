import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemdigError } from '../../util/errors.js';
import { convertPdb } from '../pdb/isf.js';
import { Pdb } from '../pdb/pdb.js';
import { isfFileName, writeFileAtomic, writeIsf } from '../pdb/write.js';
import { findTable } from '../symdirs.js';
import { Cabinet } from './cab.js';
import { MICROSOFT_SYMBOL_SERVER } from './defaults.js';

export { defaultSymbolDir, MICROSOFT_SYMBOL_SERVER } from './defaults.js';

export interface PdbId {
  /** PDB file name as the image's RSDS record gives it, e.g. `ntkrnlmp.pdb`. */
  pdb: string;
  /** 32 hex digits, any case. */
  guid: string;
  age: number;
}

export interface SymsrvOptions {
  /** Root of the symbol directory (Volatility layout: `windows/<pdb>/<GUID>-<AGE>.json.xz`). */
  symbolDir: string;
  /** Where downloaded PDBs are kept, in symbol-store layout; default `<symbolDir>/pdb-cache`. */
  pdbCacheDir?: string;
  servers?: string[];
  /** Never touch the network: only the caches answer. */
  offline?: boolean;
  /** Per attempt: connect, headers and body must all complete within this (default 60 s). */
  timeoutMs?: number;
  /** Extra attempts after a network error, a 5xx or a cut-off body (default 2); a 404 is final for that URL. */
  retries?: number;
  /** Largest download accepted (default 1 GiB); bigger answers are refused before or while reading. */
  maxBytes?: number;
  /** Progress and decisions, one line each. */
  log?: (line: string) => void;
}

export interface FetchResult {
  /** The table: a file, or `pack.zip!entry` when found inside a zip pack. */
  isfPath: string;
  pdbPath: string | null;
  /** Where the table came from: an ISF already present, a cached PDB, or a server URL. */
  source: 'isf-cache' | 'pdb-cache' | string;
  warnings: string[];
}

const DEFAULT_TIMEOUT = 60_000;
const DEFAULT_RETRIES = 2;
const DEFAULT_MAX = 2 ** 30;

export function normaliseId(id: PdbId): PdbId {
  const guid = id.guid.replace(/[{}-]/g, '').toUpperCase();
  if (!/^[0-9A-F]{32}$/.test(guid)) throw new MemdigError(`GUID ${id.guid} is not 32 hex digits`);
  if (!Number.isInteger(id.age) || id.age < 0 || id.age > 0xffffffff)
    throw new MemdigError(`age ${id.age} is invalid`);
  const pdb = id.pdb.split(/[\\/]/).pop()!;
  if (!pdb || pdb === '.' || pdb === '..') throw new MemdigError(`PDB name ${id.pdb} is invalid`);
  return { pdb, guid, age: id.age };
}

/** The symbol-store key: GUID followed by the age in uppercase hex. */
export function storeKey(id: PdbId): string {
  return `${id.guid}${id.age.toString(16).toUpperCase()}`;
}

export function isfPathFor(symbolDir: string, id: PdbId): string {
  return join(symbolDir, 'windows', id.pdb, isfFileName(id.guid, id.age));
}

export function pdbCachePathFor(cacheDir: string, id: PdbId): string {
  return join(cacheDir, id.pdb, storeKey(id), id.pdb);
}

/** Server URLs to try for one PDB: the plain file, then the cabinet-compressed `name.pd_`. */
export function candidateUrls(server: string, id: PdbId): { url: string; compressed: boolean }[] {
  const base = `${server.replace(/\/+$/, '')}/${encodeURIComponent(id.pdb)}/${storeKey(id)}`;
  return [
    { url: `${base}/${encodeURIComponent(id.pdb)}`, compressed: false },
    { url: `${base}/${encodeURIComponent(`${id.pdb.slice(0, -1)}_`)}`, compressed: true },
  ];
}

/**
 * Makes sure the ISF for a PDB identity is in the symbol directory: reuses it if present, else converts a cached
 * PDB, else (unless offline) downloads the PDB from the first server that has it, checks its GUID and age, keeps
 * it in the PDB cache and converts it.
 */
export async function fetchSymbols(idIn: PdbId, opts: SymsrvOptions): Promise<FetchResult> {
  const id = normaliseId(idIn);
  const log = opts.log ?? (() => {});
  const isfPath = isfPathFor(opts.symbolDir, id);
  const cacheDir = opts.pdbCacheDir ?? join(opts.symbolDir, 'pdb-cache');
  const pdbPath = pdbCachePathFor(cacheDir, id);
  // A table already anywhere in the symbol directory (any depth, loose or in a zip pack) wins.
  const have = findTable([opts.symbolDir], id.pdb, id.guid, id.age);
  if (have) {
    const at = have.zipEntry ? `${have.path}!${have.zipEntry}` : have.path;
    return { isfPath: at, pdbPath: existsSync(pdbPath) ? pdbPath : null, source: 'isf-cache', warnings: [] };
  }
  if (existsSync(pdbPath)) {
    log(`converting cached ${pdbPath}`);
    const warnings = convertTo(readFileSync(pdbPath), id, isfPath);
    return { isfPath, pdbPath, source: 'pdb-cache', warnings };
  }
  if (opts.offline) {
    throw new MemdigError(
      `${id.pdb} ${id.guid} age ${id.age} is not in ${opts.symbolDir} (no ISF, no cached PDB) and --offline forbids downloading`,
    );
  }
  const servers = opts.servers?.length ? opts.servers : [MICROSOFT_SYMBOL_SERVER];
  const failures: string[] = [];
  for (const server of servers) {
    for (const c of candidateUrls(server, id)) {
      let body: Uint8Array | null;
      try {
        body = await download(c.url, opts, log);
      } catch (e) {
        failures.push(`${c.url}: ${(e as Error).message}`);
        continue;
      }
      if (!body) {
        failures.push(`${c.url}: not found`);
        continue;
      }
      let pdbBytes: Uint8Array;
      try {
        pdbBytes = c.compressed
          ? new Cabinet(body).extract(undefined, { maxBytes: opts.maxBytes ?? DEFAULT_MAX })
          : body;
        checkIdentity(pdbBytes, id);
      } catch (e) {
        failures.push(`${c.url}: ${(e as Error).message}`);
        continue;
      }
      writeFileAtomic(pdbPath, pdbBytes);
      const warnings = convertTo(pdbBytes, id, isfPath);
      log(`wrote ${isfPath}`);
      return { isfPath, pdbPath, source: c.url, warnings };
    }
  }
  throw new MemdigError(`could not get ${id.pdb} ${id.guid} age ${id.age}:\n  ${failures.join('\n  ')}`);
}

function checkIdentity(bytes: Uint8Array, id: PdbId): void {
  const pdb = Pdb.fromBytes(bytes);
  try {
    if (pdb.info.guid !== id.guid || (pdb.age !== id.age && pdb.info.age !== id.age)) {
      throw new MemdigError(`server sent PDB ${pdb.info.guid} age ${pdb.age}, not the one asked for`);
    }
  } finally {
    pdb.close();
  }
}

function convertTo(bytes: Uint8Array, id: PdbId, isfPath: string): string[] {
  const pdb = Pdb.fromBytes(bytes);
  try {
    const { isf, warnings } = convertPdb(pdb, { database: id.pdb });
    // Volatility looks the table up by the identity it was asked for; keep the requested age.
    isf.metadata.windows.pdb.age = id.age;
    writeIsf(isf, isfPath);
    return warnings;
  } finally {
    pdb.close();
  }
}

class Retryable extends Error {}

/** GET with a deadline, bounded retries and a size cap. Returns null on 404/410 (the server lacks the file). */
async function download(
  url: string,
  opts: SymsrvOptions,
  log: (l: string) => void,
): Promise<Uint8Array | null> {
  const retries = Math.max(0, Math.min(opts.retries ?? DEFAULT_RETRIES, 10));
  let last: Error | null = null;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(2000, 200 * 2 ** attempt)));
    log(`GET ${url}${attempt ? ` (retry ${attempt})` : ''}`);
    try {
      return await getOnce(url, opts);
    } catch (e) {
      last = e as Error;
      if (!(e instanceof Retryable)) throw e;
    }
  }
  throw last!;
}

async function getOnce(url: string, opts: SymsrvOptions): Promise<Uint8Array | null> {
  const max = opts.maxBytes ?? DEFAULT_MAX;
  const signal = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT);
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: 'follow', headers: { 'user-agent': 'memdig-symsrv/0.1' } });
  } catch (e) {
    throw new Retryable(describe(e));
  }
  if (res.status === 404 || res.status === 410) {
    await res.body?.cancel();
    return null;
  }
  if (res.status >= 500 || res.status === 429 || res.status === 408) {
    await res.body?.cancel();
    throw new Retryable(`HTTP ${res.status}`);
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > max) {
    await res.body?.cancel();
    throw new Error(`answer of ${declared} bytes is over the ${max}-byte limit`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > max) throw new Error(`answer is over the ${max}-byte limit`);
      chunks.push(chunk);
    }
  } catch (e) {
    if ((e as Error).message.includes('limit')) throw e;
    throw new Retryable(`body cut off after ${total} bytes: ${describe(e)}`);
  }
  if (Number.isFinite(declared) && total !== declared) {
    throw new Retryable(`body cut off: ${total} of ${declared} bytes`);
  }
  return Buffer.concat(chunks);
}

function describe(e: unknown): string {
  const err = e as Error & { cause?: Error & { code?: string } };
  if (err.name === 'TimeoutError') return 'timed out';
  return err.cause ? `${err.message} (${err.cause.code ?? err.cause.message})` : err.message;
}
