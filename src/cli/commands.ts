import type { Command } from 'commander';
import { demoCommand } from './demo.js';
import { infoCommand } from './info.js';
import { symbolsCommand } from './symbols.js';

/** Every subcommand registers itself here; each lives in its own file. */
export function registerCommands(program: Command): void {
  infoCommand(program);
  demoCommand(program);
  symbolsCommand(program);
}
