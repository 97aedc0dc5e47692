/**
 * Choosing the symbol table for a kernel: the user's symbol folders first (exact PDB GUID/age), then memdig's
 * built-in tables (exact), then the built-in table of the nearest build of the same architecture — with a warning,
 * because structure offsets can change between updates of one release.
 */
import { MemdigError, Warnings } from '../util/errors.js';
import { builtinIsf, findBuiltin, nearestBuiltin } from './builtin.js';
import { readIsfFile } from './isf.js';
import { addKdbgTypes } from './kdbg.js';
import { type KernelArch, Profile } from './profile.js';
import { findTable, readTable } from './symdirs.js';

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
  /** Where the "approximate table" warning goes. */
  warnings?: Warnings;
  /** Skip the built-in tables (tests, or users who insist on their own). */
  noBuiltin?: boolean;
}

const PAE_PDBS = new Set(['ntkrnlpa.pdb', 'ntkrpamp.pdb']);

export function loadProfile(o: LoadProfileOptions): Profile {
  const warnings = o.warnings ?? new Warnings();
  const guid = o.guid.toUpperCase();
  const id = `${o.pdbName} ${guid}-${o.age}`;
  if (o.symbolDirs?.length) {
    const loc = findTable(o.symbolDirs, o.pdbName, guid, o.age);
    if (loc) {
      const doc = addKdbgTypes(readTable(loc, warnings));
      return new Profile(doc, {
        source: loc.zipEntry ? `${loc.path}!${loc.zipEntry}` : loc.path,
        build: o.build,
      });
    }
  }
  if (!o.noBuiltin) {
    const exact = findBuiltin(o.pdbName, guid, o.age);
    if (exact) {
      return new Profile(builtinIsf(exact), {
        source: `builtin:${exact.layout}`,
        build: exact.build,
        version: exact.version,
      });
    }
    const arch = o.arch ?? (PAE_PDBS.has(o.pdbName.toLowerCase()) ? 'pae' : undefined);
    if (arch) {
      const near = nearestBuiltin(arch, o.build);
      if (near) {
        warnings.add(
          `no symbol table for ${id}: using the built-in layout of ${near.os} ${near.version} (${arch}), the nearest ` +
            `known build${o.build === undefined ? ' (kernel build unknown: newest table)' : ` to ${o.build}`}; ` +
            'structure offsets may be wrong — give --symbols with the table for this kernel',
        );
        const doc = builtinIsf(near);
        // The table describes another kernel: keep the caller's identity so reports name the real one.
        doc.metadata.windows = { pdb: { database: o.pdbName, GUID: guid, age: o.age } };
        return new Profile(doc, {
          source: `builtin:${near.layout}`,
          build: o.build ?? near.build,
          version: near.version,
          approximate: true,
        });
      }
    }
  }
  const where = o.symbolDirs?.length ? ` in ${o.symbolDirs.join(', ')}` : '';
  throw new MemdigError(
    `no symbol table for ${id}${where}${o.noBuiltin ? '' : ' or built in'}; give --symbols with a Volatility 3 ` +
      'symbol folder or windows.zip that has it',
  );
}

/** A profile from one ISF file (`.json` / `.json.xz`), for users who point at a table directly. */
export function loadProfileFile(path: string, warnings?: Warnings): Profile {
  return new Profile(addKdbgTypes(readIsfFile(path, warnings)), { source: path });
}
