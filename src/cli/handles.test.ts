import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { forgeImage, presetScenario } from '../forge/index.js';
import { runCli } from '../testing/cli.js';

test('cli: handles --pid --type File, ps command lines and vaddump on a forge image', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'memdig-cli-handles-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const img = join(dir, 'w7.raw');
  const m = forgeImage(presetScenario('win7-eventlog'), img, { writeManifest: false });
  const mp = m.processes.find((p) => p.handles.some((h) => h.type === 'File'))!;
  const out = join(dir, 'vads');
  // Three independent commands on one image: side by side.
  const [h, ps, v] = await Promise.all([
    runCli(['handles', img, '--pid', String(mp.pid), '--type', 'file', '--json']),
    runCli(['ps', img, '--json']),
    runCli(['vaddump', img, '-o', out, '--pid', String(mp.pid), '--base', mp.vads[0]!.start]),
  ]);
  assert.equal(h.status, 0, h.stderr);
  const rows = h.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    rows.map((r) => [r.pid, r.handle, r.type, r.name]),
    mp.handles
      .filter((x) => x.type === 'File')
      .map((x) => [mp.pid, `0x${x.handle.toString(16)}`, 'File', x.name]),
  );
  assert.equal(ps.status, 0, ps.stderr);
  const row = ps.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .find((r) => r.pid === mp.pid);
  assert.equal(row.command_line, mp.commandLine);
  assert.equal(v.status, 0, v.stderr);
  const files = readdirSync(out).sort();
  assert.equal(files.length, 2);
  const side = JSON.parse(readFileSync(join(out, files[1]!), 'utf8'));
  assert.equal(side.pid, mp.pid);
  assert.equal(side.pageStates.length, mp.vads[0]!.ptes.length);
});
