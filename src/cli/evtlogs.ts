import type { Command } from 'commander';
import { withFormatOptions } from '../output/options.js';
import type { EvtlogsOptions } from './evtlogs-action.js';
import { windowsCommand } from './symbol-options.js';

export function evtlogsCommand(program: Command): void {
  withFormatOptions(
    windowsCommand(program, 'evtlogs <dump>')
      .description(
        'Find the Event Log service, extract its logs (.evt/.evtx) with coverage, parse them, carve memory for more records',
      )
      .requiredOption(
        '-o, --output <dir>',
        'folder for the logs, records.jsonl, records.csv and summary.json',
      )
      .option('--no-carve', 'skip carving physical memory for records outside the extracted logs'),
  ).action(async (dump: string, o: EvtlogsOptions) =>
    (await import('./evtlogs-action.js')).evtlogsAction(dump, o),
  );
}
