import type { WinContext } from './context.js';
import type { WinProcess } from './processes.js';

/**
 * The process's command line: PEB → ProcessParameters → CommandLine, all user-mode addresses read through the
 * process's own page tables. Null when any step is not resident (paged out, exited process, no PEB: System).
 */
export function readCommandLine(ctx: WinContext, proc: WinProcess): string | null {
  if (!proc.peb || !proc.dtb) return null;
  const p = ctx.profile;
  const peb = p.tryStruct('_PEB');
  const params = p.tryStruct('_RTL_USER_PROCESS_PARAMETERS');
  if (!peb || !params) return null;
  let space: ReturnType<WinContext['processSpace']>;
  try {
    space = ctx.processSpace(proc.dtb);
  } catch {
    return null;
  }
  const pp = p.readPointer(space, proc.peb + peb.offsetOf('ProcessParameters'));
  if (!Number.isFinite(pp) || pp === 0) return null;
  return p.readUnicodeString(space, pp + params.offsetOf('CommandLine'), 0x8000);
}
