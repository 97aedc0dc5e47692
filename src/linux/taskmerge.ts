import type { LinuxKernel } from './kernel.js';
import { isKernelVa } from './kmem.js';
import { type LinuxTask, readTask } from './tasks.js';
import { type ScannedTask, type TaskScanConfig, TaskScanner, taskScanLayout } from './taskscan.js';

/**
 * How a task was found, as `ps` reports it on Windows: 'list' (the kernel's task list only), 'scan' (a task_struct
 * in memory that no list reaches: exited, or unlinked by a rootkit), 'both', or 'stale' (a second copy of a listed
 * task at another physical address: old bytes, not a second task).
 */
export type FoundBy = 'list' | 'scan' | 'both' | 'stale';

export interface FoundTask extends LinuxTask {
  foundBy: FoundBy;
  /** Physical address of the task_struct, or -1 when it cannot be translated. */
  physical: number;
  /** The task has exited: exit_state set (zombie or dead) or PF_EXITING (in do_exit). */
  exited: boolean;
}

/** Every `*_sched_class` the kernel has had on x86-64; a task's sched_class points at one of them. */
const SCHED_CLASSES = [
  'stop_sched_class',
  'dl_sched_class',
  'rt_sched_class',
  'fair_sched_class',
  'ext_sched_class',
  'idle_sched_class',
];
const PF_EXITING = 0x4;
const PF_KTHREAD = 0x00200000;

/** The scan's view of this kernel: layout from its types, anchors from its symbols, the clock from timekeeping. */
export function taskScanConfig(k: LinuxKernel): TaskScanConfig {
  const schedClasses: number[] = [];
  for (const n of SCHED_CLASSES) {
    const a = k.optSym(n);
    if (a !== undefined) schedClasses.push(a);
  }
  return {
    layout: taskScanLayout(k.types),
    pageOffsetBase: k.pageOffsetBase,
    directEnd: k.mem.maxAddress,
    vmallocBase: k.vmallocBase,
    schedClasses,
    nowBootNs: nowBootNs(k),
  };
}

/**
 * CLOCK_BOOTTIME at the last timekeeping update: `tk_core.timekeeper.tkr_mono.base + offs_boot`. The timekeeper
 * follows a seqcount whose size varies with lock debugging, so the same offsets as boottime.ts are tried.
 */
export function nowBootNs(k: LinuxKernel): number {
  const tk = k.optSym('tk_core');
  const base = k.types.member('timekeeper', 'tkr_mono.base');
  const boot = k.types.member('timekeeper', 'offs_boot');
  if (tk === undefined || !base || !boot) return -1;
  const tenYears = 10 * 365 * 86400e9;
  for (const at of [8, 16, 64]) {
    const mono = k.kmem.s64(tk + at + base.offset);
    const offs = k.kmem.s64(tk + at + boot.offset);
    if (mono > 0 && mono < tenYears && offs >= 0 && offs < tenYears) return mono + offs;
  }
  return -1;
}

/** Scans physical memory for task_structs (see TaskScanner). */
export function scanTasks(k: LinuxKernel, cfg = taskScanConfig(k)): ScannedTask[] {
  const hits = new TaskScanner(cfg).scan(k.mem);
  if (hits.length >= 1 << 20) k.warnings.add('task scan: stopped after 1,048,576 hits');
  return hits;
}

/**
 * The task list (with threads, so no listed thread is mistaken for a hidden task) and the scan merged by physical
 * address, in list order then scan-only tasks in physical order. Scan-only tasks get their parent's tgid only when
 * the parent pointer still leads to something the scan would accept as a task.
 */
export function mergeTasks(k: LinuxKernel, list: LinuxTask[], scan: ScannedTask[]): FoundTask[] {
  const out: FoundTask[] = [];
  const byPa = new Map<number, FoundTask>();
  const identity = (pid: number, comm: string, start: number) => `${pid}|${comm}|${start}`;
  const listed = new Set<string>();
  for (const t of list) {
    const physical = k.kmem.pa(t.addr);
    const exited = t.exitState !== 0 || (t.flags & PF_EXITING) !== 0;
    const f: FoundTask = { ...t, foundBy: 'list', physical, exited };
    out.push(f);
    if (physical >= 0) byPa.set(physical, f);
    listed.add(identity(t.pid, t.comm, t.startTimeNs));
  }
  const scanner = new TaskScanner(taskScanConfig(k));
  const probe = new Uint8Array(scanner.extent);
  const probeDv = new DataView(probe.buffer);
  const init = k.optSym('init_task');
  const L = scanner.cfg.layout;
  for (const s of scan) {
    const l = byPa.get(s.pa);
    if (l) {
      l.foundBy = 'both';
      continue;
    }
    const t = readTask(k, s.va);
    // readTask follows real_parent blindly; for leftovers the parent may be long gone and its memory reused.
    let ppid = -1;
    if (s.realParent === init) ppid = 0;
    else if (s.realParent > 0 && isKernelVa(s.realParent)) {
      const ppa = k.kmem.pa(s.realParent);
      if (
        ppa >= 0 &&
        k.mem.read(ppa, probe, 0, probe.length) === probe.length &&
        scanner.check(probeDv, 0, ppa)
      )
        ppid = probeDv.getInt32(L.tgid, true);
    }
    // Reaping (release_task) comes after exit_state is set, so a dead task says so itself; a scan-only task that
    // does not is alive but missing from the list: unlinked, the classic way to hide a process.
    const exited = s.exitState !== 0 || (s.flags & PF_EXITING) !== 0;
    const foundBy = listed.has(identity(s.pid, s.comm, s.startTimeNs)) ? 'stale' : 'scan';
    if (!exited && foundBy === 'scan') {
      k.warnings.add(
        `task pid ${s.pid} (${s.comm}) at PA 0x${s.pa.toString(16)} is not on the task list but has not exited ` +
          `(${s.unlinked || !linkedBack(k, s, L.tasks) ? 'its list neighbours no longer point at it' : 'its links look intact'}): hidden?`,
      );
    }
    out.push({
      ...t,
      ppid,
      // exit_mm() cleared mm: only the flag still tells a kernel thread from a dead user task.
      kernelThread: exited ? (s.flags & PF_KTHREAD) !== 0 : t.kernelThread,
      physical: s.pa,
      exited,
      foundBy,
    });
  }
  if (scan.length > 0) {
    const missed = out.filter((t) => t.foundBy === 'list' && !t.exited).length;
    // Every live task_struct sits in memory where the scan looks: a miss means this kernel breaks one of its
    // assumptions (alignment, a field's meaning), so scan-only results deserve less trust too.
    if (missed > 0)
      k.warnings.add(`task scan: ${missed} listed live task(s) not recognised by the scan (list-only rows)`);
  }
  return out;
}

/** Whether the task's neighbours on the task list still point back at it (both directions). */
function linkedBack(k: LinuxKernel, s: ScannedTask, tasksOff: number): boolean {
  const node = s.va + tasksOff;
  if (s.tasksNext <= 0 || s.tasksPrev <= 0) return false;
  return k.kmem.ptr(s.tasksNext + 8) === node && k.kmem.ptr(s.tasksPrev) === node;
}
