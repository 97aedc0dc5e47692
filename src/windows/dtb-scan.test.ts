import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openPhysical } from '../sources/index.js';
import { findDtbCandidates, findLowStub } from './dtb-scan.js';

function image(size: number, fill: (dv: DataView) => void): string {
  const b = new Uint8Array(size);
  fill(new DataView(b.buffer));
  const p = join(mkdtempSync(join(tmpdir(), 'memdig-dtb-')), 'img.raw');
  writeFileSync(p, b);
  return p;
}

const setU64 = (dv: DataView, off: number, v: number) => {
  dv.setUint32(off, v % 2 ** 32, true);
  dv.setUint32(off + 4, Math.floor(v / 2 ** 32), true);
};

test('dtb: x64 PML4 with a randomised self-map index is found', () => {
  const pml4 = 0x1aa000;
  const p = image(4 << 20, (dv) => {
    setU64(dv, pml4 + 0x1c3 * 8, pml4 | 0x63);
    setU64(dv, pml4 + 0x1f0 * 8, 0x200000 | 0x63);
    setU64(dv, pml4 + 0x1ff * 8, 0x201000 | 0x63);
    setU64(dv, pml4 + 0, 0x202000 | 0x67);
  });
  const m = openPhysical(p);
  const c = findDtbCandidates(m);
  assert.equal(c.length, 1);
  assert.deepEqual([c[0]!.mode, c[0]!.dtb, c[0]!.selfRefIndex], ['x64', pml4, 0x1c3]);
  m.close();
});

test('dtb: a table with two self-maps, or a large-page bit in the PML4, is rejected', () => {
  const pml4 = 0x1aa000;
  const p = image(4 << 20, (dv) => {
    setU64(dv, pml4 + 0x1c3 * 8, pml4 | 0x63);
    setU64(dv, pml4 + 0x1c4 * 8, pml4 | 0x63);
    setU64(dv, pml4 + 0x1f0 * 8, 0x200000 | 0x63);
  });
  const m = openPhysical(p);
  assert.equal(findDtbCandidates(m).length, 0);
  m.close();
});

test('dtb: x86 non-PAE directory with the self-map at PDE 0x300', () => {
  const pd = 0x39000;
  const p = image(2 << 20, (dv) => {
    dv.setUint32(pd + 0x300 * 4, pd | 0x63, true);
    dv.setUint32(pd + 0x200 * 4, 0x0 | 0xe3, true); // 4 MiB kernel page at 0
    dv.setUint32(pd + 0x3ff * 4, 0x100000 | 0x63, true);
  });
  const m = openPhysical(p);
  const c = findDtbCandidates(m);
  assert.deepEqual(
    c.map((x) => [x.mode, x.dtb]),
    [['x86', pd]],
  );
  m.close();
});

test('dtb: x86 PAE page directories mapping themselves, PDPT found below them', () => {
  const pdpt = 0x30000;
  const pd = [0x34000, 0x35000, 0x36000, 0x37000];
  const p = image(2 << 20, (dv) => {
    for (let i = 0; i < 4; i++) setU64(dv, pdpt + i * 8, pd[i]! | 1);
    // PD3 entries 0..3 map the four directories (VA 0xC0000000-0xC07FFFFF holds the page tables).
    for (let i = 0; i < 4; i++) setU64(dv, pd[3]! + i * 8, pd[i]! | 0x63);
  });
  const m = openPhysical(p);
  const c = findDtbCandidates(m);
  assert.deepEqual(
    c.map((x) => [x.mode, x.dtb]),
    [['pae', pdpt]],
  );
  m.close();
});

test('dtb: x64 low stub gives DTB, kernel entry hint and CR4', () => {
  const p = image(1 << 20, (dv) => {
    const s = 0x3000;
    dv.setUint32(s, 0x000600e9, true);
    dv.setUint32(s + 4, 1, true);
    setU64(dv, s + 0x70, 0xf80002a1b000); // LmTarget 0xfffff80002a1b000 with the sign bits dropped
    dv.setUint32(s + 0x74, 0xfffff800, true);
    dv.setUint32(s + 0x70, 0x02a1b000, true);
    setU64(dv, s + 0xa0, 0x187000);
    dv.setUint32(s + 0xa8, 0x6f8, true);
  });
  const m = openPhysical(p);
  const c = findLowStub(m);
  assert.ok(c);
  assert.equal(c.dtb, 0x187000);
  assert.equal(c.kernelHint, 0xf80002a1b000);
  assert.equal(c.cr4, 0x6f8);
  m.close();
});
