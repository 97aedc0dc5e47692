/**
 * Decompressing .xz held in memory. The system `xz` tool (liblzma) is about twice as fast as the bundled binding
 * and runs in its own process, so it is used when present; its output goes to a private temporary file, which the
 * kernel writes faster than Node drains a pipe. Without it the bundled @napi-rs/lzma decoder does the work.
 *
 * Either way the size the file declares in its index is checked first, so a small file that claims gigabytes is
 * refused before anything is allocated; the output is checked against that size afterwards.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Lzma from '@napi-rs/lzma';
import { crc32 } from './crc32.js';

const load = createRequire(import.meta.url);
let binding: typeof Lzma.xz | undefined;

/** The bundled @napi-rs/lzma codec, loaded on first use: most runs of memdig never touch an .xz file. */
export function bundledXz(): typeof Lzma.xz {
  binding ??= (load('@napi-rs/lzma') as typeof Lzma).xz;
  return binding;
}

export class XzError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XzError';
  }
}

const MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const XZ_TIMEOUT_MS = 60_000;

export function isXz(b: Uint8Array): boolean {
  return b.length >= 6 && MAGIC.every((m, i) => b[i] === m);
}

const u32 = (b: Uint8Array, o: number) =>
  (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

/** xz's variable-length integer at `at[0]` (advanced), or NaN when malformed. */
function varint(b: Uint8Array, at: [number], end: number): number {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < 9 && at[0] < end; i++) {
    const c = b[at[0]++]!;
    v += (c & 0x7f) * scale;
    if ((c & 0x80) === 0) return v;
    scale *= 128;
  }
  return Number.NaN;
}

/**
 * Uncompressed size declared by the index of a single-stream .xz, or null when the layout is not that simple
 * (several streams, padding, damage): the decoder then has to find out.
 */
export function xzDeclaredSize(b: Uint8Array): number | null {
  if (!isXz(b) || b.length < 32) return null;
  const foot = b.length - 12;
  if (b[foot + 10] !== 0x59 || b[foot + 11] !== 0x5a) return null;
  if (u32(b, foot) !== crc32(b.subarray(foot + 4, foot + 10))) return null;
  const indexStart = foot - (u32(b, foot + 4) + 1) * 4;
  if (indexStart < 12 || b[indexStart] !== 0) return null;
  if (u32(b, foot - 4) !== crc32(b.subarray(indexStart, foot - 4))) return null;
  const at: [number] = [indexStart + 1];
  const count = varint(b, at, foot - 4);
  if (!(count >= 0) || count * 2 > foot - 4 - at[0]) return null;
  let blocks = 12;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const unpadded = varint(b, at, foot - 4);
    const size = varint(b, at, foot - 4);
    if (Number.isNaN(unpadded) || Number.isNaN(size)) return null;
    blocks += Math.ceil(unpadded / 4) * 4;
    total += size;
  }
  // Only when the blocks fill the file up to the index is this the one stream there is.
  return blocks === indexStart ? total : null;
}

let systemXz: boolean | undefined = process.env.MEMDIG_NO_SYSTEM_XZ ? false : undefined;

/** Turns the system `xz` on (when installed) or off; tests use it to run both decoders. */
export function useSystemXz(on: boolean): void {
  systemXz = on ? undefined : false;
}
let tmpCounter = 0;

/** Runs `xz -dc` on the bytes (or on the file they came from, which spares a pipe); null without the tool. */
function viaSystemXz(b: Uint8Array, source: string, path?: string): Uint8Array | null {
  const tmp = join(tmpdir(), `memdig-xz-${process.pid}-${++tmpCounter}-${Date.now()}.out`);
  // 'wx+': created here and now, never an existing file or a link someone planted. No writable temp folder:
  // the bundled decoder does the work instead.
  let fd: number;
  try {
    fd = openSync(tmp, 'wx+', 0o600);
  } catch {
    return null;
  }
  try {
    const r = spawnSync('xz', path ? ['-dc', '-T1', '-q', '--', path] : ['-dc', '-T1', '-q'], {
      input: path ? undefined : b,
      stdio: [path ? 'ignore' : 'pipe', fd, 'pipe'],
      timeout: XZ_TIMEOUT_MS,
      maxBuffer: 1 << 20,
    });
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return null;
    if (r.error) throw new XzError(`${source}: xz failed (${r.error.message})`);
    // Exit status 2 is a warning only (e.g. an unsupported check type xz could not verify).
    if (r.status !== 0 && r.status !== 2) {
      const why = r.stderr?.toString().trim().split('\n').pop() || `exit status ${r.status ?? r.signal}`;
      throw new XzError(`${source}: xz stream is damaged or truncated (${why})`);
    }
    const size = fstatSync(fd).size;
    const out = new Uint8Array(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, out, got, size - got, got);
      if (n <= 0) break;
      got += n;
    }
    return got === size ? out : out.subarray(0, got);
  } finally {
    closeSync(fd);
    unlinkSync(tmp);
  }
}

/**
 * Decompresses an .xz held in memory, refusing a declared or actual output larger than `maxBytes`. `path`, when the
 * bytes are a whole file's, lets the system tool read the file itself.
 */
export function xzDecompress(b: Uint8Array, source: string, maxBytes: number, path?: string): Uint8Array {
  const declared = xzDeclaredSize(b);
  if (declared !== null && declared > maxBytes) {
    throw new XzError(`${source}: xz data declares ${declared} bytes, more than the ${maxBytes} accepted`);
  }
  let out: Uint8Array | null = null;
  if (systemXz !== false) {
    out = viaSystemXz(b, source, path);
    systemXz = out !== null;
  }
  if (out === null) {
    try {
      out = bundledXz().decompressSync(b);
    } catch (e) {
      throw new XzError(`${source}: xz stream is damaged or truncated (${(e as Error).message})`);
    }
  }
  if (out.length > maxBytes)
    throw new XzError(`${source}: xz data larger than the ${maxBytes} bytes accepted`);
  if (declared !== null && out.length !== declared) {
    throw new XzError(`${source}: xz data gave ${out.length} bytes where its index says ${declared}`);
  }
  return out;
}
