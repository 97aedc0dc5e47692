import type { Command } from 'commander';
import { formatDev } from '../linux/maps.js';
import { listCachedFiles } from '../linux/pagecache.js';
import { type FormatOptions, Output, withFormatOptions } from '../output/options.js';
import { openLinuxAnalysis, reportWarnings } from './linux-session.js';
import { windowsFiles } from './windows-files.js';
import { openWindows, windowsCommand } from './windows-session.js';

export function filesCommand(program: Command): void {
  withFormatOptions(
    windowsCommand(program, 'files')
      .description('Files with pages in the page cache (Linux: every in-core inode, unlinked ones included)')
      .argument('<dump>', 'memory dump file')
      .option('--all', 'also list inodes without cached pages')
      .option('--isf <file>', 'Volatility 3 ISF for kernels without BTF in RAM'),
  ).action(async (dump: string, o: FormatOptions & { all?: boolean; isf?: string }) => {
    const win = await openWindows(dump, o);
    if (win) return windowsFiles(dump, win, o);
    const { mem, kernel, warnings } = openLinuxAnalysis(dump, 'files', o);
    const output = new Output(o, { path: dump, format: mem.format, os: `Linux ${kernel.release}` });
    try {
      const w = output.sink({
        name: 'linux_cached_files',
        columns: [
          { key: 'fs' },
          { key: 'dev' },
          { key: 'inode', right: true, type: 'integer', indexed: true },
          { key: 'size', right: true, type: 'integer' },
          { key: 'pages', right: true, type: 'integer' },
          { key: 'nlink', right: true, type: 'integer' },
          { key: 'deleted' },
          { key: 'path', indexed: true },
        ],
      });
      for (const f of listCachedFiles(kernel, { all: o.all })) {
        w.add({
          fs: f.fsType,
          dev: formatDev(f.dev),
          inode: f.ino,
          size: f.size,
          pages: f.nrpages,
          nlink: f.nlink,
          deleted: f.deleted,
          path: f.path || null,
        });
      }
      w.end();
      reportWarnings(warnings);
    } finally {
      output.close();
      mem.close();
    }
  });
}
