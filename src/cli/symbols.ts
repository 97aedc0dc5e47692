import { basename } from 'node:path';
import type { Command } from 'commander';
import { pdbToIsf } from '../symbols/pdb/isf.js';
import { isfFileName, writeIsf } from '../symbols/pdb/write.js';
import { defaultSymbolDir, fetchSymbols, MICROSOFT_SYMBOL_SERVER } from '../symbols/symsrv/client.js';
import { listIsf } from '../symbols/symsrv/list.js';
import { MemdigError } from '../util/errors.js';

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
    .action((pdb: string, o: { output?: string; database?: string; verbose?: boolean }) => {
      const t0 = performance.now();
      const { isf, warnings } = pdbToIsf(pdb, { database: o.database ?? basename(pdb) });
      if (o.output === '-') {
        process.stdout.write(`${JSON.stringify(isf, null, 1)}\n`);
      } else {
        const meta = isf.metadata.windows.pdb;
        const out = o.output ?? isfFileName(meta.GUID, meta.age);
        const bytes = writeIsf(isf, out);
        process.stderr.write(
          `${out}: ${meta.database} ${meta.GUID} age ${meta.age}, ${Object.keys(isf.user_types).length} types, ` +
            `${Object.keys(isf.enums).length} enums, ${Object.keys(isf.symbols).length} symbols, ${bytes} bytes, ` +
            `${((performance.now() - t0) / 1000).toFixed(2)} s\n`,
        );
      }
      if (warnings.length) {
        process.stderr.write(`${warnings.length} warning(s)${o.verbose ? ':' : ' (-v to list)'}\n`);
        if (o.verbose) for (const w of warnings) process.stderr.write(`  ${w}\n`);
      }
    });

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
    .action(
      async (o: {
        pdb: string;
        guid: string;
        age: string;
        symbolsDir: string;
        server: string[];
        offline?: boolean;
        pdbCache?: string;
        maxSize: string;
        timeout: string;
        retries: string;
      }) => {
        const age = Number(o.age);
        const timeout = Number(o.timeout);
        if (!Number.isInteger(age) || age < 0) throw new MemdigError(`--age ${o.age} is not a whole number`);
        if (!(timeout > 0)) throw new MemdigError(`--timeout ${o.timeout} is not a positive number`);
        const maxMiB = Number(o.maxSize);
        if (!(maxMiB > 0)) throw new MemdigError(`--max-size ${o.maxSize} is not a positive number`);
        const r = await fetchSymbols(
          { pdb: o.pdb, guid: o.guid, age },
          {
            symbolDir: o.symbolsDir,
            servers: o.server,
            offline: o.offline,
            pdbCacheDir: o.pdbCache,
            maxBytes: Math.floor(maxMiB * 1048576),
            timeoutMs: timeout * 1000,
            retries: Number(o.retries) || 0,
            log: (l) => process.stderr.write(`${l}\n`),
          },
        );
        process.stdout.write(`${r.isfPath}\n`);
        process.stderr.write(
          `source: ${r.source}${r.warnings.length ? `, ${r.warnings.length} warning(s)` : ''}\n`,
        );
      },
    );

  sym
    .command('list')
    .description('List the Windows symbol tables in symbol directories')
    .argument('[dirs...]', 'symbol directories (default: the memdig symbol directory)')
    .action((dirs: string[]) => {
      const entries = listIsf(dirs.length ? dirs : [defaultSymbolDir()]);
      for (const e of entries) {
        process.stdout.write(`${e.database}\t${e.guid}\t${e.age ?? '?'}\t${e.bytes}\t${e.path}\n`);
      }
      process.stderr.write(`${entries.length} symbol table(s)\n`);
    });
}
