import { dentryPath } from './dpath.js';
import type { LinuxKernel } from './kernel.js';
import { isKernelVa } from './kmem.js';
import { listNodes } from './list.js';
import { xarrayEntries } from './xarray.js';

export const PAGE_SIZE = 4096;

/** One resident page of a file: file page index → physical frame. */
export interface CachedPage {
  index: number;
  pfn: number;
  /** Address of the struct page (folio head for large folios). */
  page: number;
}

export interface CachedFile {
  inode: number;
  mapping: number;
  ino: number;
  dev: number;
  fsType: string;
  size: number;
  nrpages: number;
  nlink: number;
  mode: number;
  /** Path through a dentry alias and the mount it is reachable from ('' when the inode has no dentry). */
  path: string;
  /** Unlinked: i_nlink == 0, or its dentry is unhashed (the kernel's " (deleted)"). */
  deleted: boolean;
  /** Superblock not mounted in init's namespace (internal mounts: shm, pipes, sockets...). */
  mounted: boolean;
}

/** Resident pages of an address_space, from its i_pages XArray; value entries (shadow/swap) are counted. */
export function cachedPages(
  k: LinuxKernel,
  mapping: number,
  what: string,
): { pages: CachedPage[]; valueEntries: number; mismatched: number } {
  const L = k.layout;
  const head = k.kmem.word(mapping + L.mapping.xaHead);
  const pages: CachedPage[] = [];
  let valueEntries = 0;
  let mismatched = 0;
  const maxPfn = Math.floor(k.mem.maxAddress / PAGE_SIZE);
  for (const e of xarrayEntries(k.kmem, head, L.xaNode, what, k.warnings)) {
    if (e.isValue) {
      valueEntries += e.span;
      continue;
    }
    const headPfn = k.pageToPfn(e.value);
    if (headPfn < 0 || headPfn >= maxPfn) {
      k.warnings.add(
        `${what}: page pointer 0x${e.value.toString(16)} at index ${e.index} is outside the vmemmap`,
      );
      continue;
    }
    // With page tables available, check the struct page agrees (page->mapping, page->index): catches smear and
    // wrong offsets. Without them the vmemmap cannot be read, and the arithmetic PFN is used unchecked.
    if (k.kmem.space && e.subIndex === 0) {
      const pm = k.kmem.word(e.value + L.page.mapping);
      const pi = k.kmem.u64(e.value + L.page.index);
      if (pm !== mapping || pi !== e.index) {
        k.warnings.add(
          `${what}: struct page 0x${e.value.toString(16)} at index ${e.index} says mapping 0x${pm.toString(16)} index ${pi}`,
        );
        mismatched++;
      }
    }
    // A multi-index entry (large folio) covers `span` indices in consecutive frames.
    for (let j = 0; j < e.span; j++) {
      pages.push({ index: e.index + j, pfn: headPfn + e.subIndex + j, page: e.value });
    }
  }
  pages.sort((a, b) => a.index - b.index);
  return { pages, valueEntries, mismatched };
}

/** Maps each superblock to a mount of it in init's mount namespace (for full paths). */
export function mountsBySuperblock(k: LinuxKernel): Map<number, number> {
  const m = k.kmem;
  const L = k.layout;
  const out = new Map<number, number>();
  if (L.task.nsproxy < 0 || L.ns.mntNs < 0 || L.ns.list < 0 || L.ns.mntList < 0) return out;
  const init = k.optSym('init_task');
  if (init === undefined) return out;
  // init_task's namespace is the initial one; PID 1 may have pivoted, so take both.
  const nsList = new Set<number>();
  const nsOf = (task: number) => {
    const nsp = m.ptr(task + L.task.nsproxy);
    const ns = nsp > 0 ? m.ptr(nsp + L.ns.mntNs) : 0;
    if (ns > 0) nsList.add(ns);
  };
  nsOf(init);
  const first = m.ptr(init + L.task.tasks);
  if (first > 0) nsOf(first - L.task.tasks);
  for (const ns of nsList) {
    for (const node of listNodes(m, ns + L.ns.list, 'mount list', k.warnings, 1 << 16)) {
      const mnt = node - L.ns.mntList;
      const vfs = mnt + L.mount.mnt;
      const sb = m.ptr(vfs + L.vfsmount.sb);
      // Prefer the mount whose root is the superblock's root (not a bind mount of a subdirectory).
      if (sb > 0 && (!out.has(sb) || m.ptr(vfs + L.vfsmount.root) === m.ptr(sb + L.sb.root)))
        out.set(sb, vfs);
    }
  }
  return out;
}

export interface ListFilesOptions {
  /** Include inodes without resident pages. */
  all?: boolean;
}

/** Every in-core inode (super_blocks → s_inodes) with cached pages; includes unlinked and unnamed inodes. */
export function listCachedFiles(k: LinuxKernel, opts: ListFilesOptions = {}): CachedFile[] {
  const m = k.kmem;
  const L = k.layout;
  const mounts = mountsBySuperblock(k);
  const out: CachedFile[] = [];
  const head = k.sym('super_blocks');
  for (const sbNode of listNodes(m, head, 'super_blocks', k.warnings, 1 << 16)) {
    const sb = sbNode - L.sb.list;
    const dev = m.u32(sb + L.sb.dev);
    const type = m.ptr(sb + L.sb.type);
    const tname = type > 0 ? m.ptr(type + L.fsType.name) : 0;
    const fsType = tname > 0 ? m.cstr(tname, 32) : '?';
    const vfs = mounts.get(sb) ?? 0;
    for (const iNode of listNodes(m, sb + L.sb.inodes, `inodes of ${fsType} ${dev}`, k.warnings)) {
      const inode = iNode - L.inode.sbList;
      const mapping = m.ptr(inode + L.inode.mapping);
      const nrpages = mapping > 0 ? m.u64(mapping + L.mapping.nrpages) : 0;
      if (!opts.all && nrpages <= 0) continue;
      const nlink = m.u32(inode + L.inode.nlink);
      let path = '';
      let deleted = nlink === 0;
      const alias = m.ptr(inode + L.inode.dentry);
      if (alias > 0 && isKernelVa(alias) && L.dentry.alias >= 0) {
        const dentry = alias - L.dentry.alias;
        const p = dentryPath(k, dentry, vfs);
        path = p.path;
        deleted = deleted || p.deleted;
      }
      out.push({
        inode,
        mapping,
        ino: m.u64(inode + L.inode.ino),
        dev,
        fsType,
        size: m.s64(inode + L.inode.size),
        nrpages,
        nlink,
        mode: m.u16(inode + L.inode.mode),
        path,
        deleted,
        mounted: vfs > 0,
      });
    }
  }
  return out;
}
