import type { Command } from 'commander';

export function infoCommand(program: Command): void {
  program
    .command('info')
    .description('Identify a dump: container format, physical ranges, and the operating system in it')
    .argument('<dump>', 'memory dump file (raw, LiME, ELF core, crash dump, VMware .vmem/.vmss, minidump)')
    .action(async (dump: string) => (await import('./info-action.js')).infoAction(dump));
}
