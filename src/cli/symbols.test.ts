import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { xz } from '@napi-rs/lzma';
import { Bytes, buildPdb, typeRecord } from '../symbols/pdb/fixture.js';
import { runCli } from '../testing/cli.js';

const run = (...args: string[]) => runCli(args);

test('memdig symbols convert / list / fetch --offline', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memdig-cli-symbols-'));
  try {
    const fl = typeRecord(0x1203, new Bytes().u16(0x150d).u16(3).u32(0x23).u16(0).cstr('Q').pad4().done());
    const st = typeRecord(
      0x1505,
      new Bytes().u16(1).u16(0).u32(0x1000).u32(0).u32(0).u16(8).cstr('_Q').done(),
    );
    const pdbPath = join(dir, 'tiny.pdb');
    writeFileSync(pdbPath, buildPdb({ types: [fl, st], age: 3 }));
    const out = join(dir, 'sym', 'windows', 'tiny.pdb', '0403020106050807090A0B0C0D0E0F10-3.json.xz');
    const c = await run('symbols', 'convert', pdbPath, '-o', out);
    assert.equal(c.status, 0, c.stderr);
    const isf = JSON.parse(xz.decompressSync(readFileSync(out)).toString());
    assert.deepEqual(isf.user_types._Q.fields.Q, {
      offset: 0,
      type: { kind: 'base', name: 'unsigned long long' },
    });
    const l = await run('symbols', 'list', join(dir, 'sym'));
    assert.equal(l.status, 0, l.stderr);
    assert.match(l.stdout, /^tiny\.pdb\t0403020106050807090A0B0C0D0E0F10\t3\t/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('memdig symbols fetch --offline finds the table and never downloads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memdig-cli-symbols-'));
  try {
    const [f, bad] = await Promise.all([
      run(
        'symbols',
        'fetch',
        '--pdb',
        'x.pdb',
        '--guid',
        'A'.repeat(32),
        '--age',
        '1',
        '-s',
        dir,
        '--offline',
      ),
      run('symbols', 'convert', join(dir, 'nope.pdb')),
    ]);
    assert.equal(f.status, 3);
    assert.match(f.stderr, /offline/);
    assert.ok(!existsSync(join(dir, 'windows')));
    assert.equal(bad.status, 3);
    assert.match(bad.stderr, /cannot open/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
