import { detectOs } from '../os/detect.js';
import { openPhysical } from '../sources/index.js';
import { defaultSymbolDir } from '../symbols/symsrv/defaults.js';
import { MemdigError, Warnings } from '../util/errors.js';
import type { WinContext } from '../windows/context.js';
import '../windows/detect.js';
import { identifyWindowsAsync } from '../windows/identify.js';

export interface WindowsOptions {
  symbols?: string[];
  fetchSymbols?: boolean;
  symbolServer?: string[];
  symbolTimeout?: string;
}

/** Identification options from the symbol flags (shared by `info` and the analysis commands). */
export function symbolResolveOptions(o: object, warnings: Warnings) {
  const w = o as WindowsOptions;
  const timeout = Number(w.symbolTimeout ?? 30);
  if (!(timeout > 0)) throw new MemdigError(`--symbol-timeout ${w.symbolTimeout} is not a positive number`);
  if (w.symbolServer?.length && !w.fetchSymbols) {
    warnings.add(
      '--symbol-server has no effect without --fetch-symbols (memdig never downloads unless asked)',
    );
  }
  return {
    symbolDirs: w.symbols,
    cacheDir: defaultSymbolDir(),
    warnings,
    fetch: w.fetchSymbols
      ? {
          servers: w.symbolServer,
          timeoutMs: timeout * 1000,
          log: (l: string) => process.stderr.write(`symbols: ${l}\n`),
        }
      : undefined,
  };
}

/**
 * Opens a dump and, when it holds Windows, identifies the kernel (downloading its table when `--fetch-symbols`
 * asks for it). Returns null (dump closed) for other OSes so the command can take its Linux branch.
 */
export async function openWindows(dump: string, o: object): Promise<WinContext | null> {
  const mem = openPhysical(dump);
  try {
    const os = detectOs(mem);
    if (os?.os !== 'windows') {
      mem.close();
      return null;
    }
    return await identifyWindowsAsync(mem, symbolResolveOptions(o, new Warnings()));
  } catch (e) {
    mem.close();
    throw e;
  }
}

/** Prints collected warnings on stderr (bounded). */
export function printWarnings(ctx: WinContext): void {
  const w = ctx.warnings;
  for (const m of w.items.slice(0, 20)) process.stderr.write(`warning: ${m}\n`);
  if (w.count > 20) process.stderr.write(`warning: ... ${w.count - 20} more\n`);
  if (w.count > 0) process.exitCode = process.exitCode || 1;
}

export function osName(ctx: WinContext): string {
  return ctx.findings.find((f) => f.key === 'os')?.value ?? 'Windows';
}
