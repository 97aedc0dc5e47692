import { listVmas, mapsLine } from '../linux/maps.js';
import { listTasks } from '../linux/tasks.js';
import { type FormatOptions, Output } from '../output/options.js';
import { openLinuxAnalysis, reportWarnings } from './linux-session.js';

export type MapsOptions = FormatOptions & { pid?: number; raw?: boolean; isf?: string };

export function mapsAction(dump: string, o: MapsOptions): void {
  const { mem, kernel, warnings } = openLinuxAnalysis(dump, 'maps', o);
  const output = new Output(o, { path: dump, format: mem.format, os: `Linux ${kernel.release}` });
  try {
    const fmt = output.format;
    const tasks = listTasks(kernel).filter(
      (t) => !t.kernelThread && (o.pid === undefined || t.pid === o.pid),
    );
    if (o.pid !== undefined && tasks.length === 0)
      process.stderr.write(`memdig: no user process with pid ${o.pid}\n`);
    if (o.raw && fmt === 'table') {
      for (const t of tasks) {
        if (o.pid === undefined) process.stdout.write(`== ${t.pid} ${t.comm}\n`);
        for (const v of listVmas(kernel, t)) process.stdout.write(`${mapsLine(v)}\n`);
      }
    } else {
      const w = output.sink({
        name: 'linux_memory_maps',
        columns: [
          { key: 'pid', right: true, type: 'integer', indexed: true },
          { key: 'comm' },
          { key: 'start' },
          { key: 'end' },
          { key: 'perms' },
          { key: 'offset' },
          { key: 'dev' },
          { key: 'inode', right: true, type: 'integer' },
          { key: 'path', indexed: true },
          { key: 'deleted' },
        ],
      });
      for (const t of tasks) {
        for (const v of listVmas(kernel, t)) {
          w.add({
            pid: t.pid,
            comm: t.comm,
            start: v.start.toString(16).padStart(8, '0'),
            end: v.end.toString(16).padStart(8, '0'),
            perms: v.perms,
            offset: v.offset.toString(16).padStart(8, '0'),
            dev: v.dev,
            inode: v.ino,
            path: v.name,
            deleted: v.deleted,
          });
        }
      }
      w.end();
    }
    reportWarnings(warnings);
  } finally {
    output.close();
    mem.close();
  }
}
