import { writeFileSync } from 'node:fs';
import { OutputNames } from '../extract/safe-name.js';
import type { FormatOptions } from '../output/options.js';
import { Output } from '../output/options.js';
import { progress } from '../output/progress.js';
import type { Artefact } from '../output/render.js';
import { ExitCode, MemdigError } from '../util/errors.js';
import type { WinContext } from '../windows/context.js';
import { type ExtractedFile, extractFileObject } from '../windows/extract-files.js';
import { FileObjectReader, scanFileObjects, type WinFileObject } from '../windows/file-object.js';
import { processFileObjects, processFileReaders } from '../windows/process-files.js';
import { listProcesses } from '../windows/processes.js';
import { makeOutputDir } from './output-dir.js';
import { osName, printWarnings } from './windows-session.js';

export interface WindowsExtractOptions extends FormatOptions {
  output: string;
  pid?: number;
  name?: string;
  all?: boolean;
  fileObject?: string;
}

export const WIN_EXTRACTED: Artefact = {
  name: 'extracted_files',
  columns: [
    { key: 'name', indexed: true },
    { key: 'view' },
    { key: 'size', right: true, type: 'integer' },
    { key: 'pages', right: true, type: 'integer' },
    { key: 'resident_pages', title: 'resident', right: true, type: 'integer' },
    { key: 'coverage', right: true },
    { key: 'sources' },
    { key: 'file_object' },
    { key: 'delete_pending', title: 'del' },
    { key: 'sha256' },
    { key: 'output' },
  ],
};

/**
 * Which file objects the selectors pick: mapped by a process's VADs or opened through its handles, found by pool
 * scan, or named by address.
 */
export function selectFileObjects(ctx: WinContext, o: WindowsExtractOptions): WinFileObject[] {
  const reader = new FileObjectReader(ctx);
  const picked: WinFileObject[] = [];
  let nameRe: RegExp | null = null;
  try {
    nameRe = o.name ? new RegExp(o.name, 'i') : null;
  } catch (e) {
    throw new MemdigError(`--name: invalid regular expression: ${(e as Error).message}`, ExitCode.Usage);
  }
  if (o.fileObject) {
    const addr = Number.parseInt(o.fileObject.replace(/^0x(ffff)?/i, ''), 16);
    const fo = Number.isFinite(addr) ? reader.read(addr) : null;
    if (!fo) throw new MemdigError(`--file-object ${o.fileObject}: no readable _FILE_OBJECT there`);
    picked.push(fo);
  }
  if (o.pid !== undefined || o.all || nameRe) {
    const readers = processFileReaders(ctx);
    for (const p of listProcesses(ctx)) {
      if (o.pid !== undefined && p.pid !== o.pid) continue;
      picked.push(...processFileObjects(ctx, p, readers));
    }
  }
  if ((o.all || nameRe) && o.pid === undefined) picked.push(...scanFileObjects(ctx, reader));
  // One output per file: the same section object pointers mean the same file, however it was reached.
  const seen = new Set<string>();
  const out: WinFileObject[] = [];
  for (const f of picked) {
    if (nameRe && !nameRe.test(f.name ?? '')) continue;
    if (!f.dataSectionObject && !f.sharedCacheMap && !f.imageSectionObject) continue;
    const key = f.sectionObjectPointer ? `sop:${f.sectionObjectPointer}` : `fo:${f.addr}:${f.physical}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(f);
  }
  return out;
}

export function windowsExtract(dump: string, ctx: WinContext, o: WindowsExtractOptions): void {
  if (o.pid === undefined && !o.name && !o.all && !o.fileObject) {
    throw new MemdigError(
      'extract: choose what to extract: --pid N, --name REGEX, --file-object ADDR or --all',
      2,
    );
  }
  const output = new Output(o, { path: dump, format: ctx.mem.format, os: osName(ctx) });
  try {
    makeOutputDir(o.output);
    const names = new OutputNames(o.output);
    const summaryPath = names.take('extract-summary.json');
    const files = selectFileObjects(ctx, o);
    const bar = progress('extract', files.length);
    const done: ExtractedFile[] = [];
    for (let i = 0; i < files.length; i++) {
      done.push(...extractFileObject(ctx, files[i]!, names));
      bar.update(i + 1);
    }
    bar.stop();
    const sink = output.sink(WIN_EXTRACTED);
    for (const f of done) {
      sink.add({
        name: f.name,
        view: f.view,
        size: f.size,
        pages: f.pages,
        resident_pages: f.residentPages,
        coverage: f.pages ? `${((100 * f.residentPages) / f.pages).toFixed(1)}%` : '-',
        sources: f.sources.join(', '),
        file_object: f.fileObject,
        delete_pending: f.deletePending,
        sha256: f.sha256,
        output: f.output,
      });
    }
    sink.end();
    writeFileSync(
      summaryPath,
      `${JSON.stringify({ format: 'memdig-extract-summary/1', dump, os: osName(ctx), files: done, warnings: ctx.warnings.items }, null, 1)}\n`,
    );
    printWarnings(ctx);
  } finally {
    output.close();
    ctx.mem.close();
  }
}
