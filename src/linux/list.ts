import type { Warnings } from '../util/errors.js';
import { isKernelVa, type KernelMemory } from './kmem.js';

const DEFAULT_MAX = 1 << 20;

/**
 * Walks a circular `list_head` from `head` (the head's own address), yielding the address of each entry's
 * embedded node. Stops at the head, at a repeated node (a cycle not through the head: smear or corruption), at an
 * unreadable or non-kernel pointer, or after `max` entries — each stop other than the head is a warning.
 */
export function* listNodes(
  k: KernelMemory,
  head: number,
  what: string,
  warnings: Warnings,
  max = DEFAULT_MAX,
): Generator<number> {
  const seen = new Set<number>();
  let node = k.ptr(head);
  while (node !== head) {
    if (node <= 0 || !isKernelVa(node) || !k.readable(node, 16)) {
      warnings.add(`${what}: list broken at 0x${node.toString(16)} after ${seen.size} entries`);
      return;
    }
    if (seen.has(node)) {
      warnings.add(`${what}: list loops back to 0x${node.toString(16)} after ${seen.size} entries`);
      return;
    }
    if (seen.size >= max) {
      warnings.add(`${what}: stopped after ${max} entries`);
      return;
    }
    seen.add(node);
    yield node;
    node = k.ptr(node);
  }
}
