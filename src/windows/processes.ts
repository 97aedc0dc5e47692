import type { Accessor, Readable, StructLayout } from '../symbols/layout.js';
import { walkList } from '../symbols/list.js';
import { dtbFromCr3 } from '../translate/create.js';
import { filetimeToIso, isKernelAddress, type WinContext } from './context.js';
import { scanPool } from './pool-scan.js';

export interface WinProcess {
  /** Kernel virtual address of the _EPROCESS, or -1 when only its physical location is known (pool scan). */
  eprocess: number;
  /** Physical address of the _EPROCESS, or -1 when it cannot be translated. */
  physical: number;
  pid: number;
  ppid: number;
  name: string;
  createTime: string | null;
  exitTime: string | null;
  /** DirectoryTableBase with flag bits cleared. */
  dtb: number;
  peb: number;
  objectTable: number;
  /**
   * 'list' (active process list), 'scan' (pool scan only: hidden or exited), 'both', or 'stale' (a pool copy of a
   * listed process at another physical address: an old copy left in freed memory, not a second process).
   */
  foundBy: 'list' | 'scan' | 'both' | 'stale';
  commandLine?: string | null;
}

/** Compiled accessors for the _EPROCESS members memdig reads; resolved once per profile. */
export class EprocessReader {
  readonly layout: StructLayout;
  readonly size: number;
  readonly linksOffset: number;
  private readonly pid: Accessor;
  private readonly ppid: Accessor;
  private readonly create: number;
  private readonly exit: number;
  private readonly dtb: Accessor;
  private readonly peb: Accessor;
  private readonly objectTable: Accessor;
  private readonly nameOff: number;
  private readonly nameLen: number;
  readonly buf: Uint8Array;

  constructor(ctx: WinContext) {
    const e = ctx.profile.struct('_EPROCESS');
    this.layout = e;
    this.size = e.size;
    this.linksOffset = e.offsetOf('ActiveProcessLinks');
    this.pid = e.accessor('UniqueProcessId');
    this.ppid = e.accessor('InheritedFromUniqueProcessId');
    this.create = e.offsetOf('CreateTime');
    this.exit = e.offsetOf('ExitTime');
    const dtbField = e.field('Pcb.DirectoryTableBase');
    // XP/2003 declare DirectoryTableBase as an array of two u32; its first element is CR3.
    this.dtb = e.accessor(
      dtbField.type.kind === 'array' ? 'Pcb.DirectoryTableBase[0]' : 'Pcb.DirectoryTableBase',
    );
    this.peb = e.accessor('Peb');
    this.objectTable = e.accessor('ObjectTable');
    const nf = e.field('ImageFileName');
    this.nameOff = nf.offset;
    this.nameLen = nf.type.size;
    this.buf = new Uint8Array(e.size);
  }

  /** Reads the _EPROCESS at `addr` in `mem`; null when it is not readable or fails basic validation. */
  read(mem: Readable, addr: number, ctx: WinContext): Omit<WinProcess, 'foundBy' | 'physical'> | null {
    if (mem.read(addr, this.buf, 0, this.size) < this.size) return null;
    return this.decode(this.buf, 0, addr, ctx);
  }

  decode(
    b: Uint8Array,
    off: number,
    addr: number,
    ctx: WinContext,
  ): Omit<WinProcess, 'foundBy' | 'physical'> | null {
    const dv = new DataView(b.buffer, b.byteOffset);
    let name = '';
    for (let i = 0; i < this.nameLen; i++) {
      const c = b[off + this.nameOff + i]!;
      if (c === 0) break;
      if (c < 0x20 || c > 0x7e) return null;
      name += String.fromCharCode(c);
    }
    const pid = this.pid.get(b, off);
    const rawDtb = this.dtb.get(b, off);
    const dtb = dtbFromCr3(ctx.profile.arch, rawDtb);
    return {
      eprocess: addr,
      pid,
      ppid: this.ppid.get(b, off),
      name,
      createTime: filetimeToIso(
        dv.getUint32(off + this.create, true),
        dv.getUint32(off + this.create + 4, true),
      ),
      exitTime: filetimeToIso(dv.getUint32(off + this.exit, true), dv.getUint32(off + this.exit + 4, true)),
      dtb,
      peb: this.peb.get(b, off),
      objectTable: this.objectTable.get(b, off),
    };
  }

  /** Plausibility of a decoded _EPROCESS found by scanning (list entries are trusted more). */
  plausible(p: Omit<WinProcess, 'foundBy' | 'physical'>, ctx: WinContext): boolean {
    if (!p.name) return false;
    if (p.pid % 4 !== 0 || p.pid > 0xffffff) return false;
    if (p.dtb === 0 || p.dtb >= ctx.mem.maxAddress) return false;
    if (p.pid === 4 || p.pid === 0) return true;
    if (!p.createTime) return false;
    if (p.exitTime && p.exitTime < p.createTime) return false;
    if (p.objectTable !== 0 && !isKernelAddress(p.objectTable, ctx.profile.pointerSize)) return false;
    return true;
  }
}

/**
 * The active process list: from PsActiveProcessHead (symbol table or KDBG), else from the System process
 * (PsInitialSystemProcess) whose list contains the head as the one entry inside the kernel image.
 */
export function listProcesses(ctx: WinContext, reader = new EprocessReader(ctx)): WinProcess[] {
  const ps = ctx.profile.pointerSize;
  let head = ctx.global('PsActiveProcessHead');
  if (head === undefined) {
    const sysPtr = ctx.global('PsInitialSystemProcess');
    if (sysPtr === undefined) {
      ctx.warnings.add('no PsActiveProcessHead or PsInitialSystemProcess: the process list cannot be walked');
      return [];
    }
    const sys = ctx.profile.readPointer(ctx.kernel, sysPtr);
    if (!Number.isFinite(sys) || sys === 0) {
      ctx.warnings.add('PsInitialSystemProcess is unreadable: the process list cannot be walked');
      return [];
    }
    head = sys + reader.linksOffset;
    const w = walkList(ctx.kernel, head, { pointerSize: ps, max: 65536 });
    // Starting from System, the real list head is the entry that is not an _EPROCESS: the one in the kernel image.
    const all = [head, ...w.items];
    const inImage = all.find((a) => a >= ctx.kernelBase && a < ctx.kernelBase + 0x4000000 && a !== head);
    if (inImage !== undefined) head = inImage;
  }
  const walk = walkList(ctx.kernel, head, {
    pointerSize: ps,
    linkOffset: reader.linksOffset,
    max: 65536,
    checkBlink: false,
  });
  if (walk.stop !== 'head') {
    ctx.warnings.add(
      `process list walk stopped early (${walk.stop} at 0x${walk.at.toString(16)}); ${walk.items.length} processes read`,
    );
  }
  const out: WinProcess[] = [];
  for (const addr of walk.items) {
    const p = reader.read(ctx.kernel, addr, ctx);
    if (!p) {
      ctx.warnings.add(`process list entry 0x${addr.toString(16)} is not a readable _EPROCESS`);
      continue;
    }
    out.push({ ...p, physical: ctx.kernel.translate(addr), foundBy: 'list' });
  }
  return out;
}

/**
 * Pool-tag scan for _EPROCESS allocations (`Pro\xe3` up to Windows 7, `Proc` after): finds processes unlinked from
 * the list (hidden, or exited but not yet freed). The body's place inside the allocation differs between versions
 * (bottom-up up to 7, below optional object headers after), so every aligned offset that starts with a process
 * dispatcher header (Type 3) and decodes to a plausible process is taken.
 */
export function scanProcesses(ctx: WinContext, reader = new EprocessReader(ctx)): WinProcess[] {
  const ps = ctx.profile.pointerSize;
  const align = ps === 8 ? 16 : 8;
  const poolHdr = ps === 8 ? 16 : 8;
  const out: WinProcess[] = [];
  const seen = new Set<number>();
  const alloc = new Uint8Array(4096);
  const mem = ctx.mem;
  for (const hit of scanPool(ctx.mem, ['Pro\xe3', 'Proc'], ps, reader.size)) {
    const n = Math.min(hit.size, alloc.length);
    if (mem.read(hit.header, alloc, 0, n) < n) continue;
    for (let d = poolHdr; d + reader.size <= n; d += align) {
      if (alloc[d] !== 3) continue;
      const p = reader.decode(alloc, d, -1, ctx);
      if (!p || !reader.plausible(p, ctx)) continue;
      const pa = hit.header + d;
      if (seen.has(pa)) break;
      seen.add(pa);
      out.push({ ...p, eprocess: -1, physical: pa, foundBy: 'scan' });
      break;
    }
  }
  return out;
}

/** List and scan results merged by physical address: list entries found by the scan too become 'both'. */
export function mergeProcesses(list: WinProcess[], scan: WinProcess[]): WinProcess[] {
  const byPa = new Map<number, WinProcess>();
  const out: WinProcess[] = [];
  for (const p of list) {
    const q = { ...p };
    out.push(q);
    if (q.physical >= 0) byPa.set(q.physical, q);
  }
  const identity = (p: WinProcess) => `${p.pid}|${p.name}|${p.createTime}|${p.dtb}`;
  const listed = new Set(list.map(identity));
  for (const s of scan) {
    const l = byPa.get(s.physical);
    if (l) l.foundBy = 'both';
    else out.push(listed.has(identity(s)) ? { ...s, foundBy: 'stale' } : s);
  }
  return out;
}
