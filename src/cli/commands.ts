import type { Command } from 'commander';
import { demoCommand } from './demo.js';
import { evtCommand } from './evt.js';
import { evtlogsCommand } from './evtlogs.js';
import { evtxCommand } from './evtx.js';
import { extractCommand } from './extract.js';
import { filesCommand } from './files.js';
import { forgeCommand } from './forge.js';
import { handlesCommand } from './handles.js';
import { infoCommand } from './info.js';
import { layoutsCommand } from './layouts.js';
import { mapsCommand } from './maps.js';
import { psCommand } from './ps.js';
import { symbolsCommand } from './symbols.js';
import { vaddumpCommand } from './vaddump.js';
import { vadsCommand } from './vads.js';

/**
 * Every subcommand registers itself here; each lives in its own file. `<name>.ts` declares only the name,
 * description and options, and its action imports `<name>-action.js` when it runs: start-up loads commander and
 * these declarations alone, so `memdig ps` never loads the event-log parsers, the forge or SQLite
 * (startup.test.ts keeps it so).
 */
export function registerCommands(program: Command): void {
  infoCommand(program);
  demoCommand(program);
  evtCommand(program);
  evtxCommand(program);
  symbolsCommand(program);
  forgeCommand(program);
  psCommand(program);
  mapsCommand(program);
  filesCommand(program);
  extractCommand(program);
  vadsCommand(program);
  handlesCommand(program);
  vaddumpCommand(program);
  layoutsCommand(program);
  evtlogsCommand(program);
}
