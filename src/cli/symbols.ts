import type { Command } from 'commander';
import { defaultSymbolDir, MICROSOFT_SYMBOL_SERVER } from '../symbols/symsrv/defaults.js';
import type { ConvertOptions, FetchOptions } from './symbols-action.js';

const collect = (v: string, prev: string[]) => [...prev, v];

export function symbolsCommand(program: Command): void {
  const sym = program
    .command('symbols')
    .description('Windows symbol tables: convert PDBs to ISF, fetch, list');

  sym
    .command('convert')
    .description('Convert a PDB file into a Volatility 3 ISF symbol table')
    .argument('<pdb>', 'PDB file (MSF 7.00)')
    .option('-o, --output <file>', 'output file (.json.xz, .json.gz or .json; "-" for JSON on stdout)')
    .option('--database <name>', 'PDB name recorded in the metadata (default: the file name)')
    .option('-v, --verbose', 'print conversion warnings')
    .action(async (pdb: string, o: ConvertOptions) =>
      (await import('./symbols-action.js')).convertAction(pdb, o),
    );

  sym
    .command('fetch')
    .description('Get the symbol table for a PDB identity from the cache or a symbol server, and convert it')
    .requiredOption('--pdb <name>', 'PDB name, e.g. ntkrnlmp.pdb')
    .requiredOption('--guid <guid>', 'PDB GUID (32 hex digits)')
    .requiredOption('--age <n>', 'PDB age (decimal, or 0x-prefixed hex)')
    .option('-s, --symbols-dir <dir>', 'symbol directory (Volatility layout)', defaultSymbolDir())
    .option('--server <url>', `symbol server, repeatable (default ${MICROSOFT_SYMBOL_SERVER})`, collect, [])
    .option('--pdb-cache <dir>', 'where downloaded PDBs are kept (default: <symbols-dir>/pdb-cache)')
    .option('--offline', 'use only the local caches; never touch the network')
    .option('--max-size <MiB>', 'largest download accepted', '1024')
    .option('--timeout <seconds>', 'per-attempt timeout', '60')
    .option('--retries <n>', 'extra attempts after a transient failure', '2')
    .action(async (o: FetchOptions) => (await import('./symbols-action.js')).fetchAction(o));

  sym
    .command('list')
    .description('List the Windows symbol tables in symbol directories')
    .argument('[dirs...]', 'symbol directories (default: the memdig symbol directory)')
    .action(async (dirs: string[]) => (await import('./symbols-action.js')).listAction(dirs));
}
