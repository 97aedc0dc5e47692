/**
 * Windows analysis on the forge `large` preset (3 GiB, ~120 processes, ~20 000 VADs, ~5 000 files): identify,
 * process list + pool scan + every VAD tree, handles, the file-object pool scan (GB/s), and `extract --all`.
 * The image is built once into the temp dir and reused; the analysis runs in a child process so its peak RSS is
 * its own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectFileObjects } from '../cli/windows-extract.js';
import { OutputNames } from '../extract/safe-name.js';
import { forgeImage, presetScenario } from '../forge/index.js';
import { openPhysical } from '../sources/index.js';
import { extractFileObject } from '../windows/extract-files.js';
import { scanFileObjects } from '../windows/file-object.js';
import { HandleReader } from '../windows/handles.js';
import { identifyWindows } from '../windows/identify.js';
import { readCommandLine } from '../windows/peb.js';
import { listProcesses, mergeProcesses, scanProcesses } from '../windows/processes.js';
import { VadReader } from '../windows/vads.js';

const CHILD = '--memdig-windows-bench';

function timed<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const r = fn();
  return [r, performance.now() - t0];
}

/** The measurements, in the child process. */
function measure(path: string): void {
  const mem = openPhysical(path);
  const size = mem.ranges.reduce((a, r) => a + (r.end - r.start), 0);
  const gbps = (ms: number) => `${(size / 1e9 / (ms / 1000)).toFixed(2)} GB/s`;
  try {
    const [ctx, tId] = timed(() => identifyWindows(mem));
    console.log(
      `windows identify (info): ${tId.toFixed(0)} ms (${ctx.findings.find((f) => f.key === 'os')?.value})`,
    );
    const [list, tList] = timed(() => listProcesses(ctx));
    const [scan, tScan] = timed(() => scanProcesses(ctx));
    const procs = mergeProcesses(list, scan);
    const vr = new VadReader(ctx);
    const [vads, tVads] = timed(() => list.reduce((a, p) => a + vr.walk(p).length, 0));
    const [cmd, tCmd] = timed(() => procs.filter((p) => readCommandLine(ctx, p) !== null).length);
    console.log(
      `windows ps: list ${list.length} processes ${tList.toFixed(0)} ms, pool scan ${scan.length} hits ${tScan.toFixed(0)} ms (${gbps(tScan)}), command lines ${cmd} in ${tCmd.toFixed(0)} ms`,
    );
    console.log(
      `windows vads: ${vads} VADs of ${list.length} processes in ${tVads.toFixed(0)} ms (${Math.round(vads / (tVads / 1000))} VADs/s)`,
    );
    const hr = new HandleReader(ctx);
    const [handles, tH] = timed(() =>
      procs.reduce((a, p) => a + (p.foundBy === 'stale' ? 0 : hr.handles(p).length), 0),
    );
    console.log(`windows handles: ${handles} handles in ${tH.toFixed(0)} ms`);
    const [files, tFiles] = timed(() => scanFileObjects(ctx));
    console.log(
      `windows files (pool scan): ${files.length} file objects in ${tFiles.toFixed(0)} ms, ${gbps(tFiles)}`,
    );
    const out = mkdtempSync(join(tmpdir(), 'memdig-bench-extract-'));
    try {
      const [n, tEx] = timed(() => {
        const names = new OutputNames(out);
        const sel = selectFileObjects(ctx, { output: out, all: true });
        let written = 0;
        for (const fo of sel) written += extractFileObject(ctx, fo, names).length;
        return [sel.length, written] as const;
      });
      console.log(`windows extract --all: ${n[0]} files → ${n[1]} outputs in ${(tEx / 1000).toFixed(1)} s`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    console.log(`windows warnings: ${ctx.warnings.count}`);
  } finally {
    mem.close();
  }
  console.log(`windows peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

export async function bench(): Promise<void> {
  const dir = join(tmpdir(), 'memdig-bench-windows');
  const path = join(dir, 'large.raw');
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    const [, t] = timed(() => forgeImage(presetScenario('large'), path));
    console.log(`windows: built the large preset in ${(t / 1000).toFixed(1)} s (${path}, reused next time)`);
  }
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), CHILD, path], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(r.stdout);
  if (r.status !== 0) console.log(`windows: analysis failed (exit ${r.status})`);
}

if (process.argv[2] === CHILD && process.argv[3]) measure(process.argv[3]);
