import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { bundledXz } from '../../util/xz.js';
import { ZipReader } from '../zip.js';

export interface IsfEntry {
  path: string;
  database: string;
  guid: string;
  age: number | null;
  bytes: number;
  /** 'path' when the identity came from the Volatility layout, 'metadata' when read from the file. */
  from: 'path' | 'metadata' | 'unreadable';
}

const MAX_DEPTH = 6;
const MAX_FILES = 100_000;
const LAYOUT = /^(?:windows\/)?([^/]+)\/([0-9A-Fa-f]{32})-(\d+)\.json(\.xz|\.gz)?$/;

/**
 * The Windows symbol tables under some folders. Files in the `windows/<pdb>/<GUID>-<AGE>.json.xz` layout are named
 * by their path (also inside zip packs); other JSON files are opened and their metadata read.
 */
export function listIsf(dirs: string[]): IsfEntry[] {
  const out: IsfEntry[] = [];
  for (const root of dirs) walk(root, root, 0, out);
  return out.sort((a, b) => a.database.localeCompare(b.database) || a.guid.localeCompare(b.guid));
}

function walk(root: string, dir: string, depth: number, out: IsfEntry[]): void {
  if (depth > MAX_DEPTH || out.length >= MAX_FILES) return;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names.sort()) {
    const p = join(dir, n);
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      if (n !== 'pdb-cache') walk(root, p, depth + 1, out);
    } else if (/\.json(\.xz|\.gz)?$/.test(n)) {
      out.push(describe(root, p, st.size));
    } else if (n.toLowerCase().endsWith('.zip')) {
      listZip(p, out);
    }
  }
}

/** Tables inside a symbol pack (`windows.zip`), named by their entry paths; the pack is not decompressed. */
function listZip(path: string, out: IsfEntry[]): void {
  let zip: ZipReader;
  try {
    zip = ZipReader.open(path);
  } catch {
    return;
  }
  try {
    for (const e of zip.entries.values()) {
      if (out.length >= MAX_FILES) return;
      const m = LAYOUT.exec(e.name.replace(/^.*?(windows\/)/, '$1'));
      if (m) {
        out.push({
          path: `${path}!${e.name}`,
          database: m[1]!,
          guid: m[2]!.toUpperCase(),
          age: Number(m[3]),
          bytes: e.compressedSize,
          from: 'path',
        });
      }
    }
  } finally {
    zip.close();
  }
}

function describe(root: string, p: string, bytes: number): IsfEntry {
  const rel = relative(root, p).split(sep).join('/');
  const m = LAYOUT.exec(rel);
  if (m)
    return { path: p, database: m[1]!, guid: m[2]!.toUpperCase(), age: Number(m[3]), bytes, from: 'path' };
  try {
    const raw = readFileSync(p);
    const text = (
      p.endsWith('.xz') ? bundledXz().decompressSync(raw) : p.endsWith('.gz') ? gunzipSync(raw) : raw
    ).toString('utf8');
    const guid = /"GUID"\s*:\s*"([0-9A-Fa-f]+)"/.exec(text)?.[1];
    const age = /"age"\s*:\s*(\d+)/.exec(text)?.[1];
    const db = /"database"\s*:\s*"([^"]*)"/.exec(text)?.[1];
    if (guid && db)
      return {
        path: p,
        database: db,
        guid: guid.toUpperCase(),
        age: age ? Number(age) : null,
        bytes,
        from: 'metadata',
      };
  } catch {
    // reported as unreadable below
  }
  return { path: p, database: '?', guid: '?', age: null, bytes, from: 'unreadable' };
}
