import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { openPhysical } from '../sources/index.js';
import { sharedDecompressed, sharedPath, skipWithoutShared } from '../testing/shared.js';
import { openLinuxKernel } from './open.js';
import { mergeTasks, scanTasks, taskScanConfig } from './taskmerge.js';
import { listTasks } from './tasks.js';

const skip = skipWithoutShared('linux-dumps', 'dump.elf.xz');

interface Truth {
  processes: { pid: number; ppid: number; comm: string }[];
  processes_at_truth_time: { pid: number; comm: string }[];
}

test('Linux 6.1 dump: the task scan finds every listed task and only real leftovers', { skip }, () => {
  const truth = JSON.parse(readFileSync(sharedPath('linux-dumps', 'truth.json')!, 'utf8')) as Truth;
  const mem = openPhysical(sharedDecompressed('linux-dumps', 'dump.elf.xz')!);
  try {
    const k = openLinuxKernel(mem);
    const cfg = taskScanConfig(k);
    assert.equal(cfg.schedClasses.length, 5);
    assert.ok(cfg.nowBootNs > 15e9 && cfg.nowBootNs < 30e9, `clock ${cfg.nowBootNs}`);
    const scan = scanTasks(k, cfg);
    const merged = mergeTasks(k, listTasks(k, { threads: true }), scan);
    assert.deepEqual(k.warnings.items, []);

    // Every task alive at dump time: on the list, and its task_struct found by the scan at the same place.
    const both = merged.filter((t) => t.foundBy === 'both');
    assert.deepEqual(
      both.map((t) => t.pid),
      truth.processes.map((p) => p.pid),
    );
    assert.ok(both.every((t) => !t.exited));
    assert.equal(merged.filter((t) => t.foundBy === 'list').length, 0);

    // Scan only: six tasks reaped just before the dump (the guest's init script ran cat/stat/sha256sum/rm in a
    // subshell), each EXIT_DEAD with the links release_task poisoned. Volatility's psscan lists the same six.
    const only = merged.filter((t) => t.foundBy !== 'both');
    assert.deepEqual(
      only.map((t) => [t.pid, t.comm, t.foundBy, t.exited, t.exitState]).sort((a, b) => +a[0]! - +b[0]!),
      [
        [129, 'cat', 'scan', true, 0x10],
        [135, 'stat', 'scan', true, 0x10],
        [136, 'init', 'scan', true, 0x10],
        [137, 'sha256sum', 'scan', true, 0x10],
        [140, 'rm', 'scan', true, 0x10],
        [141, 'cat', 'scan', true, 0x10],
      ],
    );
    for (const t of only) {
      assert.equal(t.pid, t.tgid);
      assert.ok(t.startBoottimeNs > 0 && t.startBoottimeNs <= cfg.nowBootNs);
      // Started after init (the first listed task), before the dump.
      assert.ok(t.startBoottimeNs > both[0]!.startBoottimeNs);
      assert.ok(!t.kernelThread);
      assert.ok(t.ppid === 1 || (t.pid === 137 && t.ppid === 136), `pid ${t.pid} ppid ${t.ppid}`);
    }

    // pid 95 ("mapper truth", exited before the dump): its task_struct memory was reused — no 64-byte-aligned
    // place holds pid = tgid = 95 — so nothing can be reported for it. Checked here so that, should a copy ever
    // be present, the scan must report it.
    assert.ok(truth.processes_at_truth_time.some((p) => p.pid === 95));
    const buf = new Uint8Array(1 << 22);
    const dv = new DataView(buf.buffer);
    const pidAt: number[] = [];
    for (const r of mem.ranges) {
      for (let a = r.start; a < r.end; a += buf.length) {
        const n = Math.min(buf.length, r.end - a);
        mem.read(a, buf, 0, n);
        for (let o = cfg.layout.pid % 64; o + 8 <= n; o += 64) {
          if (dv.getInt32(o, true) === 95 && dv.getInt32(o + 4, true) === 95)
            pidAt.push(a + o - cfg.layout.pid);
        }
      }
    }
    for (const pa of pidAt) assert.ok(merged.some((t) => t.physical === pa));
  } finally {
    mem.close();
  }
});

test('Linux 6.1 dump: a process unlinked from the task list (DKOM) is found by the scan as alive', {
  skip,
}, () => {
  const real = openPhysical(sharedDecompressed('linux-dumps', 'dump.elf.xz')!);
  try {
    const k0 = openLinuxKernel(real);
    const beta = listTasks(k0).find((t) => t.comm === 'memdig-beta')!;
    const node = beta.addr + k0.layout.task.tasks;
    const next = k0.kmem.ptr(node);
    const prev = k0.kmem.ptr(node + 8);
    // What a rootkit does: prev->next = next, next->prev = prev; beta's own links stay as they were.
    const patches = new Map<number, number>([
      [k0.kmem.pa(prev), next],
      [k0.kmem.pa(next + 8), prev],
    ]);
    const word = new Uint8Array(8);
    const wdv = new DataView(word.buffer);
    // The same dump object (so the ELF container's notes are still found), with those two words rewritten on read.
    const mem = Object.create(real) as typeof real;
    mem.read = (addr: number, dst: Uint8Array, dstOff: number, len: number) => {
      const got = real.read(addr, dst, dstOff, len);
      for (const [pa, v] of patches) {
        if (pa + 8 <= addr || pa >= addr + len) continue;
        wdv.setUint32(0, v % 2 ** 32, true);
        wdv.setUint32(4, (Math.floor(v / 2 ** 32) | 0xffff0000) >>> 0, true);
        for (let i = 0; i < 8; i++) {
          const at = pa + i - addr;
          if (at >= 0 && at < len) dst[dstOff + at] = word[i]!;
        }
      }
      return got;
    };
    const k = openLinuxKernel(mem);
    const list = listTasks(k, { threads: true });
    assert.equal(list.length, 48);
    assert.ok(!list.some((t) => t.pid === beta.pid));
    const merged = mergeTasks(k, list, scanTasks(k));
    const hidden = merged.filter((t) => t.foundBy === 'scan' && !t.exited);
    assert.deepEqual(
      hidden.map((t) => [t.pid, t.ppid, t.comm, t.dtb, t.physical]),
      [[beta.pid, 1, 'memdig-beta', beta.dtb, k0.kmem.pa(beta.addr)]],
    );
    assert.equal(merged.filter((t) => t.foundBy === 'both').length, 48);
    assert.ok(
      k.warnings.items.some((w) =>
        /pid 89 \(memdig-beta\).*neighbours no longer point at it.*hidden/.test(w),
      ),
    );
  } finally {
    real.close();
  }
});
