import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { forgeImage, type Manifest, presetScenario } from '../forge/index.js';
import { openPhysical } from '../sources/index.js';
import { identifyWindows } from '../windows/identify.js';
import { processFileObjects } from '../windows/process-files.js';
import { listProcesses } from '../windows/processes.js';
import { selectFileObjects } from './windows-extract.js';

test('extract --pid takes the files a process holds open through handles, not only its mapped views', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'memdig-wx-')), 'image.raw');
  const m = forgeImage(presetScenario('win10-eventlog'), path, { writeManifest: false }) as Manifest;
  const mem = openPhysical(path);
  try {
    const ctx = identifyWindows(mem);
    // The Event Log service: the process holding File handles to .evtx logs.
    const mp = m.processes.find((p) => p.handles.some((h) => h.type === 'File' && h.name.endsWith('.evtx')))!;
    const proc = listProcesses(ctx).find((p) => p.pid === mp.pid)!;
    const names = new Set(processFileObjects(ctx, proc).map((f) => `\\Device\\HarddiskVolume1${f.name}`));
    for (const h of mp.handles)
      if (h.type === 'File') assert.ok(names.has(h.name), `${h.name} among the files`);
    for (const v of mp.vads)
      if (v.file) assert.ok(names.has(`\\Device\\HarddiskVolume1${v.file}`), `${v.file} among the files`);
    const picked = new Set(selectFileObjects(ctx, { output: '', pid: mp.pid }).map((f) => f.name));
    // A log opened only through a handle (no view mapped) is still selected.
    const handleOnly = mp.handles.filter(
      (h) => h.type === 'File' && !mp.vads.some((v) => v.file && h.name.endsWith(v.file)),
    );
    assert.ok(handleOnly.length > 0);
    for (const h of handleOnly)
      assert.ok(picked.has(h.name.replace('\\Device\\HarddiskVolume1', '')), `${h.name} selected`);
  } finally {
    mem.close();
  }
});
