import { formatDev } from '../linux/maps.js';
import { listCachedFiles } from '../linux/pagecache.js';
import { type FormatOptions, Output } from '../output/options.js';
import { openLinuxAnalysis, reportWarnings } from './linux-session.js';
import { windowsFiles } from './windows-files.js';
import { openWindows } from './windows-session.js';

export type FilesOptions = FormatOptions & { all?: boolean; isf?: string };

export async function filesAction(dump: string, o: FilesOptions) {
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
}
