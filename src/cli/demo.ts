import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';

/**
 * Builds a small image in a temporary folder and runs memdig on it, so a newcomer sees memdig work without a dump.
 * Until the synthetic Windows builder lands, the image is a plain raw file and the job is `info`.
 */
export function demoCommand(program: Command): void {
  program
    .command('demo')
    .description('Build a small synthetic image in a temporary folder and run memdig on it')
    .action(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'memdig-demo-'));
      const image = join(dir, 'demo.raw');
      const bytes = new Uint8Array(1 << 20);
      for (let p = 0; p < bytes.length; p += 4096) new DataView(bytes.buffer).setUint32(p, p, true);
      writeFileSync(image, bytes);
      process.stdout.write(`demo image: ${image}\n`);
      await program.parseAsync(['info', image], { from: 'user' });
    });
}
