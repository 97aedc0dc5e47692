import type { Command } from 'commander';
import { withFormatOptions } from '../output/options.js';
import type { HandlesOptions } from './handles-action.js';
import { windowsCommand } from './symbol-options.js';

export function handlesCommand(program: Command): void {
  withFormatOptions(
    windowsCommand(program, 'handles')
      .description("Windows: each process's open handles (handle table → object type and name)")
      .argument('<dump>', 'memory dump file')
      .option('--pid <n>', 'only this process', (v) => Number.parseInt(v, 10))
      .option('--type <name>', 'only handles of this object type (File, Key, Process, Section, ...)'),
  ).action(async (dump: string, o: HandlesOptions) =>
    (await import('./handles-action.js')).handlesAction(dump, o),
  );
}
