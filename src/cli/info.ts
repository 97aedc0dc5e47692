import type { Command } from 'commander';
import { withSymbolOptions } from './symbol-options.js';

export function infoCommand(program: Command): void {
  withSymbolOptions(program.command('info'))
    .description('Identify a dump: container format, physical ranges, and the operating system in it')
    .argument('<dump>', 'memory dump file (raw, LiME, ELF core, crash dump, VMware .vmem/.vmss, minidump)')
    .action(async (dump: string, o: object) => (await import('./info-action.js')).infoAction(dump, o));
}
