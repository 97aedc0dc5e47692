/**
 * Container writers: the raw image re-wrapped as a Windows full crash dump (PAGEDUMP / PAGEDU64), LiME, or an ELF64
 * core, each with the same physical runs and identical page content. Copies are streamed in 1 MiB blocks and
 * all-zero blocks are skipped, so the output stays sparse.
 */
import { closeSync, ftruncateSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import type { Manifest } from './manifest.js';

export type ContainerFormat = 'raw' | 'crash' | 'lime' | 'elf';

const BLOCK = 1 << 20;
const TWO32 = 0x100000000;

/** The physical runs every container holds: page 0 and the legacy VGA/BIOS hole are left out, as on real machines. */
export function physicalRuns(size: number): [number, number][] {
  return [
    [0x1000, 0x9f000],
    [0x100000, size],
  ];
}

function put64(dv: DataView, at: number, v: number): void {
  dv.setUint32(at, (v % TWO32) >>> 0, true);
  dv.setUint32(at + 4, Math.floor(v / TWO32) >>> 0, true);
}

/** Canonical-hex manifest address → [lo, hi] with the upper half kept. */
function addr(hex: string | null): [number, number] {
  if (!hex) return [0, 0];
  const h = hex.replace(/^0x/, '').padStart(16, '0');
  return [Number.parseInt(h.slice(8), 16) >>> 0, Number.parseInt(h.slice(0, 8), 16) >>> 0];
}

function copyRun(
  src: number,
  dst: number,
  start: number,
  end: number,
  dstOff: number,
  buf: Uint8Array,
): void {
  for (let a = start; a < end; a += BLOCK) {
    const n = Math.min(BLOCK, end - a);
    const got = readSync(src, buf, 0, n, a);
    let zero = true;
    for (let i = 0; i < got; i += 8) {
      if (
        buf[i] |
        buf[i + 1]! |
        buf[i + 2]! |
        buf[i + 3]! |
        buf[i + 4]! |
        buf[i + 5]! |
        buf[i + 6]! |
        buf[i + 7]!
      ) {
        zero = false;
        break;
      }
    }
    if (!zero) writeSync(dst, buf, 0, got, dstOff + (a - start));
  }
}

function crashHeader(m: Manifest, runs: [number, number][]): Uint8Array {
  const x64 = m.os.arch === 'x64';
  const h = new Uint8Array(x64 ? 0x2000 : 0x1000);
  const dv = new DataView(h.buffer);
  for (let i = 0; i < h.length; i += 4) dv.setUint32(i, 0x45474150, true); // "PAGE" fill, as Windows writes it
  const pages = runs.reduce((a, [s, e]) => a + (e - s) / 0x1000, 0);
  const systemTime =
    (Date.parse(m.processes[0]?.createTime ?? '2020-01-01T00:00:00Z') + 11644473600000) * 10000;
  const dtb = Number.parseInt(m.kernel.dtb, 16);
  h.set([0x50, 0x41, 0x47, 0x45], 0);
  if (x64) {
    h.set([0x44, 0x55, 0x36, 0x34], 4);
    dv.setUint32(8, 0xf, true);
    dv.setUint32(0xc, m.os.build, true);
    put64(dv, 0x10, dtb);
    put64(dv, 0x18, 0);
    const w = (at: number, a: string | null) => {
      const [lo, hi] = addr(a);
      dv.setUint32(at, lo, true);
      dv.setUint32(at + 4, hi, true);
    };
    w(0x20, m.kernel.psLoadedModuleList);
    w(0x28, m.kernel.psActiveProcessHead);
    dv.setUint32(0x30, 0x8664, true);
    dv.setUint32(0x34, 1, true);
    dv.setUint32(0x38, 0xe2, true); // MANUALLY_INITIATED_CRASH
    for (let i = 0; i < 4; i++) put64(dv, 0x40 + i * 8, 0);
    w(0x80, m.kernel.kdbg);
    dv.setUint32(0x88, runs.length, true);
    dv.setUint32(0x8c, 0, true);
    put64(dv, 0x90, pages);
    runs.forEach(([s, e], i) => {
      put64(dv, 0x98 + i * 16, s / 0x1000);
      put64(dv, 0xa0 + i * 16, (e - s) / 0x1000);
    });
    dv.setUint32(0xf98, 1, true); // full dump
    put64(dv, 0xfa0, h.length + pages * 0x1000);
    put64(dv, 0xfa8, systemTime);
    h.fill(0, 0xfb0, 0xfb0 + 128);
    put64(dv, 0x1030, 0);
  } else {
    h.set([0x44, 0x55, 0x4d, 0x50], 4);
    dv.setUint32(8, 0xf, true);
    dv.setUint32(0xc, m.os.build, true);
    dv.setUint32(0x10, dtb, true);
    dv.setUint32(0x14, 0, true);
    dv.setUint32(0x18, Number.parseInt(m.kernel.psLoadedModuleList, 16) >>> 0, true);
    dv.setUint32(0x1c, Number.parseInt(m.kernel.psActiveProcessHead, 16) >>> 0, true);
    dv.setUint32(0x20, 0x14c, true);
    dv.setUint32(0x24, 1, true);
    dv.setUint32(0x28, 0xe2, true);
    for (let i = 0; i < 4; i++) dv.setUint32(0x2c + i * 4, 0, true);
    h[0x5c] = m.os.arch === 'pae' ? 1 : 0;
    dv.setUint32(0x60, m.kernel.kdbg ? Number.parseInt(m.kernel.kdbg, 16) >>> 0 : 0, true);
    dv.setUint32(0x64, runs.length, true);
    dv.setUint32(0x68, pages, true);
    runs.forEach(([s, e], i) => {
      dv.setUint32(0x6c + i * 8, s / 0x1000, true);
      dv.setUint32(0x70 + i * 8, (e - s) / 0x1000, true);
    });
    h.fill(0, 0x820, 0x820 + 128);
    dv.setUint32(0xf88, 1, true);
    put64(dv, 0xfa0, h.length + pages * 0x1000);
    put64(dv, 0xfb8, 0);
    put64(dv, 0xfc0, systemTime);
  }
  return h;
}

/** Wraps the raw image at `rawPath` into `format` at `out`; deletes the raw file. Returns manifest image fields. */
export function wrapContainer(
  rawPath: string,
  out: string,
  format: Exclude<ContainerFormat, 'raw'> | ContainerFormat,
  m: Manifest,
): { container: string; path: string; ranges: { start: string; end: string }[] } {
  const size = m.image.physicalSize;
  const runs = physicalRuns(size);
  const src = openSync(rawPath, 'r');
  const dst = openSync(out, 'w');
  const buf = new Uint8Array(BLOCK);
  try {
    if (format === 'crash') {
      const h = crashHeader(m, runs);
      let off = h.length;
      ftruncateSync(dst, h.length + runs.reduce((a, [s, e]) => a + e - s, 0));
      writeSync(dst, h, 0, h.length, 0);
      for (const [s, e] of runs) {
        copyRun(src, dst, s, e, off, buf);
        off += e - s;
      }
    } else if (format === 'lime') {
      let off = 0;
      const total = runs.reduce((a, [s, e]) => a + 32 + e - s, 0);
      ftruncateSync(dst, total);
      for (const [s, e] of runs) {
        const hd = new Uint8Array(32);
        const dv = new DataView(hd.buffer);
        dv.setUint32(0, 0x4c694d45, true);
        dv.setUint32(4, 1, true);
        put64(dv, 8, s);
        put64(dv, 16, e - 1);
        writeSync(dst, hd, 0, 32, off);
        copyRun(src, dst, s, e, off + 32, buf);
        off += 32 + e - s;
      }
    } else if (format === 'elf') {
      const phOff = 64;
      const dataOff = Math.ceil((phOff + runs.length * 56) / 0x1000) * 0x1000;
      const hd = new Uint8Array(dataOff);
      const dv = new DataView(hd.buffer);
      hd.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
      dv.setUint16(16, 4, true); // ET_CORE
      dv.setUint16(18, m.os.arch === 'x64' ? 62 : 3, true);
      dv.setUint32(20, 1, true);
      put64(dv, 32, phOff);
      dv.setUint16(52, 64, true);
      dv.setUint16(54, 56, true);
      dv.setUint16(56, runs.length, true);
      let off = dataOff;
      runs.forEach(([s, e], i) => {
        const p = phOff + i * 56;
        dv.setUint32(p, 1, true); // PT_LOAD
        dv.setUint32(p + 4, 7, true);
        put64(dv, p + 8, off);
        put64(dv, p + 16, 0);
        put64(dv, p + 24, s);
        put64(dv, p + 32, e - s);
        put64(dv, p + 40, e - s);
        put64(dv, p + 48, 0x1000);
        off += e - s;
      });
      ftruncateSync(dst, off);
      writeSync(dst, hd, 0, hd.length, 0);
      off = dataOff;
      for (const [s, e] of runs) {
        copyRun(src, dst, s, e, off, buf);
        off += e - s;
      }
    } else throw new Error(`forge: unknown container ${format}`);
  } finally {
    closeSync(src);
    closeSync(dst);
  }
  unlinkSync(rawPath);
  return {
    container: format,
    path: out,
    ranges: runs.map(([s, e]) => ({ start: `0x${s.toString(16)}`, end: `0x${e.toString(16)}` })),
  };
}
