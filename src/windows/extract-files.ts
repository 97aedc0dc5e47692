import { writeFileSync } from 'node:fs';
import { FilePageMap, type WrittenFile, writeRecoveredFile } from '../extract/recovered-file.js';
import type { OutputNames } from '../extract/safe-name.js';
import { safeBaseName } from '../extract/safe-name.js';
import { canonicalHex as hex } from '../util/hex.js';
import { readCachePages } from './cache-pages.js';
import type { WinContext } from './context.js';
import type { WinFileObject } from './file-object.js';
import { readSectionPages } from './section-pages.js';

/** One recovered file (a data view or an image view of one FILE_OBJECT) and where its bytes came from. */
export interface ExtractedFile {
  fileObject: string;
  name: string | null;
  device: string | null;
  /** 'data' (data section + cache manager, file layout) or 'image' (image section, kept apart: image layout). */
  view: 'data' | 'image';
  output: string;
  manifest: string;
  size: number;
  sizeFrom: string;
  sources: string[];
  pages: number;
  residentPages: number;
  sha256: string;
  deletePending: boolean;
}

const MAX_FILE = 2 ** 40;

/** Extracts the data view (data section merged with the cache manager) and the image view of a file object. */
export function extractFileObject(
  ctx: WinContext,
  fo: WinFileObject,
  names: OutputNames,
  extra: Record<string, unknown> = {},
): ExtractedFile[] {
  const out: ExtractedFile[] = [];
  // Data view: cache manager first (it holds what was read or written through the cache), then the data section.
  if (fo.sharedCacheMap || fo.dataSectionObject) {
    const map = new FilePageMap();
    const sources: string[] = [];
    let scmSize = -1;
    let segSize = -1;
    if (fo.sharedCacheMap) {
      const r = readCachePages(ctx, fo.sharedCacheMap, map);
      if (r) {
        sources.push(`shared-cache-map ${hex(fo.sharedCacheMap)}`);
        scmSize = r.fileSize;
      }
    }
    if (fo.dataSectionObject) {
      const r = readSectionPages(ctx, fo.dataSectionObject, 'data-section', map);
      if (r) {
        sources.push(`data-section ${hex(fo.dataSectionObject)}`);
        segSize = r.segmentSize;
      }
    }
    if (sources.length)
      out.push(
        write(
          ctx,
          fo,
          map,
          'data',
          sources,
          names,
          { fcb: fo.fcbFileSize, scm: scmSize, segment: segSize },
          extra,
        ),
      );
  }
  if (fo.imageSectionObject) {
    const map = new FilePageMap();
    const r = readSectionPages(ctx, fo.imageSectionObject, 'image-section', map);
    if (r) {
      out.push(
        write(
          ctx,
          fo,
          map,
          'image',
          [`image-section ${hex(fo.imageSectionObject)}`],
          names,
          { fcb: -1, scm: -1, segment: r.segmentSize },
          extra,
        ),
      );
    }
  }
  return out;
}

function chooseSize(map: FilePageMap, s: { fcb: number; scm: number; segment: number }): [number, string] {
  const ok = (n: number) => n > 0 && n < MAX_FILE;
  if (ok(s.fcb)) return [s.fcb, 'FCB header FileSize'];
  if (ok(s.scm)) return [s.scm, 'shared cache map FileSize'];
  if (ok(s.segment)) return [s.segment, 'segment SizeOfSegment (page-rounded)'];
  return [map.residentEnd, 'end of the last recovered page'];
}

function write(
  ctx: WinContext,
  fo: WinFileObject,
  map: FilePageMap,
  view: 'data' | 'image',
  sources: string[],
  names: OutputNames,
  sizes: { fcb: number; scm: number; segment: number },
  extra: Record<string, unknown>,
): ExtractedFile {
  const [size, sizeFrom] = chooseSize(map, sizes);
  const base = `${safeBaseName(fo.name ?? 'unnamed')}.${foId(fo)}.${view === 'data' ? 'dat' : 'img'}`;
  const output = names.take(base);
  const w: WrittenFile = writeRecoveredFile(ctx.mem, map, size, output);
  const manifest = `${output}.json`;
  const doc = {
    format: 'memdig-extracted-file/1',
    file_object: fo.addr >= 0 ? `0x${fo.addr.toString(16)}` : null,
    file_object_physical: fo.physical >= 0 ? `0x${fo.physical.toString(16)}` : null,
    name: fo.name,
    device: fo.device,
    delete_pending: fo.deletePending,
    view,
    sources,
    size,
    size_from: sizeFrom,
    sizes_seen: sizes,
    sha256: w.sha256,
    resident_bytes: w.residentBytes,
    missing_bytes: w.missingBytes,
    pages: w.runs.map((r) => ({
      offset: r.offset,
      length: r.length,
      source: r.source,
      state: r.state,
      resident: r.resident,
      ...(r.phys ? { phys: r.phys.map((p) => `0x${p.toString(16)}`) } : {}),
      ...(r.sha256 ? { sha256: r.sha256 } : {}),
    })),
    ...extra,
  };
  writeFileSync(manifest, `${JSON.stringify(doc, null, 1)}\n`);
  return {
    fileObject: fo.addr >= 0 ? `0x${fo.addr.toString(16)}` : `phys:0x${fo.physical.toString(16)}`,
    name: fo.name,
    device: fo.device,
    view,
    output,
    manifest,
    size,
    sizeFrom,
    sources,
    pages: Math.ceil(size / 4096),
    residentPages: w.runs.filter((r) => r.resident).reduce((a, r) => a + Math.ceil(r.length / 4096), 0),
    sha256: w.sha256,
    deletePending: fo.deletePending,
  };
}

/** Identifies a file object in output names: its kernel address, or its physical address (pool-scan hits). */
function foId(fo: WinFileObject): string {
  return fo.addr >= 0 ? fo.addr.toString(16) : `p${fo.physical.toString(16)}`;
}
