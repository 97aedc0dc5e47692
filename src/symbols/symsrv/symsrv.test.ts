import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { xz } from '@napi-rs/lzma';
import { sharedPath } from '../../testing/shared.js';
import { MemdigError } from '../../util/errors.js';
import { Bytes, buildPdb, pub32, typeRecord } from '../pdb/fixture.js';
import { Pdb } from '../pdb/pdb.js';
import { Cabinet } from './cab.js';
import { fetchSymbols, type PdbId, storeKey } from './client.js';
import { buildCab } from './fixture.js';

function syntheticPdb(): Uint8Array {
  const fl = typeRecord(0x1203, new Bytes().u16(0x150d).u16(3).u32(0x74).u16(0).cstr('Value').pad4().done());
  const st = typeRecord(
    0x1505,
    new Bytes().u16(1).u16(0).u32(0x1000).u32(0).u32(0).u16(4).cstr('_ONE').done(),
  );
  // Enough padding records that the file spans several 32 KiB MSZIP blocks.
  const filler = Array.from({ length: 3000 }, (_, i) =>
    typeRecord(0x1002, new Bytes().u32(0x74).u32(0x1000c).u32(i).done()),
  );
  return buildPdb({ types: [fl, st, ...filler], age: 2, symbols: [pub32('_Answer', 1, 0x42)] });
}

const local = syntheticPdb();
const localId: PdbId = (() => {
  const p = Pdb.fromBytes(local);
  const id = { pdb: 'synthetic.pdb', guid: p.info.guid, age: p.age };
  p.close();
  return id;
})();

let server: Server;
let base = '';
const hits: string[] = [];
const routes = new Map<string, (res: import('node:http').ServerResponse) => void>();

before(async () => {
  server = createServer((req, res) => {
    hits.push(req.url!);
    const h = routes.get(req.url!);
    if (h) h(res);
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const send = (body: Uint8Array) => (res: import('node:http').ServerResponse) => {
  res.setHeader('content-length', body.length);
  res.end(body);
};
const pathOf = (id: PdbId, file: string) => `/${id.pdb}/${storeKey(id)}/${file}`;
const tmp = () => mkdtempSync(join(tmpdir(), 'memdig-symsrv-'));

test('MSZIP cabinet round trip through the CAB reader', () => {
  const cab = buildCab('synthetic.pdb', local);
  const c = new Cabinet(cab);
  assert.equal(c.files[0]!.name, 'synthetic.pdb');
  assert.deepEqual(Buffer.from(c.extract()), Buffer.from(local));
  assert.deepEqual(Buffer.from(new Cabinet(buildCab('x', local, 0)).extract()), Buffer.from(local));
  assert.deepEqual(Buffer.from(new Cabinet(buildCab('x', local, 3)).extract()), Buffer.from(local));
  assert.throws(() => new Cabinet(cab).extract(undefined, { maxBytes: 100 }), /limit/);
  const broken = cab.slice();
  broken[36 + 8 + 30 + 8] = 0x58; // first block's "CK"
  assert.throws(() => new Cabinet(broken).extract(), /CK signature/);
  assert.throws(() => new Cabinet(cab.subarray(0, cab.length - 100)).extract(), /runs past|present/);
});

test('downloads the plain PDB, caches it in Volatility layout, then works offline', async () => {
  const dir = tmp();
  try {
    routes.set(pathOf(localId, 'synthetic.pdb'), send(local));
    const r = await fetchSymbols(localId, { symbolDir: dir, servers: [base], timeoutMs: 5000 });
    assert.equal(r.isfPath, join(dir, 'windows', 'synthetic.pdb', `${localId.guid}-2.json.xz`));
    assert.ok(r.source.startsWith(base));
    const isf = JSON.parse(xz.decompressSync(readFileSync(r.isfPath)).toString());
    assert.equal(isf.metadata.windows.pdb.GUID, localId.guid);
    assert.equal(isf.metadata.windows.pdb.database, 'synthetic.pdb');
    assert.equal(isf.user_types._ONE.size, 4);
    assert.equal(isf.symbols.Answer.address, 0x1042);
    assert.ok(existsSync(r.pdbPath!));
    const before = hits.length;
    const again = await fetchSymbols(localId, { symbolDir: dir, servers: [base], offline: true });
    assert.equal(again.source, 'isf-cache');
    rmSync(r.isfPath);
    const fromPdb = await fetchSymbols(localId, { symbolDir: dir, servers: [base], offline: true });
    assert.equal(fromPdb.source, 'pdb-cache');
    assert.equal(hits.length, before, 'offline runs must not touch the server');
  } finally {
    routes.clear();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('falls back to the CAB-compressed .pd_ after a 404, and across servers', async () => {
  const dir = tmp();
  try {
    routes.set(pathOf(localId, 'synthetic.pd_'), send(buildCab('synthetic.pdb', local)));
    const r = await fetchSymbols(localId, {
      symbolDir: dir,
      servers: [`${base}/missing`, base],
      timeoutMs: 5000,
    });
    assert.equal(r.source, `${base}${pathOf(localId, 'synthetic.pd_')}`);
    assert.ok(hits.includes(`/missing${pathOf(localId, 'synthetic.pdb')}`));
    assert.ok(existsSync(r.isfPath));
  } finally {
    routes.clear();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('offline with an empty cache fails without a request', async () => {
  const dir = tmp();
  const before = hits.length;
  await assert.rejects(fetchSymbols(localId, { symbolDir: dir, servers: [base], offline: true }), /offline/);
  assert.equal(hits.length, before);
  rmSync(dir, { recursive: true, force: true });
});

test('timeouts, truncated bodies, 5xx and oversize answers are bounded errors', async () => {
  const dir = tmp();
  try {
    let stalls = 0;
    routes.set(pathOf(localId, 'synthetic.pdb'), (res) => {
      stalls++;
      res.setHeader('content-length', 1000);
      res.write(new Uint8Array(10)); // then never finishes
    });
    let truncated = 0;
    routes.set(pathOf(localId, 'synthetic.pd_'), (res) => {
      truncated++;
      res.setHeader('content-length', local.length);
      res.end(local.subarray(0, 1000)); // closes early
    });
    const t0 = performance.now();
    await assert.rejects(
      fetchSymbols(localId, { symbolDir: dir, servers: [base], timeoutMs: 300, retries: 1 }),
      (e: unknown) => {
        assert.ok(e instanceof MemdigError);
        assert.match(e.message, /timed out/);
        assert.match(e.message, /cut off/);
        return true;
      },
    );
    assert.ok(performance.now() - t0 < 15_000);
    assert.equal(stalls, 2, 'one retry after the timeout');
    assert.equal(truncated, 2, 'one retry after the cut-off body');
    routes.set(pathOf(localId, 'synthetic.pdb'), (res) => {
      res.statusCode = 503;
      res.end();
    });
    routes.set(pathOf(localId, 'synthetic.pd_'), send(new Uint8Array(5000)));
    await assert.rejects(
      fetchSymbols(localId, { symbolDir: dir, servers: [base], retries: 0, maxBytes: 4096 }),
      /HTTP 503[\s\S]*over the 4096-byte limit/,
    );
    // A server answering with some other PDB is refused.
    const other = buildPdb({ types: [], guid: Array.from({ length: 16 }, () => 0xee) });
    routes.set(pathOf(localId, 'synthetic.pdb'), send(other));
    routes.delete(pathOf(localId, 'synthetic.pd_'));
    await assert.rejects(fetchSymbols(localId, { symbolDir: dir, servers: [base] }), /not the one asked for/);
    assert.ok(!existsSync(join(dir, 'windows')));
  } finally {
    routes.clear();
    rmSync(dir, { recursive: true, force: true });
  }
});

const corpus = sharedPath('corpus', 'pdb', 'breakpad__dump_syms_regtest64.pdb');
test('serves a real corpus PDB plain and as an LZX cabinet', {
  skip: corpus ? false : 'needs ../shared/corpus/pdb (absent: skipping real-data test)',
}, async () => {
  const bytes = readFileSync(corpus!);
  const p = Pdb.fromBytes(bytes);
  const id: PdbId = { pdb: 'dump_syms_regtest64.pdb', guid: p.info.guid, age: p.age };
  p.close();
  for (const compressed of [false, true]) {
    const dir = tmp();
    try {
      routes.clear();
      if (compressed) routes.set(pathOf(id, 'dump_syms_regtest64.pd_'), send(buildCab(id.pdb, bytes)));
      else routes.set(pathOf(id, id.pdb), send(bytes));
      const r = await fetchSymbols(id, { symbolDir: dir, servers: [base], timeoutMs: 10_000 });
      const isf = JSON.parse(xz.decompressSync(readFileSync(r.isfPath)).toString());
      assert.equal(isf.metadata.windows.pdb.GUID, id.guid);
      assert.ok(Object.keys(isf.user_types).length > 100);
      assert.deepEqual(Buffer.from(readFileSync(r.pdbPath!)), bytes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  routes.clear();
});
