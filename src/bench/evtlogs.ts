import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEvtlogs } from '../cli/evtlogs-action.js';
import { openWindows } from '../cli/windows-session.js';
import { forgeImage, presetScenario } from '../forge/index.js';
import { setQuiet } from '../output/progress.js';

/**
 * The seed scenario end to end on the win10-eventlog image: identification, service and log discovery, extraction,
 * parsing, carving of all physical memory, JSONL/CSV output. CPU time beside wall time (shared machines).
 */
export async function bench(): Promise<void> {
  setQuiet(true);
  const dir = mkdtempSync(join(tmpdir(), 'memdig-bench-evtlogs-'));
  try {
    const image = join(dir, 'win10-eventlog.raw');
    forgeImage(presetScenario('win10-eventlog'), image);
    for (let run = 0; run < 2; run++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const ctx = await openWindows(image, {});
      if (!ctx) throw new Error('win10-eventlog: not identified as Windows');
      let res: ReturnType<typeof runEvtlogs>;
      try {
        res = runEvtlogs(ctx, { output: join(dir, `out${run}`) });
      } finally {
        ctx.mem.close();
      }
      const wall = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      const cpu = (c.user + c.system) / 1e6;
      const carve = res.carve!;
      console.log(
        `evtlogs win10-eventlog${run ? '' : ' (cold)'}: ${wall.toFixed(2)} s wall, ${cpu.toFixed(2)} s cpu, ` +
          `${res.logs.length} logs, ${res.records.length} records (${(res.records.length / wall).toFixed(0)} records/s), ` +
          `carve ${(carve.bytes / 2 ** 20).toFixed(0)} MiB in ${carve.seconds.toFixed(2)} s = ` +
          `${(carve.bytes / 1e9 / carve.seconds).toFixed(2)} GB/s (${carve.evt + carve.evtx} records seen, ${carve.extras} extra)`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
