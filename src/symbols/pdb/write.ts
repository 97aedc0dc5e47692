import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bundledXz } from '../../util/xz.js';
import type { IsfDocument } from './isf.js';

/** ISF bytes for a path: `.json.xz` (what Volatility's symbol packs use), `.json.gz`, or plain JSON. */
export function encodeIsf(doc: IsfDocument, path: string): Uint8Array {
  const json = Buffer.from(JSON.stringify(doc), 'utf8');
  if (path.endsWith('.xz')) return xzCompress(json);
  if (path.endsWith('.gz')) return gzipSync(json);
  return json;
}

/**
 * The bundled xz binding writes valid .xz but only stored (uncompressed) LZMA2 chunks, so the system `xz` is used
 * when present (tables shrink about sixfold); without it the file is still a correct, larger .xz.
 */
export function xzCompress(data: Uint8Array): Uint8Array {
  const r = spawnSync('xz', ['-6', '-T1', '-c', '-q'], { input: data, maxBuffer: 2 ** 31 - 1 });
  if (r.status === 0 && r.stdout?.length) return r.stdout;
  return bundledXz().compressSync(data);
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
