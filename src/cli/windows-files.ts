import type { FormatOptions } from '../output/options.js';
import { Output } from '../output/options.js';
import type { Artefact } from '../output/render.js';
import { canonicalHex } from '../util/hex.js';
import type { WinContext } from '../windows/context.js';
import { scanFileObjects, type WinFileObject } from '../windows/file-object.js';
import { osName, printWarnings } from './windows-session.js';

export const WIN_FILES: Artefact = {
  name: 'file_objects',
  columns: [
    { key: 'physical' },
    { key: 'name', indexed: true },
    { key: 'device' },
    { key: 'size', right: true, type: 'integer' },
    { key: 'delete_pending', title: 'del' },
    { key: 'data_section', title: 'dat' },
    { key: 'image_section', title: 'img' },
    { key: 'shared_cache_map', title: 'scm' },
  ],
};

export function fileObjectRow(f: WinFileObject): Record<string, string | number | boolean | null> {
  return {
    physical: f.physical >= 0 ? `0x${f.physical.toString(16)}` : null,
    name: f.name,
    device: f.device,
    size: f.fcbFileSize >= 0 ? f.fcbFileSize : null,
    delete_pending: f.deletePending,
    data_section: f.dataSectionObject ? canonicalHex(f.dataSectionObject) : null,
    image_section: f.imageSectionObject ? canonicalHex(f.imageSectionObject) : null,
    shared_cache_map: f.sharedCacheMap ? canonicalHex(f.sharedCacheMap) : null,
  };
}

export function windowsFiles(dump: string, ctx: WinContext, o: FormatOptions): void {
  const output = new Output(o, { path: dump, format: ctx.mem.format, os: osName(ctx) });
  try {
    output.write(WIN_FILES, scanFileObjects(ctx).map(fileObjectRow));
    printWarnings(ctx);
  } finally {
    output.close();
    ctx.mem.close();
  }
}
