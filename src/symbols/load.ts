/**
 * Choosing the symbol table for a kernel: the user's symbol folders first (exact PDB GUID/age), then memdig's symbol
 * cache (what `memdig symbols fetch` and `--fetch-symbols` fill), then memdig's built-in tables (exact), then the
 * built-in table of the nearest build of the same architecture — with a warning, because structure offsets can
 * change between updates of one release. `resolve.ts` adds the symbol-server download between the last two steps.
 */
import { MemdigError, Warnings } from '../util/errors.js';
import { builtinIsf, findBuiltin, nearestBuiltin } from './builtin.js';
import { readIsfFile } from './isf.js';
import { addKdbgTypes } from './kdbg.js';
import { type KernelArch, Profile, type TableOrigin } from './profile.js';
import { findTable, readTable, type TableLocation } from './symdirs.js';

export interface LoadProfileOptions {
  /** Kernel PDB name from the RSDS record ("ntkrnlmp.pdb"). */
  pdbName: string;
  /** GUID as Volatility writes it (uppercase hex; see pe.ts `formatGuid`). */
  guid: string;
  age: number;
  /** Needed for the nearest-build fallback; on x86 the PDB name alone tells PAE from non-PAE. */
  arch?: KernelArch;
  /** Kernel build number when known (NtBuildNumber, PE version): picks the nearest table. */
  build?: number;
  /** Folders (or zip files) searched first, Volatility layout. */
  symbolDirs?: readonly string[];
  /** memdig's symbol cache, searched after `symbolDirs` (Volatility layout too); a missing folder is no error. */
  cacheDir?: string;
  /** Where the "approximate table" warning goes. */
  warnings?: Warnings;
  /** Skip the built-in tables (tests, or users who insist on their own). */
  noBuiltin?: boolean;
}

const PAE_PDBS = new Set(['ntkrnlpa.pdb', 'ntkrpamp.pdb']);

export function tableId(o: { pdbName: string; guid: string; age: number }): string {
  return `${o.pdbName} ${o.guid.toUpperCase()}-${o.age}`;
}

/** What to tell a user who has no exact table: the two ways memdig can get it for them, or their own folders. */
export function exactTableHint(o: { pdbName: string; guid: string; age: number }): string {
  return (
    `get the exact table with --fetch-symbols or \`memdig symbols fetch --pdb ${o.pdbName} --guid ` +
    `${o.guid.toUpperCase()} --age ${o.age}\`, or give --symbols with it`
  );
}

/** A profile from a table found in a folder or pack. */
export function profileAt(
  loc: TableLocation,
  origin: TableOrigin,
  build: number | undefined,
  warnings: Warnings,
  url?: string,
): Profile {
  const doc = addKdbgTypes(readTable(loc, warnings));
  return new Profile(doc, {
    source: loc.zipEntry ? `${loc.path}!${loc.zipEntry}` : loc.path,
    origin,
    build,
    ...(url ? { url } : {}),
  });
}

/** The table made for exactly this kernel: user folders, then the cache, then built in. Null when none has it. */
export function findExactProfile(o: LoadProfileOptions): Profile | null {
  const warnings = o.warnings ?? new Warnings();
  const guid = o.guid.toUpperCase();
  const places: [readonly string[], TableOrigin][] = [
    [o.symbolDirs ?? [], 'user'],
    [o.cacheDir ? [o.cacheDir] : [], 'cache'],
  ];
  for (const [dirs, origin] of places) {
    if (!dirs.length) continue;
    const loc = findTable(dirs, o.pdbName, guid, o.age);
    if (!loc) continue;
    if (origin === 'user') return profileAt(loc, origin, o.build, warnings);
    // The cache is memdig's own: a damaged entry there must not stop an analysis that other tables can serve.
    try {
      return profileAt(loc, origin, o.build, warnings);
    } catch (e) {
      warnings.add(
        `symbol cache: ${loc.zipEntry ? `${loc.path}!${loc.zipEntry}` : loc.path} is unreadable, ignored ` +
          `(delete it to fetch it again): ${(e as Error).message}`,
      );
    }
  }
  if (o.noBuiltin) return null;
  const exact = findBuiltin(o.pdbName, guid, o.age);
  if (!exact) return null;
  return new Profile(builtinIsf(exact), {
    source: `builtin:${exact.layout}`,
    origin: 'builtin',
    build: exact.build,
    version: exact.version,
  });
}

/**
 * The nearest-build fallback, with a warning that ends in `hint` (how to get the exact table). Throws when there is
 * no table of that architecture at all.
 */
export function nearestProfile(o: LoadProfileOptions, hint = exactTableHint(o)): Profile {
  const warnings = o.warnings ?? new Warnings();
  const guid = o.guid.toUpperCase();
  const id = tableId(o);
  if (!o.noBuiltin) {
    const arch = o.arch ?? (PAE_PDBS.has(o.pdbName.toLowerCase()) ? 'pae' : undefined);
    const near = arch ? nearestBuiltin(arch, o.build) : null;
    if (arch && near) {
      warnings.add(
        `no symbol table for ${id}: using the built-in layout of ${near.os} ${near.version} (${arch}), the nearest ` +
          `known build${o.build === undefined ? ' (kernel build unknown: newest table)' : ` to ${o.build}`}; ` +
          `structure offsets may be wrong — ${hint}`,
      );
      const doc = builtinIsf(near);
      // The table describes another kernel: keep the caller's identity so reports name the real one.
      doc.metadata.windows = { pdb: { database: o.pdbName, GUID: guid, age: o.age } };
      return new Profile(doc, {
        source: `builtin:${near.layout}`,
        origin: 'nearest',
        build: o.build ?? near.build,
        version: near.version,
        approximate: true,
      });
    }
  }
  const dirs = [...(o.symbolDirs ?? []), ...(o.cacheDir ? [o.cacheDir] : [])];
  const where = dirs.length ? ` in ${dirs.join(', ')}` : '';
  throw new MemdigError(`no symbol table for ${id}${where}${o.noBuiltin ? '' : ' or built in'}; ${hint}`);
}

export function loadProfile(o: LoadProfileOptions): Profile {
  return findExactProfile(o) ?? nearestProfile(o);
}

/** A profile from one ISF file (`.json` / `.json.xz`), for users who point at a table directly. */
export function loadProfileFile(path: string, warnings?: Warnings): Profile {
  return new Profile(addKdbgTypes(readIsfFile(path, warnings)), { source: path, origin: 'file' });
}
