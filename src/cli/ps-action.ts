import { bootTimeNs } from '../linux/boottime.js';
import { mergeTasks, scanTasks } from '../linux/taskmerge.js';
import { listTasks, stateLetter } from '../linux/tasks.js';
import { type FormatOptions, Output } from '../output/options.js';
import { openLinuxAnalysis, reportWarnings } from './linux-session.js';
import { windowsPs } from './windows-ps.js';
import { openWindows } from './windows-session.js';

export type PsOptions = FormatOptions & { threads?: boolean; isf?: string; scan?: boolean };

export async function psAction(dump: string, o: PsOptions) {
  const win = await openWindows(dump, o);
  if (win) return windowsPs(dump, win, o);
  const { mem, kernel, warnings } = openLinuxAnalysis(dump, 'ps', o);
  const output = new Output(o, { path: dump, format: mem.format, os: `Linux ${kernel.release}` });
  try {
    const boot = bootTimeNs(kernel);
    const w = output.sink({
      name: 'linux_processes',
      columns: [
        { key: 'pid', right: true, type: 'integer', indexed: true },
        { key: 'ppid', right: true, type: 'integer' },
        { key: 'tgid', right: true, type: 'integer' },
        { key: 'uid', right: true, type: 'integer' },
        { key: 'comm', indexed: true },
        { key: 'state' },
        { key: 'kernel_thread', title: 'kthread' },
        { key: 'start', bodyfile: 'crtime' },
        { key: 'dtb' },
        { key: 'task' },
        { key: 'found_by' },
        { key: 'exited' },
        { key: 'physical' },
      ],
      bodyName: (r) => `[process] ${r.comm} pid ${r.pid}`,
    });
    // Threads are always walked so that a listed thread found by the scan is not reported as hidden.
    const listed = listTasks(kernel, { threads: o.threads || o.scan !== false });
    const tasks = mergeTasks(kernel, listed, o.scan === false ? [] : scanTasks(kernel));
    for (const t of tasks) {
      if (!o.threads && t.isThread) continue;
      const ns = t.startBoottimeNs >= 0 ? t.startBoottimeNs : t.startTimeNs;
      const start =
        ns < 0 ? null : boot > 0 ? new Date((boot + ns) / 1e6).toISOString() : `+${(ns / 1e9).toFixed(3)}s`;
      w.add({
        pid: t.pid,
        ppid: t.ppid >= 0 ? t.ppid : null,
        tgid: t.tgid,
        uid: t.uid >= 0 ? t.uid : null,
        comm: t.comm,
        state: stateLetter(t.state, t.exitState),
        kernel_thread: t.kernelThread,
        start,
        dtb: t.dtb >= 0 ? `0x${t.dtb.toString(16)}` : null,
        task: `0xffff${t.addr.toString(16)}`,
        found_by: t.foundBy,
        exited: t.exited,
        physical: t.physical >= 0 ? `0x${t.physical.toString(16)}` : null,
      });
    }
    w.end();
    reportWarnings(warnings);
  } finally {
    output.close();
    mem.close();
  }
}
