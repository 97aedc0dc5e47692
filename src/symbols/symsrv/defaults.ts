import { homedir } from 'node:os';
import { join } from 'node:path';

// Apart from client.ts so that `memdig --help` can show these defaults without loading the PDB and CAB readers.

export const MICROSOFT_SYMBOL_SERVER = 'https://msdl.microsoft.com/download/symbols';

/** Where converted symbol tables are kept: $MEMDIG_SYMBOLS, else ~/.cache/memdig/symbols. */
export function defaultSymbolDir(): string {
  return process.env.MEMDIG_SYMBOLS || join(homedir(), '.cache', 'memdig', 'symbols');
}
