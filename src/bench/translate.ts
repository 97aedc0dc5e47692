import { readFileSync } from 'node:fs';
import { openPhysical } from '../sources/index.js';
import { PageTableBuilder } from '../testing/page-tables.js';
import { sharedDecompressed, sharedPath } from '../testing/shared.js';
import { parseAddress } from '../translate/address.js';
import { createSpace } from '../translate/create.js';
import { newPteInfo, type VirtualSpace } from '../translate/types.js';

const MiB = 2 ** 20;

/** Deterministic VAs, page-random, byte offset random, over [base, base + size). */
function randomVas(n: number, base: number, size: number, seed = 12345): Float64Array {
  const out = new Float64Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const y = (Math.imul(x ^ (x >>> 15), 2246822519) >>> 0) / 2 ** 32;
    out[i] = base + Math.floor(y * size);
  }
  return out;
}

function rate(n: number, ms: number): string {
  const r = (n / ms) * 1000;
  return r >= 1e6 ? `${(r / 1e6).toFixed(2)} M` : `${(r / 1e3).toFixed(1)} k`;
}

/**
 * Wall-clock and CPU milliseconds of `f`. On a shared machine the wall figure depends on the neighbours; the CPU
 * figure (user + system time of this process) is what the code costs.
 */
function timed(f: () => void): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  f();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

function timeTranslate(label: string, s: VirtualSpace, vas: Float64Array, withInfo: boolean): void {
  const info = newPteInfo();
  let sink = 0;
  // Warm-up so the figure is the steady state, not the JIT.
  for (let i = 0; i < Math.min(vas.length, 50_000); i++)
    sink += withInfo ? s.translate(vas[i]!, info) : s.translate(vas[i]!);
  const t = timed(() => {
    if (withInfo) for (let i = 0; i < vas.length; i++) sink += s.translate(vas[i]!, info);
    else for (let i = 0; i < vas.length; i++) sink += s.translate(vas[i]!);
  });
  console.log(
    `translate ${label}: ${rate(vas.length, t.wall)} translations/s (${rate(vas.length, t.cpu)}/s of CPU)${sink === 0.5 ? '' : ''}`,
  );
}

function timeRead(label: string, s: VirtualSpace, base: number, size: number, chunk: number): void {
  const buf = new Uint8Array(chunk);
  s.read(base, buf, 0, chunk);
  let bytes = 0;
  const t = timed(() => {
    for (let a = base; a < base + size; a += chunk)
      bytes += s.read(a, buf, 0, Math.min(chunk, base + size - a));
  });
  const mbs = (ms: number) => ((bytes / MiB / ms) * 1000).toFixed(0);
  console.log(
    `translate ${label}: ${mbs(t.wall)} MB/s virtual read (${mbs(t.cpu)} MB/s of CPU; ${chunk} B chunks)`,
  );
}

function timeU32(label: string, s: VirtualSpace, vas: Float64Array): void {
  let sink = 0;
  const t = timed(() => {
    for (let i = 0; i < vas.length; i++) sink += s.readU32(vas[i]!);
  });
  console.log(
    `translate ${label}: ${rate(vas.length, t.wall)} readU32/s (${rate(vas.length, t.cpu)}/s of CPU)${sink === 0.5 ? '' : ''}`,
  );
}

function synthetic(): void {
  const b = new PageTableBuilder('x64');
  const base = 0x7f0000000000;
  const size = 64 * MiB;
  const pages = size / 4096;
  for (let i = 0; i < pages; i++) {
    const pa = 0x10000000 + ((i * 7919) % pages) * 4096;
    b.map(base + i * 4096, pa);
    b.mem.page(pa)[0] = i & 0xff;
  }
  b.map(0xffff80000000, 0x80000000, 2 * MiB);
  const s = createSpace(b.mem, 'x64', b.root, { os: 'windows' });
  const vas = randomVas(1_000_000, base, size);
  timeTranslate('buffer x64 4K random (TLB mostly missing)', s, vas, false);
  timeTranslate('buffer x64 4K random, full walk + PteInfo', s, vas, true);
  const hot = randomVas(1_000_000, base, 128 * 4096, 7);
  timeU32('buffer x64 readU32 over a 128-page working set', s, hot);
  timeRead('buffer x64 64 MiB (4K pages scattered)', s, base, size, 65536);
}

function realDump(): void {
  const elf = sharedDecompressed('linux-dumps', 'dump.elf.xz');
  const truthPath = sharedPath('linux-dumps', 'truth.json');
  const infoPath = sharedPath('linux-dumps', 'kernel-info.json');
  if (!elf || !truthPath || !infoPath) {
    console.log('translate real dump: skipped (../shared/linux-dumps absent)');
    return;
  }
  const mem = openPhysical(elf);
  try {
    const truth = JSON.parse(readFileSync(truthPath, 'utf8'));
    const info = JSON.parse(readFileSync(infoPath, 'utf8'));
    const pgt = Number(
      BigInt.asUintN(
        64,
        BigInt(info.kallsyms.init_top_pgt.addr) - 0xffffffff80000000n + BigInt(truth.kaslr.phys_base),
      ),
    );
    const kernel = createSpace(mem, 'x64', pgt, { os: 'linux' });
    const pob = parseAddress(truth.kaslr.page_offset_base);
    const vas = randomVas(1_000_000, pob, 512 * MiB - 2 * MiB);
    timeTranslate('real dump direct map (2 MiB pages) random', kernel, vas, false);
    timeTranslate('real dump direct map random, full walk + PteInfo', kernel, vas, true);
    timeRead('real dump direct map 256 MiB', kernel, pob, 256 * MiB, 1 * MiB);
    const gamma = createSpace(mem, 'x64', Number(truth.qemu.registers.cr3), { os: 'linux' });
    const g = truth.mappers.find((m: { name: string }) => m.name === 'gamma');
    const present: number[] = [];
    for (const r of g.regions) for (const p of r.pages) if (p.present) present.push(Number(p.va));
    const uv = new Float64Array(1_000_000);
    for (let i = 0; i < uv.length; i++) uv[i] = present[(i * 7919) % present.length]! + ((i * 13) % 4096);
    timeTranslate(`real dump gamma user pages (${present.length} pages, round robin)`, gamma, uv, false);
    timeTranslate('real dump gamma user pages, full walk + PteInfo', gamma, uv, true);
    let userPages = 0;
    kernel.forEachPage(0x800000000000, 2 ** 48, () => true); // warm-up: JIT and table pages
    const tu = timed(() => {
      userPages = gamma.forEachPage(0, 0x800000000000, () => true);
    });
    let kernelPages = 0;
    const tk = timed(() => {
      kernelPages = kernel.forEachPage(0x800000000000, 2 ** 48, () => true);
    });
    console.log(
      `translate real dump forEachPage: gamma user half ${userPages} pages in ${tu.wall.toFixed(1)} ms; ` +
        `kernel half ${kernelPages} pages/large pages in ${tk.wall.toFixed(0)} ms (${rate(kernelPages, tk.cpu)} pages/s of CPU)`,
    );
  } finally {
    mem.close();
  }
}

export async function bench(): Promise<void> {
  synthetic();
  realDump();
}
