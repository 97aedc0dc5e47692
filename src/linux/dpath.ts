import type { LinuxKernel } from './kernel.js';
import { isKernelVa } from './kmem.js';

const MAX_COMPONENTS = 4096;
const NAME_MAX = 255;

export interface DentryPath {
  path: string;
  /** The kernel would print " (deleted)": d_unhashed(dentry) && !IS_ROOT(dentry). */
  deleted: boolean;
  /** The walk hit something it could not follow (name shown is partial). */
  partial: boolean;
}

/** A dentry's own name (d_name.name, d_name.len bytes). */
export function dentryName(k: LinuxKernel, dentry: number): string {
  const D = k.layout.dentry;
  const len = k.kmem.u32(dentry + D.nameLen);
  const p = k.kmem.ptr(dentry + D.nameName);
  if (p <= 0 || len < 0) return '?';
  return k.kmem.cstr(p, Math.min(len, NAME_MAX));
}

/**
 * The path of (dentry, vfsmount) as the kernel's d_path()/prepend_path() builds it: d_parent up to the mount's
 * root, then hop to the mount point in the parent mount, until the mount that is its own parent (the namespace
 * root). Bounded, and loop-safe through a visited set.
 */
export function dentryPath(k: LinuxKernel, dentry: number, vfsmount: number): DentryPath {
  const m = k.kmem;
  const L = k.layout;
  const parts: string[] = [];
  let partial = false;
  const first = dentry;
  let mnt = vfsmount > 0 ? vfsmount - L.mount.mnt : 0;
  let mntRoot = vfsmount > 0 ? m.ptr(vfsmount + L.vfsmount.root) : 0;
  const seen = new Set<number>();
  while (parts.length < MAX_COMPONENTS) {
    if (!isKernelVa(dentry) || seen.has(dentry)) {
      partial = true;
      break;
    }
    seen.add(dentry);
    const parent = m.ptr(dentry + L.dentry.parent);
    if (dentry === mntRoot || parent === dentry) {
      if (mnt === 0 || dentry !== mntRoot) break;
      const up = m.ptr(mnt + L.mount.parent);
      if (up <= 0 || up === mnt) break;
      dentry = m.ptr(mnt + L.mount.mountpoint);
      mnt = up;
      mntRoot = m.ptr(mnt + L.mount.mnt + L.vfsmount.root);
      continue;
    }
    parts.push(dentryName(k, dentry).replace(/\n/g, '\\012'));
    dentry = parent;
  }
  const fparent = m.ptr(first + L.dentry.parent);
  const unhashed = m.u64(first + L.dentry.hashPprev) === 0;
  return {
    path: `/${parts.reverse().join('/')}`,
    deleted: unhashed && fparent !== first,
    partial,
  };
}

/** `struct file` → path, as /proc/<pid>/maps shows it (with " (deleted)" when the kernel would add it). */
export function filePath(k: LinuxKernel, file: number): DentryPath {
  const F = k.layout.file;
  return dentryPath(k, k.kmem.ptr(file + F.dentry), k.kmem.ptr(file + F.mnt));
}
