import type { LinuxKernel } from './kernel.js';
import { isKernelVa } from './kmem.js';
import { listNodes } from './list.js';

export interface LinuxTask {
  /** Address of the task_struct (48-bit form). */
  addr: number;
  pid: number;
  tgid: number;
  ppid: number;
  comm: string;
  uid: number;
  /** Kernel threads have no mm. */
  kernelThread: boolean;
  mm: number;
  /** Physical address of the page-table root (mm->pgd), or -1. */
  dtb: number;
  /** Nanoseconds since boot (monotonic, and including suspend). */
  startTimeNs: number;
  startBoottimeNs: number;
  state: number;
  exitState: number;
  flags: number;
  /** A thread that is not its group's leader. */
  isThread: boolean;
}

const PF_KTHREAD = 0x00200000;

const TASK_REPORT = 0x7f;
const TASK_IDLE = 0x402;
const TASK_REPORT_IDLE = 0x80;
const TASK_RTLOCK_WAIT = 0x1000;

/**
 * The state letter /proc/<pid>/stat shows (fs/proc/array.c, task_state_index()): the reportable bits of __state
 * and exit_state, TASK_IDLE shown as I, RT-lock waits as D.
 */
export function stateLetter(state: number, exitState: number): string {
  let s = (state | exitState) & TASK_REPORT;
  if ((state & TASK_IDLE) === TASK_IDLE) s = TASK_REPORT_IDLE;
  if (state & TASK_RTLOCK_WAIT) s = 2;
  return 'RSDTtXZPI'[s === 0 ? 0 : 32 - Math.clz32(s)] ?? '?';
}

/** Reads one task_struct. */
export function readTask(k: LinuxKernel, addr: number): LinuxTask {
  const m = k.kmem;
  const T = k.layout.task;
  const mm = m.ptr(addr + T.mm);
  const parent = m.ptr(addr + T.realParent);
  const cred = m.ptr(addr + T.cred);
  const flags = m.u32(addr + T.flags);
  const pgd = mm > 0 ? m.ptr(mm + k.layout.mm.pgd) : 0;
  const pid = m.s32(addr + T.pid);
  const tgid = m.s32(addr + T.tgid);
  return {
    addr,
    pid,
    tgid,
    ppid: parent > 0 && parent !== addr ? m.s32(parent + T.tgid) : 0,
    comm: m.cstr(addr + T.comm, T.commSize),
    uid: cred > 0 ? m.u32(cred + k.layout.cred.uid) : -1,
    kernelThread: mm <= 0 || (flags & PF_KTHREAD) !== 0,
    mm: Math.max(mm, 0),
    dtb: pgd > 0 ? m.pa(pgd) : -1,
    startTimeNs: T.startTime >= 0 ? m.u64(addr + T.startTime) : -1,
    startBoottimeNs: T.startBoottime >= 0 ? m.u64(addr + T.startBoottime) : -1,
    state: m.u32(addr + T.state),
    exitState: m.u32(addr + T.exitState),
    flags,
    isThread: pid !== tgid,
  };
}

export interface TaskListOptions {
  /** Include swapper (init_task, pid 0). */
  withSwapper?: boolean;
  /** Also list non-leader threads (thread_group lists). */
  threads?: boolean;
}

/** The process list: init_task.tasks (thread-group leaders), optionally with each leader's threads. */
export function listTasks(k: LinuxKernel, opts: TaskListOptions = {}): LinuxTask[] {
  const T = k.layout.task;
  const init = k.sym('init_task');
  const out: LinuxTask[] = [];
  if (opts.withSwapper) out.push(readTask(k, init));
  for (const node of listNodes(k.kmem, init + T.tasks, 'task list (init_task.tasks)', k.warnings)) {
    const task = node - T.tasks;
    if (task === init) continue;
    const t = readTask(k, task);
    out.push(t);
    if (opts.threads && T.threadGroup >= 0) {
      for (const tn of listNodes(
        k.kmem,
        task + T.threadGroup,
        `threads of pid ${t.pid}`,
        k.warnings,
        1 << 16,
      )) {
        const th = tn - T.threadGroup;
        if (isKernelVa(th)) out.push(readTask(k, th));
      }
    }
  }
  return out;
}
