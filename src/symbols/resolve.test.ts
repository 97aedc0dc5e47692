import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Warnings } from '../util/errors.js';
import { builtinDir, builtinIndex } from './builtin.js';
import { loadProfile } from './load.js';
import { type IsfTable, pdbFromIsf } from './pdb/fixture-isf.js';
import { resolveProfile } from './resolve.js';
import { pdbCachePathFor } from './symsrv/client.js';

const root = mkdtempSync(join(tmpdir(), 'memdig-resolve-'));
after(() => rmSync(root, { recursive: true, force: true }));

const k = builtinIndex().kernels.find((x) => x.build === 19041 && x.arch === 'x64' && !x.syntheticGuid)!;
const UNKNOWN = 'ABCDEF0123456789ABCDEF0123456789';

/** The built-in table as plain JSON, with `_EPROCESS` resized as a marker of which copy was loaded. */
function table(marker: number, guid: string): IsfTable & { metadata: object } {
  const doc = JSON.parse(gunzipSync(readFileSync(join(builtinDir(), k.layout))).toString('utf8'));
  doc.symbols = k.symbols;
  doc.user_types._EPROCESS.size = marker;
  doc.metadata.windows = { pdb: { database: k.pdb, GUID: guid, age: k.age } };
  return doc;
}

function place(dir: string, marker: number, guid = k.guid): string {
  const d = join(dir, 'windows', k.pdb);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, `${guid}-${k.age}.json`), JSON.stringify(table(marker, guid)));
  return dir;
}

const query = (guid = k.guid) => ({ pdbName: k.pdb, guid, age: k.age, arch: 'x64' as const, build: 19041 });

test('search order: --symbols folders, then the cache, then built in; a missing cache folder is no error', () => {
  const user = place(join(root, 'user'), 0x1111);
  const cache = place(join(root, 'cache'), 0x2222);
  const both = loadProfile({ ...query(), symbolDirs: [user], cacheDir: cache });
  assert.equal(both.sizeOf('_EPROCESS'), 0x1111);
  assert.equal(both.info.origin, 'user');
  const cached = loadProfile({ ...query(), cacheDir: cache });
  assert.equal(cached.sizeOf('_EPROCESS'), 0x2222);
  assert.equal(cached.info.origin, 'cache');
  const builtin = loadProfile({ ...query(), cacheDir: join(root, 'no-such-folder') });
  assert.equal(builtin.info.origin, 'builtin');
  assert.notEqual(builtin.sizeOf('_EPROCESS'), 0x2222);
});

test('a damaged table in the cache is a warning and the search goes on; in a --symbols folder it is an error', () => {
  const d = join(root, 'damaged', 'windows', k.pdb);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, `${k.guid}-${k.age}.json`), '{"metadata": ');
  const w = new Warnings();
  const p = loadProfile({ ...query(), cacheDir: join(root, 'damaged'), warnings: w });
  assert.equal(p.info.origin, 'builtin');
  assert.match(w.items[0]!, /^symbol cache: .*damaged.* is unreadable, ignored/);
  assert.throws(() => loadProfile({ ...query(), symbolDirs: [join(root, 'damaged')] }));
});

test('an exact table in the cache wins over the nearest built-in build', () => {
  const cache = place(join(root, 'cache-unknown'), 0x3333, UNKNOWN);
  const w = new Warnings();
  const p = loadProfile({ ...query(UNKNOWN), cacheDir: cache, warnings: w });
  assert.equal(p.info.origin, 'cache');
  assert.equal(p.info.approximate, undefined);
  assert.equal(p.sizeOf('_EPROCESS'), 0x3333);
  assert.equal(w.count, 0);
  const near = loadProfile({ ...query(UNKNOWN), cacheDir: join(root, 'empty'), warnings: w });
  assert.equal(near.info.origin, 'nearest');
  assert.match(
    w.items[0]!,
    /--fetch-symbols or `memdig symbols fetch --pdb ntkrnlmp\.pdb --guid ABCDEF\S+ --age 1`/,
  );
});

test('resolveProfile: without fetch never asks a server; with fetch a cached PDB is converted offline', async () => {
  const cache = join(root, 'cache-pdb');
  // A PDB downloaded by an earlier run but never converted: converting it needs no server.
  const pdbPath = pdbCachePathFor(join(cache, 'pdb-cache'), { pdb: k.pdb, guid: UNKNOWN, age: k.age });
  mkdirSync(join(pdbPath, '..'), { recursive: true });
  writeFileSync(pdbPath, pdbFromIsf(table(0x4444, UNKNOWN), { guid: UNKNOWN, age: k.age }));
  const dead = ['http://127.0.0.1:9'];
  const w = new Warnings();
  const off = await resolveProfile({ ...query(UNKNOWN), cacheDir: cache, warnings: w });
  assert.equal(off.info.origin, 'nearest');
  const lines: string[] = [];
  const on = await resolveProfile({
    ...query(UNKNOWN),
    cacheDir: cache,
    warnings: w,
    fetch: { servers: dead, log: (l) => lines.push(l) },
  });
  assert.equal(on.info.origin, 'cache');
  assert.equal(on.sizeOf('_EPROCESS'), 0x4444);
  assert.ok(!lines.some((l) => l.startsWith('GET')), lines.join('\n'));
  assert.equal(w.count, 1, 'only the first, fetch-less run warned');
});

test('resolveProfile: an unreachable server is a warning and the nearest build, not an error', async () => {
  const w = new Warnings();
  const p = await resolveProfile({
    ...query(UNKNOWN),
    cacheDir: join(root, 'cache-dead'),
    warnings: w,
    fetch: { servers: ['http://127.0.0.1:9'], timeoutMs: 2000, retries: 0 },
  });
  assert.equal(p.info.origin, 'nearest');
  assert.match(
    w.items[0]!,
    /^--fetch-symbols: could not get the table for ntkrnlmp\.pdb ABCDEF\S+-1 from http:\/\/127\.0\.0\.1:9: /,
  );
  assert.match(w.items[1]!, /nearest known build.*give --symbols with the table for this kernel$/);
});
