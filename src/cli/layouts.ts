import type { Command } from 'commander';
import type { FormatOptions, ShowOptions } from './layouts-action.js';

/** Reference listings: table, JSON Lines or CSV (no case database or timeline: these rows are not evidence). */
function withFormatOptions(cmd: Command): Command {
  return cmd.option('--json', 'JSON Lines: one object per row').option('--csv', 'CSV with a header row');
}

export function layoutsCommand(program: Command): void {
  const cmd = program
    .command('layouts')
    .description('Kernel structure layouts: the built-in tables, and member offsets of any table');
  withFormatOptions(
    cmd.command('list').description('Kernels memdig knows without symbol files (built-in tables)'),
  ).action(async (o: FormatOptions) => (await import('./layouts-action.js')).listAction(o));
  withFormatOptions(
    cmd
      .command('show')
      .description('Member offsets of a structure (or the symbol RVAs with type "symbols")')
      .argument('<type>', 'structure name, e.g. _EPROCESS, or "symbols"')
      .option('--isf <file>', 'read this ISF file (.json or .json.xz)')
      .option('--pdb <name>', 'kernel PDB name', 'ntkrnlmp.pdb')
      .option('--guid <hex>', 'kernel PDB GUID (Volatility form)')
      .option('--age <n>', 'kernel PDB age', '1')
      .option('--arch <arch>', 'x86, pae or x64 (nearest-build fallback)')
      .option('--build <n>', 'kernel build number (nearest-build fallback)')
      .option('--symbols <dir...>', 'Volatility 3 symbol folders or windows.zip packs to search first'),
  ).action(async (type: string, o: ShowOptions) => (await import('./layouts-action.js')).showAction(type, o));
}
