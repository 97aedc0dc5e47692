import type { Command } from 'commander';
import { defaultSymbolDir, MICROSOFT_SYMBOL_SERVER } from '../symbols/symsrv/defaults.js';

// Registration only (no kernel identification code), so every command's options cost nothing to declare.

const collect = (v: string, prev: string[] = []) => [...prev, v];

/**
 * A subcommand with the symbol options of every Windows analysis command. Tables are searched in the `--symbols` folders, then the
 * memdig symbol cache, then built in; only `--fetch-symbols` lets memdig go to the network.
 */
export function windowsCommand(program: Command, nameAndArgs: string): Command {
  return withSymbolOptions(program.command(nameAndArgs));
}

export function withSymbolOptions(cmd: Command): Command {
  return cmd
    .option(
      '--symbols <dir...>',
      'Windows: Volatility 3 symbol folders or windows.zip packs to search first (then the memdig symbol cache)',
    )
    .option(
      '--fetch-symbols',
      `Windows: when no exact kernel table is found, download the PDB from a symbol server into the cache ` +
        `(${defaultSymbolDir()}) and convert it`,
    )
    .option(
      '--symbol-server <url>',
      `symbol server for --fetch-symbols, repeatable (default ${MICROSOFT_SYMBOL_SERVER})`,
      collect,
    )
    .option('--symbol-timeout <seconds>', 'per-attempt timeout for --fetch-symbols', '30');
}
