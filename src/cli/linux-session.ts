import type { LinuxKernel } from '../linux/kernel.js';
import { openLinuxKernel } from '../linux/open.js';
import { detectRegistered } from '../os/detect.js';
import { openPhysical } from '../sources/index.js';
import type { PhysicalMemory } from '../sources/source.js';
import { ExitCode, MemdigError, Warnings } from '../util/errors.js';
// Registers the Windows detector with detectRegistered: a Windows dump must be named as such, not taken for Linux.
import '../windows/detect.js';

export interface AnalysisOptions {
  isf?: string;
  quiet?: boolean;
}

/**
 * Opens a dump for an OS-level command and dispatches on the OS found. Linux is analysed here; other OSes
 * (Windows, once registered with src/os/detect.ts) get their own branch in each command.
 */
export function openLinuxAnalysis(
  dump: string,
  command: string,
  opts: AnalysisOptions,
): { mem: PhysicalMemory; kernel: LinuxKernel; warnings: Warnings } {
  const mem = openPhysical(dump);
  try {
    const os = detectRegistered(mem);
    if (os && os.os !== 'linux') {
      throw new MemdigError(`${command}: ${os.description} dumps are not supported by this command yet`);
    }
    const warnings = new Warnings();
    let kernel: LinuxKernel;
    try {
      kernel = openLinuxKernel(mem, { isf: opts.isf, warnings });
    } catch (e) {
      // Nothing recognised the OS: say so first, then why the Linux reader gave up.
      if (os || !(e instanceof MemdigError)) throw e;
      throw new MemdigError(
        `${dump}: no Windows or Linux kernel found (\`memdig info ${dump}\` shows what the file holds). ${e.message}`,
        e.exitCode,
      );
    }
    return { mem, kernel, warnings };
  } catch (e) {
    mem.close();
    throw e;
  }
}

/** Prints collected warnings on stderr (bounded), unless quiet. */
export function reportWarnings(w: Warnings, quiet?: boolean): void {
  if (w.count === 0) return;
  // Results were produced, but something was skipped or looked damaged.
  process.exitCode = ExitCode.Partial;
  if (quiet) return;
  for (const m of w.items.slice(0, 20)) process.stderr.write(`warning: ${m}\n`);
  if (w.count > 20) process.stderr.write(`warning: … ${w.count - 20} more\n`);
}
