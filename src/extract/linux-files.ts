import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LinuxKernel } from '../linux/kernel.js';
import type { LinuxVma } from '../linux/maps.js';
import { type CachedFile, cachedPages, PAGE_SIZE } from '../linux/pagecache.js';
import type { VirtualSpace } from '../translate/types.js';
import { newPteInfo, PageState } from '../translate/types.js';
import { FilePageMap, type PageRun, writeRecoveredFile } from './recovered-file.js';
import type { SafeNamer } from './safe-path.js';

export interface ExtractManifest {
  /** page-cache-file: the file as cached; process-view: a private file mapping as the process sees it (its
   * copy-on-write pages over the cache); anonymous-area: heap, stack, anonymous mmap. */
  kind: 'page-cache-file' | 'process-view' | 'anonymous-area';
  path: string;
  deleted: boolean;
  inode: number;
  dev: string;
  /** Output file name relative to the output directory. */
  output: string;
  size: number;
  pagesTotal: number;
  pagesRecovered: number;
  /** Private (copy-on-write) pages in a process view. */
  pagesPrivate?: number;
  /** Every page range with its source (page-cache, cow, anon) and state; missing ranges are zero-filled. */
  runs: PageRun[];
  sha256: string;
  pid?: number;
  vma?: string;
}

function devString(dev: number): string {
  return `${(dev >>> 20).toString(16).padStart(2, '0')}:${(dev & 0xfffff).toString(16).padStart(2, '0')}`;
}

function write(k: LinuxKernel, dir: string, rel: string, map: FilePageMap, size: number) {
  const out = join(dir, rel);
  mkdirSync(dirname(out), { recursive: true });
  return writeRecoveredFile(k.mem, map, size, out);
}

function finish(dir: string, man: ExtractManifest): ExtractManifest {
  writeFileSync(join(dir, `${man.output}.memdig.json`), `${JSON.stringify(man, null, 1)}\n`);
  return man;
}

function cacheMap(
  k: LinuxKernel,
  mapping: number,
  what: string,
  map = new FilePageMap(),
  firstIndex = 0,
): FilePageMap {
  for (const p of cachedPages(k, mapping, what).pages) {
    if (p.index < firstIndex) continue;
    map.set((p.index - firstIndex) * PAGE_SIZE, {
      source: 'page-cache',
      state: 'valid',
      phys: p.pfn * PAGE_SIZE,
    });
  }
  return map;
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
  const size = Math.max(0, f.size);
  const w = write(k, dir, rel, cacheMap(k, f.mapping, `page cache of ${label}`), size);
  return finish(dir, {
    kind: 'page-cache-file',
    path: f.path,
    deleted: f.deleted,
    inode: f.ino,
    dev: devString(f.dev),
    output: rel,
    size,
    pagesTotal: Math.ceil(size / PAGE_SIZE),
    pagesRecovered: Math.ceil(w.residentBytes / PAGE_SIZE),
    runs: w.runs,
    sha256: w.sha256,
  });
}

/**
 * A private file mapping as the process sees it: pages it maps at a frame other than the page-cache frame for
 * that file index are its own copy-on-write copies (MAP_PRIVATE writes); the rest comes from the cache. Written
 * only when there is at least one private page; the output covers the mapping's file range [pgoff, pgoff+len).
 */
export function extractProcessView(
  k: LinuxKernel,
  pid: number,
  vma: LinuxVma,
  space: VirtualSpace,
  dir: string,
  namer: SafeNamer,
): ExtractManifest | null {
  const cachePfn = new Map<number, number>();
  if (vma.mapping) for (const p of cachedPages(k, vma.mapping, vma.name).pages) cachePfn.set(p.index, p.pfn);
  const info = newPteInfo();
  const map = new FilePageMap();
  let privatePages = 0;
  for (let va = vma.start; va < vma.end; va += PAGE_SIZE) {
    const pa = space.translate(va, info);
    if (pa < 0 || info.state !== PageState.Valid) continue;
    const rel = va - vma.start;
    const pfn = Math.floor(pa / PAGE_SIZE);
    if (cachePfn.get(vma.pgoff + rel / PAGE_SIZE) === pfn) continue;
    map.set(rel, { source: 'cow', state: 'valid', phys: pfn * PAGE_SIZE });
    privatePages++;
  }
  if (privatePages === 0) return null;
  if (vma.mapping) cacheMap(k, vma.mapping, vma.name, map, vma.pgoff);
  const size = vma.end - vma.start;
  const rel = join(`pid-${pid}`, namer.name(`${vma.name}@${vma.start.toString(16)}`, '.view'));
  const w = write(k, dir, rel, map, size);
  return finish(dir, {
    kind: 'process-view',
    path: vma.name,
    deleted: vma.deleted,
    inode: vma.ino,
    dev: vma.dev,
    output: rel,
    size,
    pagesTotal: size / PAGE_SIZE,
    pagesRecovered: Math.ceil(w.residentBytes / PAGE_SIZE),
    pagesPrivate: privatePages,
    runs: w.runs,
    sha256: w.sha256,
    pid,
    vma: `${vma.start.toString(16)}-${vma.end.toString(16)} file offset 0x${(vma.pgoff * PAGE_SIZE).toString(16)}`,
  });
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
  const map = new FilePageMap();
  for (let va = vma.start; va < vma.end; va += PAGE_SIZE) {
    const pa = space.translate(va, info);
    if (pa >= 0 && info.state === PageState.Valid) {
      map.set(va - vma.start, { source: 'anon', state: 'valid', phys: pa - (pa % PAGE_SIZE) });
    } else if (info.state === PageState.PageFile) {
      map.set(va - vma.start, { source: 'anon', state: 'swap', phys: -1 });
    }
  }
  const label = vma.name || '[anon]';
  const rel = join(`pid-${pid}`, namer.name(`${label}@${vma.start.toString(16)}`, '.bin'));
  const size = vma.end - vma.start;
  const w = write(k, dir, rel, map, size);
  return finish(dir, {
    kind: 'anonymous-area',
    path: label,
    deleted: false,
    inode: 0,
    dev: '00:00',
    output: rel,
    size,
    pagesTotal: size / PAGE_SIZE,
    pagesRecovered: Math.ceil(w.residentBytes / PAGE_SIZE),
    runs: w.runs,
    sha256: w.sha256,
    pid,
    vma: `${vma.start.toString(16)}-${vma.end.toString(16)}`,
  });
}
