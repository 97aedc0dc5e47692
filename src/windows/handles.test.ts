import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { forgeImage, type Manifest, presetScenario } from '../forge/index.js';
import { openPhysical } from '../sources/index.js';
import { HandleReader } from './handles.js';
import { identifyWindows } from './identify.js';
import { readCommandLine } from './peb.js';
import { listProcesses, mergeProcesses, scanProcesses } from './processes.js';

const num = (h: string | null | undefined) =>
  h ? Number.parseInt(h.replace(/^0xffff(?=[0-9a-f]{12}$)/i, '0x'), 16) : 0;

for (const preset of ['xp-eventlog', 'xp-pae-eventlog', 'win7-eventlog', 'win10-eventlog']) {
  test(`handles and command lines: ${preset} — every process matches the manifest`, () => {
    const dir = mkdtempSync(join(tmpdir(), `memdig-handles-${preset}-`));
    const path = join(dir, 'image.raw');
    const m = forgeImage(presetScenario(preset), path, { writeManifest: false }) as Manifest;
    const mem = openPhysical(path);
    try {
      const ctx = identifyWindows(mem);
      const reader = new HandleReader(ctx);
      let total = 0;
      for (const p of listProcesses(ctx)) {
        const mp = m.processes.find((x) => x.pid === p.pid)!;
        const got = reader.handles(p);
        assert.equal(got.length, mp.handles.length, `${preset}: pid ${p.pid} handle count`);
        for (const [i, want] of mp.handles.entries()) {
          const h = got[i]!;
          const what = `${preset}: pid ${p.pid} handle 0x${want.handle.toString(16)}`;
          assert.equal(h.handle, want.handle, what);
          assert.equal(h.type, want.type, `${what} type`);
          assert.equal(h.grantedAccess, want.grantedAccess, `${what} access`);
          assert.equal(h.object, num(want.object), `${what} object`);
          assert.equal(h.header, num(want.objectHeader), `${what} header`);
          // Keys: the builder stores only the leaf name control block, so the path is the tail of the real one.
          if (want.type === 'Key') assert.ok(h.name && want.name.endsWith(`\\${h.name}`), `${what} name`);
          else assert.equal(h.name, want.name, `${what} name`);
          total++;
        }
      }
      assert.equal(total, m.stats.handles);
      // Command lines: from the PEB through each process's own page tables (exited ones too, while resident).
      for (const p of mergeProcesses(listProcesses(ctx), scanProcesses(ctx))) {
        if (p.foundBy === 'stale') continue;
        const mp = m.processes.find((x) => x.pid === p.pid && x.imageFileName === p.name)!;
        assert.equal(readCommandLine(ctx, p), mp.commandLine, `${preset}: pid ${p.pid} command line`);
      }
      assert.deepEqual(ctx.warnings.items, []);
    } finally {
      mem.close();
    }
  });
}

for (const preset of ['xp-eventlog', 'win10-eventlog']) {
  test(`handles: ${preset} with a two-level handle table (more handles than one table page holds)`, () => {
    const sc = presetScenario(preset);
    const proc = sc.processes.find((p) => p.handles?.files?.length)!;
    const path0 = proc.handles!.files![0]!;
    // 600 handles: more than a leaf page holds on x86 (512) and x64 (256), so TableCode gets level 1.
    proc.handles = { ...proc.handles, files: Array.from({ length: 600 }, () => path0) };
    const path = join(mkdtempSync(join(tmpdir(), `memdig-handles2-${preset}-`)), 'image.raw');
    const m = forgeImage(sc, path, { writeManifest: false }) as Manifest;
    const mem = openPhysical(path);
    try {
      const ctx = identifyWindows(mem);
      const p = listProcesses(ctx).find((x) => x.pid === proc.pid)!;
      const want = m.processes.find((x) => x.pid === proc.pid)!.handles;
      const got = new HandleReader(ctx).handles(p);
      assert.deepEqual(
        got.map((h) => [h.handle, h.type, h.object, h.grantedAccess]),
        want.map((h) => [h.handle, h.type, num(h.object), h.grantedAccess]),
      );
      assert.ok(got.length > 600);
      assert.deepEqual(ctx.warnings.items, []);
    } finally {
      mem.close();
    }
  });
}
