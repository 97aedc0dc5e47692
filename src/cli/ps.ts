import type { Command } from 'commander';
import { withFormatOptions } from '../output/options.js';
import type { PsOptions } from './ps-action.js';
import { windowsCommand } from './symbol-options.js';

export function psCommand(program: Command): void {
  withFormatOptions(
    windowsCommand(program, 'ps')
      .description(
        'List processes: the kernel list merged with a scan of memory (Windows: process pool; Linux: task_struct)',
      )
      .argument('<dump>', 'memory dump file')
      .option('--threads', 'also list threads')
      .option('--no-scan', 'Linux: only walk the task list (skip the task_struct scan of all memory)')
      .option('--isf <file>', 'Volatility 3 ISF for kernels without BTF in RAM'),
  ).action(async (dump: string, o: PsOptions) => (await import('./ps-action.js')).psAction(dump, o));
}
