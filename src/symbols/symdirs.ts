/**
 * Finding a kernel's symbol table in the user's symbol folders, laid out as Volatility 3 does:
 * `…/windows/<pdb name>/<GUID>-<AGE>.json(.xz)` at any depth, or inside a `windows.zip` (or any `.zip`) pack.
 * The shared corpus layout `<pdb name>/<GUID>-<AGE>.json.xz` is the same rule one level up.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Warnings } from '../util/errors.js';
import { type IsfDocument, openIsf } from './isf.js';
import { ZipReader } from './zip.js';

export interface TableLocation {
  /** File on disk (the table itself, or the zip that holds it). */
  path: string;
  /** Entry name inside the zip, when the table is packed. */
  zipEntry?: string;
}

/** Bounds for walking user folders: symbol trees are shallow, and a link loop or a home folder must not hang us. */
const MAX_DEPTH = 8;
const MAX_DIRS = 20_000;

/** File names a table for this identity may have: age in decimal (Volatility) or hex (symbol-server style). */
function candidateNames(guid: string, age: number): string[] {
  const g = guid.toUpperCase();
  const ages = [...new Set([String(age), age.toString(16).toUpperCase()])];
  const out: string[] = [];
  for (const a of ages) for (const ext of ['.json.xz', '.json']) out.push(`${g}-${a}${ext}`);
  return out;
}

/**
 * Looks for the table of `pdbName` GUID/age under each of `dirs` (folders or zip files), in order.
 * Returns the first hit, or null.
 */
export function findTable(
  dirs: readonly string[],
  pdbName: string,
  guid: string,
  age: number,
): TableLocation | null {
  const names = candidateNames(guid, age).map((n) => n.toLowerCase());
  const pdb = pdbName.toLowerCase();
  for (const d of dirs) {
    if (!existsSync(d)) continue;
    const st = statSync(d);
    const hit = st.isDirectory()
      ? searchDir(d, pdb, names)
      : d.toLowerCase().endsWith('.zip')
        ? searchZip(d, pdb, names)
        : null;
    if (hit) return hit;
  }
  return null;
}

function searchDir(root: string, pdb: string, names: string[]): TableLocation | null {
  const queue: { dir: string; depth: number }[] = [{ dir: root, depth: 0 }];
  const zips: string[] = [];
  let visited = 0;
  while (queue.length && visited < MAX_DIRS) {
    const { dir, depth } = queue.shift()!;
    visited++;
    let list: import('node:fs').Dirent[];
    try {
      list = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    const isPdbDir = basename(dir).toLowerCase() === pdb;
    for (const e of list) {
      const lower = e.name.toLowerCase();
      if (e.isDirectory()) {
        // Other PDBs' folders (ntdll.pdb, … thousands of tables each in a full symbol pack) are leaves: skip them.
        if (depth < MAX_DEPTH && (!lower.endsWith('.pdb') || lower === pdb)) {
          queue.push({ dir: join(dir, e.name), depth: depth + 1 });
        }
      } else if (isPdbDir && names.includes(lower)) {
        return { path: join(dir, e.name) };
      } else if (lower.endsWith('.zip')) {
        zips.push(join(dir, e.name));
      }
    }
  }
  // Loose files win over packs, as a user who unpacked a table means it to be used.
  for (const z of zips) {
    const hit = searchZip(z, pdb, names);
    if (hit) return hit;
  }
  return null;
}

function searchZip(path: string, pdb: string, names: string[]): TableLocation | null {
  let zip: ZipReader;
  try {
    zip = ZipReader.open(path);
  } catch {
    return null;
  }
  try {
    for (const name of zip.entries.keys()) {
      const parts = name.toLowerCase().split('/');
      if (parts.length >= 2 && parts[parts.length - 2] === pdb && names.includes(parts[parts.length - 1]!)) {
        return { path, zipEntry: name };
      }
    }
    return null;
  } finally {
    zip.close();
  }
}

/** Reads and validates the table at a location found by `findTable`. */
export function readTable(loc: TableLocation, warnings?: Warnings): IsfDocument {
  const source = loc.zipEntry ? `${loc.path}!${loc.zipEntry}` : loc.path;
  let bytes: Uint8Array;
  if (loc.zipEntry) {
    const zip = ZipReader.open(loc.path);
    try {
      bytes = zip.read(loc.zipEntry);
    } finally {
      zip.close();
    }
  } else bytes = readFileSync(loc.path);
  return openIsf(bytes, source, warnings);
}
