import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { builtinDir, builtinIndex } from '../builtin.js';
import { type IsfTable, pdbFromIsf } from './fixture-isf.js';
import { convertPdb } from './isf.js';
import { Pdb } from './pdb.js';

/** A built-in kernel table as plain JSON (its layout file plus the index's symbols). */
function table(build: number, arch: string): IsfTable {
  const k = builtinIndex().kernels.find((x) => x.build === build && x.arch === arch && !x.syntheticGuid)!;
  const doc = JSON.parse(gunzipSync(readFileSync(join(builtinDir(), k.layout))).toString('utf8')) as IsfTable;
  doc.symbols = k.symbols;
  return doc;
}

for (const [build, arch] of [
  [19041, 'x64'],
  [2600, 'x86'],
] as const) {
  test(`a PDB written from the ${arch} ${build} built-in table converts back to that table`, () => {
    const want = table(build, arch);
    const guid = 'C0FFEE00112233445566778899AABBCC';
    const bytes = pdbFromIsf(want, { guid, age: 3 });
    const pdb = Pdb.fromBytes(bytes);
    try {
      assert.equal(pdb.info.guid, guid);
      assert.equal(pdb.age, 3);
      const { isf, warnings } = convertPdb(pdb, { database: 'ntkrnlmp.pdb' });
      assert.deepEqual(warnings, []);
      assert.deepEqual(Object.keys(isf.user_types).sort(), Object.keys(want.user_types).sort());
      for (const [name, t] of Object.entries(want.user_types)) {
        assert.deepEqual(isf.user_types[name], { kind: t.kind, size: t.size, fields: t.fields }, name);
      }
      for (const [name, e] of Object.entries(want.enums)) assert.deepEqual(isf.enums[name], e, name);
      for (const [name, s] of Object.entries(want.symbols))
        assert.equal(isf.symbols[name]?.address, s.address);
      assert.equal(isf.base_types.pointer?.size, arch === 'x64' ? 8 : 4);
      for (const [name, b] of Object.entries(isf.base_types)) {
        if (want.base_types[name]) assert.deepEqual(b, want.base_types[name], name);
      }
    } finally {
      pdb.close();
    }
  });
}
