import { basename } from 'node:path';
import { pdbToIsf } from '../symbols/pdb/isf.js';
import { isfFileName, writeIsf } from '../symbols/pdb/write.js';
import { defaultSymbolDir, fetchSymbols } from '../symbols/symsrv/client.js';
import { listIsf } from '../symbols/symsrv/list.js';
import { MemdigError } from '../util/errors.js';

export interface ConvertOptions {
  output?: string;
  database?: string;
  verbose?: boolean;
}

export function convertAction(pdb: string, o: ConvertOptions): void {
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
}

export interface FetchOptions {
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
}

export async function fetchAction(o: FetchOptions): Promise<void> {
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
}

export function listAction(dirs: string[]): void {
  const entries = listIsf(dirs.length ? dirs : [defaultSymbolDir()]);
  for (const e of entries) {
    process.stdout.write(`${e.database}\t${e.guid}\t${e.age ?? '?'}\t${e.bytes}\t${e.path}\n`);
  }
  process.stderr.write(`${entries.length} symbol table(s)\n`);
}
