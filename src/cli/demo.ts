import type { Command } from 'commander';

/** `memdig demo`: a synthetic XP image and `memdig evtlogs` on it (see demo-action.ts). */
export function demoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Build a small synthetic Windows XP image in a temporary folder and run `memdig evtlogs` on it',
    )
    .action(async () => (await import('./demo-action.js')).demoAction(program));
}
