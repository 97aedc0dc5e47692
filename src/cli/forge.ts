import type { Command } from 'commander';
import type { ContainerFormat } from '../forge/index.js';
import { PRESETS } from '../forge/presets.js';
import type { ForgeOptions } from './forge-action.js';

export const FORMATS: ContainerFormat[] = ['raw', 'crash', 'lime', 'elf'];

export function forgeCommand(program: Command): void {
  program
    .command('forge')
    .description(
      `Build a synthetic Windows memory image and its ground-truth manifest (presets: ${Object.keys(PRESETS).join(', ')})`,
    )
    .argument('<scenario>', 'preset name or scenario JSON file')
    .requiredOption(
      '-o, --output <image>',
      'image file to write (the manifest goes to <image>.manifest.json)',
    )
    .option('--format <format>', `container: ${FORMATS.join(', ')}`, 'raw')
    .option('--seed <n>', 'seed (same scenario and seed give identical bytes)')
    .option(
      '--volatility-isf <dir>',
      'also write the kernel symbol table Volatility 3 needs for this image into <dir>/windows/ (use -s <dir>)',
    )
    .action(async (name: string, opts: ForgeOptions) =>
      (await import('./forge-action.js')).forgeAction(name, opts),
    );
}
