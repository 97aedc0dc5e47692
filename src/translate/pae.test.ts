import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PageTableBuilder } from '../testing/page-tables.js';
import { createSpace } from './create.js';
import { newPteInfo, PageState, PteFlag } from './types.js';

const MiB = 2 ** 20;

test('PAE: 4-entry PDPT (32-byte aligned root), 4 KiB and 2 MiB pages, physical bits above 4 GiB', () => {
  const b = new PageTableBuilder('pae', 0x1020);
  b.map(0x00401000, 0x2345000);
  b.map(0xfffff000, 0x12345000, 4096, 0x7, 0x3); // PA 0x3_12345000
  b.map(0x80000000, 0x7fe00000, 2 * MiB, 0x7 | 0x1000, 0x80000000); // PAT + NX
  b.map(0xc0200000, 0x100400000, 2 * MiB);
  const s = createSpace(b.mem, 'pae', 0x1020 | 0x8, { os: 'windows' });
  assert.equal(s.dtb, 0x1020);
  assert.equal(s.pointerSize, 4);
  const i = newPteInfo();
  assert.equal(s.translate(0x00401abc, i), 0x2345abc);
  assert.deepEqual([i.level, i.pageSize], [1, 4096]);
  assert.equal(s.translate(0xfffffffc, i), 0x312345ffc);
  assert.equal(s.translate(0x80123456, i), 0x7fe00000 + 0x123456);
  assert.deepEqual([i.level, i.pageSize], [2, 2 * MiB]);
  assert.equal(i.flags & PteFlag.NoExecute, PteFlag.NoExecute);
  assert.equal(s.translate(0xc0200010, i), 0x100400010);
  assert.equal(s.translate(0x40000000, i), -1);
  assert.deepEqual([i.state, i.level, i.pageSize], [PageState.Unmapped, 3, 2 ** 30]);
  assert.equal(s.translate(2 ** 32, i), -1);
});

test('PAE Windows: transition, prototype (VA in bits 63:32), VAD marker, demand zero, page file', () => {
  const b = new PageTableBuilder('pae');
  const protoPage = 0x400000;
  b.map(0xe1234000, protoPage, 4096, 0x3);
  b.mem.writeU64(protoPage + 0x10, 0, 0x5555000 | 0x63);
  b.mem.writeU64(protoPage + 0x18, 0xe2220000, 0x400); // subsection
  const base = 0x10000000;
  b.set(base + 0x0000, 1, 0x1, 0x2345000 | 0x800 | 0x80);
  b.set(base + 0x1000, 1, 0xe1234010, 0x400);
  b.set(base + 0x2000, 1, 0xffffffff, 0x400);
  b.set(base + 0x3000, 1, 0, 0x80);
  b.set(base + 0x4000, 1, 0x2468, (5 << 1) | 0x80);
  b.set(base + 0x5000, 1, 0xe1234018, 0x400);
  const s = createSpace(b.mem, 'pae', b.root, { os: 'windows' });
  const i = newPteInfo();
  assert.equal(s.translate(base + 0x10, i), 0x102345010);
  assert.equal(i.state, PageState.Transition);
  assert.equal(s.translate(base + 0x1004, i), 0x5555004);
  assert.deepEqual([i.state, i.protoAddr, i.entryAddr], [PageState.Valid, 0xe1234010, protoPage + 0x10]);
  assert.equal(s.translate(base + 0x2000, i), -1);
  assert.deepEqual([i.state, i.protoAddr], [PageState.Prototype, -2]);
  assert.equal(s.translate(base + 0x3000, i), -1);
  assert.equal(i.state, PageState.DemandZero);
  assert.equal(s.translate(base + 0x4000, i), -1);
  assert.deepEqual([i.state, i.pageFile, i.pageFileOffset], [PageState.PageFile, 5, 0x2468000]);
  assert.equal(s.translate(base + 0x5000, i), -1);
  assert.deepEqual([i.state, i.subsection], [PageState.Subsection, 0xe2220000]);
});

test('PAE: PS in a non-present PDE is ignored; missing tables are TableMissing', () => {
  const b = new PageTableBuilder('pae');
  const pt = b.alloc();
  b.mem.writeU64(pt, 0, 0x777000 | 0x7);
  b.set(0x00600000, 2, 0, pt | 0x800 | 0x80); // transition page table with bit 7 set
  b.set(0x00800000, 2, 0, 0xdead000 | 0x7); // absent page table
  const s = createSpace(b.mem, 'pae', b.root, { os: 'windows' });
  const i = newPteInfo();
  assert.equal(s.translate(0x00600123, i), 0x777123);
  assert.equal(i.level, 1);
  assert.equal(s.translate(0x00800000, i), -1);
  assert.deepEqual([i.state, i.entryAddr], [PageState.TableMissing, 0xdead000]);
  const gone = createSpace(b.mem, 'pae', 0x7777000, { os: 'windows' });
  assert.equal(gone.translate(0, i), -1);
  assert.deepEqual([i.state, i.level], [PageState.TableMissing, 3]);
});

test('PAE Linux: PROT_NONE frames are inverted, swap entries decoded like x64', () => {
  const b = new PageTableBuilder('pae');
  b.set(0x1000, 1, ~0 >>> 0, ((~0x2345000 & 0xfffff000) | 0x100) >>> 0);
  b.set(0x2000, 1, ((3 << 27) | 0x7ffffff) >>> 0, (~(0x99 * 512) & ~0x1ff) >>> 0);
  const s = createSpace(b.mem, 'pae', b.root, { os: 'linux' });
  const i = newPteInfo();
  assert.equal(s.translate(0x1008, i), 0x2345008);
  assert.equal(i.flags & PteFlag.ProtNone, PteFlag.ProtNone);
  assert.equal(s.translate(0x2000, i), -1);
  assert.deepEqual([i.state, i.pageFile, i.pageFileOffset], [PageState.PageFile, 3, 0x99000]);
});
