import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { xz } from '@napi-rs/lzma';
import { findTable, readTable } from './symdirs.js';
import { ZipReader } from './zip.js';

const GUID = 'A1B2C3D4E5F60718293A4B5C6D7E8F90';

function table(guid: string, marker: number): string {
  return JSON.stringify({
    metadata: { format: '6.2.0', windows: { pdb: { database: 'ntkrnlmp.pdb', GUID: guid, age: 2 } } },
    base_types: { pointer: { kind: 'int', size: 8, signed: false, endian: 'little' } },
    user_types: { _MARK: { kind: 'struct', size: marker, fields: {} } },
    enums: {},
    symbols: {},
  });
}

/** A zip archive built by hand (stored or deflated entries; CRCs are not checked by the reader). */
function makeZip(files: { name: string; data: Uint8Array; deflate: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let off = 0;
  for (const f of files) {
    const body = f.deflate ? deflateRawSync(f.data) : Buffer.from(f.data);
    const name = Buffer.from(f.name);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(f.deflate ? 8 : 0, 8);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(f.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(f.deflate ? 8 : 0, 10);
    ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(f.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(off, 42);
    locals.push(lh, name, body);
    central.push(ch, name);
    off += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(files.length, 8);
  eocd.writeUInt16LE(files.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(off, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

const root = mkdtempSync(join(tmpdir(), 'memdig-symdirs-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('findTable: Volatility layout at any depth, corpus layout, decimal or hex age', () => {
  const vol = join(root, 'vol', 'symbols', 'windows', 'ntkrnlmp.pdb');
  mkdirSync(vol, { recursive: true });
  writeFileSync(join(vol, `${GUID}-2.json.xz`), xz.compressSync(table(GUID, 16)));
  const corpus = join(root, 'corpus', 'ntkrnlmp.pdb');
  mkdirSync(corpus, { recursive: true });
  writeFileSync(join(corpus, `${GUID.toLowerCase()}-2.json`), table(GUID, 24));

  const a = findTable([join(root, 'vol')], 'ntkrnlmp.pdb', GUID.toLowerCase(), 2);
  assert.equal(a?.path, join(vol, `${GUID}-2.json.xz`));
  assert.equal(readTable(a!).user_types._MARK!.size, 16);
  const b = findTable([join(root, 'nope'), join(root, 'corpus')], 'NTKRNLMP.PDB', GUID, 2);
  assert.equal(readTable(b!).user_types._MARK!.size, 24);
  assert.equal(findTable([root], 'ntkrnlmp.pdb', GUID, 3), null);
  assert.equal(findTable([root], 'ntkrnlpa.pdb', GUID, 2), null, 'pdb folder must match');
});

test('findTable: inside windows.zip, reading only the entry needed (stored and deflated)', () => {
  const other = 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF';
  const zip = makeZip([
    { name: 'windows/', data: new Uint8Array(0), deflate: false },
    {
      name: `windows/ntkrnlmp.pdb/${other}-1.json.xz`,
      data: xz.compressSync(table(other, 8)),
      deflate: false,
    },
    { name: `windows/ntkrnlmp.pdb/${GUID}-1.json`, data: Buffer.from(table(GUID, 40)), deflate: true },
  ]);
  const dir = join(root, 'zipped');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'windows.zip'), zip);
  const loc = findTable([dir], 'ntkrnlmp.pdb', GUID, 1);
  assert.deepEqual(loc, { path: join(dir, 'windows.zip'), zipEntry: `windows/ntkrnlmp.pdb/${GUID}-1.json` });
  assert.equal(readTable(loc!).user_types._MARK!.size, 40);
  // the zip given directly
  const loc2 = findTable([join(dir, 'windows.zip')], 'ntkrnlmp.pdb', other, 1);
  assert.equal(readTable(loc2!).user_types._MARK!.size, 8);
});

test('zip: damaged archives give clear errors', () => {
  const good = makeZip([{ name: 'a/b.json', data: Buffer.from('{"x":1}'), deflate: true }]);
  const p = join(root, 'bad.zip');
  writeFileSync(p, good.subarray(0, good.length - 10));
  assert.throws(() => ZipReader.open(p), /end-of-central-directory/);
  const lying = Buffer.from(good);
  lying.writeUInt32LE(0x7fffffff, lying.length - 22 + 16); // central directory offset far past the end
  writeFileSync(p, lying);
  assert.throws(() => ZipReader.open(p), /does not fit/);
  const wrongSize = Buffer.from(good);
  const cd = wrongSize.length - 22 - 46 - 8;
  wrongSize.writeUInt32LE(100, cd + 24); // directory claims 100 bytes, the stream holds 7
  writeFileSync(p, wrongSize);
  let z = ZipReader.open(p);
  assert.throws(() => z.read('a/b.json'), /inflated to 7 bytes, directory says 100/);
  z.close();
  const noLocal = Buffer.from(good);
  noLocal[0] = 0;
  writeFileSync(p, noLocal);
  z = ZipReader.open(p);
  assert.throws(() => z.read('a/b.json'), /local header signature missing/);
  assert.throws(() => z.read('a/c.json'), /no entry a\/c\.json/);
  z.close();
});
