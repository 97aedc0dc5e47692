import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type FormatOptions, Output } from '../output/options.js';
import type { Artefact } from '../output/render.js';
import { MemdigError } from '../util/errors.js';
import { canonicalHex } from '../util/hex.js';
import type { WinContext } from '../windows/context.js';
import { listProcesses } from '../windows/processes.js';
import { VAD_PAGE_LEGEND, type VadPage, VadPageResolver } from '../windows/vad-pages.js';
import { VadReader, type WinVad } from '../windows/vads.js';
import { makeOutputDir } from './output-dir.js';
import { VAD_RANGE_COLUMNS } from './vads-action.js';
import { openWindows, osName, printWarnings } from './windows-session.js';

const PAGE = 4096;

export const WIN_VADDUMP: Artefact = {
  name: 'vad_dumps',
  columns: [
    ...VAD_RANGE_COLUMNS,
    { key: 'pages', right: true, type: 'integer' },
    { key: 'read_pages', title: 'read', right: true, type: 'integer' },
    { key: 'file', indexed: true },
    { key: 'output' },
  ],
};

export interface VaddumpOptions extends FormatOptions {
  output: string;
  pid?: number;
  base?: string;
  maxSize?: number;
  symbols?: string[];
}

export interface VadDumpResult {
  pages: number;
  readPages: number;
  /** One legend character per page (VAD_PAGE_LEGEND). */
  states: string;
}

/**
 * Writes the VAD's range to `path`, page by page, zero where nothing can be read (the file is created at full size
 * first, so unread pages are holes), and a JSON sidecar `path.json` with each page's state.
 */
export function dumpVad(
  ctx: WinContext,
  resolver: VadPageResolver,
  pid: number,
  vad: WinVad,
  path: string,
): VadDumpResult {
  const first = vad.start - (vad.start % PAGE);
  const pages = Math.floor((vad.end - first) / PAGE) + 1;
  const buf = new Uint8Array(PAGE);
  const pg: VadPage = { state: '-', phys: -1 };
  const states: string[] = [];
  let readPages = 0;
  const fd = openSync(path, 'w');
  try {
    for (let i = 0; i < pages; i++) {
      resolver.page(vad, i, pg);
      if (pg.phys >= 0 && ctx.mem.read(pg.phys, buf, 0, PAGE) === PAGE) {
        writeSync(fd, buf, 0, PAGE, i * PAGE);
        readPages++;
      } else if (pg.phys >= 0) pg.state = '?';
      else if (i === pages - 1) writeSync(fd, new Uint8Array(PAGE), 0, PAGE, i * PAGE); // full length
      states.push(pg.state);
    }
  } finally {
    closeSync(fd);
  }
  const s = states.join('');
  writeFileSync(
    `${path}.json`,
    `${JSON.stringify(
      {
        pid,
        start: canonicalHex(vad.start),
        end: canonicalHex(vad.end),
        kind: vad.kind,
        tag: vad.tag,
        file: vad.fileName,
        pages,
        readPages,
        legend: VAD_PAGE_LEGEND,
        counts: Object.fromEntries(
          Object.entries(VAD_PAGE_LEGEND)
            .map(([c, name]) => [name, s.split(c).length - 1] as const)
            .filter(([, n]) => n > 0),
        ),
        pageStates: s,
      },
      null,
      1,
    )}\n`,
  );
  return { pages, readPages, states: s };
}
export async function vaddumpAction(dump: string, o: VaddumpOptions): Promise<void> {
  const base = o.base !== undefined ? Number.parseInt(o.base.replace(/^0x(ffff)?/i, ''), 16) : undefined;
  if (base !== undefined && !Number.isFinite(base))
    throw new MemdigError(`--base ${o.base}: not a hex address`);
  const ctx = await openWindows(dump, o);
  if (!ctx) throw new MemdigError('vaddump: not a Windows dump');
  makeOutputDir(o.output);
  const output = new Output(o, { path: dump, format: ctx.mem.format, os: osName(ctx) });
  const maxBytes = (o.maxSize ?? 1024) * 2 ** 20;
  try {
    const vads = new VadReader(ctx);
    const sink = output.sink(WIN_VADDUMP);
    for (const p of listProcesses(ctx)) {
      if (o.pid !== undefined && p.pid !== o.pid) continue;
      const resolver = new VadPageResolver(ctx, ctx.processSpace(p.dtb));
      for (const v of vads.walk(p)) {
        if (base !== undefined && (base < v.start || base > v.end)) continue;
        if (v.end - v.start + 1 > maxBytes) {
          ctx.warnings.add(
            `pid ${p.pid} VAD ${canonicalHex(v.start)}-${canonicalHex(v.end)} is larger than --max-size: skipped`,
          );
          continue;
        }
        const file = join(o.output, `pid.${p.pid}.vad.${canonicalHex(v.start)}-${canonicalHex(v.end)}.dmp`);
        const r = dumpVad(ctx, resolver, p.pid, v, file);
        sink.add({
          pid: p.pid,
          process: p.name,
          start: canonicalHex(v.start),
          end: canonicalHex(v.end),
          kind: v.kind,
          pages: r.pages,
          read_pages: r.readPages,
          file: v.fileName,
          output: file,
        });
      }
    }
    sink.end();
    printWarnings(ctx);
  } finally {
    output.close();
    ctx.mem.close();
  }
}
