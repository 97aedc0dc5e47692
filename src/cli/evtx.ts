import type { Command } from 'commander';
import { withFormatOptions } from '../output/options.js';
import type { EvtxCliOptions } from './evtx-action.js';

export function evtxCommand(program: Command): void {
  withFormatOptions(
    program
      .command('evtx')
      .description(
        'Parse a Vista+ .evtx event log (or carve EVTX chunks and records out of any file with --carve)',
      )
      .argument('<file>', '.evtx file, or any file to carve with --carve')
      .option('--xml', 'print each record as Event Viewer XML')
      .option(
        '--carve',
        'scan the whole file for EVTX chunks and orphan records instead of reading it as a log',
      )
      .option(
        '--repair <out>',
        'write a repaired copy (fresh header, chunks in order, CRCs recomputed) and exit',
      )
      .option('--warnings', 'print every warning to stderr (default: a summary)'),
  ).action(async (file: string, o: EvtxCliOptions) => (await import('./evtx-action.js')).evtxAction(file, o));
}
