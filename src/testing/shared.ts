import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared real-data folder (`../shared` beside the repository, or $MEMDIG_SHARED). Tests that need it skip with
 * a clear message when it is absent (a user's fresh clone); in CI it is present.
 */
export function sharedDir(): string | null {
  const env = process.env.MEMDIG_SHARED;
  if (env) return existsSync(env) ? env : null;
  // dist/testing/shared.js -> repo root is two levels up.
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const p = resolve(root, '..', 'shared');
  return existsSync(p) ? p : null;
}

/** Path inside the shared folder, or null when the folder or file is absent. */
export function sharedPath(...parts: string[]): string | null {
  const d = sharedDir();
  if (!d) return null;
  const p = join(d, ...parts);
  return existsSync(p) ? p : null;
}

/** For `test(name, { skip: skipWithoutShared('corpus/evtx') }, ...)`: false when present, else the reason. */
export function skipWithoutShared(...parts: string[]): string | false {
  return sharedPath(...parts)
    ? false
    : `needs ../shared/${parts.join('/')} (absent: skipping real-data test)`;
}

/**
 * Decompresses an .xz file from the shared folder once into the temp folder and returns the path. Concurrent test
 * processes may race: each writes its own temp file and renames it into place, so readers never see a partial file.
 */
export function sharedDecompressed(...parts: string[]): string | null {
  const src = sharedPath(...parts);
  if (!src) return null;
  const st = statSync(src);
  const base = parts[parts.length - 1]!.replace(/\.xz$/, '');
  const out = join(tmpdir(), `memdig-shared-${st.size}-${Math.floor(st.mtimeMs)}-${base}`);
  if (existsSync(out)) return out;
  const part = `${out}.${process.pid}.part`;
  const fd = openSync(part, 'w');
  try {
    const r = spawnSync('xz', ['-dc', src], { stdio: ['ignore', fd, 'inherit'] });
    if (r.status !== 0) throw new Error(`xz -dc ${src} failed (${r.error?.message ?? r.status})`);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(part, out);
  } catch {
    unlinkSync(part);
  }
  return out;
}
