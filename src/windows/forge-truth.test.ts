import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FilePageMap, isResident } from '../extract/recovered-file.js';
import { type ContainerFormat, forgeImage, type Manifest, presetScenario } from '../forge/index.js';
import { openPhysical } from '../sources/index.js';
import { readCachePages } from './cache-pages.js';
import { FileObjectReader, scanFileObjects } from './file-object.js';
import { identifyWindows } from './identify.js';
import { listProcesses, mergeProcesses, scanProcesses } from './processes.js';
import { readSectionPages } from './section-pages.js';
import { VadReader } from './vads.js';

// The manifest is JSON; the test reads it as such.
// biome-ignore lint/suspicious/noExplicitAny: untyped JSON from the builder
type Json = any;
type M = Manifest & Record<string, Json>;
const num = (h: string | null | undefined) =>
  h ? Number.parseInt(h.replace(/^0xffff(?=[0-9a-f]{12}$)/i, '0x'), 16) : 0;

function build(preset: string, format: ContainerFormat = 'raw'): { path: string; manifest: M } {
  const dir = mkdtempSync(join(tmpdir(), `memdig-truth-${preset}-`));
  const path = join(dir, `image.${format}`);
  const manifest = forgeImage(presetScenario(preset), path, { format, writeManifest: false }) as M;
  return { path, manifest };
}

function check(preset: string, format: ContainerFormat = 'raw'): void {
  const { path, manifest: m } = build(preset, format);
  const mem = openPhysical(path);
  try {
    const ctx = identifyWindows(mem);
    assert.equal(ctx.kernelBase, num(m.kernel.base), 'kernel base');
    // Processes: active ones by list and scan, exited ones by scan only; extra scan hits must be stale copies.
    const procs = mergeProcesses(listProcesses(ctx), scanProcesses(ctx));
    for (const mp of m.processes) {
      const got = procs.find((p) => p.pid === mp.pid && p.name === mp.imageFileName && p.foundBy !== 'stale');
      assert.ok(got, `${preset}: process ${mp.pid} ${mp.name} found`);
      assert.equal(got.foundBy, mp.active ? 'both' : 'scan', `${preset}: pid ${mp.pid} found by`);
      assert.equal(got.ppid, mp.ppid);
      assert.equal(got.createTime, mp.createTime);
      assert.equal(got.exitTime, mp.exitTime);
      assert.equal(got.dtb, num(mp.dtb));
    }
    const extra = procs.filter(
      (p) => !m.processes.some((mp: Json) => mp.pid === p.pid && mp.imageFileName === p.name),
    );
    assert.deepEqual(extra, [], `${preset}: no process invented`);
    // VADs of every listed process.
    const vr = new VadReader(ctx);
    for (const p of listProcesses(ctx)) {
      const mp = m.processes.find((x: Json) => x.pid === p.pid)!;
      const got = vr.walk(p).map((v) => [v.start, v.end, v.kind, v.tag, v.fileName]);
      const want = mp.vads.map((v: Json) => [num(v.start), num(v.end), v.kind, v.tag, v.file]);
      assert.deepEqual(got, want, `${preset}: VADs of pid ${p.pid}`);
    }
    // File objects by pool scan.
    const scanned = new Set(scanFileObjects(ctx).map((f) => f.name));
    for (const f of m.files)
      if (f.fileObject) assert.ok(scanned.has(f.path), `${preset}: filescan finds ${f.path}`);
    // Every resident page recovered byte-exact; nothing claimed that the manifest says is absent.
    const reader = new FileObjectReader(ctx);
    let resident = 0;
    for (const f of m.files) {
      if (!f.fileObject) continue;
      const fo = reader.read(num(f.fileObject));
      assert.ok(fo, `${preset}: file object of ${f.path}`);
      const data = new FilePageMap();
      const image = new FilePageMap();
      if (fo.sharedCacheMap) readCachePages(ctx, fo.sharedCacheMap, data);
      if (fo.dataSectionObject) readSectionPages(ctx, fo.dataSectionObject, 'data-section', data);
      if (fo.imageSectionObject) readSectionPages(ctx, fo.imageSectionObject, 'image-section', image);
      const page = new Uint8Array(4096);
      for (const pg of f.pages) {
        for (const [key, map] of [
          ['data', data],
          ['cache', data],
          ['image', image],
        ] as const) {
          const st = pg[key];
          if (st === undefined) continue;
          const o = map.get(pg.offset / 4096);
          if (st === 'resident' || st === 'transition') {
            assert.ok(
              o && isResident(o),
              `${preset}: ${f.path} +0x${pg.offset.toString(16)} (${key}) recovered`,
            );
            mem.read(o.phys, page, 0, 4096);
            // The manifest hashes whole pages: the last one zero-padded, as it is in RAM.
            const h = createHash('sha256').update(page).digest('hex');
            assert.equal(h, pg.sha256, `${preset}: ${f.path} +0x${pg.offset.toString(16)} (${key}) bytes`);
            resident++;
          } else if (key !== 'cache' || !pg.data) {
            // Not resident in this source: it must not be claimed from this source.
            const claimed =
              o &&
              isResident(o) &&
              o.source ===
                (key === 'image' ? 'image-section' : key === 'data' ? 'data-section' : 'shared-cache-map');
            assert.ok(
              !claimed,
              `${preset}: ${f.path} +0x${pg.offset.toString(16)} (${key}) is ${st}, not resident`,
            );
          }
        }
      }
    }
    assert.ok(resident > 0);
  } finally {
    mem.close();
  }
}

for (const preset of [
  'xp-eventlog',
  'xp-pae-eventlog',
  'win7-eventlog',
  'win10-eventlog',
  'xp-edge',
  'win10-edge',
]) {
  test(`ground truth: ${preset} (raw) — processes, VADs, file objects, every resident page`, () =>
    check(preset));
}
for (const format of ['crash', 'lime', 'elf'] as const) {
  test(`ground truth: xp-eventlog as ${format} gives the same answers`, () => check('xp-eventlog', format));
}
test('ground truth: win10-eventlog as a 64-bit crash dump gives the same answers', () =>
  check('win10-eventlog', 'crash'));
