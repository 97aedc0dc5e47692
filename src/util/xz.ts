import { createRequire } from 'node:module';
import type * as Lzma from '@napi-rs/lzma';

// The native xz binding is loaded on first use: most runs never read or write an .xz file.
const load = createRequire(import.meta.url);
let xz: typeof Lzma.xz | null = null;

function binding(): typeof Lzma.xz {
  xz ??= (load('@napi-rs/lzma') as typeof Lzma).xz;
  return xz;
}

export function xzDecompress(data: Uint8Array): Buffer {
  return binding().decompressSync(data);
}

export function xzCompress(data: Uint8Array): Buffer {
  return binding().compressSync(data);
}
