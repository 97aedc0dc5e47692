import { LinuxKernel } from '../linux/kernel.js';
import { listVmas } from '../linux/maps.js';
import { listCachedFiles } from '../linux/pagecache.js';
import { scanTasks, taskScanConfig } from '../linux/taskmerge.js';
import { listTasks } from '../linux/tasks.js';
import { openPhysical } from '../sources/index.js';
import { sharedDecompressed } from '../testing/shared.js';

/** Kernel discovery, ps and maps on the 512 MiB Linux 6.1 dump (goal: all three under 1 s together). */
export async function bench(): Promise<void> {
  const path = sharedDecompressed('linux-dumps', 'dump.elf.xz');
  if (!path) {
    console.log('linux: ../shared/linux-dumps/dump.elf.xz absent, skipped');
    return;
  }
  for (const run of ['cold', 'warm']) {
    const mem = openPhysical(path);
    const t0 = performance.now();
    const k = new LinuxKernel(mem);
    const t1 = performance.now();
    const tasks = listTasks(k);
    const t2 = performance.now();
    let vmas = 0;
    for (const t of tasks) vmas += listVmas(k, t).length;
    const t3 = performance.now();
    const files = listCachedFiles(k);
    const t4 = performance.now();
    console.log(
      `linux (${run}): discovery ${(t1 - t0).toFixed(0)} ms, ps ${(t2 - t1).toFixed(0)} ms (${tasks.length} tasks), ` +
        `maps ${(t3 - t2).toFixed(0)} ms (${vmas} VMAs), together ${(t3 - t0).toFixed(0)} ms; ` +
        `files ${(t4 - t3).toFixed(0)} ms (${files.length} cached inodes)`,
    );
    mem.close();
  }
  {
    const mem = openPhysical(path);
    const k = new LinuxKernel(mem);
    const cfg = taskScanConfig(k);
    const bytes = mem.ranges.reduce((n, r) => n + r.end - r.start, 0);
    // Read-only pass first: what the scan costs above copying the dump out of the OS cache.
    const buf = new Uint8Array(4 << 20);
    let t0 = performance.now();
    for (const r of mem.ranges)
      for (let a = r.start; a < r.end; a += buf.length) mem.read(a, buf, 0, Math.min(buf.length, r.end - a));
    const tRead = performance.now() - t0;
    for (const run of ['cold', 'warm']) {
      t0 = performance.now();
      const hits = scanTasks(k, cfg);
      const dt = performance.now() - t0;
      console.log(
        `linux task scan (${run}): ${(bytes / 2 ** 20).toFixed(0)} MiB in ${dt.toFixed(0)} ms, ` +
          `${(bytes / 1e9 / (dt / 1000)).toFixed(2)} GB/s (reads alone ${(bytes / 1e9 / (tRead / 1000)).toFixed(2)} GB/s), ` +
          `${hits.length} task_structs`,
      );
    }
    mem.close();
  }
  {
    const mem = openPhysical(path);
    const t0 = performance.now();
    const k = new LinuxKernel(mem, { noVmcoreinfo: true });
    console.log(
      `linux: discovery without VMCOREINFO (kallsyms by signature) ${(performance.now() - t0).toFixed(0)} ms`,
    );
    void k;
    mem.close();
  }
}
