import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PageTableBuilder } from '../testing/page-tables.js';
import {
  canonicalToNumber,
  formatCanonical,
  fromBigInt,
  isLa57OnlyPointer,
  parseAddress,
  toBigInt,
} from './address.js';
import { createSpace } from './create.js';
import { newPteInfo, PageState } from './types.js';

function fill(b: PageTableBuilder, pa: number, seed: number): void {
  const p = b.mem.page(pa);
  for (let i = 0; i < 4096; i++) p[i] = (seed + i) & 0xff;
}

test('read: spans pages, zero-fills unmapped pages and pages absent from the dump, reports the holes', () => {
  for (const arch of ['x86', 'pae', 'x64'] as const) {
    const b = new PageTableBuilder(arch);
    const va = 0x10000000;
    // Pages 0, 1, 3 mapped to scattered frames; page 2 unmapped; page 4 maps a frame absent from the dump.
    fill(b, 0x700000, 0);
    fill(b, 0x500000, 100);
    fill(b, 0x900000, 200);
    b.map(va, 0x700000);
    b.map(va + 0x1000, 0x500000);
    b.map(va + 0x3000, 0x900000);
    b.map(va + 0x4000, 0xabc000);
    const s = createSpace(b.mem, arch, b.root, { os: 'windows' });
    const dst = new Uint8Array(5 * 4096 + 16).fill(0xee);
    const got = s.read(va + 0x800, dst, 16, 5 * 4096 - 0x800);
    assert.equal(got, 0x1800, arch);
    assert.equal(s.lastMissing, 2 * 4096, arch);
    assert.deepEqual([...dst.subarray(0, 16)], new Array(16).fill(0xee));
    assert.equal(dst[16], 0x800 & 0xff);
    assert.equal(dst[16 + 0x800], 100 & 0xff); // first byte of page 1
    assert.ok(dst.subarray(16 + 0x1800, 16 + 0x2800).every((x) => x === 0));
    assert.equal(dst[16 + 0x2800], 200 & 0xff);
    assert.ok(dst.subarray(16 + 0x3800, 16 + 0x4800).every((x) => x === 0));
    assert.equal(s.read(va, dst, 0, 10), 10);
    assert.equal(s.lastMissing, 0);
    // u32 across a page boundary, and across into a hole.
    assert.equal(s.readU32(va + 0xffe), ((100 + 1) << 24) | (100 << 16) | (0xff << 8) | 0xfe);
    assert.equal(s.readU32(va + 0x1ffe), -1);
    assert.equal(s.readU32(va + 0x2000), -1);
    assert.equal(s.readPointer(va + 4), arch === 'x64' ? -1 : 0x07060504);
  }
});

test('read: a large unmapped span is skipped by the entry that covers it, not page by page', () => {
  const b = new PageTableBuilder('x64');
  b.map(0x8000000000 - 4096, 0x5000);
  fill(b, 0x5000, 1);
  const s = createSpace(b.mem, 'x64', b.root, { os: 'linux' });
  let reads = 0;
  const read = b.mem.read.bind(b.mem);
  b.mem.read = (...args) => {
    reads++;
    return read(...args);
  };
  const len = 16 * 2 ** 20;
  const dst = new Uint8Array(len);
  assert.equal(s.read(0x8000000000 - 4096, dst, 0, len), 4096);
  assert.equal(s.lastMissing, len - 4096);
  // The page, plus the walks' table pages loaded into the table cache; the rest is one zero-filled span
  // (page by page would be 4096 walks).
  assert.ok(reads <= 8, `${reads} container reads`);
});

test('readU64AsNumber / readPointer: canonical x64 pointers come back with the sign bits dropped', () => {
  const b = new PageTableBuilder('x64');
  b.map(0x1000, 0x5000);
  b.mem.writeU64(0x5000, 0xffff8d3d, 0x12345678);
  b.mem.writeU64(0x5008, 0x00007fff, 0x00001000);
  b.mem.writeU64(0x5010, 0x00010000, 0); // not canonical
  b.mem.writeU64(0x5ffc, 0xffffffff, 0xffffffff); // straddles into an unmapped page
  const s = createSpace(b.mem, 'x64', b.root, { os: 'linux' });
  assert.equal(s.readU64AsNumber(0x1000), 0x8d3d12345678);
  assert.equal(formatCanonical(s.readPointer(0x1000)), '0xffff8d3d12345678');
  assert.equal(s.readPointer(0x1008), 0x7fff00001000);
  assert.equal(s.readU64AsNumber(0x1010), -1);
  assert.equal(s.readU64AsNumber(0x1ffc), -1);
});

test('translate fills the TLB consistently with full walks; flush forgets', () => {
  const b = new PageTableBuilder('x64');
  for (let i = 0; i < 1024; i++) b.map(0x7f0000000000 + i * 4096, 0x10000000 + ((i * 7919) % 1024) * 4096);
  const s = createSpace(b.mem, 'x64', b.root, { os: 'linux' });
  const info = newPteInfo();
  for (let r = 0; r < 3; r++) {
    for (let i = 0; i < 1024; i++) {
      const va = 0x7f0000000000 + i * 4096 + (i % 4096);
      const want = 0x10000000 + ((i * 7919) % 1024) * 4096 + (i % 4096);
      assert.equal(s.translate(va), want);
      if (r === 1) assert.equal(s.translate(va, info), want);
    }
  }
  assert.equal(s.translate(0x7f0000000000), 0x10000000);
  b.map(0x7f0000000000, 0x20000000);
  assert.equal(s.translate(0x7f0000000000), 0x10000000); // cached
  s.flush();
  assert.equal(s.translate(0x7f0000000000), 0x20000000);
  assert.equal(s.translate(0x7f0000400000, info), -1);
  assert.equal(info.state, PageState.Unmapped);
});

test('address helpers: canonical halves, BigInt and strings', () => {
  assert.equal(canonicalToNumber(0xffff8000, 0), 0x800000000000);
  assert.equal(canonicalToNumber(0x00007fff, 0xffffffff), 0x7fffffffffff);
  assert.equal(canonicalToNumber(0xffff7fff, 0), -1);
  assert.equal(canonicalToNumber(0x00008000, 0), -1);
  assert.equal(fromBigInt(0xffffffff80000000n), 0xffff80000000);
  assert.equal(fromBigInt(-1n), 0xffffffffffff);
  assert.equal(toBigInt(0xffff80000000), 0xffffffff80000000n);
  assert.equal(toBigInt(0x1234), 0x1234n);
  assert.equal(parseAddress('0xffff8d3d00000000'), 0x8d3d00000000);
  assert.equal(parseAddress('ffffffffbb010000'), 0xffffbb010000);
  assert.equal(parseAddress('4096'), 4096);
  assert.equal(parseAddress('nope'), -1);
  assert.equal(parseAddress('0x1ffffffffffffffff'), -1);
  assert.equal(formatCanonical(0xffffbb010000), '0xffffffffbb010000');
  assert.equal(formatCanonical(0x7fff1000), '0x7fff1000');
});

test('forEachPage: visits mapped and non-present-but-described pages, skips empty spans whole', () => {
  const b = new PageTableBuilder('x64');
  b.map(0x1000, 0x5000);
  b.map(0x400000, 0x800000, 2 ** 21);
  b.set(0x7fff00000000, 1, 0, 0x1234000 | 0x800); // transition (Windows)
  b.map(0x7fff00003000, 0x6000);
  const s = createSpace(b.mem, 'x64', b.root, { os: 'windows' });
  const seen: [number, number, number, number][] = [];
  const n = s.forEachPage(0, 2 ** 48, (va, i) => {
    seen.push([va, i.state, i.phys, i.pageSize]);
  });
  assert.equal(n, 4);
  assert.deepEqual(seen, [
    [0x1000, PageState.Valid, 0x5000, 4096],
    [0x400000, PageState.Valid, 0x800000, 2 ** 21],
    [0x7fff00000000, PageState.Transition, 0x1234000, 4096],
    [0x7fff00003000, PageState.Valid, 0x6000, 4096],
  ]);
  let stops = 0;
  s.forEachPage(0, 2 ** 48, () => {
    stops++;
    return false;
  });
  assert.equal(stops, 1);
});

test('isLa57OnlyPointer: 5-level kernel pointers are told from 4-level ones', () => {
  assert.equal(isLa57OnlyPointer(0xff110000), true); // Linux page_offset_base under LA57
  assert.equal(isLa57OnlyPointer(0xffff8880), false); // the 4-level default
  assert.equal(isLa57OnlyPointer(0x00007fff), false);
});

test('forEachPage: a missing table is reported once for its whole span; Windows transition tables are entered', () => {
  const b = new PageTableBuilder('x64');
  b.set(0x40000000, 2, 0, 0xdead000 | 7); // page table absent from the dump
  const pt = b.alloc();
  b.mem.writeU64(pt + 8, 0, 0x999000 | 7);
  b.set(0x80000000, 2, 0, pt | 0x800 | 0x80); // transition page table
  const s = createSpace(b.mem, 'x64', b.root, { os: 'windows' });
  const seen: [number, number, number][] = [];
  s.forEachPage(0, 2 ** 47, (va, i) => {
    seen.push([va, i.state, i.pageSize]);
  });
  assert.deepEqual(seen, [
    [0x40000000, PageState.TableMissing, 2 ** 21],
    [0x80001000, PageState.Valid, 4096],
  ]);
  const root: number[] = [];
  createSpace(b.mem, 'x64', 0x7777000, { os: 'windows' }).forEachPage(0x1000, 2 ** 48, (va, i) => {
    root.push(va, i.state, i.pageSize);
  });
  assert.deepEqual(root, [0x1000, PageState.TableMissing, 2 ** 48 - 0x1000]);
});

test('forEachPage on x86 and PAE: small and large pages, upper end of the 4 GiB space', () => {
  for (const arch of ['x86', 'pae'] as const) {
    const b = new PageTableBuilder(arch);
    const large = arch === 'x86' ? 4 * 2 ** 20 : 2 * 2 ** 20;
    b.map(0x1000, 0x5000);
    b.map(0x80000000, 0x400000 * 4, large);
    b.map(0xfffff000, 0x6000);
    const s = createSpace(b.mem, arch, b.root, { os: 'linux' });
    const seen: number[] = [];
    s.forEachPage(0, 2 ** 32, (va, i) => {
      seen.push(va, i.phys, i.pageSize);
    });
    assert.deepEqual(
      seen,
      [0x1000, 0x5000, 4096, 0x80000000, 0x1000000, large, 0xfffff000, 0x6000, 4096],
      arch,
    );
    const part: number[] = [];
    s.forEachPage(0x80001000, 0x80002000, (va, i) => {
      part.push(va, i.phys);
    });
    assert.deepEqual(part, [0x80001000, 0x1001000], arch);
  }
});
