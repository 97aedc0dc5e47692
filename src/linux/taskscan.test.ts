import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferMemory } from '../sources/buffer.js';
import { type TaskScanConfig, type TaskScanLayout, TaskScanner, taskScanLayout } from './taskscan.js';
import type { TypeSource } from './types.js';

/** A made-up task_struct layout: the scanner takes every offset from the kernel's types, never hard-coded ones. */
const L: TaskScanLayout = {
  size: 256,
  state: 0,
  flags: 4,
  stack: 8,
  schedClass: 16,
  tasks: 24,
  mm: 40,
  activeMm: 48,
  exitState: 56,
  pid: 60,
  tgid: 64,
  realParent: 72,
  parent: 80,
  children: 88,
  sibling: 104,
  groupLeader: 120,
  threadGroup: 128,
  startTime: 144,
  startBoottime: 152,
  realCred: 160,
  cred: 168,
  comm: 176,
};
const POB = 0x888000000000;
const IMAGE = 0xffff80000000;
const FAIR = IMAGE + 0x1a15320;
const VMALLOC = 0xc90000000000;
const MEM = 4 << 20;
const cfg: TaskScanConfig = {
  layout: L,
  pageOffsetBase: POB,
  directEnd: MEM,
  vmallocBase: VMALLOC,
  schedClasses: [IMAGE + 0x1a15250, FAIR],
  nowBootNs: 100e9,
};

/** xorshift32: the same "random" memory on every run. */
function random(n: number, seed = 0x2545f491): Uint8Array {
  const b = new Uint8Array(n);
  const u = new Uint32Array(b.buffer);
  let x = seed;
  for (let i = 0; i < u.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    u[i] = x >>> 0;
  }
  return b;
}

class Task {
  readonly b = new Uint8Array(L.size);
  private readonly dv = new DataView(this.b.buffer);
  constructor(readonly pa: number) {}
  u32(off: number, v: number): this {
    this.dv.setUint32(off, v >>> 0, true);
    return this;
  }
  /** A kernel pointer in 48-bit form, stored sign-extended as the kernel holds it. */
  ptr(off: number, v: number): this {
    const hi = Math.floor(v / 2 ** 32);
    this.dv.setUint32(off, v % 2 ** 32, true);
    this.dv.setUint32(off + 4, hi >= 0x8000 ? (hi | 0xffff0000) >>> 0 : hi, true);
    return this;
  }
  raw(off: number, hi: number, lo: number): this {
    this.dv.setUint32(off, lo, true);
    this.dv.setUint32(off + 4, hi, true);
    return this;
  }
  u64(off: number, v: number): this {
    this.dv.setUint32(off, v % 2 ** 32, true);
    this.dv.setUint32(off + 4, Math.floor(v / 2 ** 32), true);
    return this;
  }
  comm(s: string): this {
    this.b.fill(0, L.comm, L.comm + 16);
    for (let i = 0; i < s.length; i++) this.b[L.comm + i] = s.charCodeAt(i);
    return this;
  }
  get va(): number {
    return POB + this.pa;
  }
  /** A sleeping user process (leader, no children), as a live kernel leaves it. */
  static live(pa: number, pid = 321): Task {
    const t = new Task(pa);
    const other = POB + 0x200000;
    return t
      .u32(L.state, 1)
      .u32(L.flags, 0x400100)
      .ptr(L.stack, VMALLOC + 0x4000)
      .ptr(L.schedClass, FAIR)
      .ptr(L.tasks, other + L.tasks)
      .ptr(L.tasks + 8, other + 0x40 + L.tasks)
      .ptr(L.mm, POB + 0x300040)
      .ptr(L.activeMm, POB + 0x300040)
      .u32(L.pid, pid)
      .u32(L.tgid, pid)
      .ptr(L.realParent, other)
      .ptr(L.parent, other)
      .ptr(L.children, t.va + L.children)
      .ptr(L.children + 8, t.va + L.children)
      .ptr(L.sibling, other + L.children)
      .ptr(L.sibling + 8, other + L.children)
      .ptr(L.groupLeader, t.va)
      .ptr(L.threadGroup, t.va + L.threadGroup)
      .ptr(L.threadGroup + 8, t.va + L.threadGroup)
      .u64(L.startTime, 5e9)
      .u64(L.startBoottime, 5e9)
      .ptr(L.realCred, POB + 0x310000)
      .ptr(L.cred, POB + 0x310000)
      .comm('sshd');
  }
  /** What release_task and the final put leave: EXIT_DEAD, links poisoned, mm/stack/creds cleared. */
  static dead(pa: number, pid = 777): Task {
    return Task.live(pa, pid)
      .u32(L.exitState, 0x10)
      .u32(L.state, 0x80)
      .u32(L.flags, 0x40804c)
      .raw(L.tasks + 8, 0xdead0000, 0x122)
      .raw(L.threadGroup + 8, 0xdead0000, 0x122)
      .u64(L.mm, 0)
      .u64(L.activeMm, 0)
      .u64(L.stack, 0)
      .u64(L.cred, 0)
      .u64(L.realCred, 0)
      .comm('cat');
  }
}

function check(t: Task): string {
  return new TaskScanner(cfg).reject(new DataView(t.b.buffer), 0, t.pa);
}

test('task scan: the planted live and dead tasks, and nothing else, in 4 MiB of random bytes', () => {
  const mem = new BufferMemory();
  mem.write(0, random(MEM));
  const live = Task.live(0x10040);
  const dead = Task.dead(0x2a0c0);
  // Decoys: a valid sched_class (the first filter) over random bytes at thousands of places.
  const decoy = new Task(0).ptr(L.schedClass, FAIR).b.subarray(L.schedClass, L.schedClass + 8);
  for (let pa = 0x40000; pa + L.size < MEM; pa += 1024) mem.write(pa + L.schedClass, decoy);
  mem.write(live.pa, live.b);
  mem.write(dead.pa, dead.b);
  const t0 = performance.now();
  const hits = new TaskScanner(cfg).scan(mem);
  assert.ok(performance.now() - t0 < 5000);
  assert.deepEqual(
    hits.map((h) => [h.pa, h.pid, h.comm, h.exitState, h.unlinked]),
    [
      [live.pa, 321, 'sshd', 0, false],
      [dead.pa, 777, 'cat', 0x10, true],
    ],
  );
  assert.equal(hits[0]!.va, POB + live.pa);
  assert.equal(hits[0]!.startBoottimeNs, 5e9);
});

test('task scan: every field check rejects on its own', () => {
  const pa = 0x10040;
  assert.equal(check(Task.live(pa)), '');
  assert.equal(check(Task.dead(pa)), '');
  const cases: [string, (t: Task) => void][] = [
    ['sched_class', (t) => t.ptr(L.schedClass, FAIR + 8)],
    ['pid/tgid', (t) => t.u32(L.pid, 0)],
    ['pid/tgid', (t) => t.u32(L.pid, 5_000_000).u32(L.tgid, 5_000_000)],
    ['pid/tgid', (t) => t.u32(L.tgid, 400)],
    ['comm', (t) => t.comm('')],
    ['comm', (t) => t.comm('a\x01b')],
    ['comm', (t) => t.comm('a\x7f')],
    ['comm', (t) => t.comm('0123456789abcdef')],
    ['comm', (t) => t.comm('ok').u32(L.comm + 8, 0x41)],
    ['exit_state', (t) => t.u32(L.exitState, 0x11)],
    ['state', (t) => t.u32(L.state, 0x20000)],
    ['group_leader', (t) => t.ptr(L.groupLeader, t.va + 8)],
    ['group_leader vs pid/tgid', (t) => t.u32(L.pid, 322)],
    ['real_parent', (t) => t.raw(L.realParent, 0x7fff, 0x1000)],
    ['parent', (t) => t.u64(L.parent, 0)],
    ['children', (t) => t.ptr(L.children + 8, POB + 0x1000)],
    ['sibling', (t) => t.raw(L.sibling, 0, 0x41414141)],
    ['thread_group', (t) => t.ptr(L.threadGroup, POB + MEM + 0x1000)],
    ['tasks', (t) => t.raw(L.tasks + 8, 0xdead0000, 0x100)],
    ['tasks', (t) => t.ptr(L.tasks, POB + 0x1004)],
    ['mm', (t) => t.ptr(L.mm, VMALLOC)],
    ['mm of a kthread', (t) => t.u32(L.flags, 0x00200000)],
    ['active_mm', (t) => t.raw(L.activeMm, 0x1234, 0)],
    ['stack', (t) => t.ptr(L.stack, VMALLOC + 0x10)],
    ['stack', (t) => t.u64(L.stack, 0)],
    ['cred', (t) => t.u64(L.cred, 0).u64(L.realCred, 0)],
    ['cred', (t) => t.ptr(L.cred, POB + 0x310001)],
    ['start_time', (t) => t.u64(L.startTime, 0)],
    ['start_time', (t) => t.u64(L.startBoottime, 4e9)],
    ['start_time', (t) => t.u64(L.startTime, 200e9).u64(L.startBoottime, 200e9)],
  ];
  for (const [why, mutate] of cases) {
    const t = Task.live(pa);
    mutate(t);
    assert.equal(check(t), why, `${why}: ${mutate.toString()}`);
  }
  // exec of a file with a UTF-8 name: the name's bytes as they are.
  const utf8 = Task.live(pa);
  utf8.b.set(Buffer.from('тест\0', 'utf8'), L.comm);
  assert.equal(check(utf8), '');
  // A thread: pid above its leader's tgid, group_leader elsewhere.
  assert.equal(
    check(
      Task.live(pa, 400)
        .u32(L.tgid, 321)
        .ptr(L.groupLeader, POB + 0x200000),
    ),
    '',
  );
  // A dead task must not keep a live task's resources half-cleared.
  assert.equal(check(Task.dead(pa).ptr(L.cred, POB + 0x310000)), 'cred');
});

test('task scan: without sched_class symbols the other checks still hold; random memory gives nothing', () => {
  const mem = new BufferMemory();
  mem.write(0, random(MEM, 99));
  const t = Task.live(0x3000c0, 42);
  mem.write(t.pa, t.b);
  const hits = new TaskScanner({ ...cfg, schedClasses: [], nowBootNs: -1 }).scan(mem);
  assert.deepEqual(
    hits.map((h) => h.pid),
    [42],
  );
  // A task straddling the end of a scan block (4 MiB) and one cut off by the end of memory.
  const mem2 = new BufferMemory();
  mem2.write(0, new Uint8Array(8 << 20));
  const edge = Task.live((4 << 20) - 64, 43);
  const cut = Task.live((8 << 20) - 128, 44);
  mem2.write(edge.pa, edge.b);
  mem2.write(cut.pa, cut.b.subarray(0, 128));
  const hits2 = new TaskScanner({ ...cfg, directEnd: 8 << 20 }).scan(mem2);
  assert.deepEqual(
    hits2.map((h) => h.pid),
    [43],
  );
});

test('task scan: type information with a huge task_struct or members outside it is refused', () => {
  const types = (size: number, at: (name: string) => number): TypeSource => ({
    description: 'forged',
    structSize: () => size,
    member: (_s, name) => ({ offset: at(name), size: 8, bitSize: 0, bitOffset: 0 }),
    enumValue: () => undefined,
  });
  assert.equal(taskScanLayout(types(256, (n) => n.length * 8)).size, 256);
  assert.throws(() => taskScanLayout(types(1 << 30, () => 8)), /not believable/);
  assert.throws(() => taskScanLayout(types(256, (n) => (n === 'comm' ? 250 : 8))), /not believable/);
  assert.throws(
    () =>
      taskScanLayout({
        ...types(256, () => 8),
        member: (_s, n) => (n === 'pid' ? undefined : types(256, () => 8).member('', n)),
      }),
    /lack task_struct members pid/,
  );
});
