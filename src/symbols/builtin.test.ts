import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Warnings } from '../util/errors.js';
import { builtinIndex, builtinIsf, findBuiltin, nearestBuiltin } from './builtin.js';
import { KDBG_OWNER_TAG } from './kdbg.js';
import { loadProfile } from './load.js';
import { Profile } from './profile.js';

const root = mkdtempSync(join(tmpdir(), 'memdig-builtin-'));
after(() => rmSync(root, { recursive: true, force: true }));

const byVersion = (v: string, arch: string) => {
  const k = builtinIndex().kernels.find((x) => x.version === v && x.arch === arch && !x.syntheticGuid);
  assert.ok(k, `no built-in kernel ${v} ${arch}`);
  return new Profile(builtinIsf(k), { source: k.layout });
};

test('built-in index: every kernel loads and has the core types', () => {
  const idx = builtinIndex();
  assert.ok(idx.kernels.length >= 230, `${idx.kernels.length} kernels`);
  const archs = new Set(idx.kernels.map((k) => k.arch));
  assert.deepEqual([...archs].sort(), ['pae', 'x64', 'x86']);
  for (const k of idx.kernels) {
    const p = new Profile(builtinIsf(k), { source: k.layout });
    assert.equal(p.arch, k.arch, `${k.version} arch`);
    assert.equal(p.identity?.guid, k.guid);
    for (const t of [
      '_EPROCESS',
      '_KPROCESS',
      '_LIST_ENTRY',
      '_UNICODE_STRING',
      '_FILE_OBJECT',
      '_CONTROL_AREA',
      '_POOL_HEADER',
      '_OBJECT_HEADER',
      '_MMVAD_SHORT',
      '_KDDEBUGGER_DATA64',
    ]) {
      assert.ok(p.hasStruct(t), `${k.version} ${k.arch}: ${t}`);
    }
    assert.ok(p.struct('_EPROCESS').has('UniqueProcessId'));
  }
});

test('built-in offsets agree with published values (windows-internals §8)', () => {
  const xp = byVersion('5.1.2600.2180', 'x86');
  const e = xp.struct('_EPROCESS');
  assert.equal(e.size, 0x260);
  assert.equal(e.offsetOf('UniqueProcessId'), 0x84);
  assert.equal(e.offsetOf('ActiveProcessLinks'), 0x88);
  assert.equal(e.offsetOf('VadRoot'), 0x11c);
  assert.equal(e.offsetOf('ImageFileName'), 0x174);
  assert.equal(e.offsetOf('Pcb.DirectoryTableBase'), 0x18);
  assert.equal(xp.sizeOf('_MMPTE'), 4);
  assert.equal(byVersion('5.1.2600.2180', 'pae').sizeOf('_MMPTE'), 8);

  const w7 = byVersion('6.1.7601.17514', 'x64');
  assert.equal(w7.struct('_EPROCESS').offsetOf('ActiveProcessLinks'), 0x188);
  assert.equal(w7.struct('_MMVAD_SHORT').offsetOf('u.VadFlags.Protection'), 0x28);
  assert.equal(w7.struct('_MMVAD_SHORT').field('u.VadFlags.Protection').type.bitPos, 56);
  assert.equal(w7.sizeOf('_CONTROL_AREA'), 0x80);

  const w10 = builtinIndex().kernels.find((k) => k.build === 19041 && k.arch === 'x64')!;
  const p10 = new Profile(builtinIsf(w10), { source: w10.layout });
  const e10 = p10.struct('_EPROCESS');
  assert.equal(e10.offsetOf('UniqueProcessId'), 0x440);
  assert.equal(e10.offsetOf('ActiveProcessLinks'), 0x448);
  assert.equal(e10.offsetOf('VadRoot'), 0x7d8);
  assert.equal(p10.struct('_MMVAD').offsetOf('FileObject'), 0x80);
  assert.equal(p10.struct('_MMVAD_SHORT').field('u.VadFlags.PrivateMemory').type.bitPos, 20);
  assert.ok(p10.symbol('PsActiveProcessHead')! > 0);
  assert.ok(p10.symbol('PsInitialSystemProcess')! > 0);

  // KDBG block: the SDK layout on every table
  const k = p10.struct('_KDDEBUGGER_DATA64');
  assert.equal(k.offsetOf('Header.OwnerTag'), 0x10);
  assert.equal(k.offsetOf('KernBase'), 0x18);
  assert.equal(k.offsetOf('PsLoadedModuleList'), 0x48);
  assert.equal(k.offsetOf('PsActiveProcessHead'), 0x50);
  assert.equal(k.offsetOf('MmPfnDatabase'), 0xc0);
  assert.equal(k.offsetOf('KiProcessorBlock'), 0x218);
  assert.equal(KDBG_OWNER_TAG, Buffer.from('KDBG').readUInt32LE(0));
});

test('loadProfile: exact built-in, nearest build with a warning, unknown arch fails clearly', () => {
  const k = builtinIndex().kernels.find((x) => x.build === 19041 && x.arch === 'x64')!;
  const exact = loadProfile({ pdbName: k.pdb, guid: k.guid.toLowerCase(), age: k.age });
  assert.equal(exact.info.approximate, undefined);
  assert.equal(exact.info.version, k.version);
  assert.equal(findBuiltin(k.pdb, k.guid, k.age + 1), null);

  const w = new Warnings();
  const near = loadProfile({
    pdbName: 'ntkrnlmp.pdb',
    guid: '00'.repeat(16),
    age: 1,
    arch: 'x64',
    build: 19042,
    warnings: w,
  });
  assert.equal(near.info.approximate, true);
  assert.equal(near.info.version?.split('.')[2], '19041');
  assert.equal(near.identity?.guid, '00'.repeat(16));
  assert.match(w.items[0]!, /nearest known build to 19042/);

  // PAE is told by the PDB name; an XP SP3 build gets XP SP3's table
  const w2 = new Warnings();
  const pae = loadProfile({
    pdbName: 'ntkrpamp.pdb',
    guid: '11'.repeat(16),
    age: 1,
    build: 2600,
    warnings: w2,
  });
  assert.equal(pae.arch, 'pae');
  assert.equal(pae.sizeOf('_MMPTE'), 8);
  assert.equal(nearestBuiltin('x86', 7000)?.build, 6002);
  assert.equal(nearestBuiltin('x64', 1)?.build, 3790, 'below every build: the lowest');

  assert.throws(
    () => loadProfile({ pdbName: 'ntkrnlmp.pdb', guid: '22'.repeat(16), age: 1 }),
    /no symbol table for ntkrnlmp\.pdb 2222.*-1/,
  );
  assert.throws(
    () =>
      loadProfile({
        pdbName: 'ntkrnlmp.pdb',
        guid: '22'.repeat(16),
        age: 1,
        arch: 'x64',
        noBuiltin: true,
        symbolDirs: [root],
      }),
    /give --symbols/,
  );
});

test('loadProfile: a table in the user symbol folder wins over the built-in one', () => {
  const k = builtinIndex().kernels.find((x) => x.build === 19041 && x.arch === 'x64')!;
  const doc = builtinIsf(k);
  doc.user_types._EPROCESS!.size = 0x1234; // a marker only the user's copy has
  const dir = join(root, 'symbols', 'windows', k.pdb);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${k.guid}-${k.age}.json`), JSON.stringify(doc));
  const p = loadProfile({ pdbName: k.pdb, guid: k.guid, age: k.age, symbolDirs: [join(root, 'symbols')] });
  assert.equal(p.sizeOf('_EPROCESS'), 0x1234);
  assert.match(p.info.source, /symbols\/windows/);
});
