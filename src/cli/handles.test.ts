import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { forgeImage, presetScenario } from '../forge/index.js';

const main = join(dirname(fileURLToPath(import.meta.url)), 'main.js');

test('cli: handles --pid --type File, ps command lines and vaddump on a forge image', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memdig-cli-handles-'));
  const img = join(dir, 'w7.raw');
  const m = forgeImage(presetScenario('win7-eventlog'), img, { writeManifest: false });
  const mp = m.processes.find((p) => p.handles.some((h) => h.type === 'File'))!;
  const run = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
  const h = run('handles', img, '--pid', String(mp.pid), '--type', 'file', '--json');
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
  const ps = run('ps', img, '--json');
  assert.equal(ps.status, 0, ps.stderr);
  const row = ps.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .find((r) => r.pid === mp.pid);
  assert.equal(row.command_line, mp.commandLine);
  const out = join(dir, 'vads');
  const v = run('vaddump', img, '-o', out, '--pid', String(mp.pid), '--base', mp.vads[0]!.start);
  assert.equal(v.status, 0, v.stderr);
  const files = readdirSync(out).sort();
  assert.equal(files.length, 2);
  const side = JSON.parse(readFileSync(join(out, files[1]!), 'utf8'));
  assert.equal(side.pid, mp.pid);
  assert.equal(side.pageStates.length, mp.vads[0]!.ptes.length);
});
