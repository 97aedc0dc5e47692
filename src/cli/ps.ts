import type { Command } from 'commander';
import { withFormatOptions } from '../output/options.js';
import type { PsOptions } from './ps-action.js';
import { windowsCommand } from './symbol-options.js';

export function psCommand(program: Command): void {
  withFormatOptions(
    windowsCommand(program, 'ps')
      .description('List processes (Linux: the kernel task list, from the dump alone)')
      .argument('<dump>', 'memory dump file')
      .option('--threads', 'also list threads')
      .option('--isf <file>', 'Volatility 3 ISF for kernels without BTF in RAM'),
  ).action(async (dump: string, o: PsOptions) => (await import('./ps-action.js')).psAction(dump, o));
}
