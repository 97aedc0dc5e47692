import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { forgeImage, type Manifest, presetScenario } from '../forge/index.js';
import { openPhysical } from '../sources/index.js';
import { identifyWindows } from '../windows/identify.js';
import { listProcesses } from '../windows/processes.js';
import { VadPageResolver } from '../windows/vad-pages.js';
import { VadReader } from '../windows/vads.js';
import { dumpVad } from './vaddump-action.js';

for (const preset of ['xp-eventlog', 'win10-eventlog', 'xp-edge', 'win10-edge']) {
  test(`vaddump: ${preset} — every VAD's page states agree with the manifest, unread pages are zero`, () => {
    const dir = mkdtempSync(join(tmpdir(), `memdig-vaddump-${preset}-`));
    const path = join(dir, 'image.raw');
    const m = forgeImage(presetScenario(preset), path, { writeManifest: false }) as Manifest;
    const mem = openPhysical(path);
    try {
      const ctx = identifyWindows(mem);
      const vads = new VadReader(ctx);
      let read = 0;
      for (const p of listProcesses(ctx)) {
        const mp = m.processes.find((x) => x.pid === p.pid)!;
        const resolver = new VadPageResolver(ctx, ctx.processSpace(p.dtb));
        for (const [i, v] of vads.walk(p).entries()) {
          const out = join(dir, `${p.pid}.${i}.dmp`);
          const r = dumpVad(ctx, resolver, p.pid, v, out);
          const want = mp.vads[i]!.ptes;
          assert.equal(r.states.length, want.length);
          for (let k = 0; k < want.length; k++) {
            const w = want[k]!;
            const g = r.states[k]!;
            const what = `${preset}: pid ${p.pid} VAD ${i} page ${k}: manifest ${w}, got ${g}`;
            if (w === 'P') assert.ok('PS'.includes(g), what);
            else if (w === 'S')
              assert.ok('V'.includes(g), what); // pages the builder filled with structures
            else assert.equal(g, w, what);
          }
          const bytes = readFileSync(out);
          assert.equal(bytes.length, r.pages * 4096);
          const side = JSON.parse(readFileSync(`${out}.json`, 'utf8'));
          assert.equal(side.pageStates, r.states);
          for (let k = 0; k < r.pages; k++) {
            if ('VTP'.includes(r.states[k]!)) read++;
            else
              assert.ok(
                bytes.subarray(k * 4096, (k + 1) * 4096).every((b) => b === 0),
                'unread page is zero',
              );
          }
        }
      }
      assert.ok(read > 0);
    } finally {
      mem.close();
    }
  });
}
