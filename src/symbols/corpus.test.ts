/**
 * Real-data check of the built-in tables: every table of the shared ISF corpus loads (validation included), and the
 * built-in table for its identity reports the same size, offset, kind and bit range for every member memdig uses,
 * nested members of embedded (anonymous) types included, and the same symbol RVAs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sharedDir, skipWithoutShared } from '../testing/shared.js';
import { Warnings } from '../util/errors.js';
import { builtinIndex, builtinIsf } from './builtin.js';
import { forEachTable, listCorpusTables } from './gen-builtin.js';
import { openIsf, parseIsf } from './isf.js';
import type { StructLayout } from './layout.js';
import { Profile } from './profile.js';
import { USED_SYMBOLS, USED_TYPES } from './used.js';

function compareStruct(
  full: Profile,
  built: Profile,
  a: StructLayout,
  b: StructLayout,
  prefix: string,
  depth: number,
): number {
  let checked = 0;
  assert.equal(b.size, a.size, `${prefix} size`);
  const used = USED_TYPES[a.name];
  const names = used === undefined || used === '*' ? a.memberNames : used.filter((n) => a.has(n));
  for (const n of names) {
    const fa = a.field(n);
    const fb = b.tryField(n);
    assert.ok(fb, `${prefix}.${n} missing from the built-in table`);
    const ta = fa.type;
    const tb = fb.type;
    const where = `${prefix}.${n}`;
    assert.equal(fb.offset, fa.offset, `${where} offset`);
    assert.equal(tb.kind, ta.kind, `${where} kind`);
    assert.equal(tb.size, ta.size, `${where} size`);
    assert.equal(tb.bitPos, ta.bitPos, `${where} bit position`);
    assert.equal(tb.bitLen, ta.bitLen, `${where} bit length`);
    assert.equal(tb.count, ta.count, `${where} count`);
    checked++;
    if (ta.kind === 'struct' && depth < 3) {
      const ia = full.tryStruct(ta.name);
      const ib = built.tryStruct(tb.name);
      if (ia) {
        assert.ok(ib, `${where}: embedded ${ta.name} missing`);
        checked += compareStruct(full, built, ia, ib, where, depth + 1);
      }
    }
  }
  return checked;
}

test('every shared ISF opens as memdig opens it, and the built-in tables match it member for member', {
  skip: skipWithoutShared('corpus/isf/INDEX.tsv'),
  timeout: 600_000,
}, async () => {
  const tables = listCorpusTables(sharedDir()!);
  const kernels = builtinIndex().kernels;
  assert.ok(tables.length >= 213 + 17, `expected the whole corpus, found ${tables.length} tables`);
  let members = 0;
  const t0 = performance.now();
  let fully = 0;
  await forEachTable(tables, (t, json, i) => {
    const w = new Warnings();
    // memdig opens tables lazily (each type is validated when first read); every 8th table is also parsed and
    // validated whole, so the checker is shown to accept real tables in full, not only the types memdig reads.
    const doc = openIsf(json, t.path, w);
    if (i % 8 === 0) {
      parseIsf(json, t.path, new Warnings());
      fully++;
    }
    const pdb = doc.metadata.windows!.pdb!;
    const full = new Profile(doc, { source: t.path });
    const k = kernels.find(
      (x) => x.guid === pdb.GUID.toUpperCase() && x.age === pdb.age && x.pdb === pdb.database,
    );
    assert.ok(k, `${t.path}: no built-in entry`);
    const built = new Profile(builtinIsf(k), { source: k.layout });
    assert.equal(built.arch, full.arch, `${t.path} arch`);
    for (const name of Object.keys(USED_TYPES)) {
      const a = full.tryStruct(name);
      if (!a) continue;
      const b = built.tryStruct(name);
      assert.ok(b, `${t.path}: ${name} missing from built-in ${k.layout}`);
      members += compareStruct(full, built, a, b, `${t.path}: ${name}`, 0);
    }
    for (const s of USED_SYMBOLS) assert.equal(built.symbol(s), full.symbol(s), `${t.path}: symbol ${s}`);
  });
  console.log(
    `corpus check: ${tables.length} tables (${fully} also validated whole), ${members} members compared, ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
});
