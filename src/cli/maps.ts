import type { Command } from 'commander';
import { withFormatOptions } from '../output/options.js';
import type { MapsOptions } from './maps-action.js';

export function mapsCommand(program: Command): void {
  withFormatOptions(
    program
      .command('maps')
      .description(
        'Memory maps of processes, as /proc/<pid>/maps shows them (Linux: VMAs from the maple tree)',
      )
      .argument('<dump>', 'memory dump file')
      .option('--pid <n>', 'only this process', (v) => Number.parseInt(v, 10))
      .option('--raw', 'print exactly the /proc/<pid>/maps lines (table view only)')
      .option('--isf <file>', 'Volatility 3 ISF for kernels without BTF in RAM'),
  ).action(async (dump: string, o: MapsOptions) => (await import('./maps-action.js')).mapsAction(dump, o));
}
