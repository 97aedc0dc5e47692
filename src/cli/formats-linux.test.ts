import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { checkFormats } from '../testing/cli.js';
import { sharedDecompressed, skipWithoutShared } from '../testing/shared.js';

const skip = skipWithoutShared('linux-dumps', 'dump.elf.xz');
const dump = skip ? '' : sharedDecompressed('linux-dumps', 'dump.elf.xz')!;
const dir = mkdtempSync(join(tmpdir(), 'memdig-formats-linux-'));
const caseDb = join(dir, 'case.db');
after(() => rmSync(dir, { recursive: true, force: true }));

// Warnings about damaged structures in the real dump are allowed (exit 1); the formats must still agree.
const okStatus = [0, 1];

describe('linux commands on the real dump in every format', { skip, concurrency: true }, () => {
  test('ps', async () => {
    const rows = await checkFormats({
      args: ['ps', dump],
      dump,
      table: 'linux_processes',
      keys: [
        'pid',
        'ppid',
        'tgid',
        'uid',
        'comm',
        'state',
        'kernel_thread',
        'start',
        'dtb',
        'task',
        'found_by',
        'exited',
        'physical',
      ],
      indexed: ['pid', 'comm'],
      bodyfileTimes: ['start'],
      okStatus,
      caseDb,
    });
    assert.ok(rows.some((r) => r.pid === 1 && r.found_by === 'both'));
    // Tasks reaped just before the dump, found only by the task_struct scan.
    assert.equal(rows.filter((r) => r.found_by === 'scan' && r.exited === true).length, 6);
  });

  test('maps', async () => {
    const rows = await checkFormats({
      args: ['maps', dump],
      dump,
      table: 'linux_memory_maps',
      keys: ['pid', 'comm', 'start', 'end', 'perms', 'offset', 'dev', 'inode', 'path', 'deleted'],
      indexed: ['pid', 'path'],
      okStatus,
      caseDb,
    });
    assert.ok(rows.length > 0);
  });

  test('files', async () => {
    const rows = await checkFormats({
      args: ['files', dump],
      dump,
      table: 'linux_cached_files',
      keys: ['fs', 'dev', 'inode', 'size', 'pages', 'nlink', 'deleted', 'path'],
      indexed: ['inode', 'path'],
      okStatus,
      caseDb,
    });
    assert.ok(rows.length > 0);
  });

  test('extract', async () => {
    const rows = await checkFormats({
      args: ['extract', dump, '--pid', '1', '-o', 'out'],
      dump,
      table: 'linux_extracted_files',
      keys: ['kind', 'pages', 'recovered', 'deleted', 'sha256', 'path', 'output'],
      indexed: ['path'],
      workDir: join(dir, 'extract'),
      okStatus,
      caseDb,
    });
    assert.ok(rows.length > 0);
  });
});
