/**
 * Physical-memory source throughput: sequential scan of a multi-GiB sparse raw image, random 4 KiB page reads,
 * random u32 reads (the page-table-walk pattern) and peak RSS. The image is a sparse file in the temp folder
 * (no disk space used), deleted afterwards.
 */
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPhysical } from '../sources/index.js';

const GiB = 2 ** 30;

function rate(bytes: number, ms: number): string {
  return `${(((bytes / ms) * 1000) / 1e9).toFixed(2)} GB/s`;
}

export async function bench(): Promise<void> {
  const size = Number(process.env.MEMDIG_BENCH_GIB ?? 4) * GiB;
  const dir = mkdtempSync(join(tmpdir(), 'memdig-bench-'));
  const path = join(dir, 'sparse.raw');
  const fd = openSync(path, 'w');
  ftruncateSync(fd, size);
  closeSync(fd);
  try {
    const mem = openPhysical(path);
    for (const [label, block] of [
      ['cold', 16 << 20],
      ['warm', 16 << 20],
      ['warm 4 MiB blocks', 4 << 20],
    ] as const) {
      const t0 = performance.now();
      let n = 0;
      let x = 0;
      for (const b of mem.scan(block)) {
        n += b.bytes.length;
        x ^= b.bytes[b.bytes.length - 1]!;
      }
      const ms = performance.now() - t0;
      console.log(
        `sources scan (${label}): ${(n / GiB).toFixed(0)} GiB in ${(ms / 1000).toFixed(2)} s, ${rate(n, ms)}${x ? '' : ''}`,
      );
    }

    const page = new Uint8Array(4096);
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed;
    };
    const pages = size / 4096;
    const nPages = 200_000;
    let t0 = performance.now();
    for (let i = 0; i < nPages; i++) mem.read(((rnd() * 65536 + rnd()) % pages) * 4096, page, 0, 4096);
    let ms = performance.now() - t0;
    console.log(
      `sources random 4 KiB page reads (uniform over ${size / GiB} GiB): ${Math.round((nPages / ms) * 1000)} pages/s`,
    );

    // Page-table walks touch a scattered hot set: 4096 distinct pages (16 MiB) anywhere in the image, read as u32s.
    const hot = new Float64Array(4096);
    for (let i = 0; i < hot.length; i++) hot[i] = ((rnd() * 65536 + rnd()) % pages) * 4096;
    const nU32 = 5_000_000;
    const heap0 = process.memoryUsage().heapUsed;
    t0 = performance.now();
    let acc = 0;
    for (let i = 0; i < nU32; i++) acc += mem.readU32(hot[i & 4095]! + ((i * 8) & 4088));
    ms = performance.now() - t0;
    const heapDelta = process.memoryUsage().heapUsed - heap0;
    console.log(
      `sources readU32 over 4096 scattered hot pages: ${(((nU32 / ms) * 1000) / 1e6).toFixed(1)} M reads/s ` +
        `(heap change ${(heapDelta / 1024).toFixed(0)} KiB over ${nU32 / 1e6} M reads)${acc < 0 ? '!' : ''}`,
    );
    mem.close();
    benchBitmapOpen(dir);
    console.log(`sources peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Opening a fragmented bitmap crash dump: 2^21 page frames (8 GiB), every other one present = 1 M runs. */
function benchBitmapOpen(dir: string): void {
  const frames = 1 << 21;
  const header = new Uint8Array(0x2000);
  const hv = new DataView(header.buffer);
  header.set(new TextEncoder().encode('PAGEDU64'), 0);
  hv.setUint32(0x88, 0x45474150, true);
  hv.setUint32(0xf98, 5, true);
  const bitmapBytes = frames / 8;
  const first = Math.ceil((0x2000 + 0x38 + bitmapBytes) / 4096) * 4096;
  const summary = new Uint8Array(first - 0x2000);
  const sv = new DataView(summary.buffer);
  summary.set(new TextEncoder().encode('FDMPDUMP'), 0);
  sv.setUint32(0x20, first, true);
  sv.setUint32(0x28, frames / 2, true);
  sv.setUint32(0x30, frames, true);
  summary.fill(0x55, 0x38, 0x38 + bitmapBytes);
  const path = join(dir, 'bitmap.dmp');
  const fd = openSync(path, 'w');
  writeSync(fd, header, 0, header.length, 0);
  writeSync(fd, summary, 0, summary.length, 0x2000);
  ftruncateSync(fd, first + (frames / 2) * 4096);
  closeSync(fd);
  const used = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const heap0 = used();
  const t0 = performance.now();
  const mem = openPhysical(path);
  const ms = performance.now() - t0;
  const heap = used() - heap0;
  const buf = new Uint8Array(4096);
  let seed = 99;
  const t1 = performance.now();
  for (let i = 0; i < 1e6; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    mem.isPresent((seed % frames) * 4096);
  }
  const ms1 = performance.now() - t1;
  mem.read(4096 * 1000, buf, 0, 4096);
  console.log(
    `sources bitmap crash dump open: ${frames / 2} runs in ${ms.toFixed(0)} ms, ` +
      `heap +${(heap / 2 ** 20).toFixed(1)} MiB (${(heap / (frames / 2)).toFixed(0)} B/run); ` +
      `isPresent ${(((1e6 / ms1) * 1000) / 1e6).toFixed(1)} M lookups/s`,
  );
  mem.close();
}
