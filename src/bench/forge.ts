/**
 * Forge benchmark: build time and peak RSS of a 1 GiB scenario (goal ≤ 10 s) and of the `large` preset (3 GiB,
 * ≥ 100 processes, ≥ 20 000 VADs, ≥ 5 000 files; goal RSS < 300 MB). Each build runs in its own process so its
 * peak RSS is its own.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedPath } from '../testing/shared.js';

const forgeIndex = join(dirname(fileURLToPath(import.meta.url)), '..', 'forge', 'index.js');
const presets = join(dirname(fileURLToPath(import.meta.url)), '..', 'forge', 'presets.js');

function run(label: string, expr: string, out: string): void {
  const script = `
    const { forgeImage } = await import(${JSON.stringify(forgeIndex)});
    const P = await import(${JSON.stringify(presets)});
    const t0 = performance.now();
    const m = forgeImage(${expr}, ${JSON.stringify(out)});
    const s = (performance.now() - t0) / 1000;
    console.log(JSON.stringify({ s, rss: process.resourceUsage().maxRSS / 1024, stats: m.stats, size: m.image.physicalSize }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.log(`forge ${label}: failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return;
  }
  const o = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    s: number;
    rss: number;
    size: number;
    stats: { processes: number; vads: number; fileObjects: number; handles: number };
  };
  console.log(
    `forge ${label}: ${o.s.toFixed(1)} s, peak RSS ${o.rss.toFixed(0)} MB, ${(o.size / 2 ** 30).toFixed(1)} GiB physical, ` +
      `${o.stats.processes} processes, ${o.stats.vads} VADs, ${o.stats.fileObjects} files, ${o.stats.handles} handles, ` +
      `${(o.size / 2 ** 20 / o.s).toFixed(0)} MiB/s of image`,
  );
}

export async function bench(): Promise<void> {
  if (!sharedPath('corpus', 'isf')) {
    console.log('forge: needs ../shared/corpus/isf for the Windows 10 layout (absent: skipped)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'memdig-bench-forge-'));
  try {
    run('1 GiB (large scaled to 1/3)', 'P.large(7, 1024 * 1024 * 1024, 1 / 3)', join(dir, 'one.raw'));
    run('large preset', 'P.large(7)', join(dir, 'large.raw'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
