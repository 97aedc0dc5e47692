import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ExtractManifest,
  extractAnonArea,
  extractCachedFile,
  extractProcessView,
} from '../extract/linux-files.js';
import { SafeNamer } from '../extract/safe-path.js';
import { listVmas } from '../linux/maps.js';
import { type CachedFile, listCachedFiles } from '../linux/pagecache.js';
import { listTasks } from '../linux/tasks.js';
import { type FormatOptions, Output } from '../output/options.js';
import { ExitCode, MemdigError } from '../util/errors.js';
import { openLinuxAnalysis, reportWarnings } from './linux-session.js';
import { makeOutputDir } from './output-dir.js';
import { windowsExtract } from './windows-extract.js';
import { openWindows } from './windows-session.js';

export interface ExtractOptions extends FormatOptions {
  output: string;
  pid?: number;
  name?: string;
  all?: boolean;
  isf?: string;
}

export async function extractAction(dump: string, o: ExtractOptions) {
  const win = await openWindows(dump, o);
  if (win) return windowsExtract(dump, win, o);
  let re: RegExp | undefined;
  try {
    re = o.name ? new RegExp(o.name) : undefined;
  } catch (e) {
    throw new MemdigError(`--name: invalid regular expression: ${(e as Error).message}`, ExitCode.Usage);
  }
  const { mem, kernel, warnings } = openLinuxAnalysis(dump, 'extract', o);
  const output = new Output(o, { path: dump, format: mem.format, os: `Linux ${kernel.release}` });
  try {
    makeOutputDir(o.output);
    const namer = new SafeNamer();
    const results: ExtractManifest[] = [];
    const files = listCachedFiles(kernel);
    const byMapping = new Map<number, CachedFile>(files.map((f) => [f.mapping, f]));
    const done = new Set<number>();
    const wanted = (path: string) => !re || re.test(path);
    if (o.pid === undefined) {
      for (const f of files) {
        if (!f.path && !o.all) continue;
        if (!wanted(f.path)) continue;
        results.push(extractCachedFile(kernel, f, o.output, namer));
      }
    } else {
      const task = listTasks(kernel).find((t) => t.pid === o.pid);
      if (!task) throw new MemdigError(`extract: no process with pid ${o.pid}`);
      const space = task.dtb >= 0 ? kernel.space(task.dtb) : null;
      if (!space) {
        warnings.add(
          'page-table translation is not available in this build: private (copy-on-write) and anonymous pages ' +
            'are skipped; only page-cache files are extracted',
        );
      }
      for (const v of listVmas(kernel, task)) {
        const label = v.name || '[anon]';
        if (!wanted(label)) continue;
        if (v.mapping) {
          const f = byMapping.get(v.mapping);
          if (f && !done.has(v.mapping)) {
            done.add(v.mapping);
            results.push(extractCachedFile(kernel, f, o.output, namer));
          }
          if (space && !v.perms.includes('s')) {
            const m = extractProcessView(kernel, task.pid, v, space, o.output, namer);
            if (m) results.push(m);
          }
        } else if (space) {
          results.push(extractAnonArea(kernel, task.pid, v, space, o.output, namer));
        }
      }
    }
    writeFileSync(
      join(o.output, 'manifest.json'),
      `${JSON.stringify({ dump, kernel: kernel.release, items: results, warnings: warnings.items }, null, 1)}\n`,
    );
    const w = output.sink({
      name: 'linux_extracted_files',
      columns: [
        { key: 'kind' },
        { key: 'pages', right: true, type: 'integer' },
        { key: 'recovered', right: true, type: 'integer' },
        { key: 'deleted' },
        { key: 'sha256' },
        { key: 'path', indexed: true },
        { key: 'output' },
      ],
    });
    for (const r of results) {
      w.add({
        kind: r.kind,
        pages: r.pagesTotal,
        recovered: r.pagesRecovered,
        deleted: r.deleted,
        sha256: r.sha256,
        path: r.path,
        output: r.output,
      });
    }
    w.end();
    reportWarnings(warnings);
  } finally {
    output.close();
    mem.close();
  }
}
