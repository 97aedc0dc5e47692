import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sharedPath } from '../testing/shared.js';
import { bundledXz } from '../util/xz.js';
import type { Manifest } from './manifest.js';
import { PROFILES } from './profiles.js';
import type { ProfileId } from './scenario.js';

/** Hex address from the manifest (canonical x64 form or plain) as a number below 2^48. */
function addr(h: string): number {
  const s = h.replace(/^0x/i, '');
  return Number.parseInt(s.length === 16 && /^ffff/i.test(s) ? s.slice(4) : s, 16);
}

/**
 * Writes the symbol table Volatility 3 needs to read a forged image, in its folder layout
 * (`<dir>/windows/<pdb>/<GUID>-<AGE>.json`): the profile's full kernel table from the shared corpus (the built-in
 * subset when absent) with the image's kernel globals as symbols. The XP tables carry no symbol addresses at all,
 * so without this file Volatility cannot find the process list of an XP image.
 */
export function writeVolatilityIsf(manifest: Manifest, dir: string): { path: string; source: string } {
  const profile = PROFILES[manifest.profile as ProfileId];
  if (!profile) throw new Error(`unknown forge profile ${manifest.profile}`);
  const ref = profile.layout;
  const full = sharedPath('corpus', ref.corpus, ref.pdbName, `${ref.guid}-${ref.age}.json.xz`);
  let doc: { symbols?: Record<string, { address: number }>; [k: string]: unknown };
  let source: string;
  if (full) {
    doc = JSON.parse(bundledXz().decompressSync(readFileSync(full)).toString('utf8'));
    source = full;
  } else {
    const index = JSON.parse(
      readFileSync(new URL('../../data/layouts/index.json', import.meta.url), 'utf8'),
    ) as {
      kernels: { pdb: string; guid: string; age: number; layout: string }[];
    };
    const k = index.kernels.find((x) => x.guid === ref.guid && x.age === ref.age && x.pdb === ref.pdbName);
    if (!k) throw new Error(`no table for ${ref.pdbName} ${ref.guid}-${ref.age}`);
    const gz = readFileSync(new URL(`../../data/layouts/${k.layout}`, import.meta.url));
    doc = JSON.parse(gunzipSync(gz).toString('utf8'));
    // Layout files hold types only; Volatility finds a table by the identity in its metadata.
    doc.metadata = {
      format: '6.2.0',
      producer: { name: 'memdig-forge', version: '1' },
      windows: { pdb: { database: ref.pdbName, GUID: ref.guid, age: ref.age } },
    };
    source = `builtin:${k.layout} (subset: some Volatility plugins may need types it lacks)`;
  }
  const base = addr(manifest.kernel.base);
  const symbols = { ...(doc.symbols ?? {}) };
  for (const [name, value] of Object.entries(manifest.kernel.symbols))
    symbols[name] = { address: addr(value) - base };
  doc.symbols = symbols;
  const folder = join(dir, 'windows', ref.pdbName);
  mkdirSync(folder, { recursive: true });
  const path = join(folder, `${ref.guid}-${ref.age}.json`);
  writeFileSync(path, JSON.stringify(doc));
  return { path, source };
}
