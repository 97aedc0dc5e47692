import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { forgeImage, presetScenario } from './forge/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, 'index.js');
const readme = join(here, '..', 'README.md');

test('package entry exports the documented library API', async () => {
  const api = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  for (const name of [
    'openDump',
    'openPhysical',
    'detectOs',
    'identifyWindows',
    'listProcesses',
    'scanProcesses',
    'mergeProcesses',
    'VadReader',
    'scanFileObjects',
    'extractFileObject',
    'openLinuxKernel',
    'LinuxKernel',
    'listTasks',
    'listVmas',
    'listCachedFiles',
    'extractCachedFile',
    'readEvtFile',
    'parseEvt',
    'carveEvtRecords',
    'EvtRecordCarver',
    'parseEvtx',
    'parseEvtxFile',
    'carveEvtx',
    'EvtxCarver',
    'repairEvtx',
    'Output',
    'CaseDatabase',
    'MemdigError',
    'FormatError',
    'ExitCode',
    'Warnings',
  ])
    assert.equal(typeof api[name], name === 'ExitCode' ? 'object' : 'function', name);
});

test('README library example runs against a forge image', () => {
  const text = readFileSync(readme, 'utf8');
  const section = text.slice(text.indexOf('## Library API'));
  const m = /```js\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'README has a js example under "## Library API"');
  const dir = mkdtempSync(join(tmpdir(), 'memdig-library-'));
  try {
    forgeImage(presetScenario('xp-eventlog', 1), join(dir, 'xp.raw'));
    // The example as a user writes it, with 'memdig' resolved to this build's package entry.
    const code = m[1]!.replace(/from 'memdig'/, `from ${JSON.stringify(pathToFileURL(entry).href)}`);
    writeFileSync(join(dir, 'example.mjs'), code);
    const r = spawnSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const manifest = JSON.parse(readFileSync(join(dir, 'xp.raw.manifest.json'), 'utf8')) as {
      processes: { pid: number; name: string }[];
    };
    assert.ok(lines.length >= manifest.processes.length, r.stdout);
    assert.ok(
      lines.some((l) => /^\d+ services\.exe 2008-/.test(l) && !/ 0$/.test(l)),
      r.stdout,
    );
    const db = new Database(join(dir, 'case.db'), { readonly: true });
    try {
      const n = db.prepare('SELECT count(*) AS n FROM my_processes JOIN dumps USING (dump_id)').get() as {
        n: number;
      };
      assert.equal(n.n, lines.length);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('README documents the columns every artefact really has', async () => {
  const text = readFileSync(readme, 'utf8');
  const documented = new Map<string, string[]>();
  for (const m of text.matchAll(/^\| `([a-z_]+)` \([^|]*\) \| (.*) \|$/gm)) {
    // Drop the notes in parentheses, keep the backticked column names.
    const cols = m[2]!.replace(/\([^()]*\)/g, '').match(/`[a-z_0-9]+`/g) ?? [];
    documented.set(
      m[1]!,
      cols.map((c) => c.slice(1, -1)),
    );
  }
  const { WIN_PROCESSES } = await import('./cli/windows-ps.js');
  const { WIN_VADS } = await import('./cli/vads-action.js');
  const { WIN_FILES } = await import('./cli/windows-files.js');
  const { WIN_EXTRACTED } = await import('./cli/windows-extract.js');
  const { EVT_COLUMNS } = await import('./cli/evt-action.js');
  const { EVTX_COLUMNS } = await import('./cli/evtx-action.js');
  const { WIN_HANDLES } = await import('./cli/handles-action.js');
  const { WIN_VADDUMP } = await import('./cli/vaddump-action.js');
  const { EVTLOG_SUMMARY, EVTLOG_RECORDS } = await import('./cli/evtlogs-action.js');
  const real: [string, { key: string }[]][] = [
    ['handles', WIN_HANDLES.columns],
    ['vad_dumps', WIN_VADDUMP.columns],
    ['event_logs', EVTLOG_SUMMARY.columns],
    ['event_log_records', EVTLOG_RECORDS.columns],
    ['processes', WIN_PROCESSES.columns],
    ['vads', WIN_VADS.columns],
    ['file_objects', WIN_FILES.columns],
    ['extracted_files', WIN_EXTRACTED.columns],
    ['evt_records', EVT_COLUMNS],
    ['evtx_records', EVTX_COLUMNS],
  ];
  for (const [name, cols] of real)
    assert.deepEqual(
      documented.get(name),
      cols.map((c) => c.key),
      `README columns of ${name}`,
    );
  for (const name of ['linux_processes', 'linux_memory_maps', 'linux_cached_files', 'linux_extracted_files'])
    assert.ok(documented.has(name), name);
});
