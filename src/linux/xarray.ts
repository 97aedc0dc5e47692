import type { Warnings } from '../util/errors.js';
import { isKernelVa, type KernelMemory } from './kmem.js';

const XA_CHUNK = 64;
const MAX_NODES = 1 << 20;

export interface XaEntry {
  /** First index covered. */
  index: number;
  /** Number of consecutive indices covered (multi-index entries of large folios cover 2^shift). */
  span: number;
  /** The stored pointer (48-bit form) for pointer entries; for value entries the raw value. */
  value: number;
  /** A value entry (shadow of an evicted page, or a shmem swap entry): no page in RAM. */
  isValue: boolean;
  /** Offset of this index inside a multi-index entry (from a sibling slot); 0 otherwise. */
  subIndex: number;
}

/**
 * Walks an XArray (address_space.i_pages since 4.20) from its head pointer, yielding entries in index order.
 * Encoding (include/linux/xarray.h): value entries have bit 0 set; internal entries are `(x & 3) == 2`, nodes are
 * internal entries above 4096 (node = x − 2), small internal values 0..62 are sibling slots pointing at their
 * canonical slot, 256/257 are retry/zero entries. Loops, wild pointers and inconsistent shifts end that subtree.
 */
export function* xarrayEntries(
  k: KernelMemory,
  head: number,
  layout: { shift: number; slots: number },
  what: string,
  warnings: Warnings,
): Generator<XaEntry> {
  if (head === 0) return;
  if (!isNode(head)) {
    if ((head & 3) === 2) return;
    yield { index: 0, span: 1, value: head, isValue: (head & 1) === 1, subIndex: 0 };
    return;
  }
  const seen = new Set<number>();
  const slots = new Uint8Array(XA_CHUNK * 8);
  const dv = new DataView(slots.buffer);
  const stack: { node: number; base: number; expectShift: number }[] = [
    { node: head - 2, base: 0, expectShift: -1 },
  ];
  while (stack.length) {
    const { node, base, expectShift } = stack.pop()!;
    if (!isKernelVa(node) || seen.has(node) || seen.size >= MAX_NODES) {
      warnings.add(
        `${what}: xarray node 0x${node.toString(16)} ${seen.has(node) ? 'reached twice (loop)' : 'is invalid'}`,
      );
      continue;
    }
    seen.add(node);
    const shift = k.u8(node + layout.shift);
    if (shift < 0 || shift % 6 !== 0 || shift > 60 || (expectShift >= 0 && shift !== expectShift)) {
      warnings.add(`${what}: xarray node 0x${node.toString(16)} has shift ${shift}`);
      continue;
    }
    if (k.read(node + layout.slots, slots, 0, slots.length) < slots.length) {
      warnings.add(`${what}: xarray node 0x${node.toString(16)} is not in the dump`);
      continue;
    }
    const step = 2 ** shift;
    const children: { node: number; base: number; expectShift: number }[] = [];
    for (let i = 0; i < XA_CHUNK; i++) {
      const hi = dv.getUint32(i * 8 + 4, true);
      const lo = dv.getUint32(i * 8, true);
      if (hi === 0 && lo === 0) continue;
      const v = (hi >>> 16 === 0xffff ? hi & 0xffff : hi) * 0x100000000 + lo;
      const index = base + i * step;
      if ((lo & 3) === 2) {
        if (v > 4096) {
          if (shift === 0) warnings.add(`${what}: xarray leaf 0x${node.toString(16)} holds a node pointer`);
          else children.push({ node: v - 2, base: index, expectShift: shift - 6 });
          continue;
        }
        const iv = v >>> 2;
        if (iv < XA_CHUNK - 1 && iv < i) {
          // Sibling: part of the multi-index entry in slot `iv`.
          const chi = dv.getUint32(iv * 8 + 4, true);
          const clo = dv.getUint32(iv * 8, true);
          const cv = (chi >>> 16 === 0xffff ? chi & 0xffff : chi) * 0x100000000 + clo;
          if ((clo & 3) !== 2 && cv !== 0) {
            yield { index, span: step, value: cv, isValue: (clo & 1) === 1, subIndex: (i - iv) * step };
          }
        }
        continue; // retry / zero entries: nothing stored
      }
      yield { index, span: step, value: v, isValue: (lo & 1) === 1, subIndex: 0 };
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
}

function isNode(x: number): boolean {
  return (x & 3) === 2 && x > 4096;
}
