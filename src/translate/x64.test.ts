import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PageTableBuilder } from '../testing/page-tables.js';
import { MemdigError } from '../util/errors.js';
import { parseAddress } from './address.js';
import { cr3FromHalves, createSpace } from './create.js';
import { newPteInfo, PageState, PteFlag } from './types.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

test('x64: 4 KiB, 2 MiB and 1 GiB pages, offsets inside them', () => {
  const b = new PageTableBuilder('x64');
  b.map(0x7ff612345000, 0x23456000);
  b.map(0x40000000, 0x7fe00000, 2 * MiB);
  b.map(parseAddress('0xffff888000000000'), 0x140000000, GiB);
  const s = createSpace(b.mem, 'x64', b.root, { os: 'windows' });
  const info = newPteInfo();
  assert.equal(s.translate(0x7ff612345abc, info), 0x23456abc);
  assert.equal(info.state, PageState.Valid);
  assert.equal(info.level, 1);
  assert.equal(info.pageSize, 4096);
  assert.equal(s.translate(0x40000000 + 0x1abcde, info), 0x7fe00000 + 0x1abcde);
  assert.equal(info.level, 2);
  assert.equal(info.pageSize, 2 * MiB);
  assert.equal(s.translate(parseAddress('0xffff8880123456789'.slice(0, 18)), info), 0x140000000 + 0x12345678);
  assert.equal(info.level, 3);
  assert.equal(info.pageSize, GiB);
  // Nothing else is mapped: a zero PML4 entry leaves 512 GiB unmapped.
  assert.equal(s.translate(0x100000000000, info), -1);
  assert.equal(info.state, PageState.Unmapped);
  assert.equal(info.level, 4);
  assert.equal(info.pageSize, 2 ** 39);
});

test('x64: NX, software bits 52-62, PAT and the protection flags are masked out of the address', () => {
  const b = new PageTableBuilder('x64');
  // NX + every software bit above the 52-bit address field.
  b.map(0x1000, 0x5000, 4096, 0x7 | 0x40, 0x80000000 | 0x7ff00000);
  // PAT (bit 12) in a 2 MiB entry is not an address bit; PCD/PWT/G in the low bits neither.
  b.map(0x200000, 0x600000, 2 * MiB, 0x7 | 0x1000 | 0x18 | 0x100, 0x80000000);
  // PAT in a 1 GiB entry, with physical address bits above 4 GiB.
  b.map(GiB, 0x3c0000000, GiB, 0x7 | 0x1000, 0x7ff00000);
  // Read-only supervisor page below a user/RW path.
  b.map(0x3000, 0x9000, 4096, 0x1);
  const s = createSpace(b.mem, 'x64', b.root, { os: 'linux' });
  const info = newPteInfo();
  assert.equal(s.translate(0x1010, info), 0x5010);
  assert.equal(info.flags & PteFlag.NoExecute, PteFlag.NoExecute);
  assert.equal(info.flags & PteFlag.Dirty, PteFlag.Dirty);
  assert.equal(info.flags & (PteFlag.User | PteFlag.Writable), PteFlag.User | PteFlag.Writable);
  assert.equal(s.translate(0x200000 + 0x1234, info), 0x600000 + 0x1234);
  assert.equal(s.translate(GiB + 0x10, info), 0x3c0000010);
  assert.equal(s.translate(0x3004, info), 0x9004);
  assert.equal(info.flags & (PteFlag.User | PteFlag.Writable | PteFlag.NoExecute), 0);
});

test('x64: CR3 flag bits (PCID, PWT/PCD, no-flush bit 63) are masked', () => {
  const b = new PageTableBuilder('x64', 0x7000);
  b.map(0x1000, 0x5000);
  assert.equal(createSpace(b.mem, 'x64', 0x7000 + 0x123, { os: 'windows' }).translate(0x1000), 0x5000);
  const s = createSpace(b.mem, 'x64', cr3FromHalves(0x80000000, 0x7000 | 0x18), { os: 'windows' });
  assert.equal(s.dtb, 0x7000);
  assert.equal(s.translate(0x1000), 0x5000);
});

test('x64 Windows: transition, demand-zero, page file, VAD marker, prototype (resolved and not)', () => {
  const b = new PageTableBuilder('x64');
  const kernelProto = parseAddress('0xffffc00012340000');
  const protoPage = 0x300000;
  b.map(kernelProto, protoPage, 4096, 0x3, 0x80000000);
  const base = 0x10000000;
  // Transition: bit 11, bit 10 clear, protection in 9:5 (bit 7 among them), PFN with Win10's bit-45 flag.
  b.set(base + 0x0000, 1, 0x2000, 0x1234000 | 0x800 | 0x80);
  // Demand zero: protection only.
  b.set(base + 0x1000, 1, 0, 0x80);
  // Decommitted: protection MM_DECOMMIT (0x10 in bits 9:5), no page-file slot.
  b.set(base + 0x9000, 1, 0, 0x10 << 5);
  // Page file 2 at page 0x1234 (legacy PageFileLow 4:1).
  b.set(base + 0x2000, 1, 0x1234, (2 << 1) | 0x80);
  // Prototype, VAD marker.
  b.set(base + 0x3000, 1, 0xffffffff, 0x420);
  // Prototype pointers to the kernel prototype array (entries 0..3).
  const protoVa = (i: number) => kernelProto + i * 8;
  const setProto = (va: number, i: number) => {
    const p = protoVa(i);
    b.set(va, 1, Math.floor(p / 0x10000), ((p % 0x10000) * 0x10000 + 0x400) >>> 0);
  };
  setProto(base + 0x4000, 0);
  setProto(base + 0x5000, 1);
  setProto(base + 0x6000, 2);
  setProto(base + 0x7000, 3);
  b.mem.writeU64(protoPage + 0, 0, 0x777000 | 0x121); // valid
  b.mem.writeU64(protoPage + 8, 0, 0x888000 | 0x800); // transition
  const subsection = parseAddress('0xffffa00011112220');
  b.mem.writeU64(
    protoPage + 16,
    Math.floor(subsection / 0x10000),
    ((subsection % 0x10000) * 0x10000 + 0x400) >>> 0,
  );
  b.mem.writeU64(protoPage + 24, 0x55, 0x80); // page file 0, page 0x55
  // A prototype pointer whose prototype page is absent.
  const absentProto = parseAddress('0xffffc00099990000');
  b.set(base + 0x8000, 1, Math.floor(absentProto / 0x10000), 0x400);

  const s = createSpace(b.mem, 'x64', b.root, { os: 'windows' });
  const i = newPteInfo();
  assert.equal(s.translate(base + 0x10, i), 0x1234010);
  assert.equal(i.state, PageState.Transition);
  assert.equal(i.pageSize, 4096);
  assert.equal(s.translate(base + 0x1000, i), -1);
  assert.equal(i.state, PageState.DemandZero);
  assert.equal(s.translate(base + 0x9000, i), -1);
  assert.equal(i.state, PageState.Unmapped);
  assert.equal(s.translate(base + 0x2000, i), -1);
  assert.deepEqual([i.state, i.pageFile, i.pageFileOffset], [PageState.PageFile, 2, 0x1234000]);
  assert.equal(s.translate(base + 0x3000, i), -1);
  assert.deepEqual([i.state, i.protoAddr], [PageState.Prototype, -2]);
  assert.equal(s.translate(base + 0x4008, i), 0x777008);
  assert.equal(i.state, PageState.Valid);
  assert.equal(i.flags & PteFlag.ViaPrototype, PteFlag.ViaPrototype);
  assert.equal(i.protoAddr, protoVa(0));
  assert.equal(i.entryAddr, protoPage);
  assert.equal(s.translate(base + 0x5008, i), 0x888008);
  assert.equal(i.state, PageState.Transition);
  assert.equal(s.translate(base + 0x6000, i), -1);
  assert.deepEqual([i.state, i.subsection, i.protoAddr], [PageState.Subsection, subsection, protoVa(2)]);
  assert.equal(s.translate(base + 0x7000, i), -1);
  assert.deepEqual([i.state, i.pageFile, i.pageFileOffset], [PageState.PageFile, 0, 0x55000]);
  assert.equal(s.translate(base + 0x8000, i), -1);
  assert.deepEqual([i.state, i.protoAddr], [PageState.Prototype, absentProto]);

  // Without prototype resolution or transition reading.
  const raw = createSpace(b.mem, 'x64', b.root, {
    os: 'windows',
    resolvePrototypes: false,
    readTransition: false,
  });
  assert.equal(raw.translate(base + 0x4000, i), -1);
  assert.deepEqual([i.state, i.protoAddr], [PageState.Prototype, protoVa(0)]);
  assert.equal(raw.translate(base, i), -1);
  assert.equal(i.state, PageState.Transition);
  assert.equal(i.phys, 0x1234000);
});

test('x64 Windows 10 software PTE layout: PageFileLow at 15:12, swizzled offsets', () => {
  const b = new PageTableBuilder('x64');
  b.set(0x1000, 1, 0x2000 ^ 0x77, (3 << 12) | 0x80); // swizzle bit 4 clear: offset XORed with the mask
  b.set(0x2000, 1, 0x77, (3 << 12) | 0x10 | 0x80); // swizzle bit set: stored as is
  const s = createSpace(b.mem, 'x64', b.root, {
    os: 'windows',
    pageFileLowBit: 12,
    invalidPteMaskHi: 0x2000,
  });
  const i = newPteInfo();
  s.translate(0x1000, i);
  assert.deepEqual([i.state, i.pageFile, i.pageFileOffset], [PageState.PageFile, 3, 0x77000]);
  s.translate(0x2000, i);
  assert.deepEqual([i.state, i.pageFile, i.pageFileOffset], [PageState.PageFile, 3, 0x77000]);
});

test('x64 Windows: PS in a non-present PDE is a protection bit, not a large page', () => {
  const b = new PageTableBuilder('x64');
  // A page table trimmed to the transition list, with bit 7 set in its (software) PDE.
  const pt = b.alloc();
  b.mem.writeU64(pt + 5 * 8, 0, 0xabc000 | 0x7);
  b.set(0x40000000, 2, 0, pt | 0x800 | 0x80);
  // A paged-out page table, bit 7 set too.
  b.set(0x40200000, 2, 0x99, 0x80 | (1 << 1));
  const s = createSpace(b.mem, 'x64', b.root, { os: 'windows' });
  const i = newPteInfo();
  assert.equal(s.translate(0x40005123, i), 0xabc123);
  assert.equal(i.state, PageState.Valid);
  assert.equal(i.level, 1);
  assert.equal(i.flags & PteFlag.TableInTransition, PteFlag.TableInTransition);
  assert.equal(s.translate(0x40200000, i), -1);
  assert.deepEqual(
    [i.state, i.level, i.pageSize, i.pageFileOffset],
    [PageState.PageFile, 2, 2 * MiB, 0x99000],
  );
  // Linux: a non-present PDE with PS and no other meaning is unmapped, not a 2 MiB page at its "address".
  const lin = new PageTableBuilder('x64');
  lin.set(0x40000000, 2, 0, 0x80 | 0x40);
  assert.equal(createSpace(lin.mem, 'x64', lin.root, { os: 'linux' }).translate(0x40000000, i), -1);
});

test('x64 Linux: PROT_NONE pages (inverted frame), huge PROT_NONE PMDs, swap entries, none', () => {
  const b = new PageTableBuilder('x64');
  const inv = (pa: number, flags: number) => [
    ~Math.floor(pa / 2 ** 32) >>> 0,
    ((~pa & 0xfffff000) | flags) >>> 0,
  ];
  const [h1, l1] = inv(0x1234000, 0x100 | 0x20);
  b.set(0x1000, 1, h1!, l1!);
  const [h2, l2] = inv(0x40000000, 0x100 | 0x80 | 0x20);
  b.set(0x400000, 2, h2!, (l2! & ~0x1fe000) >>> 0);
  // Swap type 1, offset 0x4321 pages: type in 63:59, offset inverted in 58:9.
  const off = 0x4321;
  const v = ~(off * 512);
  b.set(0x2000, 1, ((1 << 27) | (0x7ffffff & ~Math.floor(off / 2 ** 23))) >>> 0, (v & ~0x1ff) >>> 0);
  b.set(0x3000, 1, 0, 0x60); // none, with erratum A/D bits
  const s = createSpace(b.mem, 'x64', b.root, { os: 'linux' });
  const i = newPteInfo();
  assert.equal(s.translate(0x1010, i), 0x1234010);
  assert.equal(i.state, PageState.Valid);
  assert.equal(i.flags & PteFlag.ProtNone, PteFlag.ProtNone);
  assert.equal(s.translate(0x400000 + 0x12345, i), 0x40000000 + 0x12345);
  assert.equal(i.pageSize, 2 * MiB);
  assert.equal(i.flags & PteFlag.ProtNone, PteFlag.ProtNone);
  assert.equal(s.translate(0x2000, i), -1);
  assert.deepEqual([i.state, i.pageFile, i.pageFileOffset], [PageState.PageFile, 1, off * 4096]);
  assert.equal(s.translate(0x3000, i), -1);
  assert.equal(i.state, PageState.Unmapped);
  // The same transition-looking PTE that Windows reads as transition is a swap entry on Linux, never RAM.
  b.set(0x5000, 1, 0, 0x1234000 | 0x800);
  s.flush(); // page tables changed under the space
  assert.equal(s.translate(0x5000, i), -1);
  assert.equal(i.state, PageState.PageFile);
});

test('x64: missing table pages are TableMissing, at every level', () => {
  const b = new PageTableBuilder('x64');
  b.set(0x1000, 1, 0, 0x5000 | 7);
  b.set(0x40000000, 2, 0, 0xdead000 | 7); // page table not in the dump
  b.set(0x8000000000, 4, 0, 0xbeef000 | 7); // PDPT not in the dump
  const s = createSpace(b.mem, 'x64', b.root, { os: 'windows' });
  const i = newPteInfo();
  assert.equal(s.translate(0x40000000, i), -1);
  assert.deepEqual([i.state, i.level, i.entryAddr], [PageState.TableMissing, 1, 0xdead000]);
  assert.equal(s.translate(0x8000000000, i), -1);
  assert.deepEqual([i.state, i.level], [PageState.TableMissing, 3]);
  const gone = createSpace(b.mem, 'x64', 0x9999000, { os: 'windows' });
  assert.equal(gone.translate(0x1000, i), -1);
  assert.deepEqual([i.state, i.level], [PageState.TableMissing, 4]);
});

test('x64: the self-map (PML4 index 0x1ED) resolves; entries pointing back at their own table do not hang', () => {
  const b = new PageTableBuilder('x64');
  b.map(0x1000, 0x5000);
  b.set(parseAddress('0xfffff68000000000'), 4, 0, b.root | 3);
  const s = createSpace(b.mem, 'x64', b.root, { os: 'windows' });
  // PML4 through itself four times: 0xFFFFF6FB7DBED000.
  assert.equal(s.translate(parseAddress('0xfffff6fb7dbed000')), b.root);
  // The PTE of VA 0x1000 through the self-map: 0xFFFFF68000000008.
  const pteVa = parseAddress('0xfffff68000000008');
  assert.equal(s.readU32(pteVa), 0x5007);
  // Every level pointing at the same page (a loop) ends after four reads.
  const loop = new PageTableBuilder('x64');
  for (let i = 0; i < 512; i++) loop.mem.writeU64(loop.root + i * 8, 0, loop.root | 7);
  const l = createSpace(loop.mem, 'x64', loop.root, { os: 'linux' });
  assert.equal(l.translate(0x123456789000), loop.root);
});

test('x64: addresses at or beyond 2^48 are unmapped, not wrapped', () => {
  const b = new PageTableBuilder('x64');
  b.map(0, 0x5000);
  const s = createSpace(b.mem, 'x64', b.root, { os: 'linux' });
  const i = newPteInfo();
  assert.equal(s.translate(2 ** 48, i), -1);
  assert.equal(i.state, PageState.Unmapped);
  assert.equal(s.translate(-4096, i), -1);
});

test('5-level paging is refused with a clear error', () => {
  const b = new PageTableBuilder('x64');
  assert.throws(
    () => createSpace(b.mem, 'x64', b.root, { os: 'linux', cr4: 0x1000 | 0x6f0 }),
    (e: unknown) => e instanceof MemdigError && /5-level paging/.test(e.message) && /LA57/.test(e.message),
  );
  assert.throws(() => createSpace(b.mem, 'x64', b.root, { os: 'linux', la57: true }), MemdigError);
  assert.doesNotThrow(() => createSpace(b.mem, 'x64', b.root, { os: 'linux', cr4: 0x6f0 }));
});

test('x64 Windows: a prototype pointer into the user half is reported, never followed', () => {
  const b = new PageTableBuilder('x64');
  b.map(0x12340000, 0x300000);
  b.mem.writeU64(0x300000, 0, 0x777000 | 0x1);
  b.set(0x1000, 1, 0x1234, 0x0000 | 0x400); // ProtoAddress 0x12340000: user half
  const s = createSpace(b.mem, 'x64', b.root, { os: 'windows' });
  const i = newPteInfo();
  assert.equal(s.translate(0x1000, i), -1);
  assert.deepEqual([i.state, i.protoAddr], [PageState.Prototype, 0x12340000]);
});

test('x64 Linux: a PROT_NONE frame stored plain (kernels before the L1TF inversion) is taken as is', () => {
  const b = new PageTableBuilder('x64');
  const data = b.alloc();
  b.set(0x1000, 1, 0, data | 0x100 | 0x20);
  const s = createSpace(b.mem, 'x64', b.root, { os: 'linux' });
  const i = newPteInfo();
  assert.equal(s.translate(0x1010, i), data + 0x10);
  assert.equal(i.flags & PteFlag.ProtNone, PteFlag.ProtNone);
});
