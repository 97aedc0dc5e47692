import type { WinContext } from './context.js';
import { FileObjectReader, type WinFileObject } from './file-object.js';
import { HandleReader } from './handles.js';
import type { WinProcess } from './processes.js';
import { VadReader } from './vads.js';

/** Readers reused across processes (each resolves its layouts once). */
export interface ProcessFileReaders {
  files: FileObjectReader;
  vads: VadReader;
  /** Null when the layout table lacks the handle-table types (the files mapped by VADs are still found). */
  handles: HandleReader | null;
}

export function processFileReaders(ctx: WinContext): ProcessFileReaders {
  let handles: HandleReader | null = null;
  try {
    handles = new HandleReader(ctx);
  } catch (e) {
    ctx.warnings.add(`handle tables cannot be read: ${(e as Error).message}`);
  }
  return { files: new FileObjectReader(ctx), vads: new VadReader(ctx), handles };
}

/**
 * Every file a process has open: mapped by its VADs (images, mapped data files) and opened through its handle
 * table (File handles: the Event Log service holds its logs this way, often without a mapped view). Each
 * _FILE_OBJECT appears once, VAD-mapped ones first.
 */
export function processFileObjects(
  ctx: WinContext,
  proc: WinProcess,
  readers: ProcessFileReaders = processFileReaders(ctx),
): WinFileObject[] {
  const out: WinFileObject[] = [];
  const seen = new Set<number>();
  const add = (addr: number) => {
    if (!addr || seen.has(addr)) return;
    seen.add(addr);
    const fo = readers.files.read(addr);
    if (fo) out.push(fo);
  };
  for (const v of readers.vads.walk(proc)) add(v.fileObject);
  const h = readers.handles;
  if (h) for (const e of h.entries(proc)) if (h.typeOf(e.header) === 'File') add(e.header + h.bodyOffset);
  return out;
}
