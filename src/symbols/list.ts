/**
 * Walking a doubly linked `_LIST_ENTRY` list in memory. Lists in a dump are hostile input: entries may point into
 * unreadable pages, loop back into the middle, or be torn mid-update. Every walk is bounded by a visited set and
 * a maximum count and reports why it stopped.
 */
import type { Readable } from './layout.js';
import { readPointer } from './profile.js';

export interface ListWalkOptions {
  pointerSize: 4 | 8;
  /** Offset of the LIST_ENTRY inside the containing struct: results are container addresses (entry − offset). */
  linkOffset?: number;
  /** Hard cap on entries returned (default 100 000). */
  max?: number;
  /** Check that each entry's Blink points back to the previous entry; a mismatch stops the walk. */
  checkBlink?: boolean;
}

export type ListStop = 'head' | 'null' | 'unreadable' | 'loop' | 'max' | 'blink';

export interface ListWalk {
  /** Container addresses (entry address − linkOffset), in list order, head excluded. */
  items: number[];
  /** Why the walk ended: 'head' is the only clean end. */
  stop: ListStop;
  /** Address of the entry where the walk stopped abnormally (or the head). */
  at: number;
}

/** Follows Flink from `headAddr` (the list head's LIST_ENTRY) until it returns to the head. */
export function walkList(mem: Readable, headAddr: number, opts: ListWalkOptions): ListWalk {
  const ps = opts.pointerSize;
  const linkOffset = opts.linkOffset ?? 0;
  const max = opts.max ?? 100_000;
  const items: number[] = [];
  const seen = new Set<number>();
  seen.add(headAddr);
  let prev = headAddr;
  let cur = readPointer(mem, headAddr, ps);
  for (;;) {
    if (Number.isNaN(cur)) return { items, stop: 'unreadable', at: prev };
    if (cur === 0) return { items, stop: 'null', at: prev };
    if (cur === headAddr) return { items, stop: 'head', at: headAddr };
    if (seen.has(cur)) return { items, stop: 'loop', at: cur };
    if (items.length >= max) return { items, stop: 'max', at: cur };
    if (opts.checkBlink) {
      const blink = readPointer(mem, cur + ps, ps);
      if (blink !== prev) return { items, stop: Number.isNaN(blink) ? 'unreadable' : 'blink', at: cur };
    }
    seen.add(cur);
    items.push(cur - linkOffset);
    prev = cur;
    cur = readPointer(mem, cur, ps);
  }
}
