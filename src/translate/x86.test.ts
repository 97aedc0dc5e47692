import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PageTableBuilder } from '../testing/page-tables.js';
import { createSpace } from './create.js';
import { newPteInfo, PageState, PteFlag } from './types.js';
import { prototypeAddress } from './windows-pte.js';

const MiB = 2 ** 20;

/** Windows 7-style non-PAE prototype pointer: VA bits 30:10 in PTE bits 31:11, VA bits 9:2 in PTE bits 8:1. */
function protoPte(va: number): number {
  const off = va - 0x80000000;
  return ((Math.floor(off / 1024) << 11) | (((off >>> 2) & 0xff) << 1) | 0x400) >>> 0;
}

test('x86: 4 KiB pages and 4 MiB pages (PSE, PSE-36), and PS ignored without PSE', () => {
  const b = new PageTableBuilder('x86');
  b.map(0x00401000, 0x2345000);
  b.map(0x80000000, 0x00c00000, 4 * MiB, 0x3 | 0x1000); // PAT bit 12 is not an address bit
  b.set(0x80400000, 2, 0, (0x01000000 | (0x3 << 13) | 0x83) >>> 0); // PSE-36: PA 0x3_01000000
  const s = createSpace(b.mem, 'x86', b.root | 0x18, { os: 'windows' });
  assert.equal(s.dtb, b.root);
  const i = newPteInfo();
  assert.equal(s.translate(0x00401abc, i), 0x2345abc);
  assert.equal(s.translate(0x80123456, i), 0x00c00000 + 0x123456);
  assert.deepEqual([i.level, i.pageSize], [2, 4 * MiB]);
  assert.equal(i.flags & PteFlag.User, 0);
  assert.equal(s.translate(0x80400010, i), 0x301000010);
  // CR4.PSE clear: the same PDE is a page-table pointer (bit 12 is then an address bit: 0x00c01000, absent).
  const noPse = createSpace(b.mem, 'x86', b.root, { os: 'windows', cr4: 0 });
  assert.equal(noPse.translate(0x80123456, i), -1);
  assert.deepEqual([i.state, i.entryAddr], [PageState.TableMissing, 0x00c01000 + 0x123 * 4]);
  assert.equal(s.translate(0xc0000000, i), -1);
  assert.deepEqual([i.state, i.level, i.pageSize], [PageState.Unmapped, 2, 4 * MiB]);
});

test('x86 Windows: transition, prototype (packed non-PAE encoding), VAD marker, demand zero, page file', () => {
  const b = new PageTableBuilder('x86');
  const protoPage = 0x400000;
  const protoVa = 0x8a123458;
  b.map(0x8a123000, protoPage, 4096, 0x3);
  b.mem.writeU32(protoPage + 0x458, 0x6789000 | 0x63);
  b.mem.writeU32(protoPage + 0x45c, 0x789a000 | 0x800);
  assert.equal(prototypeAddress('x86', protoPte(protoVa), 0), protoVa);
  const base = 0x10000000;
  b.set(base + 0x0000, 1, 0, 0x2345000 | 0x800 | 0x80);
  b.set(base + 0x1000, 1, 0, protoPte(protoVa));
  b.set(base + 0x2000, 1, 0, protoPte(protoVa + 4));
  b.set(base + 0x3000, 1, 0, 0xfffff000 | 0x400);
  b.set(base + 0x4000, 1, 0, 0x80);
  b.set(base + 0x5000, 1, 0, (0x1234 << 12) | (1 << 1) | 0x80);
  const s = createSpace(b.mem, 'x86', b.root, { os: 'windows' });
  const i = newPteInfo();
  assert.equal(s.translate(base + 0x10, i), 0x2345010);
  assert.equal(i.state, PageState.Transition);
  assert.equal(s.translate(base + 0x1010, i), 0x6789010);
  assert.deepEqual([i.state, i.protoAddr, i.entryAddr], [PageState.Valid, protoVa, protoPage + 0x458]);
  assert.equal(s.translate(base + 0x2010, i), 0x789a010);
  assert.equal(i.state, PageState.Transition);
  assert.equal(s.translate(base + 0x3000, i), -1);
  assert.deepEqual([i.state, i.protoAddr], [PageState.Prototype, -2]);
  assert.equal(s.translate(base + 0x4000, i), -1);
  assert.equal(i.state, PageState.DemandZero);
  assert.equal(s.translate(base + 0x5000, i), -1);
  assert.deepEqual([i.state, i.pageFile, i.pageFileOffset], [PageState.PageFile, 1, 0x1234000]);
});

test('x86: PS in a non-present PDE is ignored; missing page tables are TableMissing', () => {
  const b = new PageTableBuilder('x86');
  const pt = b.alloc();
  b.mem.writeU32(pt + 4, 0x777000 | 0x7);
  b.set(0x00400000, 2, 0, pt | 0x800 | 0x80);
  b.set(0x00800000, 2, 0, 0xdead000 | 0x7);
  const s = createSpace(b.mem, 'x86', b.root, { os: 'windows' });
  const i = newPteInfo();
  assert.equal(s.translate(0x00401123, i), 0x777123);
  assert.equal(i.flags & PteFlag.TableInTransition, PteFlag.TableInTransition);
  assert.equal(s.translate(0x00800000, i), -1);
  assert.equal(i.state, PageState.TableMissing);
});

test('x86 Linux: PROT_NONE frames are not inverted on 2-level tables; swap type 5:1, offset 31:9', () => {
  const b = new PageTableBuilder('x86');
  b.set(0x1000, 1, 0, 0x2345000 | 0x100 | 0x4);
  b.set(0x2000, 1, 0, ((0x321 << 9) | (2 << 1)) >>> 0);
  const s = createSpace(b.mem, 'x86', b.root, { os: 'linux' });
  const i = newPteInfo();
  assert.equal(s.translate(0x1008, i), 0x2345008);
  assert.equal(i.flags & PteFlag.ProtNone, PteFlag.ProtNone);
  assert.equal(s.translate(0x2000, i), -1);
  assert.deepEqual([i.state, i.pageFile, i.pageFileOffset], [PageState.PageFile, 2, 0x321000]);
});
