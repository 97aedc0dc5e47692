import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../testing/cli.js';

const run = (...args: string[]) => runCli(['layouts', ...args]);

test('cli layouts list: every built-in kernel, JSON Lines', async () => {
  const r = await run('list', '--json');
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(rows.length >= 230);
  assert.ok(rows.some((x) => x.version === '5.1.2600.2180' && x.arch === 'x86'));
  assert.ok(rows.some((x) => String(x.version).startsWith('10.0.22000.') && x.arch === 'x64'));
});

test('cli layouts show: offsets of the nearest build, with the warning on stderr', async () => {
  const [r, bad] = await Promise.all([
    run('show', '_EPROCESS', '--build', '19041', '--arch', 'x64', '--csv'),
    run('show', '_NOPE', '--build', '19041'),
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /nearest known build to 19041/);
  assert.match(r.stdout, /^offset,member,type,size\n/);
  assert.match(r.stdout, /\n0x440,UniqueProcessId,\*void,8\n/);
  assert.equal(bad.status, 3);
  assert.match(bad.stderr, /has no type _NOPE/);
});
