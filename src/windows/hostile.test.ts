/**
 * Hostile structures: a forge image with bytes overwritten at physical addresses taken from its manifest (loops,
 * pointers into nowhere, absurd sizes). Every analysis must end in bounded time with warnings and partial results.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { OutputNames } from '../extract/safe-name.js';
import { forgeImage, type Manifest, presetScenario } from '../forge/index.js';
import { openPhysical } from '../sources/index.js';
import type { WinContext } from './context.js';
import { extractFileObject } from './extract-files.js';
import { FileObjectReader, scanFileObjects } from './file-object.js';
import { HandleReader } from './handles.js';
import { identifyWindows } from './identify.js';
import { readCommandLine } from './peb.js';
import { listProcesses, mergeProcesses, scanProcesses } from './processes.js';
import { VadReader } from './vads.js';

const num = (h: string | null | undefined) =>
  h ? Number.parseInt(h.replace(/^0xffff(?=[0-9a-f]{12}$)/i, '0x'), 16) : 0;
/** An address inside kernel space that no page table maps in the forge images. */
const NOWHERE64 = 0xf6fb7dbed000;
const NOWHERE32 = 0xfdbed000;

interface Patch {
  /** Kernel virtual address to overwrite (translated through the pristine image). */
  va: number;
  bytes: Uint8Array;
}

const ptrBytes = (v: number, size: number) => {
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, v % 2 ** 32, true);
  if (size === 8) {
    const hi = Math.floor(v / 2 ** 32);
    // Kernel addresses: put the sign-extension bits back.
    dv.setUint32(4, hi >= 0x8000 ? (hi | 0xffff0000) >>> 0 : hi, true);
  }
  return b;
};

/** Runs every Windows analysis once; returns how many items each produced. */
function analyseAll(ctx: WinContext, outDir: string): Record<string, number> {
  const n: Record<string, number> = {
    processes: 0,
    vads: 0,
    handles: 0,
    cmdlines: 0,
    files: 0,
    extracted: 0,
  };
  const procs = mergeProcesses(listProcesses(ctx), scanProcesses(ctx));
  n.processes = procs.length;
  const vads = new VadReader(ctx);
  const handles = new HandleReader(ctx);
  for (const p of procs) {
    if (p.foundBy === 'stale') continue;
    if (p.eprocess >= 0) n.vads! += vads.walk(p).length;
    n.handles! += handles.handles(p).length;
    if (readCommandLine(ctx, p) !== null) n.cmdlines!++;
  }
  mkdirSync(outDir, { recursive: true });
  const names = new OutputNames(outDir);
  for (const fo of scanFileObjects(ctx, new FileObjectReader(ctx))) {
    n.files!++;
    n.extracted! += extractFileObject(ctx, fo, names).length;
  }
  return n;
}

for (const preset of ['win10-eventlog', 'xp-eventlog']) {
  const dir = mkdtempSync(join(tmpdir(), `memdig-hostile-${preset}-`));
  const path = join(dir, 'image.raw');
  const m = forgeImage(presetScenario(preset), path, { writeManifest: false }) as Manifest;
  const pristine = openPhysical(path);
  const ctx0 = identifyWindows(pristine);
  const p = ctx0.profile;
  const ps = p.pointerSize;
  const NOWHERE = ps === 8 ? NOWHERE64 : NOWHERE32;
  const baseline = analyseAll(ctx0, join(dir, 'out0'));
  pristine.close();
  const mem0 = openPhysical(path);
  const ctxT = identifyWindows(mem0); // translations of the pristine image
  const pa = (va: number) => {
    const a = ctxT.kernel.translate(va);
    assert.ok(a >= 0, `0x${va.toString(16)} is mapped in the pristine image`);
    return a;
  };

  /** Applies the patches, analyses, restores the bytes. */
  const hostile = (what: string, patches: () => Patch[], expect: (n: Record<string, number>) => void) =>
    test(`hostile ${preset}: ${what} → warnings, partial results, bounded time`, () => {
      const fd = openSync(path, 'r+');
      const saved: [number, Uint8Array][] = [];
      try {
        for (const pt of patches()) {
          const at = pa(pt.va);
          const old = new Uint8Array(pt.bytes.length);
          readSync(fd, old, 0, old.length, at);
          saved.push([at, old]);
          writeSync(fd, pt.bytes, 0, pt.bytes.length, at);
        }
        const t0 = performance.now();
        const mem = openPhysical(path);
        try {
          const ctx = identifyWindows(mem);
          const n = analyseAll(ctx, join(dir, `out-${saved.length}-${Math.round(t0)}`));
          const ms = performance.now() - t0;
          assert.ok(ms < 5000, `${what}: ${ms.toFixed(0)} ms`);
          assert.ok(ctx.warnings.count > 0, `${what}: warned`);
          expect(n);
        } finally {
          mem.close();
        }
      } finally {
        for (const [at, old] of saved.reverse()) writeSync(fd, old, 0, old.length, at);
        closeSync(fd);
      }
    });

  const e = p.struct('_EPROCESS');
  const links = e.offsetOf('ActiveProcessLinks');
  const active = m.processes.filter((x) => x.active);
  const eva = (i: number) => num(active[i]!.eprocess);
  const big = m.processes.reduce((a, b) => (b.vads.length > a.vads.length ? b : a));
  const short = p.struct('_MMVAD_SHORT');
  const leftOff = short.has('VadNode.Left') ? short.offsetOf('VadNode.Left') : short.offsetOf('LeftChild');
  const rightOff = short.has('VadNode.Right')
    ? short.offsetOf('VadNode.Right')
    : short.offsetOf('RightChild');

  hostile(
    'VAD tree loops (every child pointer back to one node)',
    () =>
      big.vads.flatMap((v) => [
        { va: num(v.address) + leftOff, bytes: ptrBytes(num(big.vads[0]!.address), ps) },
        { va: num(v.address) + rightOff, bytes: ptrBytes(num(v.address), ps) },
      ]),
    (n) => {
      assert.ok(n.vads! > 0 && n.vads! < baseline.vads!);
      assert.equal(n.handles, baseline.handles);
    },
  );

  hostile(
    'process list loops back to an earlier process',
    () => [{ va: eva(3) + links, bytes: ptrBytes(eva(1) + links, ps) }],
    (n) => {
      // The pool scan still finds every process.
      assert.equal(n.processes, baseline.processes);
    },
  );

  hostile(
    'pointers into nowhere (list link, object table, VAD root)',
    () => [
      { va: eva(4) + links, bytes: ptrBytes(NOWHERE, ps) },
      { va: eva(2) + e.offsetOf('ObjectTable'), bytes: ptrBytes(NOWHERE, ps) },
      {
        va: num(big.eprocess) + e.offsetOf(e.has('VadRoot.Root') ? 'VadRoot.Root' : 'VadRoot'),
        bytes: ptrBytes(NOWHERE, ps),
      },
    ],
    (n) => {
      assert.ok(n.processes! > 0);
      // Processes past the broken link come from the pool scan (their stale copies can no longer be told apart).
      assert.ok(n.vads! > 0 && n.vads! < baseline.vads!);
      assert.ok(n.handles! > 0);
    },
  );

  const ss = p.struct('_SUBSECTION');
  const sectioned = m.files.filter((f) => f.subsections.length > 0);
  hostile(
    'subsection chains loop, absurd PtesInSubsection',
    () =>
      sectioned.flatMap((f, i) => {
        const s0 = num(f.subsections[0]!.address);
        return i % 2 === 0
          ? [{ va: s0 + ss.offsetOf('NextSubsection'), bytes: ptrBytes(s0, ps) }]
          : [{ va: s0 + ss.offsetOf('PtesInSubsection'), bytes: new Uint8Array([0xff, 0xff, 0xff, 0x0f]) }];
      }),
    (n) => {
      assert.equal(n.files, baseline.files);
      assert.ok(n.extracted! > 0);
    },
  );

  const seg = p.struct('_SEGMENT');
  const ca = p.struct('_CONTROL_AREA');
  const scm = p.struct('_SHARED_CACHE_MAP');
  hostile(
    'absurd sizes (SizeOfSegment, SectionSize, FileSize)',
    () => {
      const out: Patch[] = [];
      const huge = new Uint8Array([0, 0xf0, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
      for (const f of m.files) {
        if (f.dataSectionObject) {
          const segment = ctxT.profile.readPointer(
            ctxT.kernel,
            num(f.dataSectionObject) + ca.offsetOf('Segment'),
          );
          out.push({ va: segment + seg.offsetOf('SizeOfSegment'), bytes: huge });
        }
        if (f.sharedCacheMap) {
          out.push({ va: num(f.sharedCacheMap) + scm.offsetOf('SectionSize'), bytes: huge });
          out.push({ va: num(f.sharedCacheMap) + scm.offsetOf('FileSize'), bytes: huge });
        }
      }
      return out;
    },
    (n) => {
      assert.equal(n.files, baseline.files);
    },
  );

  const ht = p.struct('_HANDLE_TABLE');
  const withTable = m.processes.filter((x) => x.objectTable);
  hostile(
    'handle tables with 4 levels, or 3 levels over garbage',
    () =>
      withTable.map((x, i) => {
        const t = num(x.objectTable);
        const code = ctxT.profile.readPointer(ctxT.kernel, t + ht.offsetOf('TableCode'));
        // i even: level bits 3 (impossible); odd: level 2 over the leaf page (entries read as directory pointers).
        return { va: t + ht.offsetOf('TableCode'), bytes: ptrBytes(code - (code % 4) + (i % 2 ? 2 : 3), ps) };
      }),
    (n) => {
      assert.ok(n.handles! < baseline.handles!);
      assert.equal(n.processes, baseline.processes);
    },
  );

  test(`hostile ${preset}: close`, () => mem0.close());
}
