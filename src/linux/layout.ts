import { MemdigError } from '../util/errors.js';
import type { TypeSource } from './types.js';

/**
 * The member offsets memdig's Linux walkers use, resolved once from the kernel's own types. Members that moved or
 * were renamed between versions are tried in order; `-1` means "this kernel has no such member" (an optional
 * feature), while a missing required member stops analysis with a message naming it.
 */
export interface LinuxLayout {
  task: {
    size: number;
    state: number;
    flags: number;
    tasks: number;
    mm: number;
    exitState: number;
    pid: number;
    tgid: number;
    realParent: number;
    threadGroup: number;
    startTime: number;
    startBoottime: number;
    cred: number;
    comm: number;
    commSize: number;
    nsproxy: number;
    files: number;
  };
  /** Mount namespace walk (optional: naming inodes found through super_blocks). */
  ns: { mntNs: number; list: number; mntList: number };
  cred: { uid: number; gid: number; euid: number };
  mm: {
    mt: number;
    mmap: number;
    pgd: number;
    mapCount: number;
    startBrk: number;
    brk: number;
    startStack: number;
    argStart: number;
    argEnd: number;
    exeFile: number;
  };
  mapleTree: { root: number; flags: number };
  vma: {
    start: number;
    end: number;
    next: number;
    flags: number;
    pgoff: number;
    file: number;
    ops: number;
    privateData: number;
    anonName: number;
  };
  file: { mnt: number; dentry: number; inode: number; mapping: number };
  dentry: {
    hashPprev: number;
    parent: number;
    nameLen: number;
    nameName: number;
    inode: number;
    sb: number;
    alias: number;
  };
  inode: {
    mode: number;
    sb: number;
    mapping: number;
    ino: number;
    nlink: number;
    size: number;
    sbList: number;
    dentry: number;
    data: number;
  };
  mapping: { host: number; xaHead: number; nrpages: number };
  xaNode: { shift: number; count: number; slots: number };
  page: { size: number; flags: number; mapping: number; index: number; compoundHead: number };
  sb: { list: number; dev: number; type: number; root: number; inodes: number; id: number };
  mount: { parent: number; mountpoint: number; mnt: number };
  vfsmount: { root: number; sb: number };
  fsType: { name: number };
}

export function resolveLayout(ts: TypeSource): LinuxLayout {
  const missing: string[] = [];
  const req = (struct: string, ...paths: string[]): number => {
    for (const p of paths) {
      const m = ts.member(struct, p);
      if (m) return m.offset;
    }
    missing.push(`${struct}.${paths.join('|')}`);
    return -1;
  };
  const opt = (struct: string, ...paths: string[]): number => {
    for (const p of paths) {
      const m = ts.member(struct, p);
      if (m) return m.offset;
    }
    return -1;
  };
  const size = (struct: string, fallback = -1): number => {
    const s = ts.structSize(struct);
    if (s === undefined) {
      if (fallback < 0) missing.push(`sizeof(struct ${struct})`);
      return fallback;
    }
    return s;
  };
  const fPath = req('file', 'f_path');
  const dName = req('dentry', 'd_name');
  const l: LinuxLayout = {
    task: {
      size: size('task_struct'),
      state: req('task_struct', '__state', 'state'),
      flags: req('task_struct', 'flags'),
      tasks: req('task_struct', 'tasks'),
      mm: req('task_struct', 'mm'),
      exitState: req('task_struct', 'exit_state'),
      pid: req('task_struct', 'pid'),
      tgid: req('task_struct', 'tgid'),
      realParent: req('task_struct', 'real_parent'),
      threadGroup: opt('task_struct', 'thread_group'),
      startTime: opt('task_struct', 'start_time'),
      startBoottime: opt('task_struct', 'start_boottime', 'real_start_time'),
      cred: req('task_struct', 'cred'),
      comm: req('task_struct', 'comm'),
      commSize: ts.member('task_struct', 'comm')?.size ?? 16,
      nsproxy: opt('task_struct', 'nsproxy'),
      files: opt('task_struct', 'files'),
    },
    ns: {
      mntNs: opt('nsproxy', 'mnt_ns'),
      list: opt('mnt_namespace', 'list'),
      mntList: opt('mount', 'mnt_list'),
    },
    cred: { uid: req('cred', 'uid'), gid: opt('cred', 'gid'), euid: opt('cred', 'euid') },
    mm: {
      mt: opt('mm_struct', 'mm_mt'),
      mmap: opt('mm_struct', 'mmap'),
      pgd: req('mm_struct', 'pgd'),
      mapCount: opt('mm_struct', 'map_count'),
      startBrk: req('mm_struct', 'start_brk'),
      brk: req('mm_struct', 'brk'),
      startStack: req('mm_struct', 'start_stack'),
      argStart: opt('mm_struct', 'arg_start'),
      argEnd: opt('mm_struct', 'arg_end'),
      exeFile: opt('mm_struct', 'exe_file'),
    },
    mapleTree: { root: opt('maple_tree', 'ma_root'), flags: opt('maple_tree', 'ma_flags') },
    vma: {
      start: req('vm_area_struct', 'vm_start'),
      end: req('vm_area_struct', 'vm_end'),
      next: opt('vm_area_struct', 'vm_next'),
      flags: req('vm_area_struct', 'vm_flags'),
      pgoff: req('vm_area_struct', 'vm_pgoff'),
      file: req('vm_area_struct', 'vm_file'),
      ops: opt('vm_area_struct', 'vm_ops'),
      privateData: opt('vm_area_struct', 'vm_private_data'),
      anonName: opt('vm_area_struct', 'anon_name'),
    },
    file: {
      mnt: fPath + req('path', 'mnt'),
      dentry: fPath + req('path', 'dentry'),
      inode: req('file', 'f_inode'),
      mapping: req('file', 'f_mapping'),
    },
    dentry: {
      hashPprev: req('dentry', 'd_hash') + req('hlist_bl_node', 'pprev'),
      parent: req('dentry', 'd_parent'),
      nameLen: dName + req('qstr', 'len'),
      nameName: dName + req('qstr', 'name'),
      inode: req('dentry', 'd_inode'),
      sb: req('dentry', 'd_sb'),
      alias: opt('dentry', 'd_u.d_alias', 'd_alias'),
    },
    inode: {
      mode: req('inode', 'i_mode'),
      sb: req('inode', 'i_sb'),
      mapping: req('inode', 'i_mapping'),
      ino: req('inode', 'i_ino'),
      nlink: req('inode', '__i_nlink', 'i_nlink'),
      size: req('inode', 'i_size'),
      sbList: req('inode', 'i_sb_list'),
      dentry: req('inode', 'i_dentry'),
      data: req('inode', 'i_data'),
    },
    mapping: {
      host: req('address_space', 'host'),
      xaHead: req('address_space', 'i_pages') + req('xarray', 'xa_head'),
      nrpages: req('address_space', 'nrpages'),
    },
    xaNode: {
      shift: req('xa_node', 'shift'),
      count: req('xa_node', 'count'),
      slots: req('xa_node', 'slots'),
    },
    page: {
      size: size('page', 64),
      flags: req('page', 'flags'),
      mapping: req('page', 'mapping'),
      index: req('page', 'index'),
      compoundHead: opt('page', 'compound_head'),
    },
    sb: {
      list: req('super_block', 's_list'),
      dev: req('super_block', 's_dev'),
      type: req('super_block', 's_type'),
      root: req('super_block', 's_root'),
      inodes: req('super_block', 's_inodes'),
      id: opt('super_block', 's_id'),
    },
    mount: {
      parent: req('mount', 'mnt_parent'),
      mountpoint: req('mount', 'mnt_mountpoint'),
      mnt: req('mount', 'mnt'),
    },
    vfsmount: { root: req('vfsmount', 'mnt_root'), sb: req('vfsmount', 'mnt_sb') },
    fsType: { name: req('file_system_type', 'name') },
  };
  if (l.mm.mt < 0 && l.mm.mmap < 0) missing.push('mm_struct.mm_mt|mmap');
  if (missing.length) {
    throw new MemdigError(
      `kernel types (${ts.description}) lack members memdig needs: ${missing.join(', ')}. ` +
        'This kernel version may be unsupported; an ISF for it (--isf) might help.',
    );
  }
  return l;
}
