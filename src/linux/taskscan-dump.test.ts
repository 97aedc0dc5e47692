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
