/**
 * File contents for scenarios: inline bytes, real files from ../shared, generated patterns, and generated event logs.
 */
import { readFileSync } from 'node:fs';
import { sharedPath } from '../testing/shared.js';
import { buildEvt } from './evt-writer.js';
import { buildEvtx } from './evtx-writer.js';
import type { Rng } from './rng.js';
import type { FileContentSpec } from './scenario.js';

export const PATTERN_MAGIC = 'MDFGFILE';

/** 32-bit FNV-1a of a path, stamped into generated pages so pages of different files differ. */
export function pathHash(path: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Generated page: "MDFGFILE", file offset (u64 LE), path hash (u32 LE), then bytes (offset/4096 + i·31 + hash) & 0xFF. */
export function patternPage(path: string, offset: number, dst: Uint8Array): void {
  const h = pathHash(path);
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  const pageNo = Math.floor(offset / 4096);
  for (let i = 0; i < dst.length; i++) dst[i] = (pageNo + i * 31 + h) & 0xff;
  for (let i = 0; i < 8; i++) dst[i] = PATTERN_MAGIC.charCodeAt(i);
  dv.setUint32(8, offset >>> 0, true);
  dv.setUint32(12, Math.floor(offset / 0x100000000), true);
  dv.setUint32(16, h, true);
}

/** A file's bytes: small files are materialised; pattern files are produced page by page by the caller. */
export interface FileContent {
  size: number;
  /** Whole content, or null for pattern files (generated per page on demand). */
  bytes: Uint8Array | null;
  origin: string;
}

export function resolveContent(spec: FileContentSpec, path: string, rng: Rng): FileContent {
  switch (spec.kind) {
    case 'bytes': {
      const b = new Uint8Array(Buffer.from(spec.base64, 'base64'));
      return { size: b.length, bytes: b, origin: 'inline' };
    }
    case 'shared': {
      const p = sharedPath(...spec.path.split('/'));
      if (!p) return resolveContent(spec.fallback, path, rng);
      const b = new Uint8Array(readFileSync(p));
      return { size: b.length, bytes: b, origin: `shared:${spec.path}` };
    }
    case 'pattern':
      return { size: spec.size, bytes: null, origin: 'pattern' };
    case 'evt': {
      const b = buildEvt(spec, rng);
      return { size: b.length, bytes: b, origin: 'generated-evt' };
    }
    case 'evtx': {
      const b = buildEvtx(spec, rng);
      return { size: b.length, bytes: b, origin: 'generated-evtx' };
    }
  }
}

/** Fills `dst` (one page) with the file's bytes at `offset`, zero past the end. */
export function contentPage(c: FileContent, path: string, offset: number, dst: Uint8Array): void {
  if (!c.bytes) {
    patternPage(path, offset, dst);
    if (offset + dst.length > c.size) dst.fill(0, Math.max(0, c.size - offset));
    return;
  }
  dst.fill(0);
  if (offset < c.size) dst.set(c.bytes.subarray(offset, Math.min(c.size, offset + dst.length)));
}
