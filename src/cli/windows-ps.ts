import type { FormatOptions } from '../output/options.js';
import { Output } from '../output/options.js';
import type { Artefact } from '../output/render.js';
import { canonicalHex } from '../util/hex.js';
import type { WinContext } from '../windows/context.js';
import { readCommandLine } from '../windows/peb.js';
import { listProcesses, mergeProcesses, scanProcesses, type WinProcess } from '../windows/processes.js';
import { osName, printWarnings } from './windows-session.js';

export const WIN_PROCESSES: Artefact = {
  name: 'processes',
  columns: [
    { key: 'pid', right: true, type: 'integer', indexed: true },
    { key: 'ppid', right: true, type: 'integer' },
    { key: 'name', indexed: true },
    { key: 'create_time', bodyfile: 'crtime' },
    { key: 'exit_time', bodyfile: 'mtime' },
    { key: 'found_by' },
    { key: 'dtb' },
    { key: 'eprocess' },
    { key: 'physical' },
    { key: 'command_line', indexed: true },
  ],
  bodyName: (r) => `[process] ${r.name} pid ${r.pid}`,
};

/** Active list and pool scan merged, in list order then scan-only processes. */
export function windowsProcesses(ctx: WinContext): WinProcess[] {
  return mergeProcesses(listProcesses(ctx), scanProcesses(ctx));
}

export function winProcessRow(p: WinProcess): Record<string, string | number | null> {
  return {
    pid: p.pid,
    ppid: p.ppid,
    name: p.name,
    create_time: p.createTime,
    exit_time: p.exitTime,
    found_by: p.foundBy,
    dtb: `0x${p.dtb.toString(16)}`,
    eprocess: p.eprocess >= 0 ? canonicalHex(p.eprocess) : null,
    physical: p.physical >= 0 ? `0x${p.physical.toString(16)}` : null,
    command_line: p.commandLine ?? null,
  };
}

export function windowsPs(dump: string, ctx: WinContext, o: FormatOptions): void {
  const output = new Output(o, { path: dump, format: ctx.mem.format, os: osName(ctx) });
  try {
    const procs = windowsProcesses(ctx);
    for (const p of procs) p.commandLine = readCommandLine(ctx, p);
    output.write(WIN_PROCESSES, procs.map(winProcessRow));
    printWarnings(ctx);
  } finally {
    output.close();
    ctx.mem.close();
  }
}
