import { createHash } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LinuxKernel } from '../linux/kernel.js';
import type { LinuxVma } from '../linux/maps.js';
import { type CachedFile, type CachedPage, cachedPages, PAGE_SIZE } from '../linux/pagecache.js';
import type { VirtualSpace } from '../translate/types.js';
import { newPteInfo, PageState } from '../translate/types.js';
import type { SafeNamer } from './safe-path.js';

/** A run of consecutive recovered pages with one provenance. */
export interface RecoveredRun {
  offset: number;
  length: number;
  source: 'page-cache' | 'process-private' | 'process-anon';
  /** Physical frames, first..last (consecutive runs of frames are merged into "a-b"). */
  frames: string;
  sha256: string;
}

export interface ExtractManifest {
  kind: 'page-cache-file' | 'private-pages' | 'anonymous-area';
  path: string;
  deleted: boolean;
  inode: number;
  dev: string;
  /** Output file name relative to the output directory. */
  output: string;
  size: number;
  pagesTotal: number;
  pagesRecovered: number;
  /** Missing page ranges [first, last] (file page indices), zero-filled in the output. */
  missing: [number, number][];
  runs: RecoveredRun[];
  sha256: string;
  pid?: number;
  vma?: string;
}

/** One page of data from physical memory, to be written at `index`. */
interface SourcePage {
  index: number;
  pa: number;
  source: RecoveredRun['source'];
}

const ZERO = new Uint8Array(PAGE_SIZE);

/**
 * Writes `size` bytes to `out`: each source page at its index, zeros elsewhere, streaming (one page buffer) so
 * multi-GiB files cost no memory; SHA-256 of the whole output and of each run are computed on the way.
 */
function writePages(
  k: LinuxKernel,
  outPath: string,
  size: number,
  pages: SourcePage[],
): { runs: RecoveredRun[]; missing: [number, number][]; sha256: string; recovered: number } {
  mkdirSync(dirname(outPath), { recursive: true });
  const fd = openSync(outPath, 'w');
  const total = Math.ceil(size / PAGE_SIZE);
  const byIndex = new Map<number, SourcePage>();
  for (const p of pages) if (p.index < total && !byIndex.has(p.index)) byIndex.set(p.index, p);
  const whole = createHash('sha256');
  const buf = new Uint8Array(PAGE_SIZE);
  const runs: RecoveredRun[] = [];
  const missing: [number, number][] = [];
  let run: { r: RecoveredRun; h: ReturnType<typeof createHash>; lastPfn: number; frames: string[] } | null =
    null;
  let recovered = 0;
  const closeRun = () => {
    if (!run) return;
    run.r.sha256 = run.h.digest('hex');
    run.r.frames = run.frames.join(',');
    runs.push(run.r);
    run = null;
  };
  try {
    for (let i = 0; i < total; i++) {
      const len = Math.min(PAGE_SIZE, size - i * PAGE_SIZE);
      const sp = byIndex.get(i);
      let data: Uint8Array = ZERO;
      if (sp && k.mem.read(sp.pa, buf, 0, PAGE_SIZE) === PAGE_SIZE) {
        data = buf;
        recovered++;
        const pfn = sp.pa / PAGE_SIZE;
        if (!run || run.r.source !== sp.source) {
          closeRun();
          run = {
            r: { offset: i * PAGE_SIZE, length: 0, source: sp.source, frames: '', sha256: '' },
            h: createHash('sha256'),
            lastPfn: -2,
            frames: [],
          };
        }
        const r = run!;
        if (pfn === r.lastPfn + 1 && r.frames.length) {
          const f = r.frames[r.frames.length - 1]!;
          r.frames[r.frames.length - 1] = `${f.split('-')[0]}-0x${pfn.toString(16)}`;
        } else r.frames.push(`0x${pfn.toString(16)}`);
        r.lastPfn = pfn;
        r.r.length += len;
        r.h.update(buf.subarray(0, len));
      } else {
        closeRun();
        const last = missing[missing.length - 1];
        if (last && last[1] === i - 1) last[1] = i;
        else missing.push([i, i]);
      }
      whole.update(data.subarray(0, len));
      // Zero pages are left as holes (sparse output); the final truncate sets the size.
      if (data !== ZERO) writeSync(fd, data, 0, len, i * PAGE_SIZE);
      // A run stays open only across consecutive recovered pages.
      if (!sp) closeRun();
    }
    closeRun();
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
  return { runs, missing, sha256: whole.digest('hex'), recovered };
}

function devString(dev: number): string {
  return `${(dev >>> 20).toString(16).padStart(2, '0')}:${(dev & 0xfffff).toString(16).padStart(2, '0')}`;
}

/** Rebuilds one cached file from its page-cache pages; writes the data and a `.memdig.json` manifest. */
export function extractCachedFile(
  k: LinuxKernel,
  f: CachedFile,
  dir: string,
  namer: SafeNamer,
): ExtractManifest {
  const label = f.path || `unnamed/${devString(f.dev).replace(':', '-')}/inode-${f.ino}`;
  const rel = join('files', namer.name(f.deleted ? `${label} (deleted)` : label));
  const { pages } = cachedPages(k, f.mapping, `page cache of ${label}`);
  const src: SourcePage[] = pages.map((p: CachedPage) => ({
    index: p.index,
    pa: p.pfn * PAGE_SIZE,
    source: 'page-cache',
  }));
  const size = Math.max(0, f.size);
  const w = writePages(k, join(dir, rel), size, src);
  const man: ExtractManifest = {
    kind: 'page-cache-file',
    path: f.path,
    deleted: f.deleted,
    inode: f.ino,
    dev: devString(f.dev),
    output: rel,
    size,
    pagesTotal: Math.ceil(size / PAGE_SIZE),
    pagesRecovered: w.recovered,
    missing: w.missing,
    runs: w.runs,
    sha256: w.sha256,
  };
  writeFileSync(join(dir, `${rel}.memdig.json`), `${JSON.stringify(man, null, 1)}\n`);
  return man;
}

/**
 * Private pages of a file mapping (MAP_PRIVATE written pages are anonymous copies): pages the process maps at a
 * frame other than the page-cache frame for that file index. Laid out at their file offsets.
 */
export function extractPrivatePages(
  k: LinuxKernel,
  pid: number,
  vma: LinuxVma,
  space: VirtualSpace,
  dir: string,
  namer: SafeNamer,
): ExtractManifest | null {
  const cache = new Map<number, number>();
  if (vma.mapping) for (const p of cachedPages(k, vma.mapping, vma.name).pages) cache.set(p.index, p.pfn);
  const info = newPteInfo();
  const src: SourcePage[] = [];
  for (let va = vma.start; va < vma.end; va += PAGE_SIZE) {
    const pa = space.translate(va, info);
    if (pa < 0 || info.state !== PageState.Valid) continue;
    const index = vma.pgoff + (va - vma.start) / PAGE_SIZE;
    const pfn = Math.floor(pa / PAGE_SIZE);
    if (cache.get(index) === pfn) continue;
    src.push({ index, pa: pfn * PAGE_SIZE, source: 'process-private' });
  }
  if (src.length === 0) return null;
  const size = vma.pgoff * PAGE_SIZE + (vma.end - vma.start);
  const rel = join(`pid-${pid}`, namer.name(`${vma.name}@${vma.start.toString(16)}`, '.private'));
  const w = writePages(k, join(dir, rel), size, src);
  const man: ExtractManifest = {
    kind: 'private-pages',
    path: vma.name,
    deleted: vma.deleted,
    inode: vma.ino,
    dev: vma.dev,
    output: rel,
    size,
    pagesTotal: (vma.end - vma.start) / PAGE_SIZE,
    pagesRecovered: w.recovered,
    missing: w.missing.filter(([, b]) => b >= vma.pgoff),
    runs: w.runs,
    sha256: w.sha256,
    pid,
    vma: `${vma.start.toString(16)}-${vma.end.toString(16)}`,
  };
  writeFileSync(join(dir, `${rel}.memdig.json`), `${JSON.stringify(man, null, 1)}\n`);
  return man;
}

/** An anonymous area (heap, stack, anonymous mmap) as a flat file of its virtual range; holes zero-filled. */
export function extractAnonArea(
  k: LinuxKernel,
  pid: number,
  vma: LinuxVma,
  space: VirtualSpace,
  dir: string,
  namer: SafeNamer,
): ExtractManifest {
  const info = newPteInfo();
  const src: SourcePage[] = [];
  for (let va = vma.start; va < vma.end; va += PAGE_SIZE) {
    const pa = space.translate(va, info);
    if (pa >= 0 && info.state === PageState.Valid) {
      src.push({ index: (va - vma.start) / PAGE_SIZE, pa: pa - (pa % PAGE_SIZE), source: 'process-anon' });
    }
  }
  const label = vma.name || '[anon]';
  const rel = join(`pid-${pid}`, namer.name(`${label}@${vma.start.toString(16)}`, '.bin'));
  const size = vma.end - vma.start;
  const w = writePages(k, join(dir, rel), size, src);
  const man: ExtractManifest = {
    kind: 'anonymous-area',
    path: label,
    deleted: false,
    inode: 0,
    dev: '00:00',
    output: rel,
    size,
    pagesTotal: size / PAGE_SIZE,
    pagesRecovered: w.recovered,
    missing: w.missing,
    runs: w.runs,
    sha256: w.sha256,
    pid,
    vma: `${vma.start.toString(16)}-${vma.end.toString(16)}`,
  };
  writeFileSync(join(dir, `${rel}.memdig.json`), `${JSON.stringify(man, null, 1)}\n`);
  return man;
}
