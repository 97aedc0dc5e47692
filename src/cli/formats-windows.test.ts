import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { forgeImage, presetScenario } from '../forge/index.js';
import { checkFormats, runCli } from '../testing/cli.js';

// One small forged XP image (and a second one with another seed for the two-dumps-one-case check).
let dir = '';
let img = '';
let img2 = '';
let caseDb = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdig-formats-win-'));
  img = join(dir, 'xp.raw');
  img2 = join(dir, 'xp-seed2.raw');
  forgeImage(presetScenario('xp-eventlog', 1), img);
  forgeImage(presetScenario('xp-eventlog', 2), img2);
  caseDb = join(dir, 'case.db');
});
after(() => rmSync(dir, { recursive: true, force: true }));

// The commands are independent: run them side by side (each spawns several memdig processes).
describe('windows commands in every format', { concurrency: true }, () => {
  const PROCESS_KEYS = [
    'pid',
    'ppid',
    'name',
    'create_time',
    'exit_time',
    'found_by',
    'dtb',
    'eprocess',
    'physical',
    'command_line',
  ];

  test('ps: every format carries the same processes', async () => {
    const rows = await checkFormats({
      args: ['ps', img],
      dump: img,
      table: 'processes',
      keys: PROCESS_KEYS,
      indexed: ['pid', 'name', 'command_line'],
      bodyfileTimes: ['create_time', 'exit_time'],
      caseDb,
    });
    assert.ok(rows.some((r) => r.name === 'services.exe'));
    assert.ok(rows.every((r) => typeof r.pid === 'number'));
  });

  test('vads: every format carries the same VADs', async () => {
    const rows = await checkFormats({
      args: ['vads', img],
      dump: img,
      table: 'vads',
      keys: [
        'pid',
        'process',
        'start',
        'end',
        'kind',
        'tag',
        'protection',
        'commit_charge',
        'node',
        'control_area',
        'file_object',
        'file',
      ],
      indexed: ['pid', 'file'],
      caseDb,
    });
    assert.ok(rows.some((r) => typeof r.file === 'string' && /\.evt$/i.test(r.file)));
  });

  test('files: every format carries the same file objects', async () => {
    const rows = await checkFormats({
      args: ['files', img],
      dump: img,
      table: 'file_objects',
      keys: [
        'physical',
        'name',
        'device',
        'size',
        'delete_pending',
        'data_section',
        'image_section',
        'shared_cache_map',
      ],
      indexed: ['name'],
      caseDb,
    });
    assert.ok(rows.length > 0);
  });

  test('handles: every format carries the same handles', async () => {
    const rows = await checkFormats({
      args: ['handles', img],
      dump: img,
      table: 'handles',
      keys: ['pid', 'process', 'handle', 'type', 'granted_access', 'object', 'name'],
      indexed: ['pid', 'type', 'name'],
      caseDb,
    });
    assert.ok(rows.some((r) => r.type === 'File'));
  });

  test('vaddump: every format lists the same dumped ranges', async () => {
    const rows = await checkFormats({
      args: ['vaddump', img, '--pid', '368', '-o', 'out'],
      dump: img,
      table: 'vad_dumps',
      keys: ['pid', 'process', 'start', 'end', 'kind', 'pages', 'read_pages', 'file', 'output'],
      indexed: ['pid', 'file'],
      workDir: join(dir, 'vaddump'),
      caseDb,
    });
    assert.ok(rows.length > 0 && rows.every((r) => r.pid === 368));
  });

  test('extract: every format lists the same extracted files', async () => {
    const rows = await checkFormats({
      args: ['extract', img, '--name', '\\.evt$', '-o', 'out'],
      dump: img,
      table: 'extracted_files',
      keys: [
        'name',
        'view',
        'size',
        'pages',
        'resident_pages',
        'coverage',
        'sources',
        'file_object',
        'delete_pending',
        'sha256',
        'output',
      ],
      indexed: ['name'],
      workDir: join(dir, 'extract'),
      caseDb,
    });
    assert.ok(rows.length >= 3, 'the three XP event logs');
    assert.ok(rows.every((r) => typeof r.sha256 === 'string' && r.sha256.length === 64));
  });
});

test('case database: two dumps stay apart and join by dump_id', async () => {
  const db2 = join(dir, 'two.db');
  const [a, b] = await Promise.all([
    runCli(['ps', img, '--sqlite', db2]),
    runCli(['ps', img2, '--sqlite', db2]),
  ]);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  // A re-run replaces that dump's rows instead of doubling them.
  assert.equal((await runCli(['ps', img, '--sqlite', db2])).status, 0);
  const one = (await runCli(['ps', img, '--json'])).stdout.trim().split('\n').length;
  const two = (await runCli(['ps', img2, '--json'])).stdout.trim().split('\n').length;
  const db = new Database(db2, { readonly: true });
  try {
    const dumps = db.prepare('SELECT dump_id, name, format, os FROM dumps ORDER BY name').all() as {
      dump_id: number;
      name: string;
      format: string;
      os: string;
    }[];
    assert.deepEqual(
      dumps.map((d) => d.name),
      ['xp-seed2.raw', 'xp.raw'],
    );
    assert.ok(dumps.every((d) => d.format === 'raw' && /Windows|XP/.test(d.os)));
    const counts = db
      .prepare(
        'SELECT d.name, count(*) AS n FROM processes p JOIN dumps d USING (dump_id) GROUP BY d.name ORDER BY d.name',
      )
      .all() as { name: string; n: number }[];
    assert.deepEqual(counts, [
      { name: 'xp-seed2.raw', n: two },
      { name: 'xp.raw', n: one },
    ]);
    // Analysts compare dumps of one case: the same process name in both, told apart by dump_id.
    const both = db
      .prepare(
        'SELECT count(*) AS n FROM processes a JOIN processes b ON a.name = b.name AND a.dump_id < b.dump_id',
      )
      .get() as { n: number };
    assert.ok(both.n > 0);
  } finally {
    db.close();
  }
});
