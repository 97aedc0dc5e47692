/** Synthetic Windows image builder: entry points for the CLI, the demo, tests and benchmarks. */
import { writeFileSync } from 'node:fs';
import { Builder } from './build.js';
import { type ContainerFormat, wrapContainer } from './containers.js';
import type { Manifest } from './manifest.js';
import { PRESETS } from './presets.js';
import type { Scenario } from './scenario.js';

export type { ContainerFormat } from './containers.js';
export type { Manifest } from './manifest.js';
export { PRESETS } from './presets.js';
export type { Scenario } from './scenario.js';

export interface ForgeOptions {
  format?: ContainerFormat;
  /** Write `<out>.manifest.json` beside the image (default true). */
  writeManifest?: boolean;
}

/** Builds `scenario` into `out` (raw, or wrapped into another container) and returns the manifest. */
export function forgeImage(scenario: Scenario, out: string, opts: ForgeOptions = {}): Manifest {
  const format = opts.format ?? 'raw';
  const rawPath = format === 'raw' ? out : `${out}.raw-tmp`;
  const manifest = new Builder(scenario, rawPath).build();
  if (format !== 'raw') {
    manifest.image = { ...manifest.image, ...wrapContainer(rawPath, out, format, manifest) };
  } else manifest.image.path = out;
  if (opts.writeManifest !== false)
    writeFileSync(`${out}.manifest.json`, `${JSON.stringify(manifest, null, 1)}\n`);
  return manifest;
}

export function presetScenario(name: string, seed?: number): Scenario {
  const p = PRESETS[name];
  if (!p) throw new Error(`unknown preset ${name} (known: ${Object.keys(PRESETS).join(', ')})`);
  return p(seed);
}
