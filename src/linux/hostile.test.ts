import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferMemory } from '../sources/buffer.js';
import { Warnings } from '../util/errors.js';
import { KernelMemory } from './kmem.js';
import { listNodes } from './list.js';
import { mapleEntries } from './maple.js';
import { xarrayEntries } from './xarray.js';

/** A direct map at a made-up base over a small physical buffer: VA = POB + PA. */
const POB = 0x888000000000;

function setup(): { mem: BufferMemory; k: KernelMemory; put: (pa: number, v: number) => void } {
  const mem = new BufferMemory();
  mem.write(0, new Uint8Array(64 * 1024));
  const k = new KernelMemory(mem);
  k.pageOffsetBase = POB;
  const put = (pa: number, v: number) => {
    const b = new Uint8Array(8);
    const dv = new DataView(b.buffer);
    // 48-bit kernel addresses are stored sign-extended, as the kernel holds them.
    const hi = Math.floor(v / 2 ** 32);
    dv.setUint32(0, v % 2 ** 32, true);
    dv.setUint32(4, hi >= 0x8000 ? (hi | 0xffff0000) >>> 0 : hi, true);
    mem.write(pa, b);
  };
  return { mem, k, put };
}

test('list: a cycle that never returns to the head ends with a warning', () => {
  const { k, put } = setup();
  // head at 0x100 → A(0x200) → B(0x300) → A ...
  put(0x100, POB + 0x200);
  put(0x200, POB + 0x300);
  put(0x300, POB + 0x200);
  const w = new Warnings();
  const got = [...listNodes(k, POB + 0x100, 'test list', w)];
  assert.deepEqual(got, [POB + 0x200, POB + 0x300]);
  assert.match(w.items[0]!, /loops back/);
});

test('list: a pointer into nowhere (inode list) gives partial results and a warning', () => {
  const { k, put } = setup();
  put(0x100, POB + 0x200);
  put(0x200, POB + 0x7fff0000); // beyond the dump
  const w = new Warnings();
  const got = [...listNodes(k, POB + 0x100, 'inodes', w)];
  assert.deepEqual(got, [POB + 0x200]);
  assert.match(w.items[0]!, /broken/);
});

test('maple: a node whose child slot points back at itself is walked once', () => {
  const { k, put } = setup();
  const node = 0x1000;
  // arange_64 (type 3) node: pivot[0] = 0x1000, slot[0] = itself (encoded, no root bit), slot[1] → leaf.
  const enode = POB + node + (3 << 3) + 4;
  const leaf = 0x2000;
  put(node, POB + 0x3000 + 1); // parent: the tree (root flag bit)
  put(node + 8, 0x1000);
  put(node + 16, 0xffffffffffff);
  put(node + 80, enode);
  put(node + 88, POB + leaf + (1 << 3) + 4);
  put(leaf, POB + node); // leaf's parent
  put(leaf + 8, 0x5fff); // pivot 0: [0x1001, 0x5fff] → vma
  put(leaf + 16, 0xffffffffffff);
  put(leaf + 128, POB + 0x4000);
  const w = new Warnings();
  const t0 = performance.now();
  const got = [...mapleEntries(k, enode + 2, 'mm', w)];
  assert.ok(performance.now() - t0 < 1000);
  assert.deepEqual(
    got.map((e) => e.value),
    [POB + 0x4000],
  );
  assert.ok(w.items.some((m) => /loop|parent/.test(m)));
});

test('xarray: a node that lists itself as a child is not followed again', () => {
  const { k, put, mem } = setup();
  const node = 0x1000;
  mem.write(node, new Uint8Array([6])); // shift 6
  put(node + 40, POB + node + 2); // slot 0: itself
  put(node + 48, POB + 0x5000); // slot 1: a page pointer (index 64)
  const w = new Warnings();
  const got = [...xarrayEntries(k, POB + node + 2, { shift: 0, slots: 40 }, 'i_pages', w)];
  assert.deepEqual(
    got.map((e) => [e.index, e.span, e.value]),
    [[64, 64, POB + 0x5000]],
  );
  assert.ok(w.items.length >= 1);
});
