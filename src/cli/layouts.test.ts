import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const main = join(dirname(fileURLToPath(import.meta.url)), 'main.js');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [main, 'layouts', ...args], { encoding: 'utf8' });

test('cli layouts list: every built-in kernel, JSON Lines', () => {
  const r = run('list', '--json');
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(rows.length >= 230);
  assert.ok(rows.some((x) => x.version === '5.1.2600.2180' && x.arch === 'x86'));
  assert.ok(rows.some((x) => String(x.version).startsWith('10.0.22000.') && x.arch === 'x64'));
});

test('cli layouts show: offsets of the nearest build, with the warning on stderr', () => {
  const r = run('show', '_EPROCESS', '--build', '19041', '--arch', 'x64', '--csv');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /nearest known build to 19041/);
  assert.match(r.stdout, /^offset,member,type,size\n/);
  assert.match(r.stdout, /\n0x440,UniqueProcessId,\*void,8\n/);
  const bad = run('show', '_NOPE', '--build', '19041');
  assert.equal(bad.status, 3);
  assert.match(bad.stderr, /has no type _NOPE/);
});
