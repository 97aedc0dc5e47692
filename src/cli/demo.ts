import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { forgeImage, presetScenario } from '../forge/index.js';

/**
 * Builds the `xp-eventlog` synthetic image (services.exe mapping the XP event logs) in a temporary folder and runs
 * memdig on it, so a newcomer sees memdig work without a dump.
 */
export function demoCommand(program: Command): void {
  program
    .command('demo')
    .description('Build a small synthetic Windows XP image in a temporary folder and run memdig on it')
    .action(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'memdig-demo-'));
      const image = join(dir, 'xp-eventlog.raw');
      const m = forgeImage(presetScenario('xp-eventlog'), image);
      process.stdout.write(
        `demo image: ${image} (${m.profile}, ${m.stats.processes} processes, ${m.files.length} files; ` +
          `ground truth in ${image}.manifest.json)\n`,
      );
      await program.parseAsync(['info', image], { from: 'user' });
    });
}
