import { detectOs } from '../os/detect.js';
import { openPhysical } from '../sources/index.js';
import { Warnings } from '../util/errors.js';
import type { WinContext } from '../windows/context.js';
import '../windows/detect.js';
import { identifyWindows } from '../windows/identify.js';

export interface WindowsOptions {
  symbols?: string[];
}

/**
 * Opens a dump and, when it holds Windows, identifies the kernel. Returns null (dump closed) for other OSes so the
 * command can take its Linux branch.
 */
export function openWindows(dump: string, o: object): WinContext | null {
  const symbols = (o as WindowsOptions).symbols;
  const mem = openPhysical(dump);
  try {
    const os = detectOs(mem);
    if (os?.os !== 'windows') {
      mem.close();
      return null;
    }
    return identifyWindows(mem, { symbolDirs: symbols, warnings: new Warnings() });
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
