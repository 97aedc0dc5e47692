import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { PhysicalMemory } from '../sources/source.js';

export const PAGE = 4096;

/** Where one page of a file came from. */
export interface PageOrigin {
  /** Which structure led to the page: 'data-section', 'image-section', 'shared-cache-map', 'page-cache', 'cow', ... */
  source: string;
  /** Page state as found: 'valid', 'transition' (resident), or why it is not: 'pagefile', 'demand-zero', 'file-only', 'unreadable', ... */
  state: string;
  /** Physical address of the page's bytes when resident, else -1. */
  phys: number;
}

const RESIDENT = new Set(['valid', 'transition']);

export function isResident(o: PageOrigin): boolean {
  return o.phys >= 0 && RESIDENT.has(o.state);
}

/**
 * The pages of one file keyed by file offset, merged from several sources with their provenance. A resident page
 * never gives way to a non-resident one; among resident pages the first source added wins (callers add sources
 * in order of trust, e.g. cache and data section before image section).
 */
export class FilePageMap {
  private readonly pages = new Map<number, PageOrigin>();
  /** Other sources that also had a resident copy of a page (for the manifest). */
  private readonly alternates = new Map<number, PageOrigin[]>();

  set(fileOffset: number, origin: PageOrigin): void {
    const index = Math.floor(fileOffset / PAGE);
    const old = this.pages.get(index);
    if (!old || (!isResident(old) && isResident(origin))) {
      if (old && isResident(old)) this.alt(index, old);
      this.pages.set(index, origin);
    } else if (isResident(origin)) this.alt(index, origin);
  }

  private alt(index: number, o: PageOrigin): void {
    const l = this.alternates.get(index);
    if (l) {
      if (l.length < 8) l.push(o);
    } else this.alternates.set(index, [o]);
  }

  get(index: number): PageOrigin | undefined {
    return this.pages.get(index);
  }

  /** Page indices in order. */
  indices(): number[] {
    return [...this.pages.keys()].sort((a, b) => a - b);
  }

  get residentPages(): number {
    let n = 0;
    for (const o of this.pages.values()) if (isResident(o)) n++;
    return n;
  }

  /** End of the last resident page (a size of last resort). */
  get residentEnd(): number {
    let top = 0;
    for (const [i, o] of this.pages) if (isResident(o) && (i + 1) * PAGE > top) top = (i + 1) * PAGE;
    return top;
  }

  alternatesOf(index: number): PageOrigin[] {
    return this.alternates.get(index) ?? [];
  }
}

/** A run of consecutive pages with the same source and state, as the manifest lists them. */
export interface PageRun {
  offset: number;
  length: number;
  source: string;
  state: string;
  resident: boolean;
  /** Resident runs: physical address of each page, in order. */
  phys?: number[];
  /** Resident runs: SHA-256 of the run's bytes as written. */
  sha256?: string;
}

export interface WrittenFile {
  path: string;
  size: number;
  sha256: string;
  residentBytes: number;
  missingBytes: number;
  /** Every page of [0, size): resident runs with their origin, and gaps (`state: 'missing'` where nothing was known). */
  runs: PageRun[];
}

/**
 * Writes the file to `path`: each resident page read from physical memory at its file offset, everything else
 * zero-filled (never invented), truncated to `size`. Streams page by page: memory stays flat whatever the size.
 */
export function writeRecoveredFile(
  mem: PhysicalMemory,
  map: FilePageMap,
  size: number,
  path: string,
): WrittenFile {
  const fd = openSync(path, 'w');
  const whole = createHash('sha256');
  const page = new Uint8Array(PAGE);
  const zero = new Uint8Array(PAGE);
  const runs: PageRun[] = [];
  let runHash: ReturnType<typeof createHash> | null = null;
  let resident = 0;
  const pageCount = Math.ceil(size / PAGE);
  try {
    for (let i = 0; i < pageCount; i++) {
      const off = i * PAGE;
      const len = Math.min(PAGE, size - off);
      const o = map.get(i);
      let bytes = zero;
      let ok = false;
      if (o && isResident(o)) {
        ok = mem.read(o.phys, page, 0, PAGE) === PAGE;
        bytes = page;
        if (!ok) page.fill(0);
      }
      const source = o ? o.source : '-';
      const state = o ? (ok || !isResident(o) ? o.state : 'unreadable') : 'missing';
      const last = runs[runs.length - 1];
      const extend =
        last &&
        last.source === source &&
        last.state === state &&
        last.resident === ok &&
        last.offset + last.length === off;
      if (extend) last.length += len;
      else {
        if (runHash && last) last.sha256 = runHash.digest('hex');
        runHash = ok ? createHash('sha256') : null;
        runs.push({ offset: off, length: len, source, state, resident: ok, ...(ok ? { phys: [] } : {}) });
      }
      const cur = runs[runs.length - 1]!;
      if (ok) {
        cur.phys!.push(o!.phys);
        runHash!.update(bytes.subarray(0, len));
        resident += len;
      }
      whole.update(bytes.subarray(0, len));
      writeSync(fd, bytes, 0, len, off);
    }
    const last = runs[runs.length - 1];
    if (runHash && last) last.sha256 = runHash.digest('hex');
  } finally {
    closeSync(fd);
  }
  return {
    path,
    size,
    sha256: whole.digest('hex'),
    residentBytes: resident,
    missingBytes: size - resident,
    runs,
  };
}
