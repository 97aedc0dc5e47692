/**
 * The kernel table for an analysis run, with the symbol server as a last resort before the nearest-build guess:
 * user folders → symbol cache → built-in exact → (only when asked) download the PDB into the cache and convert it →
 * nearest built-in build. A failed download is a warning, never the end of the analysis.
 */
import { Warnings } from '../util/errors.js';
import { findExactProfile, type LoadProfileOptions, nearestProfile, profileAt, tableId } from './load.js';
import type { Profile } from './profile.js';
import { findTable } from './symdirs.js';
import { fetchSymbols, MICROSOFT_SYMBOL_SERVER } from './symsrv/client.js';

export interface SymbolFetchOptions {
  /** Symbol servers tried in order (default: Microsoft's). */
  servers?: readonly string[];
  /** Per attempt (default 30 s: an analysis should not wait long on a dead network). */
  timeoutMs?: number;
  /** Extra attempts after a transient failure (default 1). */
  retries?: number;
  /** Progress lines (GET …, converting …). */
  log?: (line: string) => void;
}

export interface ResolveProfileOptions extends LoadProfileOptions {
  /** Download missing tables into `cacheDir` (which must be set). Absent: never touch the network. */
  fetch?: SymbolFetchOptions;
}

const FETCH_TIMEOUT = 30_000;
const FETCH_RETRIES = 1;

export async function resolveProfile(o: ResolveProfileOptions): Promise<Profile> {
  const warnings = o.warnings ?? new Warnings();
  const opts = { ...o, warnings };
  const exact = findExactProfile(opts);
  if (exact) return exact;
  if (!o.fetch || !o.cacheDir) return nearestProfile(opts);
  const servers = o.fetch.servers?.length ? [...o.fetch.servers] : [MICROSOFT_SYMBOL_SERVER];
  try {
    const r = await fetchSymbols(
      { pdb: o.pdbName, guid: o.guid, age: o.age },
      {
        symbolDir: o.cacheDir,
        servers,
        timeoutMs: o.fetch.timeoutMs ?? FETCH_TIMEOUT,
        retries: o.fetch.retries ?? FETCH_RETRIES,
        log: o.fetch.log,
      },
    );
    const loc = findTable([o.cacheDir], o.pdbName, o.guid.toUpperCase(), o.age);
    if (!loc) throw new Error(`the converted table is not where it was written (${r.isfPath})`);
    for (const w of r.warnings.slice(0, 5)) warnings.add(`symbol conversion: ${w}`);
    if (r.warnings.length > 5) warnings.add(`symbol conversion: ${r.warnings.length - 5} more warning(s)`);
    // A PDB already in the cache (downloaded earlier, converted only now) is the cache's, not this run's download.
    const downloaded = r.source !== 'pdb-cache' && r.source !== 'isf-cache';
    return profileAt(
      loc,
      downloaded ? 'downloaded' : 'cache',
      o.build,
      warnings,
      downloaded ? r.source : undefined,
    );
  } catch (e) {
    const why = (e as Error).message
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .join('; ');
    warnings.add(
      `--fetch-symbols: could not get the table for ${tableId(o)} from ${servers.join(', ')}: ${why}`,
    );
    return nearestProfile(opts, `give --symbols with the table for this kernel`);
  }
}
