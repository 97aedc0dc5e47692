import { mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';
import { xz } from '@napi-rs/lzma';
import type { IsfDocument } from './isf.js';

/** ISF bytes for a path: `.json.xz` (what Volatility's symbol packs use), `.json.gz`, or plain JSON. */
export function encodeIsf(doc: IsfDocument, path: string): Uint8Array {
  const json = Buffer.from(JSON.stringify(doc), 'utf8');
  if (path.endsWith('.xz')) return xz.compressSync(json);
  if (path.endsWith('.gz')) return gzipSync(json);
  return json;
}

/** Writes through a temporary file and a rename, so a reader (or Volatility's cache scan) never sees half a file. */
export function writeFileAtomic(path: string, data: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.part`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw e;
  }
}

export function writeIsf(doc: IsfDocument, path: string): number {
  const bytes = encodeIsf(doc, path);
  writeFileAtomic(path, bytes);
  return bytes.length;
}

/** Volatility's file name for a Windows symbol table: `<GUID>-<age in decimal>.json.xz`. */
export function isfFileName(guid: string, age: number): string {
  return `${guid.toUpperCase()}-${age}.json.xz`;
}
