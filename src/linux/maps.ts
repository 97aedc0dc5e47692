import { filePath } from './dpath.js';
import type { LinuxKernel } from './kernel.js';
import { isKernelVa } from './kmem.js';
import { mapleEntries } from './maple.js';
import type { LinuxTask } from './tasks.js';

export const VM_READ = 0x1;
export const VM_WRITE = 0x2;
export const VM_EXEC = 0x4;
export const VM_SHARED = 0x8;
export const VM_MAYSHARE = 0x80;

export interface LinuxVma {
  addr: number;
  start: number;
  end: number;
  flags: number;
  /** rwxs/p as /proc/<pid>/maps prints them (s = VM_MAYSHARE). */
  perms: string;
  /** File offset in bytes (0 for anonymous areas). */
  offset: number;
  pgoff: number;
  /** struct file *, or 0. */
  file: number;
  /** struct inode * of the file, or 0. */
  inode: number;
  /** address_space of the file (f_mapping), or 0. */
  mapping: number;
  dev: string;
  ino: number;
  /** Path, [heap], [stack], [vdso], [vvar], [anon:name], or ''. */
  name: string;
  deleted: boolean;
}

const MAX_VMAS = 1 << 20;

/** The VMAs of a task's mm, in address order: maple tree (6.1+) or the mmap list (before). */
export function listVmas(k: LinuxKernel, task: LinuxTask): LinuxVma[] {
  if (!task.mm) return [];
  const m = k.kmem;
  const L = k.layout;
  const mm = task.mm;
  const what = `VMAs of pid ${task.pid}`;
  const addrs: number[] = [];
  if (L.mm.mt >= 0) {
    const root = m.word(mm + L.mm.mt + L.mapleTree.root);
    for (const e of mapleEntries(m, root, what, k.warnings)) {
      addrs.push(e.value);
      if (addrs.length >= MAX_VMAS) break;
    }
  } else {
    const seen = new Set<number>();
    for (
      let v = m.ptr(mm + L.mm.mmap);
      v > 0 && !seen.has(v) && seen.size < MAX_VMAS;
      v = m.ptr(v + L.vma.next)
    ) {
      seen.add(v);
      addrs.push(v);
    }
  }
  const ctx = mmContext(k, mm);
  const out: LinuxVma[] = [];
  for (const a of addrs) out.push(readVma(k, a, ctx));
  if (L.mm.mapCount >= 0) {
    const n = m.s32(mm + L.mm.mapCount);
    if (n !== out.length) k.warnings.add(`${what}: mm->map_count is ${n}, found ${out.length}`);
  }
  return out;
}

interface MmContext {
  startBrk: number;
  brk: number;
  startStack: number;
  specialOps: Set<number>;
}

function mmContext(k: LinuxKernel, mm: number): MmContext {
  const m = k.kmem;
  const L = k.layout.mm;
  const specialOps = new Set<number>();
  for (const s of ['special_mapping_vmops', 'legacy_special_mapping_vmops']) {
    const a = k.optSym(s);
    if (a !== undefined) specialOps.add(a);
  }
  return {
    startBrk: m.u64(mm + L.startBrk),
    brk: m.u64(mm + L.brk),
    startStack: m.u64(mm + L.startStack),
    specialOps,
  };
}

export function readVma(k: LinuxKernel, a: number, ctx: MmContext): LinuxVma {
  const m = k.kmem;
  const V = k.layout.vma;
  const start = m.u64(a + V.start);
  const end = m.u64(a + V.end);
  const flags = m.u64(a + V.flags);
  const pgoff = m.u64(a + V.pgoff);
  const file = m.ptr(a + V.file);
  const perms =
    (flags & VM_READ ? 'r' : '-') +
    (flags & VM_WRITE ? 'w' : '-') +
    (flags & VM_EXEC ? 'x' : '-') +
    (flags & VM_MAYSHARE ? 's' : 'p');
  let inode = 0;
  let mapping = 0;
  let dev = '00:00';
  let ino = 0;
  let name = '';
  let deleted = false;
  if (file > 0) {
    const F = k.layout.file;
    inode = m.ptr(file + F.inode);
    mapping = m.ptr(file + F.mapping);
    if (inode > 0) {
      ino = m.u64(inode + k.layout.inode.ino);
      const sb = m.ptr(inode + k.layout.inode.sb);
      if (sb > 0) dev = formatDev(m.u32(sb + k.layout.sb.dev));
    }
    const p = filePath(k, file);
    name = p.path;
    deleted = p.deleted;
  } else {
    name = anonName(k, a, start, end, ctx);
  }
  return {
    addr: a,
    start,
    end,
    flags,
    perms,
    offset: file > 0 ? pgoff * 4096 : 0,
    pgoff,
    file: Math.max(file, 0),
    inode,
    mapping,
    dev,
    ino,
    name,
    deleted,
  };
}

/** Names the kernel gives areas without a file (show_map_vma order: vm_ops->name, heap, stack, anon name). */
function anonName(k: LinuxKernel, a: number, start: number, end: number, ctx: MmContext): string {
  const m = k.kmem;
  const V = k.layout.vma;
  if (V.ops >= 0 && V.privateData >= 0) {
    const ops = m.ptr(a + V.ops);
    if (ops > 0 && ctx.specialOps.has(ops)) {
      // special_mapping_name(): ((struct vm_special_mapping *)vm_private_data)->name, the first member.
      const sm = m.ptr(a + V.privateData);
      const np = sm > 0 ? m.ptr(sm) : 0;
      if (np > 0) return m.cstr(np, 64);
    }
  }
  if (start <= ctx.brk && end >= ctx.startBrk) return '[heap]';
  if (start <= ctx.startStack && end >= ctx.startStack) return '[stack]';
  if (V.anonName >= 0) {
    const an = m.ptr(a + V.anonName);
    // struct anon_vma_name { struct kref kref; char name[]; }
    if (an > 0 && isKernelVa(an)) return `[anon:${m.cstr(an + 4, 80)}]`;
  }
  return '';
}

/** `%02x:%02x` of MAJOR(dev):MINOR(dev), with the kernel's 12:20 split of dev_t. */
export function formatDev(dev: number): string {
  if (dev < 0) return '00:00';
  const major = dev >>> 20;
  const minor = dev & 0xfffff;
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
}

/** One /proc/<pid>/maps line, byte for byte as show_map_vma() prints it. */
export function mapsLine(v: LinuxVma): string {
  const hex8 = (n: number) => n.toString(16).padStart(8, '0');
  const head = `${hex8(v.start)}-${hex8(v.end)} ${v.perms} ${hex8(v.offset)} ${v.dev} ${v.ino} `;
  if (!v.name) return head;
  // seq_setwidth(25 + 6 * sizeof(void *) - 1) then seq_pad(' '): pad to 72 columns, then one space.
  const name = v.deleted ? `${v.name} (deleted)` : v.name;
  return `${head.padEnd(72, ' ')} ${name}`;
}
