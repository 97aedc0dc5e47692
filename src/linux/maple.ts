import type { Warnings } from '../util/errors.js';
import { isKernelVa, type KernelMemory } from './kmem.js';

/** Maple tree node types (enum maple_type, lib/maple_tree.c). */
export const MapleType = { Dense: 0, Leaf64: 1, Range64: 2, Arange64: 3 } as const;

const NODE_SIZE = 256;
/** The top of the address space (ULONG_MAX) as memdig's 48-bit reads render it. */
export const MAPLE_MAX = 0xffffffffffff;
const MAX_DEPTH = 12;
const MAX_NODES = 1 << 18;

export interface MapleEntry {
  /** Inclusive range the entry covers. */
  first: number;
  last: number;
  /** The stored pointer (48-bit form). */
  value: number;
}

/**
 * Walks a maple tree (6.1+: mm->mm_mt holds the VMAs) and yields its non-NULL leaf entries in order.
 * Encoded node = node address | type << 3 | flags; `ma_root` of a tree with nodes has 0x2 set (xa_is_node),
 * child slots do not. Each node's slot i covers (pivot[i−1], pivot[i]]; the last used slot ends at the node's max;
 * unused pivots are 0, and a full leaf may keep metadata in its last slot. Hostile input (loops, wild pointers,
 * bad types) ends the walk of that subtree with a warning.
 */
export function* mapleEntries(
  k: KernelMemory,
  root: number,
  what: string,
  warnings: Warnings,
): Generator<MapleEntry> {
  if (root === 0) return;
  const isNode = (root & 3) === 2 && root > 4096;
  if (!isNode) {
    // A tree with a single entry at index 0 keeps it in the root.
    if (isKernelVa(root)) yield { first: 0, last: 0, value: root };
    return;
  }
  const seen = new Set<number>();
  const buf = new Uint8Array(NODE_SIZE);
  const dv = new DataView(buf.buffer);
  const u64 = (o: number): number => {
    const hi = dv.getUint32(o + 4, true);
    const lo = dv.getUint32(o, true);
    return (hi >>> 16 === 0xffff ? hi & 0xffff : hi) * 0x100000000 + lo;
  };
  // Explicit stack: [encoded node, min, max, depth, parent node].
  const stack: [number, number, number, number, number][] = [[root, 0, MAPLE_MAX, 0, 0]];
  const out: MapleEntry[] = [];
  while (stack.length) {
    const [enode, min, max, depth, parent] = stack.pop()!;
    const node = enode - (enode % NODE_SIZE);
    const type = Math.floor(enode / 8) % 16;
    if (!isKernelVa(node) || depth > MAX_DEPTH) {
      warnings.add(`${what}: bad maple node 0x${enode.toString(16)} at depth ${depth}`);
      continue;
    }
    if (seen.has(node)) {
      warnings.add(`${what}: maple node 0x${node.toString(16)} reached twice (loop)`);
      continue;
    }
    if (seen.size >= MAX_NODES) {
      warnings.add(`${what}: more than ${MAX_NODES} maple nodes, stopped`);
      break;
    }
    seen.add(node);
    if (k.read(node, buf, 0, NODE_SIZE) < NODE_SIZE) {
      warnings.add(`${what}: maple node 0x${node.toString(16)} is not in the dump`);
      continue;
    }
    // Parent pointer: low 8 bits are flags; children point at their parent node (smear / wrong-node check).
    const p = u64(0);
    if (parent !== 0 && p - (p % NODE_SIZE) !== parent) {
      warnings.add(`${what}: maple node 0x${node.toString(16)} does not point back to its parent`);
      continue;
    }
    let npiv: number;
    let slotOff: number;
    if (type === MapleType.Leaf64 || type === MapleType.Range64) {
      npiv = 15;
      slotOff = 128;
    } else if (type === MapleType.Arange64) {
      npiv = 9;
      slotOff = 80;
    } else {
      warnings.add(`${what}: maple node type ${type} at 0x${node.toString(16)} not supported`);
      continue;
    }
    const leaf = type === MapleType.Leaf64;
    const children: [number, number, number, number, number][] = [];
    let prev = min;
    for (let i = 0; i <= npiv; i++) {
      let piv = i < npiv ? u64(8 + i * 8) : max;
      if (i > 0 && piv === 0) break;
      if (piv > max) piv = max;
      const slot = u64(slotOff + i * 8);
      if (piv < prev && i > 0) {
        warnings.add(`${what}: maple node 0x${node.toString(16)} pivots go backwards`);
        break;
      }
      if (slot >= 4096) {
        if (leaf) {
          if (isKernelVa(slot)) out.push({ first: prev, last: piv, value: slot });
        } else children.push([slot, prev, piv, depth + 1, node]);
      }
      if (piv >= max) break;
      prev = piv + 1;
    }
    // Depth-first, in address order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    if (leaf) {
      yield* out;
      out.length = 0;
    }
  }
}
