import type { Command } from 'commander';
import { withFormatOptions } from '../output/options.js';
import { windowsCommand } from './symbol-options.js';
import type { VaddumpOptions } from './vaddump-action.js';

export function vaddumpCommand(program: Command): void {
  withFormatOptions(
    windowsCommand(program, 'vaddump')
      .description(
        "Windows: write each VAD's address range as read through the process page tables (zero where unreadable), with a JSON sidecar of page states",
      )
      .argument('<dump>', 'memory dump file')
      .requiredOption('-o, --output <dir>', 'folder for the range files')
      .option('--pid <n>', 'only this process', (v) => Number.parseInt(v, 10))
      .option('--base <addr>', 'only the VAD containing this address (hex)')
      .option(
        '--max-size <mib>',
        'skip VADs larger than this many MiB (reserved ranges can be terabytes)',
        (v) => Number.parseInt(v, 10),
        1024,
      ),
  ).action(async (dump: string, o: VaddumpOptions) =>
    (await import('./vaddump-action.js')).vaddumpAction(dump, o),
  );
}
