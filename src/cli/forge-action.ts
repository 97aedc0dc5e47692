import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type ContainerFormat, forgeImage, PRESETS, presetScenario, type Scenario } from '../forge/index.js';
import { writeVolatilityIsf } from '../forge/volatility-isf.js';
import { ExitCode, MemdigError } from '../util/errors.js';
import { FORMATS } from './forge.js';

export interface ForgeOptions {
  output: string;
  format: string;
  seed?: string;
  volatilityIsf?: string;
}

export function forgeAction(name: string, opts: ForgeOptions): void {
  if (!FORMATS.includes(opts.format as ContainerFormat)) {
    throw new MemdigError(`--format must be one of ${FORMATS.join(', ')}`, ExitCode.Usage);
  }
  const seed = opts.seed !== undefined ? Number(opts.seed) : undefined;
  if (seed !== undefined && !Number.isInteger(seed))
    throw new MemdigError('--seed must be an integer', ExitCode.Usage);
  let scenario: Scenario;
  if (PRESETS[name]) scenario = presetScenario(name, seed);
  else {
    try {
      scenario = JSON.parse(readFileSync(name, 'utf8')) as Scenario;
    } catch (e) {
      throw new MemdigError(
        `${name}: not a preset and not a readable scenario JSON file (${(e as Error).message})`,
        ExitCode.Usage,
      );
    }
    if (seed !== undefined) scenario.seed = seed;
  }
  mkdirSync(dirname(resolve(opts.output)), { recursive: true });
  const t0 = performance.now();
  const m = forgeImage(scenario, opts.output, { format: opts.format as ContainerFormat });
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  process.stdout.write(
    `${opts.output}: ${m.image.container}, ${m.image.physicalSize / 1048576} MiB physical, ${m.profile}, ` +
      `${m.stats.processes} processes, ${m.stats.vads} VADs, ${m.stats.fileObjects} files, ${m.stats.handles} handles (${s} s)\n` +
      `manifest: ${opts.output}.manifest.json\n`,
  );
  if (opts.volatilityIsf) {
    const r = writeVolatilityIsf(m, opts.volatilityIsf);
    process.stdout.write(`Volatility 3 symbol table: ${r.path} (from ${r.source})\n`);
  }
}
