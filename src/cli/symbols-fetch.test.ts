/**
 * The analysis commands and the symbol server, end to end: a forged Windows 10 image whose kernel carries a GUID
 * no built-in table has, a local symbol server that serves a PDB describing that kernel, and memdig run as a
 * separate process with its symbol cache in a temp folder.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { forgeImage, type Manifest, presetScenario } from '../forge/index.js';
import { builtinDir, builtinIndex } from '../symbols/builtin.js';
import { type IsfTable, pdbFromIsf } from '../symbols/pdb/fixture-isf.js';

const main = join(dirname(fileURLToPath(import.meta.url)), 'main.js');
const GUID = 'C0FFEE00D15EA5E0BADC0DE0FEEDF00D';
const AGE = 2;
const PDB_PATH = `/ntkrnlmp.pdb/${GUID}${AGE}/ntkrnlmp.pdb`;

let dir = '';
let image = '';
let manifest: Manifest;
let pdb: Uint8Array;
let server: Server;
let base = '';
const hits: string[] = [];
let answer: (path: string, res: ServerResponse) => void = () => {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'memdig-symfetch-'));
  image = join(dir, 'win10.raw');
  manifest = forgeImage({ ...presetScenario('win10-eventlog'), kernelPdb: { guid: GUID, age: AGE } }, image, {
    writeManifest: false,
  });
  // The PDB this kernel would have: the structures and symbols of the build the forge wrote, under its GUID.
  const k = builtinIndex().kernels.find(
    (x) => x.guid === '3177D31000BA7590DED335936C93E374' && x.pdb === 'ntkrnlmp.pdb',
  )!;
  const table = JSON.parse(
    gunzipSync(readFileSync(join(builtinDir(), k.layout))).toString('utf8'),
  ) as IsfTable;
  table.symbols = k.symbols;
  pdb = pdbFromIsf(table, { guid: GUID, age: AGE });
  server = createServer((req, res) => {
    hits.push(req.url!);
    answer(req.url!, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const serveThePdb = (path: string, res: ServerResponse) => {
  if (path === PDB_PATH) {
    res.setHeader('content-length', pdb.length);
    res.end(pdb);
  } else {
    res.statusCode = 404;
    res.end();
  }
};

/** memdig in a child process (the server answers meanwhile: no spawnSync). */
function memdig(
  cache: string,
  ...args: string[]
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [main, ...args], { env: { ...process.env, MEMDIG_SYMBOLS: cache } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.on('error', reject);
    p.on('close', (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}

/** PIDs of the processes found (stale copies in free memory left out). */
const pidsOf = (jsonl: string) =>
  jsonl
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { pid: number; found_by: string })
    .filter((p) => p.found_by !== 'stale')
    .map((p) => p.pid)
    .sort((a, b) => a - b);

test('forge: the kernel carries the scenario’s PDB identity', () => {
  assert.deepEqual(manifest.kernel.pdb, { name: 'ntkrnlmp.pdb', guid: GUID, age: AGE });
});

test('without --fetch-symbols: nearest-build warning that says how to get the table, no network', async () => {
  const cache = join(dir, 'cache-off');
  answer = serveThePdb;
  const before = hits.length;
  const r = await memdig(cache, 'info', image, '--symbol-server', base);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /^layout: +10\.0\.19041\.\S+ builtin:\S+ +\(nearest known build/m);
  assert.match(r.stdout, /^warning: +no symbol table for ntkrnlmp\.pdb C0FFEE/m);
  assert.match(
    r.stdout,
    /--fetch-symbols or `memdig symbols fetch --pdb ntkrnlmp\.pdb --guid C0FFEE\S+ --age 2`/,
  );
  assert.match(r.stdout, /--symbol-server has no effect without --fetch-symbols/);
  const ps = await memdig(cache, 'ps', image, '--json');
  assert.equal(ps.status, 1, ps.stderr);
  assert.match(ps.stderr, /^warning: no symbol table for ntkrnlmp\.pdb C0FFEE.*--fetch-symbols/m);
  assert.equal(hits.length, before, 'no request without --fetch-symbols');
  assert.ok(!existsSync(cache), 'nothing written to the cache');
});

test('--fetch-symbols: downloads, converts into the cache, then the cache serves offline', async () => {
  const cache = join(dir, 'cache-on');
  answer = serveThePdb;
  const before = hits.length;
  const r = await memdig(cache, 'info', image, '--fetch-symbols', '--symbol-server', base);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const table = join(cache, 'windows', 'ntkrnlmp.pdb', `${GUID}-${AGE}.json.xz`);
  assert.match(
    r.stdout,
    new RegExp(
      `^layout: +${table.replace(/[.\\]/g, '\\$&')} +\\(exact PDB GUID/age, downloaded from ${base}${PDB_PATH} into the memdig symbol cache\\)$`,
      'm',
    ),
  );
  assert.doesNotMatch(r.stdout, /^warning:/m);
  assert.deepEqual(hits.slice(before), [PDB_PATH]);
  assert.ok(existsSync(table));
  assert.ok(existsSync(join(cache, 'pdb-cache', 'ntkrnlmp.pdb', `${GUID}${AGE}`, 'ntkrnlmp.pdb')));

  // Second run, flag or not: the cache answers, the server is not asked, the analysis matches the truth.
  const after = hits.length;
  for (const flags of [[], ['--fetch-symbols', '--symbol-server', base]]) {
    const ps = await memdig(cache, 'ps', image, '--json', ...flags);
    assert.equal(ps.status, 0, ps.stderr);
    assert.equal(ps.stderr, '');
    assert.deepEqual(
      pidsOf(ps.stdout),
      manifest.processes.map((p) => p.pid).sort((a, b) => a - b),
    );
  }
  const info = await memdig(cache, 'info', image);
  assert.match(info.stdout, /^layout: +.*\(exact PDB GUID\/age, from the memdig symbol cache\)$/m);
  assert.equal(hits.length, after, 'the cached table needs no request');
});

test('--fetch-symbols with a server that lacks the PDB: warning, nearest build, exit 1', async () => {
  const cache = join(dir, 'cache-404');
  answer = (_path, res) => {
    res.statusCode = 404;
    res.end();
  };
  const before = hits.length;
  const r = await memdig(cache, 'ps', image, '--json', '--fetch-symbols', '--symbol-server', base);
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stderr,
    /^warning: --fetch-symbols: could not get the table for ntkrnlmp\.pdb C0FFEE.*not found/m,
  );
  assert.match(r.stderr, /^warning: no symbol table for .*nearest known build.*give --symbols/m);
  assert.ok(hits.length > before);
  assert.ok(pidsOf(r.stdout).includes(4), 'the analysis still ran');
});

test('--fetch-symbols with a server that never answers: bounded by --symbol-timeout, then the fallback', async () => {
  const cache = join(dir, 'cache-stall');
  const stalled: ServerResponse[] = [];
  answer = (_path, res) => {
    res.setHeader('content-length', 1000);
    res.write(new Uint8Array(10)); // and nothing more
    stalled.push(res);
  };
  const t0 = performance.now();
  const r = await memdig(
    cache,
    'info',
    image,
    '--fetch-symbols',
    '--symbol-server',
    base,
    '--symbol-timeout',
    '0.3',
  );
  const seconds = (performance.now() - t0) / 1000;
  for (const res of stalled) res.destroy();
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /^warning: +--fetch-symbols: could not get .*timed out/m);
  assert.match(r.stdout, /^layout: +.*\(nearest known build/m);
  assert.ok(seconds < 20, `took ${seconds.toFixed(1)} s`);
});
