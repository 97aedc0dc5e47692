import type { Command } from 'commander';
import { withFormatOptions } from '../output/options.js';
import type { PsOptions } from './ps-action.js';

export function psCommand(program: Command): void {
  withFormatOptions(
    program
      .command('ps')
      .description('List processes (Linux: the kernel task list, from the dump alone)')
      .argument('<dump>', 'memory dump file')
      .option('--threads', 'also list threads')
      .option(
        '--symbols <dir...>',
        'Windows: Volatility 3 symbol folders or windows.zip packs to search first',
      )
      .option('--isf <file>', 'Volatility 3 ISF for kernels without BTF in RAM'),
  ).action(async (dump: string, o: PsOptions) => (await import('./ps-action.js')).psAction(dump, o));
}
