import type { PhysicalMemory } from '../sources/source.js';

const SETS = 128;
const SLOTS = SETS * 2;
const WORDS = 1024;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Recently walked page-table pages, copied out of physical memory once and then read as u32 words: a walk is then
 * a handful of array loads instead of container reads. Shared by every space over the same memory (tables are
 * physical pages and dumps do not change; the kernel half is common to all processes). Two-way set-associative
 * (a PML4 and a hot page directory whose frame numbers collide must not evict each other on every walk), 1 MiB.
 * Pages not entirely present are never cached: their entries go through `readU32`, which reports holes.
 */
export class TableCache {
  private readonly tags = new Float64Array(SLOTS).fill(-1);
  /** Per set: which way was used last (the other one is replaced on a miss). */
  private readonly mru = new Uint8Array(SETS);
  private readonly words = new Uint32Array(SLOTS * WORDS);
  private readonly bytes = new Uint8Array(this.words.buffer);

  constructor(private readonly mem: PhysicalMemory) {}

  /** The u32 at physical `addr` (4-aligned), or -1 when absent. */
  u32(addr: number): number {
    const pn = Math.floor(addr / 4096);
    const set = (pn ^ (pn >>> 7)) & (SETS - 1);
    const inPage = (addr - pn * 4096) >>> 2;
    let slot = set * 2;
    if (this.tags[slot] === pn) {
      this.mru[set] = 0;
      return this.words[slot * WORDS + inPage]!;
    }
    if (this.tags[slot + 1] === pn) {
      this.mru[set] = 1;
      return this.words[(slot + 1) * WORDS + inPage]!;
    }
    if (!LITTLE_ENDIAN || addr % 4 !== 0) return this.mem.readU32(addr);
    const way = this.mru[set] === 0 ? 1 : 0;
    slot += way;
    if (this.mem.read(pn * 4096, this.bytes, slot * 4096, 4096) !== 4096) {
      this.tags[slot] = -1;
      return this.mem.readU32(addr);
    }
    this.tags[slot] = pn;
    this.mru[set] = way;
    return this.words[slot * WORDS + inPage]!;
  }

  /** Forgets everything (after the memory under the tables was changed, in tests). */
  flush(): void {
    this.tags.fill(-1);
  }
}

const caches = new WeakMap<PhysicalMemory, TableCache>();

export function tableCacheFor(mem: PhysicalMemory): TableCache {
  let c = caches.get(mem);
  if (!c) {
    c = new TableCache(mem);
    caches.set(mem, c);
  }
  return c;
}
