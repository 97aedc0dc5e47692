import type { Command } from 'commander';
import type { OutputFormat } from './render.js';

export interface FormatOptions {
  json?: boolean;
  csv?: boolean;
}

/** Adds the shared output-format flags to a command. */
export function withFormatOptions(cmd: Command): Command {
  return cmd.option('--json', 'JSON Lines: one object per row').option('--csv', 'CSV with a header row');
}

export function formatFrom(o: FormatOptions): OutputFormat {
  return o.json ? 'json' : o.csv ? 'csv' : 'table';
}
