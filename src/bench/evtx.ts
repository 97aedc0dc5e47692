import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { carveEvtx } from '../evtlog/evtx/carve.js';
import { CHUNK_SIZE, FILE_HEADER_SIZE } from '../evtlog/evtx/layout.js';
import { type EvtxOptions, parseEvtx } from '../evtlog/evtx/parser.js';
import { synthChunk, synthEvents, synthFile } from '../evtlog/evtx/synth.js';
import { sharedPath } from '../testing/shared.js';

/**
 * EVTX figures: parse throughput over the shared corpus (or a synthetic log without it), beside libevtx's
 * evtxexport when installed, and carving throughput over 256 MiB of random bytes with chunks planted in it.
 * CPU time is printed next to wall time because benchmark machines are often shared.
 */

function inputs(): { name: string; bytes: Buffer }[] {
  const dir = sharedPath('corpus', 'evtx');
  if (dir) {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.evtx'))
      .sort()
      .map((f) => ({ name: join(dir, f), bytes: readFileSync(join(dir, f)) }));
  }
  const chunks = Array.from({ length: 64 }, (_, i) => synthChunk(synthEvents(1 + i * 100, 100)));
  return [{ name: '(synthetic)', bytes: Buffer.from(synthFile(chunks, 6401)) }];
}

function timed<T>(f: () => T): { value: T; wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = f();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { value, wall, cpu: (c.user + c.system) / 1e6 };
}

function parseAll(files: { bytes: Buffer }[], opts: EvtxOptions): number {
  let n = 0;
  for (const f of files) for (const _ of parseEvtx(f.bytes, opts)) n++;
  return n;
}

export async function bench(): Promise<void> {
  const files = inputs();
  const mb = files.reduce((a, f) => a + f.bytes.length, 0) / 1e6;
  parseAll(files, {}); // warm-up (JIT)
  for (const [label, opts] of [
    ['json', {}],
    ['json+xml', { xml: true }],
    ['framing only', { render: false }],
  ] as [string, EvtxOptions][]) {
    const r = timed(() => parseAll(files, opts));
    console.log(
      `evtx parse (${label}): ${r.value} records in ${r.wall.toFixed(2)} s: ${Math.round(r.value / r.wall)} records/s, ${(mb / r.wall).toFixed(1)} MB/s (CPU ${r.cpu.toFixed(2)} s: ${Math.round(r.value / r.cpu)} records/s, ${(mb / r.cpu).toFixed(1)} MB/s)`,
    );
  }
  const ours = timed(() => parseAll(files, {}));
  const probe = spawnSync('evtxexport', ['-h'], { stdio: 'ignore' });
  if (probe.error || files[0]!.name === '(synthetic)')
    console.log('evtxexport: not installed (or no corpus); skipped');
  else {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let childCpu = 0;
    for (const f of files) {
      const t = performance.now();
      spawnSync('evtxexport', ['-m', 'items', f.name], { stdio: ['ignore', 'ignore', 'ignore'] });
      childCpu += (performance.now() - t) / 1000;
    }
    const wall = (performance.now() - t0) / 1000;
    void c0;
    console.log(
      `evtxexport -m items: ${wall.toFixed(2)} s wall over the same files; memdig (JSON) ${ours.wall.toFixed(2)} s: ${(wall / ours.wall).toFixed(1)}x faster (wall), child time ${childCpu.toFixed(2)} s`,
    );
  }

  // Carving: 256 MiB of noise with 64 synthetic chunks and 64 corpus chunks planted at odd offsets.
  const size = 256 << 20;
  const img = Buffer.allocUnsafe(size);
  for (let o = 0; o < size; o += 1 << 26) randomFillSync(img, o, Math.min(1 << 26, size - o));
  const planted: Uint8Array[] = Array.from({ length: 64 }, (_, i) =>
    synthChunk(synthEvents(1_000_000 + i * 50, 50)),
  );
  for (const f of files) {
    for (let o = FILE_HEADER_SIZE; o + CHUNK_SIZE <= f.bytes.length && planted.length < 128; o += CHUNK_SIZE)
      if (f.bytes[o] === 0x45) planted.push(f.bytes.subarray(o, o + CHUNK_SIZE));
  }
  const step = Math.floor(size / (planted.length + 1));
  planted.forEach((c, i) => {
    img.set(c, (i + 1) * step + (i % 7) * 8 + 3);
  });
  const r = timed(() => carveEvtx(img));
  const res = r.value;
  console.log(
    `evtx carve: 256 MiB with ${planted.length} planted chunks: ${res.chunks.length} chunks, ${res.records.length} records (${res.orphans} orphans) in ${r.wall.toFixed(2)} s: ${(size / 2 ** 30 / r.wall).toFixed(2)} GiB/s (CPU ${r.cpu.toFixed(2)} s: ${(size / 2 ** 30 / r.cpu).toFixed(2)} GiB/s)`,
  );
  // Same buffer with the planted chunks overwritten by noise again (one 256 MiB buffer is enough memory).
  planted.forEach((c, i) => {
    const at = (i + 1) * step + (i % 7) * 8 + 3;
    randomFillSync(img, at, c.length);
  });
  const empty = img;
  const z = timed(() => carveEvtx(empty));
  console.log(
    `evtx carve: 256 MiB random bytes, nothing planted: ${(size / 2 ** 30 / z.wall).toFixed(2)} GiB/s (CPU ${(size / 2 ** 30 / z.cpu).toFixed(2)} GiB/s)`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await bench();
