import { type FormatOptions, Output } from '../output/options.js';
import type { Artefact } from '../output/render.js';
import { MemdigError } from '../util/errors.js';
import { canonicalHex } from '../util/hex.js';
import { listProcesses } from '../windows/processes.js';
import { VadReader } from '../windows/vads.js';
import { openWindows, osName, printWarnings } from './windows-session.js';

/** The columns that name one VAD range, shared by `vads` and `vaddump`. */
export const VAD_RANGE_COLUMNS: Artefact['columns'] = [
  { key: 'pid', right: true, type: 'integer', indexed: true },
  { key: 'process' },
  { key: 'start' },
  { key: 'end' },
  { key: 'kind' },
];

export const WIN_VADS: Artefact = {
  name: 'vads',
  columns: [
    ...VAD_RANGE_COLUMNS,
    { key: 'tag' },
    { key: 'protection' },
    { key: 'commit_charge', right: true, type: 'integer' },
    { key: 'node' },
    { key: 'control_area' },
    { key: 'file_object' },
    { key: 'file', indexed: true },
  ],
};

export type VadsOptions = FormatOptions & { pid?: number; symbols?: string[] };

export async function vadsAction(dump: string, o: VadsOptions): Promise<void> {
  const ctx = await openWindows(dump, o);
  if (!ctx) throw new MemdigError('vads: not a Windows dump (Linux dumps: use `memdig maps`)');
  const output = new Output(o, { path: dump, format: ctx.mem.format, os: osName(ctx) });
  try {
    const reader = new VadReader(ctx);
    const sink = output.sink(WIN_VADS);
    for (const p of listProcesses(ctx)) {
      if (o.pid !== undefined && p.pid !== o.pid) continue;
      for (const v of reader.walk(p)) {
        sink.add({
          pid: p.pid,
          process: p.name,
          start: canonicalHex(v.start),
          end: canonicalHex(v.end),
          kind: v.kind,
          tag: v.tag,
          protection: v.protectionName,
          commit_charge: v.commitCharge,
          node: canonicalHex(v.node),
          control_area: v.controlArea ? canonicalHex(v.controlArea) : null,
          file_object: v.fileObject ? canonicalHex(v.fileObject) : null,
          file: v.fileName,
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
