import type { PhysicalMemory } from '../sources/source.js';
import { MemdigError } from '../util/errors.js';
import { KERNEL_IMAGE_SIZE, KERNEL_MAP_48 } from './kmem.js';
import type { TypeSource } from './types.js';

/** task_struct members the scan tests; all offsets from the kernel's own types (BTF or ISF). */
export interface TaskScanLayout {
  size: number;
  state: number;
  flags: number;
  stack: number;
  schedClass: number;
  tasks: number;
  mm: number;
  activeMm: number;
  exitState: number;
  pid: number;
  tgid: number;
  realParent: number;
  parent: number;
  children: number;
  sibling: number;
  groupLeader: number;
  threadGroup: number;
  startTime: number;
  startBoottime: number;
  realCred: number;
  cred: number;
  comm: number;
}

/** Where kernel objects can live, and what the scan compares against; all addresses in 48-bit form. */
export interface TaskScanConfig {
  layout: TaskScanLayout;
  /** Start of the direct map (VA = pageOffsetBase + PA). */
  pageOffsetBase: number;
  /** End of physical memory: the direct map covers [pageOffsetBase, pageOffsetBase + directEnd). */
  directEnd: number;
  /** Start of vmalloc space (thread stacks with VMAP_STACK), or -1 when unknown (then any kernel VA is taken). */
  vmallocBase: number;
  /**
   * Addresses of the kernel's `*_sched_class` objects: every task's `sched_class` is one of them. Empty when the
   * symbols are unknown (then the check is skipped and the first filter is the pid and name).
   */
  schedClasses: readonly number[];
  /** Boot-based clock at dump time (ns), or -1 when unknown: no task can have started later. */
  nowBootNs: number;
  /** Slab alignment of task_struct (ARCH_MIN_TASKALIGN, the L1 cache line on x86). */
  align?: number;
}

/** A task_struct found in physical memory: the raw facts the merge with the list needs. */
export interface ScannedTask {
  /** Physical address of the task_struct. */
  pa: number;
  /** Its direct-map address (48-bit form). */
  va: number;
  pid: number;
  tgid: number;
  comm: string;
  state: number;
  exitState: number;
  flags: number;
  mm: number;
  realParent: number;
  startTimeNs: number;
  startBoottimeNs: number;
  /** `tasks.next`/`tasks.prev` (48-bit, or the raw low word for poison values). */
  tasksNext: number;
  tasksPrev: number;
  /** `tasks.prev` holds LIST_POISON2: the kernel unlinked it from the task list (release_task). */
  unlinked: boolean;
}

/** task_struct is ~10 KiB on 6.x; anything far larger comes from broken or hostile type information. */
const MAX_TASK_SIZE = 64 * 1024;
/** PID_MAX_LIMIT on 64-bit kernels (4 Mi). */
export const PID_MAX_LIMIT = 4 * 1024 * 1024;
const PF_EXITING = 0x4;
const PF_KTHREAD = 0x00200000;
/** exit_state takes EXIT_DEAD (0x10), EXIT_ZOMBIE (0x20) or both (EXIT_TRACE) — nothing else. */
const EXIT_MASK = 0x30;
/** __state bits stop below TASK_STATE_MAX (0x10000 in 6.x; lower before). */
const STATE_LIMIT = 0x10000;
/** LIST_POISON1/2 with x86-64's POISON_POINTER_DELTA (0xdead000000000000): what list_del leaves behind. */
const POISON_HI = 0xdead0000;
const POISON1 = 0x100;
const POISON2 = 0x122;
const TWO32 = 0x100000000;
/** vmalloc space on 4-level x86-64 is 32 TiB. */
const VMALLOC_SIZE = 32 * 2 ** 40;
/** Ten years of nanoseconds: a sane upper bound for uptime when the dump's clock is unknown. */
const TEN_YEARS_NS = 10 * 365 * 86400e9;
/** Tasks started in the tick being handled at dump time, and timekeeping lag with NO_HZ. */
const CLOCK_SLACK_NS = 60e9;

/** Resolves the scan's task_struct offsets; throws naming what this kernel's types lack. */
export function taskScanLayout(ts: TypeSource): TaskScanLayout {
  const missing: string[] = [];
  const m = (...names: string[]): number => {
    for (const n of names) {
      const x = ts.member('task_struct', n);
      if (x) return x.offset;
    }
    missing.push(names.join('|'));
    return -1;
  };
  const l: TaskScanLayout = {
    size: ts.structSize('task_struct') ?? -1,
    state: m('__state', 'state'),
    flags: m('flags'),
    stack: m('stack'),
    schedClass: m('sched_class'),
    tasks: m('tasks'),
    mm: m('mm'),
    activeMm: m('active_mm'),
    exitState: m('exit_state'),
    pid: m('pid'),
    tgid: m('tgid'),
    realParent: m('real_parent'),
    parent: m('parent'),
    children: m('children'),
    sibling: m('sibling'),
    groupLeader: m('group_leader'),
    threadGroup: ts.member('task_struct', 'thread_group')?.offset ?? -1,
    startTime: m('start_time'),
    startBoottime: m('start_boottime', 'real_start_time'),
    realCred: m('real_cred'),
    cred: m('cred'),
    comm: m('comm'),
  };
  if (l.size <= 0) missing.push('sizeof(task_struct)');
  if (missing.length) {
    throw new MemdigError(
      `task scan: the kernel types lack task_struct members ${missing.join(', ')}; the scan cannot be done`,
    );
  }
  // The scan buffer is sized by the struct and every member read (16 bytes at most: a list_head, comm) must fit.
  const last = Math.max(...Object.values(l).filter((v, i) => i > 0 && v >= 0)) + 16;
  if (l.size > MAX_TASK_SIZE || last > l.size) {
    throw new MemdigError(
      `task scan: task_struct of ${l.size} bytes with a member ending at ${last} is not believable (expected ` +
        `at most ${MAX_TASK_SIZE} bytes holding every member)`,
    );
  }
  return l;
}

/**
 * Finds task_struct copies in physical memory, live or left behind by exited tasks, like Volatility's psscan but
 * without trusting a single anchor: a candidate at a slab-aligned physical address is taken only when its
 * sched_class, pid/tgid, name, states, every list head, its parent and leader pointers, mm, stack, creds and start
 * times all look like a task's (see `check`). The block loop allocates nothing per candidate.
 */
export class TaskScanner {
  private readonly L: TaskScanLayout;
  private readonly align: number;
  private readonly pob: number;
  private readonly dirEnd: number;
  private readonly vmBase: number;
  private readonly sched: Float64Array;
  private readonly nowMax: number;
  /** Bytes from the start of a task_struct that the checks read. */
  readonly extent: number;
  /** Filled by the last successful `check` (read it before the next call). */
  private lastUnlinked = false;
  private lastNext = 0;
  private lastPrev = 0;

  constructor(readonly cfg: TaskScanConfig) {
    this.L = cfg.layout;
    this.align = cfg.align ?? 64;
    this.pob = cfg.pageOffsetBase;
    this.dirEnd = cfg.directEnd;
    this.vmBase = cfg.vmallocBase;
    this.sched = Float64Array.from(cfg.schedClasses);
    this.nowMax = cfg.nowBootNs > 0 ? cfg.nowBootNs + CLOCK_SLACK_NS : TEN_YEARS_NS;
    const { size: _size, ...members } = cfg.layout;
    this.extent = (Math.max(...Object.values(members)) + 16 + 7) & ~7;
  }

  /** Every plausible task_struct in the dump's present memory, in physical order. */
  scan(mem: PhysicalMemory, maxHits = 1 << 20): ScannedTask[] {
    // Only the bytes up to the last member tested: the allocated object is often shorter than sizeof(task_struct)
    // (the FPU state at its end is sized for the CPU: 6,208 bytes a task instead of 9,792 on the test dump).
    const size = this.extent;
    const block = 4 << 20;
    // The tail lets a task_struct that starts near the end of a block be tested whole.
    const buf = new Uint8Array((block + size + 3) & ~3);
    const dv = new DataView(buf.buffer);
    // The first filter reads one aligned word per candidate straight from a typed array: sched_class's high half
    // (0xffffffff for any kernel-image address) or, without sched_class symbols, the pid.
    const words = new Uint32Array(buf.buffer);
    const bySched = this.sched.length > 0;
    const first = bySched ? this.L.schedClass + 4 : this.L.pid;
    const step = this.align >> 2;
    const out: ScannedTask[] = [];
    for (const r of mem.ranges) {
      let a = Math.ceil(r.start / this.align) * this.align;
      for (; a + size <= r.end; a += block) {
        const n = Math.min(block + size, r.end - a);
        mem.read(a, buf, 0, n);
        const last = Math.min(n - size, block - 1);
        if (first % 4 !== 0) {
          for (let off = 0; off <= last; off += this.align) {
            if (this.check(dv, off, a + off)) out.push(this.decode(dv, buf, off, a + off));
          }
        } else {
          const lastWord = (last + first) >> 2;
          for (let w = first >> 2; w <= lastWord; w += step) {
            const v = words[w]!;
            if (bySched ? v !== 0xffffffff : v === 0 || v > PID_MAX_LIMIT) continue;
            const off = (w << 2) - first;
            if (this.check(dv, off, a + off)) out.push(this.decode(dv, buf, off, a + off));
          }
        }
        if (out.length >= maxHits) return out.slice(0, maxHits);
      }
    }
    return out;
  }

  /** Tests the task_struct whose copy starts at `off` in `dv`, located at physical `pa`. */
  check(dv: DataView, off: number, pa: number): boolean {
    return this.reject(dv, off, pa) === '';
  }

  /** Why the candidate at `off` (physical `pa`) is not a task_struct: '' when it is accepted. */
  reject(dv: DataView, off: number, pa: number): string {
    const L = this.L;
    // Cheap first: sched_class is one of a handful of kernel symbols; pid and tgid in range.
    if (this.sched.length > 0) {
      if (dv.getUint32(off + L.schedClass + 4, true) !== 0xffffffff) return 'sched_class';
      const sc = 0xffff * TWO32 + dv.getUint32(off + L.schedClass, true);
      let hit = false;
      for (let i = 0; i < this.sched.length; i++) if (this.sched[i] === sc) hit = true;
      if (!hit) return 'sched_class';
    }
    const pid = dv.getInt32(off + L.pid, true);
    const tgid = dv.getInt32(off + L.tgid, true);
    if (pid <= 0 || pid > PID_MAX_LIMIT || tgid <= 0 || tgid > pid) return 'pid/tgid';
    if (!this.commOk(dv, off + L.comm)) return 'comm';
    const exitState = dv.getUint32(off + L.exitState, true);
    if ((exitState & ~EXIT_MASK) !== 0) return 'exit_state';
    const state = dv.getUint32(off + L.state, true);
    if (state >= STATE_LIMIT) return 'state';
    const flags = dv.getUint32(off + L.flags, true);
    const exiting = exitState !== 0 || (flags & PF_EXITING) !== 0;

    const self = this.pob + pa;
    // Leaders point at themselves; threads at another task.
    const leader = this.ptr(dv, off + L.groupLeader);
    if (!this.taskPtr(leader)) return 'group_leader';
    if ((leader === self) !== (pid === tgid)) return 'group_leader vs pid/tgid';
    if (!this.taskPtr(this.ptr(dv, off + L.realParent))) return 'real_parent';
    if (!this.taskPtr(this.ptr(dv, off + L.parent))) return 'parent';

    if (!this.listOk(dv, off + L.children, self + L.children)) return 'children';
    if (!this.listOk(dv, off + L.sibling, self + L.sibling)) return 'sibling';
    if (L.threadGroup >= 0 && !this.listOk(dv, off + L.threadGroup, self + L.threadGroup))
      return 'thread_group';
    if (!this.listOk(dv, off + L.tasks, self + L.tasks)) return 'tasks';
    this.lastNext = this.ptr(dv, off + L.tasks);
    this.lastPrev = this.ptr(dv, off + L.tasks + 8);
    this.lastUnlinked = dv.getUint32(off + L.tasks + 12, true) === POISON_HI;

    const mm = this.ptr(dv, off + L.mm);
    if (mm !== 0 && !(this.direct(mm) && mm % 8 === 0)) return 'mm';
    if (mm !== 0 && (flags & PF_KTHREAD) !== 0) return 'mm of a kthread';
    const activeMm = this.ptr(dv, off + L.activeMm);
    if (activeMm !== 0 && !(this.kernelObj(activeMm) && activeMm % 8 === 0)) return 'active_mm';
    // A running task has a kernel stack; the kernel frees it (and clears the pointer) once the task is dead.
    const stack = this.ptr(dv, off + L.stack);
    if (stack === 0 ? !exiting : !this.stackOk(stack)) return 'stack';
    // exit_creds() clears both pointers of a dead task; otherwise both are cred objects.
    const cred = this.ptr(dv, off + L.cred);
    const realCred = this.ptr(dv, off + L.realCred);
    if (cred === 0 && realCred === 0) {
      if (!exiting) return 'cred';
    } else if (!(this.credPtr(cred) && this.credPtr(realCred))) return 'cred';
    const st = this.u64(dv, off + L.startTime);
    const sb = this.u64(dv, off + L.startBoottime);
    // Boot time counts suspend too, so it never trails the monotonic start.
    if (st <= 0 || sb < st || sb > this.nowMax) return 'start_time';
    return '';
  }

  private decode(dv: DataView, buf: Uint8Array, off: number, pa: number): ScannedTask {
    const L = this.L;
    let comm = '';
    for (let i = 0; i < 16; i++) {
      const c = buf[off + L.comm + i]!;
      if (c === 0) break;
      comm += String.fromCharCode(c);
    }
    return {
      pa,
      va: this.pob + pa,
      pid: dv.getInt32(off + L.pid, true),
      tgid: dv.getInt32(off + L.tgid, true),
      comm,
      state: dv.getUint32(off + L.state, true),
      exitState: dv.getUint32(off + L.exitState, true),
      flags: dv.getUint32(off + L.flags, true),
      mm: this.ptr(dv, off + L.mm),
      realParent: this.ptr(dv, off + L.realParent),
      startTimeNs: this.u64(dv, off + L.startTime),
      startBoottimeNs: this.u64(dv, off + L.startBoottime),
      tasksNext: this.lastNext,
      tasksPrev: this.lastPrev,
      unlinked: this.lastUnlinked,
    };
  }

  /**
   * 1–15 bytes, then NULs to the end (set_task_comm pads with strscpy_pad). Control bytes are refused; bytes from
   * 0x80 up are not: exec takes the name from the file name, and UTF-8 file names are ordinary.
   */
  private commOk(dv: DataView, at: number): boolean {
    let i = 0;
    for (; i < 16; i++) {
      const c = dv.getUint8(at + i);
      if (c === 0) break;
      if (c < 0x20 || c === 0x7f) return false;
    }
    if (i === 0 || i === 16) return false;
    for (; i < 16; i++) if (dv.getUint8(at + i) !== 0) return false;
    return true;
  }

  /**
   * A 64-bit value as a 48-bit kernel address; 0 for NULL; -1 for anything else. LIST_POISON1/2 come back as
   * -0x100/-0x122 so list checks can tell them apart.
   */
  private ptr(dv: DataView, at: number): number {
    const lo = dv.getUint32(at, true);
    const hi = dv.getUint32(at + 4, true);
    if (hi === 0 && lo === 0) return 0;
    if (hi >>> 16 === 0xffff && (hi & 0x8000) !== 0) return (hi & 0xffff) * TWO32 + lo;
    if (hi === POISON_HI && (lo === POISON1 || lo === POISON2)) return -lo;
    return -1;
  }

  private u64(dv: DataView, at: number): number {
    return dv.getUint32(at + 4, true) * TWO32 + dv.getUint32(at, true);
  }

  private direct(p: number): boolean {
    return p >= this.pob && p - this.pob < this.dirEnd;
  }

  private image(p: number): boolean {
    return p >= KERNEL_MAP_48 && p < KERNEL_MAP_48 + KERNEL_IMAGE_SIZE;
  }

  /** Slab objects (direct map) or statics (kernel image, e.g. init_task, init_cred, init_mm). */
  private kernelObj(p: number): boolean {
    return p > 0 && (this.direct(p) || this.image(p));
  }

  /** Another task_struct: slab- or image-resident, on the task alignment. */
  private taskPtr(p: number): boolean {
    return this.kernelObj(p) && p % this.align === 0;
  }

  private credPtr(p: number): boolean {
    return this.kernelObj(p) && p % 8 === 0;
  }

  private stackOk(p: number): boolean {
    if (p <= 0 || p % 4096 !== 0) return false;
    // Without VMAP_STACK the stack comes from the page allocator, in the direct map.
    if (this.direct(p)) return true;
    return this.vmBase < 0 ? p >= 0x800000000000 : p >= this.vmBase && p - this.vmBase < VMALLOC_SIZE;
  }

  /**
   * A list_head: both links kernel objects (an empty list points at itself), or left poisoned by list_del /
   * list_del_rcu (prev only, next kept).
   */
  private listOk(dv: DataView, at: number, selfNode: number): boolean {
    const next = this.ptr(dv, at);
    const prev = this.ptr(dv, at + 8);
    if (next === -POISON1) return prev === -POISON2;
    if (!this.kernelObj(next) || next % 8 !== 0) return false;
    if (prev === -POISON2) return true;
    if (!this.kernelObj(prev) || prev % 8 !== 0) return false;
    // One side empty (pointing at itself) means both are.
    return (next === selfNode) === (prev === selfNode);
  }
}
