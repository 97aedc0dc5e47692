import type { Command } from 'commander';
import { withFormatOptions } from '../output/options.js';
import { windowsCommand } from './symbol-options.js';
import type { VadsOptions } from './vads-action.js';

export function vadsCommand(program: Command): void {
  withFormatOptions(
    windowsCommand(program, 'vads')
      .description("Each Windows process's VAD tree: ranges, type, protection, and the mapped file")
      .argument('<dump>', 'memory dump file')
      .option('--pid <n>', 'only this process', (v) => Number.parseInt(v, 10)),
  ).action(async (dump: string, o: VadsOptions) => (await import('./vads-action.js')).vadsAction(dump, o));
}
