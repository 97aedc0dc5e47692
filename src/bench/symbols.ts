/**
 * Symbol-layer figures: loading a full kernel ISF (.json.xz), loading a built-in table, typed member reads.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { builtinIndex, builtinIsf } from '../symbols/builtin.js';
import { readIsfFile } from '../symbols/isf.js';
import { bytesReadable } from '../symbols/layout.js';
import { Profile } from '../symbols/profile.js';
import { sharedPath } from '../testing/shared.js';

const WINDOWS_SYMBOLS = [
  'PsActiveProcessHead',
  'PsLoadedModuleList',
  'KdDebuggerDataBlock',
  'MmPfnDatabase',
  'ObHeaderCookie',
];
const FULL_ISF = 'corpus/isf/ntkrnlmp.pdb/00F31FD82648C8ED1A4426DFFC56A424-1.json.xz';

/** Wall and CPU time since a mark: on a shared, loaded machine CPU time is the steadier figure. */
function mark(): { wall: number; cpu: NodeJS.CpuUsage } {
  return { wall: performance.now(), cpu: process.cpuUsage() };
}

function since(m: { wall: number; cpu: NodeJS.CpuUsage }): string {
  const c = process.cpuUsage(m.cpu);
  return `${(performance.now() - m.wall).toFixed(1)} ms wall, ${((c.user + c.system) / 1000).toFixed(1)} ms CPU`;
}

export async function bench(): Promise<void> {
  const full = sharedPath(...FULL_ISF.split('/'));
  const linux = sharedPath('linux-dumps', 'debian-6.1.0-56-amd64.json.xz');
  // What a CLI run pays: a fresh process each time, so JIT warm-up and module loading are in the figure.
  const child = fileURLToPath(new URL('./isf-load-child.js', import.meta.url));
  const tables = [
    full && {
      label: 'full Windows kernel ISF (5.7 MB JSON in .json.xz)',
      args: [full, '_EPROCESS', 'ActiveProcessLinks', ...WINDOWS_SYMBOLS],
      modes: [
        ['system xz', {}],
        ['bundled xz decoder', { MEMDIG_NO_SYSTEM_XZ: '1' }],
      ] as const,
    },
    {
      label: 'built-in table (Windows 10 19041 x64: index + layout)',
      args: ['builtin:19041:x64', '_EPROCESS', 'ActiveProcessLinks', 'PsActiveProcessHead'],
      modes: [['', {}]] as const,
    },
    linux && {
      label: 'Linux dwarf2json ISF (Debian 6.1, 2.4 MB .json.xz)',
      args: [linux, 'task_struct', 'tasks', 'init_task', 'init_mm', 'linux_banner'],
      modes: [['system xz', {}]] as const,
    },
  ];
  for (const t of tables) {
    if (!t) continue;
    for (const [mode, env] of t.modes) {
      const runs: { open: number; firstStruct: number; symbols: number; load: number; cpu: number }[] = [];
      for (let i = 0; i < 5; i++) {
        const r = spawnSync(process.execPath, [child, ...t.args], {
          env: { ...process.env, ...env },
          encoding: 'utf8',
        });
        if (r.status === 0) runs.push(JSON.parse(r.stdout));
        else console.log(`symbols: ${t.label}: child failed: ${r.stderr.trim().split('\n').pop()}`);
      }
      if (!runs.length) continue;
      runs.sort((a, b) => a.load - b.load);
      const med = runs[runs.length >> 1]!;
      console.log(
        `symbols: ${t.label}, fresh process${mode ? `, ${mode}` : ''}: load ${med.load.toFixed(1)} ms median (best ` +
          `${runs[0]!.load.toFixed(1)}) = open ${med.open.toFixed(1)} + first struct ${med.firstStruct.toFixed(1)} + ` +
          `${t.args.length - 3} symbols ${med.symbols.toFixed(1)}; node CPU ${med.cpu.toFixed(1)} ms (xz child not included)`,
      );
    }
  }
  if (full) {
    for (let i = 0; i < 3; i++) {
      const m = mark();
      const p = new Profile(readIsfFile(full), { source: full });
      p.struct('_EPROCESS').offsetOf('ActiveProcessLinks');
      p.symbol('PsActiveProcessHead');
      console.log(`symbols: full kernel ISF load in the same process #${i + 1}: ${since(m)}`);
    }
  } else console.log('symbols: full kernel ISF load: skipped (no shared corpus)');

  let m = mark();
  const idx = builtinIndex();
  const k = idx.kernels.find((x) => x.build === 19041 && x.arch === 'x64') ?? idx.kernels[0]!;
  const p = new Profile(builtinIsf(k), { source: k.layout });
  const eproc = p.struct('_EPROCESS');
  eproc.offsetOf('ActiveProcessLinks');
  console.log(`symbols: built-in table load (index + layout, cold): ${since(m)}`);
  m = mark();
  const k2 = idx.kernels.find((x) => x.build === 22621 && x.arch === 'x64') ?? idx.kernels[1]!;
  new Profile(builtinIsf(k2), { source: k2.layout }).struct('_EPROCESS');
  console.log(`symbols: built-in table load (another layout, index cached): ${since(m)}`);
  let t0 = 0;

  // Typed reads: decode members from a buffer holding many EPROCESS copies.
  const n = 1024;
  const size = eproc.size;
  const buf = new Uint8Array(n * size);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 131) & 0xff;
  const pid = eproc.accessor('UniqueProcessId');
  const flink = eproc.accessor('ActiveProcessLinks.Flink');
  const exiting = eproc.tryAccessor('ProcessExiting') ?? pid;
  const reads = 10_000_000;
  let sum = 0;
  t0 = performance.now();
  for (let i = 0; i < reads / 3; i++) {
    const off = (i & (n - 1)) * size;
    sum += pid.get(buf, off) + flink.get(buf, off) + exiting.get(buf, off);
  }
  const dt = (performance.now() - t0) / 1000;
  console.log(`symbols: compiled accessor reads from a buffer: ${(reads / dt / 1e6).toFixed(1)} M reads/s`);

  const mem = bytesReadable(buf, 0xffff800000000000 % 2 ** 48);
  const base = 0xffff800000000000 % 2 ** 48;
  const reads2 = 2_000_000;
  t0 = performance.now();
  for (let i = 0; i < reads2; i++) sum += pid.read(mem, base + (i & (n - 1)) * size);
  const dt2 = (performance.now() - t0) / 1000;
  console.log(`symbols: accessor reads through a Readable: ${(reads2 / dt2 / 1e6).toFixed(1)} M reads/s`);

  const views = 100_000;
  t0 = performance.now();
  for (let i = 0; i < views; i++)
    sum += p.view('_EPROCESS', mem, base + (i & (n - 1)) * size).num('UniqueProcessId');
  const dt3 = (performance.now() - t0) / 1000;
  console.log(
    `symbols: struct views (read + one member by name): ${(views / dt3 / 1e3).toFixed(0)} k views/s`,
  );
  if (sum === 0.5) console.log('');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bench();
