/**
 * `npm run bench [area...]`: runs every src/bench/<area>.ts that exports `bench()` and prints its figures.
 * Benchmarks print numbers; they never fail on speed (speed is not checked by timed tests).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const areas = readdirSync(here)
  .filter((f) => f.endsWith('.js') && f !== 'run.js' && !f.endsWith('.test.js') && !f.startsWith('util'))
  .map((f) => f.slice(0, -3))
  .filter((a) => only.length === 0 || only.includes(a))
  .sort();

for (const area of areas) {
  const mod = (await import(pathToFileURL(join(here, `${area}.js`)).href)) as { bench?: () => Promise<void> };
  if (typeof mod.bench !== 'function') continue;
  console.log(`\n== ${area}`);
  const t0 = performance.now();
  try {
    await mod.bench();
  } catch (e) {
    console.log(`${area}: failed: ${(e as Error).message}`);
  }
  console.log(`(${area}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
console.log(`\npeak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
