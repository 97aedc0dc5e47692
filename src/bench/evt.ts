import { randomFillSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { buildEvtLog, buildEvtRecord } from '../evtlog/evt/build.js';
import { carveEvtRecords, EvtRecordCarver } from '../evtlog/evt/carve.js';
import { parseEvt } from '../evtlog/evt/parse.js';
import { sharedPath } from '../testing/shared.js';

/**
 * Runs `fn` until at least `minMs` have passed (after one warm-up call); returns wall and CPU ms per call. The CPU
 * figure (whole process, GC threads included) is steadier on a shared, loaded machine.
 */
function time(fn: () => void, minMs = 1000): { wall: number; cpu: number } {
  fn();
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    fn();
    n++;
    t = performance.now();
  }
  const c = process.cpuUsage(c0);
  return { wall: (t - t0) / n, cpu: (c.user + c.system) / 1000 / n };
}

const mbps = (bytes: number, ms: number) => `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;

function benchParse(name: string, bytes: Uint8Array): void {
  let records = 0;
  const { wall, cpu } = time(() => {
    const log = parseEvt(bytes);
    records = log.records.length + log.recovered.length;
  });
  const rps = (ms: number) => Math.round(records / (ms / 1000));
  console.log(
    `evt parse ${name}: ${records} records, ${rps(wall)} records/s, ${mbps(bytes.length, wall)} (per CPU time: ${rps(cpu)} records/s, ${mbps(bytes.length, cpu)})`,
  );
}

export async function bench(): Promise<void> {
  const dir = sharedPath('corpus', 'evt');
  if (dir) for (const f of readdirSync(dir).sort()) benchParse(f, readFileSync(`${dir}/${f}`));
  else console.log('evt parse: ../shared absent, corpus files skipped');

  // A full 16 MiB ring of typical records, wrapped, to measure steady-state parsing.
  const recs: Buffer[] = [];
  let total = 0;
  for (let i = 0; total < (16 << 20) - 0x1000; i++) {
    const r = buildEvtRecord({
      recordNumber: 1000 + i,
      source: 'Service Control Manager',
      computer: 'WKS-WINXP32BIT',
      sid: i % 3 ? undefined : 'S-1-5-21-1004336348-1177238915-682003330-500',
      strings: [`Service ${i}`, 'running'],
      data: i % 5 ? undefined : new Uint8Array(24),
    });
    recs.push(r);
    total += r.length;
  }
  const ring = buildEvtLog({ size: 16 << 20, startOffset: 8 << 20, records: recs, firstNumber: 1000 });
  benchParse('synthetic 16 MiB wrapped', ring.file);

  // Carving: 256 MiB of random bytes with a record planted every 16 MiB (some across 16 MiB block boundaries).
  const size = 256 << 20;
  const big = Buffer.allocUnsafe(size);
  randomFillSync(big);
  const planted = 16;
  for (let k = 0; k < planted; k++)
    recs[k]!.copy(big, k * (16 << 20) + (k % 2 ? -0x40 : 0x1234) + (k ? 0 : 0x40));
  let found = 0;
  let ms = time(() => {
    found = carveEvtRecords(big).length;
  }, 2000);
  console.log(
    `evt carve whole buffer: ${found}/${planted} planted records, ${mbps(size, ms.wall)} (per CPU time: ${mbps(size, ms.cpu)})`,
  );
  for (const block of [16 << 20, 64 << 10, 4096]) {
    ms = time(() => {
      const c = new EvtRecordCarver();
      found = 0;
      for (let o = 0; o < size; o += block) found += c.push(big.subarray(o, o + block), o).length;
    }, 2000);
    console.log(
      `evt carve streaming ${block >= 1 << 20 ? `${block >> 20} MiB` : `${block >> 10} KiB`} blocks: ${found}/${planted} planted records, ${mbps(size, ms.wall)} (per CPU time: ${mbps(size, ms.cpu)})`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await bench();
