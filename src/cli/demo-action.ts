import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { forgeImage, presetScenario } from '../forge/index.js';

/**
 * Builds the `xp-eventlog` synthetic image (services.exe mapping the XP event logs, one of them deleted) in a
 * temporary folder and runs the seed scenario on it — `memdig evtlogs` — so a newcomer sees memdig find the Event
 * Log service, rebuild its logs page by page and carve memory for more records, without a dump.
 */
export async function demoAction(program: Command): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'memdig-demo-'));
  const image = join(dir, 'xp-eventlog.raw');
  const out = join(dir, 'evtlogs');
  const m = forgeImage(presetScenario('xp-eventlog'), image);
  process.stdout.write(
    `demo image: ${image} (${m.profile}, ${m.stats.processes} processes, ${m.files.length} files; ` +
      `ground truth in ${image}.manifest.json)\n\n$ memdig evtlogs ${image} -o ${out}\n`,
  );
  await program.parseAsync(['evtlogs', image, '-o', out], { from: 'user' });
  // A partial result is the point of the demo (pages never in memory), not a failure of `npm run demo`.
  process.exitCode = 0;
  process.stdout.write(
    `\ndemo output in ${out}: the rebuilt logs (*.dat, page map in *.dat.json), records.jsonl, records.csv, ` +
      'summary.json\n(some pages of the logs were never in memory: memdig says which, and exits 1 for a partial result)\n',
  );
}
