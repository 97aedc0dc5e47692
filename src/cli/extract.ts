import type { Command } from 'commander';
import { withFormatOptions } from '../output/options.js';
import type { ExtractOptions } from './extract-action.js';
import { windowsCommand } from './symbol-options.js';

export function extractCommand(program: Command): void {
  withFormatOptions(
    windowsCommand(program, 'extract')
      .description(
        'Rebuild cached and mapped files page by page at their file offsets, with a coverage manifest and hashes',
      )
      .argument('<dump>', 'memory dump file')
      .requiredOption('-o, --output <dir>', 'output directory')
      .option('--pid <n>', "only this process's mapped files, private pages and anonymous areas", (v) =>
        Number.parseInt(v, 10),
      )
      .option('--name <regex>', 'only files whose path matches')
      .option('--all', 'also files without a name (inodes with no dentry)')
      .option('--file-object <addr>', 'Windows: the _FILE_OBJECT at this kernel address')
      .option('--isf <file>', 'Volatility 3 ISF for kernels without BTF in RAM'),
  ).action(async (dump: string, o: ExtractOptions) =>
    (await import('./extract-action.js')).extractAction(dump, o),
  );
}
