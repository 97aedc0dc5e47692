import type { Command } from 'commander';
import { withFormatOptions } from '../output/options.js';
import type { FilesOptions } from './files-action.js';
import { windowsCommand } from './symbol-options.js';

export function filesCommand(program: Command): void {
  withFormatOptions(
    windowsCommand(program, 'files')
      .description('Files with pages in the page cache (Linux: every in-core inode, unlinked ones included)')
      .argument('<dump>', 'memory dump file')
      .option('--all', 'also list inodes without cached pages')
      .option('--isf <file>', 'Volatility 3 ISF for kernels without BTF in RAM'),
  ).action(async (dump: string, o: FilesOptions) => (await import('./files-action.js')).filesAction(dump, o));
}
