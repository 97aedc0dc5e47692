import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Output } from './options.js';
import { progress } from './progress.js';
import type { Artefact } from './render.js';

const processes: Artefact = {
  name: 'processes',
  columns: [
    { key: 'pid', type: 'integer', indexed: true },
    { key: 'name' },
    { key: 'create_time', bodyfile: 'crtime' },
    { key: 'exit_time', bodyfile: 'mtime' },
  ],
  bodyName: (r) => `[process] ${r.name} pid ${r.pid}`,
};

test('sqlite: two dumps in one case database stay apart and join by dump_id', () => {
  const db = join(mkdtempSync(join(tmpdir(), 'memdig-case-')), 'case.db');
  const a = new Output({ sqlite: db }, { path: '/cases/a.raw', format: 'raw', os: 'Windows XP' });
  a.write(processes, [
    { pid: 4, name: 'System', create_time: null, exit_time: null },
    { pid: 612, name: 'lsass.exe', create_time: '2008-01-01T10:00:00.000Z', exit_time: null },
  ]);
  a.close();
  const b = new Output({ sqlite: db }, { path: '/cases/b.raw', format: 'lime', os: 'Linux' });
  b.write(processes, [{ pid: 1, name: 'init', create_time: null, exit_time: null }]);
  b.close();
  // Re-running on dump a replaces its rows instead of duplicating them.
  const a2 = new Output({ sqlite: db }, { path: '/cases/a.raw' });
  a2.write(processes, [{ pid: 4, name: 'System' }]);
  a2.close();

  const d = new Database(db, { readonly: true });
  const rows = d
    .prepare(
      'SELECT d.name AS dump, d.os, p.pid, p.name FROM processes p JOIN dumps d USING (dump_id) ORDER BY d.name, p.pid',
    )
    .all();
  assert.deepEqual(rows, [
    { dump: 'a.raw', os: 'Windows XP', pid: 4, name: 'System' },
    { dump: 'b.raw', os: 'Linux', pid: 1, name: 'init' },
  ]);
  const idx = d
    .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'processes'")
    .all();
  assert.ok(idx.some((r) => (r as { name: string }).name === 'processes_pid'));
  d.close();
});

test('bodyfile: 11 mactime fields, times in Unix seconds, rows without times left out', () => {
  let s = '';
  const o = new Output({ bodyfile: true }, null, { write: (x) => (s += x) });
  o.write(processes, [
    { pid: 4, name: 'System' },
    {
      pid: 612,
      name: 'lsa|ss',
      create_time: '2008-01-01T10:00:00.000Z',
      exit_time: '2008-01-01T10:00:05.000Z',
    },
  ]);
  const lines = s.trim().split('\n');
  assert.equal(lines.length, 1);
  const f = lines[0]!.split('|');
  assert.equal(f.length, 11);
  assert.equal(f[1], '[process] lsa_ss pid 612');
  assert.equal(f[8], String(Date.UTC(2008, 0, 1, 10, 0, 5) / 1000));
  assert.equal(f[10], String(Date.UTC(2008, 0, 1, 10) / 1000));
});

/** Runs a short progress bar with stderr's TTY flag forced to `tty`; returns what it wrote. */
function drawProgress(tty: boolean): string {
  const orig = process.stderr.write.bind(process.stderr);
  const hadTty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
  let written = '';
  process.stderr.write = ((x: string) => {
    written += x;
    return true;
  }) as typeof process.stderr.write;
  Object.defineProperty(process.stderr, 'isTTY', { value: tty, configurable: true });
  try {
    const p = progress('scan', 100);
    p.update(50);
    p.stop();
  } finally {
    process.stderr.write = orig;
    if (hadTty) Object.defineProperty(process.stderr, 'isTTY', hadTty);
    else delete (process.stderr as { isTTY?: boolean }).isTTY;
  }
  return written;
}

test('progress: nothing is drawn when stderr is not a terminal (and something is when it is)', () => {
  assert.equal(drawProgress(false), '');
  // The same calls on a terminal do draw: the empty result above is the TTY check, not a bar that never draws.
  assert.notEqual(drawProgress(true), '');
});

test('output: choosing two formats is a usage error', () => {
  assert.throws(() => new Output({ json: true, csv: true }, null), /choose one output format/);
});
