import type { PhysicalMemory } from '../sources/source.js';
import { canonicalToNumber } from './address.js';
import { classifyLinuxPte, linuxProtNoneHuge } from './linux-pte.js';
import { type TableCache, tableCacheFor } from './table-cache.js';
import { newPteInfo, PageState, type PagingArch, PteFlag, type PteInfo, type VirtualSpace } from './types.js';
import { classifyWindowsPte, type WindowsPteLayout } from './windows-pte.js';

const TWO32 = 0x100000000;
const PAGE = 4096;
const TLB_SIZE = 256;
const TLB_MASK = TLB_SIZE - 1;
const VA48 = 0x1000000000000;

/** Per paging mode: levels from the top, what each entry spans, how many entries a table has. */
interface Geometry {
  top: number;
  entrySize: 4 | 8;
  /** Indexed by level (1..top): bytes spanned by one entry. */
  span: readonly number[];
  /** Indexed by level: index mask of a table at that level. */
  indexMask: readonly number[];
  /** Indexed by level: low-half mask of a large page's base at that level (0 = no large page there). */
  largeLo: readonly number[];
  /** Exclusive limit of virtual addresses. */
  vaLimit: number;
}

const GEOMETRY: Record<PagingArch, Geometry> = {
  x86: {
    top: 2,
    entrySize: 4,
    span: [0, PAGE, 1 << 22],
    indexMask: [0, 1023, 1023],
    largeLo: [0, 0, 0xffc00000],
    vaLimit: TWO32,
  },
  pae: {
    top: 3,
    entrySize: 8,
    span: [0, PAGE, 1 << 21, 1 << 30],
    indexMask: [0, 511, 511, 3],
    largeLo: [0, 0, 0xffe00000, 0],
    vaLimit: TWO32,
  },
  x64: {
    top: 4,
    entrySize: 8,
    span: [0, PAGE, 2 ** 21, 2 ** 30, 2 ** 39],
    indexMask: [0, 511, 511, 511, 511],
    largeLo: [0, 0, 0xffe00000, 0xc0000000, 0],
    vaLimit: VA48,
  },
};

export interface PagedSpaceConfig {
  windows: boolean;
  pse: boolean;
  readTransition: boolean;
  resolvePrototypes: boolean;
  layout: WindowsPteLayout;
}

/**
 * One address space: a hardware page-table walk (x86 2-level, PAE 3-level, x64 4-level) with the OS's reading of
 * non-present entries, a small direct-mapped TLB of readable 4 KiB translations, and reads through it.
 * No objects are allocated on the translate/read paths: entries are read as u32 halves (through a shared cache of
 * table pages), results land in reused objects. (V8 may still box an address above 2^31 when it crosses a call it
 * did not inline: a short-lived 16-byte number, not an object of ours.)
 */
export class PagedSpace implements VirtualSpace {
  readonly pointerSize: 4 | 8;
  private readonly g: Geometry;
  private readonly tlbTag = new Float64Array(TLB_SIZE).fill(-1);
  private readonly tlbPhys = new Float64Array(TLB_SIZE);
  /** End (exclusive VA) of the page, small or large, that the cached 4 KiB translation belongs to. */
  private readonly tlbEnd = new Float64Array(TLB_SIZE);
  private readonly tables: TableCache;
  /** After `physOf`: bytes from the address to the end of its physically contiguous page. */
  private run = 0;
  /** Result of the last walk done on behalf of the TLB and reads. */
  private readonly scratch = newPteInfo();
  /** Walk of a prototype PTE's own address. */
  private readonly protoWalk = newPteInfo();
  /** Table base read at each level by the last walk (index = level): lets forEachPage descend without decoding. */
  private readonly path = new Float64Array(5);
  private readonly tmp8 = new Uint8Array(8);
  private readonly dv8 = new DataView(this.tmp8.buffer);
  private missing = 0;
  private visited = 0;

  /**
   * Sets how Windows software PTEs are read once the build is known (identification finds the page tables
   * before it knows the build). Only non-present entries are affected, which the TLB never holds.
   */
  setWindowsLayout(layout: Partial<WindowsPteLayout>): void {
    Object.assign(this.cfg.layout, layout);
  }
  constructor(
    readonly mem: PhysicalMemory,
    readonly arch: PagingArch,
    readonly dtb: number,
    private readonly cfg: PagedSpaceConfig,
  ) {
    this.g = GEOMETRY[arch];
    this.pointerSize = arch === 'x64' ? 8 : 4;
    this.tables = tableCacheFor(mem);
  }

  get lastMissing(): number {
    return this.missing;
  }

  get os(): 'windows' | 'linux' {
    return this.cfg.windows ? 'windows' : 'linux';
  }

  translate(va: number, info?: PteInfo): number {
    if (!info) return this.physOf(va);
    this.resolve(va, info);
    if (!this.readable(info)) return -1;
    const vpn = Math.floor(va / PAGE);
    const i = vpn & TLB_MASK;
    this.tlbTag[i] = vpn;
    this.tlbPhys[i] = info.phys - (va - vpn * PAGE);
    this.tlbEnd[i] = va - (va % info.pageSize) + info.pageSize;
    return info.phys;
  }

  /** Forgets cached translations (after the physical memory under the page tables was changed). */
  flush(): void {
    this.tlbTag.fill(-1);
    this.tables.flush();
  }

  /**
   * Visits every page in [from, to) that the tables say something about (any state but Unmapped), in address
   * order, with `info` filled in (`info.phys` is the page's first byte for Valid/Transition). Spans left empty by
   * an upper-level entry are skipped whole, so sparse 48-bit spaces cost what they map. Stops early when `visit`
   * returns false. Returns the number of pages visited.
   */
  forEachPage(
    from: number,
    to: number,
    visit: (va: number, info: PteInfo) => unknown,
    info = newPteInfo(),
  ): number {
    const end = Math.min(to, this.g.vaLimit);
    const start = Math.max(0, from - (from % PAGE));
    if (start >= end) return 0;
    this.visited = 0;
    this.scan(this.g.top, this.dtb, 0, start, end, visit, info);
    return this.visited;
  }

  /**
   * Scans one table's entries overlapping [from, to): all-zero entries are skipped without a walk; any other entry
   * is decoded by the ordinary walk (so states and masks are exactly translate's), then either descended into or
   * reported. Depth is bounded by the paging levels. Returns false when the visitor stopped the scan.
   */
  private scan(
    level: number,
    table: number,
    base: number,
    from: number,
    to: number,
    visit: (va: number, info: PteInfo) => unknown,
    info: PteInfo,
  ): boolean {
    const g = this.g;
    const span = g.span[level]!;
    const wide = g.entrySize === 8;
    const first = Math.max(0, Math.floor((from - base) / span));
    const last = Math.min(g.indexMask[level]!, Math.floor((to - 1 - base) / span));
    for (let idx = first; idx <= last; idx++) {
      const a = table + idx * g.entrySize;
      const lo = this.tables.u32(a);
      const hi = wide && lo >= 0 ? this.tables.u32(a + 4) : 0;
      if (lo === 0 && hi === 0) continue;
      const entryVa = base + idx * span;
      const va = Math.max(entryVa, from);
      this.walk(va, info);
      // The walk went below this entry: descend, unless the very table it points to is the one missing.
      if (info.level < level - 1 || (info.level === level - 1 && info.state !== PageState.TableMissing)) {
        if (!this.scan(level - 1, this.path[level - 1]!, entryVa, from, to, visit, info)) return false;
        continue;
      }
      if (info.state === PageState.Prototype) this.followPrototype(va, info);
      if (info.state === PageState.Unmapped) continue;
      // A table page absent from the dump is reported once, for all the span it would have described.
      const tableGone = info.state === PageState.TableMissing && info.level === level;
      if (tableGone) info.pageSize = (last - idx + 1) * span - (va - entryVa);
      else if (info.state === PageState.TableMissing) info.pageSize = span - (va - entryVa);
      this.visited++;
      if (visit(va, info) === false) return false;
      if (tableGone) return true;
    }
    return true;
  }

  read(va: number, dst: Uint8Array, dstOff: number, len: number): number {
    let firstHole = -1;
    let missing = 0;
    for (let done = 0; done < len; ) {
      const a = va + done;
      const p = this.physOf(a);
      // Inside a large page the physical bytes are contiguous: one container read for the whole run.
      const n = Math.min(len - done, this.run);
      if (p < 0) {
        // A failed walk skips the whole span its last entry covers (a zero PML4 entry: 512 GiB), not page by page.
        dst.fill(0, dstOff + done, dstOff + done + n);
        missing += n;
        if (firstHole < 0) firstHole = done;
      } else {
        const got = this.mem.read(p, dst, dstOff + done, n);
        if (got < n) {
          // mem.read zero-fills after its first hole; count the rest as missing even if parts were present.
          missing += n - got;
          if (firstHole < 0) firstHole = done + got;
        }
      }
      done += n;
    }
    this.missing = missing;
    return firstHole < 0 ? len : firstHole;
  }

  readU32(va: number): number {
    if (va % PAGE <= PAGE - 4) {
      const p = this.physOf(va);
      return p < 0 ? -1 : this.mem.readU32(p);
    }
    if (this.read(va, this.tmp8, 0, 4) < 4) return -1;
    return this.dv8.getUint32(0, true);
  }

  readU64AsNumber(va: number): number {
    const lo = this.readU32(va);
    if (lo < 0) return -1;
    const hi = this.readU32(va + 4);
    if (hi < 0) return -1;
    return canonicalToNumber(hi, lo);
  }

  readPointer(va: number): number {
    return this.pointerSize === 8 ? this.readU64AsNumber(va) : this.readU32(va);
  }

  /** Readable physical address of `va` through the TLB, or -1 (then `scratch` holds the walk's result). */
  private physOf(va: number): number {
    const vpn = Math.floor(va / PAGE);
    const i = vpn & TLB_MASK;
    const off = va - vpn * PAGE;
    if (this.tlbTag[i] === vpn) {
      this.run = this.tlbEnd[i]! - va;
      return this.tlbPhys[i]! + off;
    }
    const s = this.scratch;
    this.resolve(va, s);
    const end = va - (va % s.pageSize) + s.pageSize;
    this.run = end - va;
    if (!this.readable(s)) return -1;
    this.tlbTag[i] = vpn;
    this.tlbPhys[i] = s.phys - off;
    this.tlbEnd[i] = end;
    return s.phys;
  }

  private readable(s: PteInfo): boolean {
    return s.state === PageState.Valid || (s.state === PageState.Transition && this.cfg.readTransition);
  }

  /** Walk, then (Windows) one step through a prototype PTE. Bounded: the prototype's own walk never recurses. */
  private resolve(va: number, out: PteInfo): void {
    this.walk(va, out);
    if (out.state === PageState.Prototype) this.followPrototype(va, out);
  }

  private followPrototype(va: number, out: PteInfo): void {
    if (!this.cfg.resolvePrototypes) return;
    // Prototype PTEs live in kernel pool: a pointer into the user half is not one (MemProcFS checks the same).
    if (out.protoAddr < (this.arch === 'x64' ? 0x800000000000 : 0x80000000)) return;
    const pw = this.protoWalk;
    this.walk(out.protoAddr, pw);
    if (!this.readable(pw)) return;
    const pteAddr = pw.phys;
    const lo = this.mem.readU32(pteAddr);
    const hi = this.g.entrySize === 8 ? this.mem.readU32(pteAddr + 4) : 0;
    if (lo < 0 || hi < 0) return;
    const flags = out.flags;
    classifyWindowsPte(this.arch, lo, hi, out, true, this.cfg.layout);
    out.flags = flags | PteFlag.ViaPrototype;
    out.entryAddr = pteAddr;
    out.entryLo = lo;
    out.entryHi = hi;
    out.level = 1;
    out.pageSize = PAGE;
    if (out.phys >= 0) out.phys += va % PAGE;
  }

  /** The hardware walk plus the OS's reading of the entry that ends it. */
  private walk(va: number, out: PteInfo): void {
    const g = this.g;
    const tables = this.tables;
    const wide = g.entrySize === 8;
    const win = this.cfg.windows;
    out.phys = -1;
    out.protoAddr = -1;
    out.pageFile = 0;
    out.pageFileOffset = 0;
    out.subsection = -1;
    out.entryLo = 0;
    out.entryHi = 0;
    let flags = PteFlag.Writable | PteFlag.User;
    if (!(va >= 0 && va < g.vaLimit)) {
      out.state = PageState.Unmapped;
      out.level = g.top;
      out.pageSize = PAGE;
      out.entryAddr = -1;
      out.flags = 0;
      return;
    }
    let table = this.dtb;
    for (let level = g.top; level >= 1; level--) {
      const span = g.span[level]!;
      this.path[level] = table;
      const a = table + (Math.floor(va / span) & g.indexMask[level]!) * g.entrySize;
      out.level = level;
      out.pageSize = span;
      out.entryAddr = a;
      const lo = tables.u32(a);
      const hi = wide && lo >= 0 ? tables.u32(a + 4) : 0;
      if (lo < 0 || hi < 0) {
        out.state = PageState.TableMissing;
        out.flags = flags;
        return;
      }
      out.entryLo = lo;
      out.entryHi = hi;
      const largeLo = g.largeLo[level]!;
      if (lo & 1) {
        // PAE PDPTEs have no R/W, U/S or NX bits (reserved there).
        if (!(this.arch === 'pae' && level === 3)) {
          if (!(lo & 2)) flags &= ~PteFlag.Writable;
          if (!(lo & 4)) flags &= ~PteFlag.User;
          if (hi & 0x80000000) flags |= PteFlag.NoExecute;
        }
        if (level === 1 || (largeLo !== 0 && lo & 0x80 && (this.arch !== 'x86' || this.cfg.pse))) {
          let base: number;
          if (level === 1)
            base = wide ? (hi & 0xfffff) * TWO32 + ((lo & 0xfffff000) >>> 0) : (lo & 0xfffff000) >>> 0;
          else if (wide) base = (hi & 0xfffff) * TWO32 + ((lo & largeLo) >>> 0);
          // PSE-36: a 4 MiB page's physical bits 39:32 sit in entry bits 20:13.
          else base = ((lo & largeLo) >>> 0) + ((lo >>> 13) & 0xff) * TWO32;
          out.state = PageState.Valid;
          out.phys = base + (va % span);
          out.flags = flags | (lo & 0x40 ? PteFlag.Dirty : 0);
          return;
        }
        table = wide ? (hi & 0xfffff) * TWO32 + ((lo & 0xfffff000) >>> 0) : (lo & 0xfffff000) >>> 0;
        continue;
      }
      // Not present. Bit 7 here is not "page size" (on Windows it is a protection bit), except for Linux huge
      // PMDs, which keep PSE while PROT_NONE.
      if (level === 1) {
        out.flags = flags & PteFlag.TableInTransition;
        if (win) classifyWindowsPte(this.arch, lo, hi, out, false, this.cfg.layout);
        else if (
          classifyLinuxPte(this.arch, lo, hi, out) === PageState.Valid &&
          out.phys >= this.mem.maxAddress
        ) {
          // A PROT_NONE frame that lies inside the dump only when not inverted: a kernel older than the L1TF
          // inversion (4.19) stored it plain.
          const plain = wide ? (hi & 0xfffff) * TWO32 + ((lo & 0xfffff000) >>> 0) : (lo & 0xfffff000) >>> 0;
          if (plain < this.mem.maxAddress) out.phys = plain;
        }
        if (out.phys >= 0) out.phys += va % PAGE;
        return;
      }
      if (win) {
        if (lo & 0x800 && !(lo & 0x400)) {
          // The table page was trimmed to the standby/modified list: still in RAM, its entries still meaningful.
          flags |= PteFlag.TableInTransition;
          table = wide
            ? (hi & (this.arch === 'x64' ? 0x1fff : 0xffff)) * TWO32 + ((lo & 0xfffff000) >>> 0)
            : (lo & 0xfffff000) >>> 0;
          continue;
        }
        classifyWindowsPte(this.arch, lo, hi, out, false, this.cfg.layout);
        // Only a paged-out table says something; a zero or demand-zero table entry leaves it to the VAD.
        if (out.state !== PageState.PageFile) out.state = PageState.Unmapped;
        out.protoAddr = -1;
        out.flags = flags & PteFlag.TableInTransition;
        return;
      }
      if (largeLo !== 0 && level === 2) {
        let base = linuxProtNoneHuge(this.arch, lo, hi, largeLo);
        // As for PTEs: a frame that is only inside the dump when not inverted comes from a pre-4.19 kernel.
        if (base >= this.mem.maxAddress && wide) {
          const plain = (hi & 0xfffff) * TWO32 + ((lo & largeLo) >>> 0);
          if (plain < this.mem.maxAddress) base = plain;
        }
        if (base >= 0) {
          out.state = PageState.Valid;
          out.phys = base + (va % span);
          out.flags = (flags & ~PteFlag.Writable) | PteFlag.ProtNone;
          return;
        }
      }
      out.state = PageState.Unmapped;
      out.flags = 0;
      return;
    }
  }
}
