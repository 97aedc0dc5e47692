import type { Command } from 'commander';
import { withFormatOptions } from '../output/options.js';
import type { EvtOptions } from './evt-action.js';

export function evtCommand(program: Command): void {
  withFormatOptions(
    program
      .command('evt')
      .description(
        'List the records of a classic Windows event log (.evt, XP/2003), or carve EVT records from any file',
      )
      .argument('<file>', '.evt file (or, with --carve, any file: a dump, an extracted file with holes)')
      .option('--recovered', 'also list records recovered from slack (outside the live part of the log)')
      .option('--carve', 'ignore the log structure: find every EVT record by signature anywhere in the file')
      .option(
        '--manifest <file.json>',
        'page map of a file extracted from memory (default: <file>.json when present); records on missing pages are marked partial',
      )
      .option('--no-manifest', 'ignore any page map beside the file')
      .option('--unique', 'with --carve: list each record once when the file holds several identical copies'),
  ).action(async (file: string, o: EvtOptions) => (await import('./evt-action.js')).evtAction(file, o));
}
