/**
 * The synthetic Windows image builder: turns a Scenario into a raw physical image (streamed, sparse, seeded) and a
 * manifest of what a perfect reader must report. Structures are written from the kernel's own layout tables with
 * the builder's own writer (never the reader's structure-access code).
 */
import { createHash } from 'node:crypto';
import { contentPage, type FileContent, resolveContent } from './content.js';
import { KernelMemory, Pool, Region, tagBytes } from './kernel-space.js';
import { type Layout, loadLayout, type PdbIdentity } from './layout.js';
import type {
  Manifest,
  ManifestFile,
  ManifestFilePage,
  ManifestHandle,
  ManifestProcess,
  ManifestVad,
  PageStateName,
} from './manifest.js';
import { Paging, type Pte, PteCodec } from './paging.js';
import { PAGE, PageAlloc, PhysImage } from './phys-image.js';
import { type Family, kernelVa, PROFILES, type Profile } from './profiles.js';
import { Rng } from './rng.js';
import type { FileSpec, PagePlan, ProcessSpec, Scenario, VadSpec } from './scenario.js';
import { canonHex, StructBuf } from './struct.js';

const TWO32 = 0x100000000;
const PROT_READWRITE = 4;
const PROT_EXECUTE_WRITECOPY = 7;
/** Pointers per VACB index array; a flat array covers 128 views of 256 KiB = 32 MiB. */
const VACB_ARRAY = 128;
const VACB_FLAT_MAX = VACB_ARRAY * 0x40000;

/** FILETIME (100 ns since 1601) of an ISO time, as [lo, hi]. */
export function filetime(iso: string): [number, number] {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`forge: bad time ${iso}`);
  const ft = (ms + 11644473600000) * 10000;
  return [(ft % TWO32) >>> 0, Math.floor(ft / TWO32)];
}

function utf16(s: string): Uint8Array {
  const b = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    b[i * 2] = s.charCodeAt(i) & 0xff;
    b[i * 2 + 1] = s.charCodeAt(i) >> 8;
  }
  return b;
}

function ascii(s: string, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < Math.min(s.length, len - 1); i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Expands a page plan into one state character per page (R, T, P, A). */
export function expandPlan(plan: PagePlan, n: number, rng: Rng): string {
  if (typeof plan === 'string') {
    if (plan.length === 0) return 'R'.repeat(n);
    if (plan.length >= n) return plan.slice(0, n);
    return plan + plan[plan.length - 1]!.repeat(n - plan.length);
  }
  const entries = Object.entries(plan.mix).filter(([, w]) => (w ?? 0) > 0) as [string, number][];
  const total = entries.reduce((a, [, w]) => a + w, 0);
  let out = '';
  for (let i = 0; i < n; i++) {
    let r = (rng.u32() / TWO32) * total;
    let c = entries[entries.length - 1]![0];
    for (const [k, w] of entries) {
      if (r < w) {
        c = k;
        break;
      }
      r -= w;
    }
    out += c;
  }
  return out;
}

function stateName(c: string): PageStateName {
  return c === 'R' ? 'resident' : c === 'T' ? 'transition' : c === 'P' ? 'pagedout' : 'absent';
}
const RANK: Record<PageStateName, number> = { resident: 3, transition: 2, pagedout: 1, absent: 0 };

interface Obj {
  header: number;
  body: number;
}

interface SectionRec {
  ca: number;
  segment: number;
  image: boolean;
  /** Pages of the section: the file's pages, or an image's virtual size (sections may be larger than raw). */
  pages: number;
  /** Per section page: prototype PTE VA. */
  protoVa: number[];
  /** Subsections: VA, first section page, page count, PTE array VA, first file page (StartingSector). */
  subsections: { va: number; first: number; pages: number; base: number; filePage: number }[];
  /** Per section page. */
  states: string;
  /** Per section page: frame holding it (when R/T), else -1. */
  pfn: number[];
  /** Per file page: the section page holding it (-1: none). Identity for data sections. */
  pageOfFile: number[];
}

interface FileRec {
  spec: FileSpec;
  content: FileContent;
  pages: number;
  fo: Obj;
  data: SectionRec | null;
  image: SectionRec | null;
  scm: number | null;
  cacheStates: string | null;
  cacheViews: Set<number>;
  vacbs: { va: number; base: number; offset: number }[];
  /** Shared frames for data/cache pages (same physical page serves both, as in Windows). */
  sharedPfn: number[];
}

export class Builder {
  readonly p: Profile;
  readonly L: Layout;
  readonly x64: boolean;
  readonly ps: number;
  readonly rng: Rng;
  readonly img: PhysImage;
  readonly alloc: PageAlloc;
  readonly paging: Paging;
  readonly codec: PteCodec;
  readonly kmem: KernelMemory;
  readonly np: Pool;
  readonly pp: Pool;
  readonly cacheRegion: Region;
  readonly kbase: number;
  readonly family: Family;
  readonly cookie: number;
  private readonly types = new Map<string, { index: number; va: number }>();
  private device: Obj | null = null;
  private readonly files = new Map<string, FileRec>();
  private readonly symbols: Record<string, number> = {};
  private readonly procs: {
    spec: ProcessSpec;
    eproc: Obj;
    top: number;
    m: ManifestProcess;
  }[] = [];
  private pageFileNext = 0x100;
  private stats = { vads: 0, handles: 0 };
  private kdbgVa: number | null = null;
  private readonly staleCopies: { kind: string; pid: number; poolHeaderPa: string }[] = [];

  constructor(
    readonly sc: Scenario,
    readonly outPath: string,
  ) {
    this.p = PROFILES[sc.profile];
    if (!this.p) throw new Error(`forge: unknown profile ${sc.profile}`);
    this.family = this.p.family;
    this.L = loadLayout(this.p.layout);
    this.x64 = this.p.arch === 'x64';
    this.ps = this.L.ptrSize;
    this.rng = new Rng(sc.seed);
    const prng = this.rng.fork('pages');
    const pages = Math.floor(sc.physicalSize / PAGE);
    this.img = new PhysImage(outPath, pages * PAGE);
    const dtbPages = this.p.arch === 'pae' ? 5 : 1;
    this.alloc = new PageAlloc(
      pages,
      [
        [0, 0x100000],
        [this.p.kernelPa, this.p.kernelPa + this.p.kernelSize],
        [this.p.dtbPa, this.p.dtbPa + dtbPages * PAGE],
      ],
      (n) => prng.int(n),
    );
    let selfRef = 0x1ed;
    if (this.family === 'win10') {
      const used = new Set(
        [
          this.p.nonPagedPool[0],
          this.p.pagedPool[0],
          this.p.systemCache[0],
          this.p.kuser,
          kernelVa(this.p),
        ].map((va) => Math.floor(va / 2 ** 39) % 512),
      );
      used.add(0x1ed); // keep it distinguishable from the pre-Windows 10 fixed index
      const r = this.rng.fork('selfref');
      do selfRef = 0x100 + r.int(0xff);
      while (used.has(selfRef));
    }
    this.paging = new Paging(this.p.arch, this.img, this.alloc, this.p.dtbPa / PAGE, selfRef);
    this.codec = new PteCodec(this.p.arch, this.L);
    this.kmem = new KernelMemory(this.paging, this.img, this.alloc);
    this.np = new Pool(
      this.kmem,
      this.L,
      new Region('nonpaged', ...this.p.nonPagedPool),
      this.p.poolTypeNonPaged,
    );
    this.pp = new Pool(this.kmem, this.L, new Region('paged', ...this.p.pagedPool), this.p.poolTypePaged);
    this.cacheRegion = new Region('system cache', ...this.p.systemCache);
    this.kbase = kernelVa(this.p);
    this.cookie = this.family === 'win10' ? this.rng.fork('cookie').u32() & 0xff : 0;
  }

  hex(va: number): string {
    return canonHex(va, this.x64);
  }

  private sym(name: string): number {
    const rva = this.L.sym(name) ?? this.p.fixedRvas?.[name];
    if (rva === undefined) throw new Error(`forge: no RVA for ${name}`);
    const va = this.kbase + rva;
    this.symbols[name] = va;
    return va;
  }

  private hasSym(name: string): boolean {
    return this.L.sym(name) !== undefined || this.p.fixedRvas?.[name] !== undefined;
  }

  private s(type: string, size?: number): StructBuf {
    return new StructBuf(this.L, type, size);
  }

  // ---------------------------------------------------------------- objects

  private tagFor(base: string): string {
    // XP and 7 set the "protected" bit (0x80) in the last tag byte of object allocations.
    if (this.family === 'win10') return base;
    const last = String.fromCharCode(base.charCodeAt(3) | 0x80);
    return base.slice(0, 3) + last;
  }

  /** Allocates [pool header][name info][object header][body] so the body ends at the end of the block. */
  createObject(
    typeName: string,
    structType: string,
    tag: string,
    opts: { name?: string; size?: number; quota?: boolean } = {},
  ): Obj {
    const align = this.np.align;
    const bodySize = Math.ceil((opts.size ?? this.L.size(structType)) / align) * align;
    const nameInfo = opts.name ? Math.ceil(this.L.size('_OBJECT_HEADER_NAME_INFO') / align) * align : 0;
    // Quota info sits below name info (optional headers stack downwards in InfoMask bit order).
    const quotaSize = this.L.hasType('_OBJECT_HEADER_QUOTA_INFO')
      ? this.L.size('_OBJECT_HEADER_QUOTA_INFO')
      : this.ps * 4;
    const quotaInfo = opts.quota ? Math.ceil(quotaSize / align) * align : 0;
    const bodyOff = this.L.off('_OBJECT_HEADER', 'Body');
    const block = this.np.alloc(tag, quotaInfo + nameInfo + bodyOff + bodySize);
    const header = block.data + quotaInfo + nameInfo;
    const body = header + bodyOff;
    const h = this.s('_OBJECT_HEADER', bodyOff);
    h.set('PointerCount', 1).set('HandleCount', 0);
    const t = this.types.get(typeName);
    if (this.family === 'xp') {
      if (t) h.ptr('Type', t.va);
      if (nameInfo) h.set('NameInfoOffset', nameInfo);
      if (quotaInfo) h.set('QuotaInfoOffset', nameInfo + quotaInfo);
    } else {
      const idx = t?.index ?? 0;
      const stored =
        this.family === 'win10' ? (idx ^ (Math.floor(header / 256) & 0xff) ^ this.cookie) & 0xff : idx;
      h.set('TypeIndex', stored);
      h.set('InfoMask', (nameInfo ? 0x02 : 0) | (quotaInfo ? 0x08 : 0));
    }
    this.kmem.write(header, h.bytes);
    if (opts.name) {
      const buf = this.allocString(opts.name);
      const n = this.s('_OBJECT_HEADER_NAME_INFO');
      n.ustr('Name', opts.name.length * 2, opts.name.length * 2 + 2, buf);
      this.kmem.write(block.data + quotaInfo, n.bytes);
    }
    return { header, body };
  }

  /** A UTF-16 string (NUL-terminated) in paged pool; returns its VA. */
  allocString(s: string, tag = 'ObNm'): number {
    const b = utf16(`${s}\0`);
    const blk = this.pp.alloc(tag, b.length);
    this.kmem.write(blk.data, b);
    return blk.data;
  }

  private createTypes(): void {
    const names = this.p.typeNames;
    const objType = '_OBJECT_TYPE';
    for (let i = 1; i < names.length; i++) {
      if (!names[i]) continue;
      const o = this.createObject('Type', objType, this.tagFor('ObjT'), { name: names[i] });
      this.types.set(names[i]!, { index: i, va: o.body });
    }
    // Now that every type object exists, write their bodies (and XP's Type pointers, which refer to "Type").
    for (const [name, t] of this.types) {
      const b = this.s(objType);
      const buf = this.allocString(name);
      b.ustr('Name', name.length * 2, name.length * 2 + 2, buf).set('Index', t.index);
      b.set('TotalNumberOfObjects', 1, true);
      this.kmem.write(t.va, b.bytes);
      if (this.family === 'xp') {
        this.kmem.writePtr(
          t.va - this.L.off('_OBJECT_HEADER', 'Body') + this.L.off('_OBJECT_HEADER', 'Type'),
          this.types.get('Type')!.va,
          this.ps,
        );
      } else {
        const hdr = t.va - this.L.off('_OBJECT_HEADER', 'Body');
        const idx = this.types.get('Type')!.index;
        const stored =
          this.family === 'win10' ? (idx ^ (Math.floor(hdr / 256) & 0xff) ^ this.cookie) & 0xff : idx;
        this.kmem.write(hdr + this.L.off('_OBJECT_HEADER', 'TypeIndex'), new Uint8Array([stored]));
      }
    }
  }

  // ---------------------------------------------------------------- kernel image and globals

  /** The identity in the kernel's RSDS record: the table's, unless the scenario names another build of it. */
  private kernelPdb(): PdbIdentity {
    const o = this.sc.kernelPdb;
    if (!o) return this.L.pdb;
    const guid = o.guid.replace(/[{}-]/g, '').toUpperCase();
    if (!/^[0-9A-F]{32}$/.test(guid) || !Number.isInteger(o.age) || o.age < 0 || o.age > 0xffffffff) {
      throw new Error(`forge: kernelPdb ${o.guid} age ${o.age} is not a 32-hex-digit GUID and a 32-bit age`);
    }
    return { name: this.L.pdb.name, guid, age: o.age };
  }

  private buildKernelImage(): void {
    const n = this.p.kernelSize / PAGE;
    const pfn0 = this.p.kernelPa / PAGE;
    if (this.x64) {
      for (let i = 0; i < n; i++) this.kmem.mapPage(this.kbase + i * PAGE, pfn0 + i);
    } else {
      // XP maps 0x80000000 onto physical memory from 0 with large pages (the kernel image lies inside it), up to
      // the non-paged pool's start; the System page directory also has a user page table at PDE 0.
      const end = Math.min(this.img.size, this.p.nonPagedPool[0] - 0x80000000);
      for (let pa = 0; pa < end; ) pa += this.paging.mapLarge(0x80000000 + pa, pa);
      this.kmem.registerLarge(this.kbase, pfn0, n);
      this.paging.map(this.paging.kernelDtbPfn, 0, [0, 0], true);
    }
    const pe = new Uint8Array(0x3000);
    const dv = new DataView(pe.buffer);
    pe[0] = 0x4d;
    pe[1] = 0x5a;
    dv.setUint32(0x3c, 0xe8, true);
    const nt = 0xe8;
    dv.setUint32(nt, 0x00004550, true);
    dv.setUint16(nt + 4, this.x64 ? 0x8664 : 0x14c, true);
    const nsec = 3;
    dv.setUint16(nt + 6, nsec, true);
    dv.setUint32(nt + 8, 0x41107b0c, true);
    const optSize = this.x64 ? 0xf0 : 0xe0;
    dv.setUint16(nt + 20, optSize, true);
    dv.setUint16(nt + 22, this.x64 ? 0x22 : 0x10e, true);
    const opt = nt + 24;
    dv.setUint16(opt, this.x64 ? 0x20b : 0x10b, true);
    dv.setUint32(opt + 16, 0x2000, true); // AddressOfEntryPoint
    if (this.x64) {
      dv.setUint32(opt + 24, (this.kbase % TWO32) >>> 0, true);
      dv.setUint32(opt + 28, (Math.floor(this.kbase / TWO32) | 0xffff0000) >>> 0, true);
    } else dv.setUint32(opt + 28, this.kbase >>> 0, true);
    dv.setUint32(opt + 32, 0x1000, true);
    dv.setUint32(opt + 36, 0x200, true);
    dv.setUint16(opt + 40, this.p.major, true);
    dv.setUint16(opt + 42, this.p.minor, true);
    dv.setUint32(opt + 56, this.p.kernelSize, true); // SizeOfImage
    dv.setUint32(opt + 60, 0x400, true);
    dv.setUint16(opt + 68, 1, true); // native subsystem
    const dirs = opt + (this.x64 ? 112 : 96);
    dv.setUint32(opt + (this.x64 ? 108 : 92), 16, true);
    // Export directory at RVA 0x1000 (page 1), debug directory + RSDS at RVA 0x1800.
    const exportsRva = 0x1000;
    const debugRva = 0x1800;
    const secTab = opt + optSize;
    const secs: [string, number, number, number][] = [
      ['.text', 0x2000, 0x1000, 0x60000020],
      ['POOLCODE', 0x3000, 0x1000, 0x60000020],
      ['.data', 0x4000, this.p.kernelSize - 0x4000, 0xc8000040],
    ];
    secs.forEach(([name, rva, size, ch], i) => {
      const at = secTab + i * 40;
      for (let k = 0; k < name.length; k++) pe[at + k] = name.charCodeAt(k);
      dv.setUint32(at + 8, size, true);
      dv.setUint32(at + 12, rva, true);
      dv.setUint32(at + 16, size, true);
      dv.setUint32(at + 20, rva, true);
      dv.setUint32(at + 36, ch, true);
    });
    // Exports: the names a reader looks up without symbols.
    const exportNames = [
      'KdDebuggerDataBlock',
      'KeNumberProcessors',
      'NtBuildNumber',
      'PsActiveProcessHead',
      'PsInitialSystemProcess',
      'PsLoadedModuleList',
    ].filter((x) => this.hasSym(x));
    // The image is mapped from RVA 0, so RVAs are offsets into `pe`.
    const base = exportsRva;
    const nameStr = 'ntoskrnl.exe\0';
    let strAt = base + 0x28 + exportNames.length * 10;
    const funcs = base + 0x28;
    const namesArr = funcs + exportNames.length * 4;
    const ords = namesArr + exportNames.length * 4;
    dv.setUint32(base + 12, strAt, true);
    for (let k = 0; k < nameStr.length; k++) pe[strAt + k] = nameStr.charCodeAt(k);
    strAt += nameStr.length;
    dv.setUint32(base + 16, 1, true);
    dv.setUint32(base + 20, exportNames.length, true);
    dv.setUint32(base + 24, exportNames.length, true);
    dv.setUint32(base + 28, funcs, true);
    dv.setUint32(base + 32, namesArr, true);
    dv.setUint32(base + 36, ords, true);
    exportNames.forEach((name, i) => {
      dv.setUint32(funcs + i * 4, this.L.sym(name) ?? this.p.fixedRvas![name]!, true);
      dv.setUint32(namesArr + i * 4, strAt, true);
      dv.setUint16(ords + i * 2, i, true);
      for (let k = 0; k < name.length; k++) pe[strAt + k] = name.charCodeAt(k);
      strAt += name.length + 1;
    });
    dv.setUint32(dirs, exportsRva, true);
    dv.setUint32(dirs + 4, strAt - base, true);
    // Debug directory → CodeView RSDS naming the kernel's real PDB identity.
    dv.setUint32(dirs + 6 * 8, debugRva, true);
    dv.setUint32(dirs + 6 * 8 + 4, 28, true);
    const rsdsRva = debugRva + 0x40;
    const id = this.kernelPdb();
    const pdbName = id.name;
    dv.setUint32(debugRva + 12, 2, true); // IMAGE_DEBUG_TYPE_CODEVIEW
    dv.setUint32(debugRva + 16, 24 + pdbName.length + 1, true);
    dv.setUint32(debugRva + 20, rsdsRva, true);
    dv.setUint32(debugRva + 24, rsdsRva, true);
    pe.set([0x52, 0x53, 0x44, 0x53], rsdsRva);
    const g = id.guid;
    dv.setUint32(rsdsRva + 4, Number.parseInt(g.slice(0, 8), 16), true);
    dv.setUint16(rsdsRva + 8, Number.parseInt(g.slice(8, 12), 16), true);
    dv.setUint16(rsdsRva + 10, Number.parseInt(g.slice(12, 16), 16), true);
    for (let k = 0; k < 8; k++) pe[rsdsRva + 12 + k] = Number.parseInt(g.slice(16 + k * 2, 18 + k * 2), 16);
    dv.setUint32(rsdsRva + 20, id.age, true);
    for (let k = 0; k < pdbName.length; k++) pe[rsdsRva + 24 + k] = pdbName.charCodeAt(k);
    pe[0x2000] = 0xc3; // the entry point is a `ret`
    this.img.write(this.p.kernelPa, pe);
  }

  private writeGlobals(active: number[]): void {
    const ps = this.ps;
    // PsActiveProcessHead: circular list through the active EPROCESSes.
    const head = this.sym('PsActiveProcessHead');
    const linkOff = this.L.off('_EPROCESS', 'ActiveProcessLinks');
    const nodes = [head, ...active.map((e) => e + linkOff)];
    for (let i = 0; i < nodes.length; i++) {
      const flink = nodes[(i + 1) % nodes.length]!;
      const blink = nodes[(i + nodes.length - 1) % nodes.length]!;
      this.kmem.writePtr(nodes[i]!, flink, ps);
      this.kmem.writePtr(nodes[i]! + ps, blink, ps);
    }
    // PsLoadedModuleList → one entry for the kernel itself.
    const mods = this.sym('PsLoadedModuleList');
    const ldr = this.np.alloc('MmLd', this.L.size('_LDR_DATA_TABLE_ENTRY')).data;
    const full = '\\SystemRoot\\system32\\ntoskrnl.exe';
    const l = this.s('_LDR_DATA_TABLE_ENTRY');
    l.list('InLoadOrderLinks', mods, mods).ptr('DllBase', this.kbase).set('SizeOfImage', this.p.kernelSize);
    l.ustr('FullDllName', full.length * 2, full.length * 2 + 2, this.allocString(full, 'MmLd'));
    l.ustr('BaseDllName', 24, 26, this.allocString('ntoskrnl.exe', 'MmLd'));
    this.kmem.write(ldr, l.bytes);
    this.kmem.writePtr(mods, ldr, ps);
    this.kmem.writePtr(mods + ps, ldr, ps);
    this.kmem.writePtr(this.sym('PsInitialSystemProcess'), active[0]!, ps);
    const nb = new Uint8Array(4);
    new DataView(nb.buffer).setUint32(0, (0xf0000000 | this.p.build) >>> 0, true);
    this.kmem.write(this.sym('NtBuildNumber'), nb);
    this.kmem.write(this.sym('KeNumberProcessors'), new Uint8Array([1, 0, 0, 0]));
    // MmProtectToValue: the standard MM protection → PAGE_* table.
    const base = [1, 2, 0x10, 0x20, 4, 8, 0x40, 0x80];
    const tbl = new Uint8Array(32 * 4);
    const tdv = new DataView(tbl.buffer);
    for (let i = 0; i < 32; i++) {
      const extra = [0, 0x200, 0x100, 0x400][i >> 3]!;
      tdv.setUint32(i * 4, base[i & 7]! | (i >= 8 && (i & 7) !== 0 ? extra : 0), true);
    }
    this.kmem.write(this.sym('MmProtectToValue'), tbl);
    if (this.family === 'xp' && this.hasSym('ObpObjectTypes')) {
      // XP's type table: pointers to the type objects by index, [0] empty.
      const tt = this.sym('ObpObjectTypes');
      for (const t of this.types.values()) this.kmem.writePtr(tt + t.index * ps, t.va, ps);
    }
    if (this.family !== 'xp') {
      // ObTypeIndexTable: pointers to the type objects, contiguous from index 1.
      const tt = this.sym('ObTypeIndexTable');
      for (const t of this.types.values()) this.kmem.writePtr(tt + t.index * ps, t.va, ps);
      // ObpInfoMaskToOffset: offset of each optional header for an InfoMask value.
      const sizes = this.x64 ? [0x20, 0x20, 0x10, 0x20, 0x10, 0x10, 0x10, 0x4] : [0x10, 0x10, 0x8, 0x10, 0x8];
      const m2o = new Uint8Array(256);
      for (let m = 0; m < 256; m++) {
        let o = 0;
        for (let b = 0; b < sizes.length; b++) if (m & (1 << b)) o += sizes[b]!;
        m2o[m] = o & 0xff;
      }
      if (this.hasSym('ObpInfoMaskToOffset')) this.kmem.write(this.sym('ObpInfoMaskToOffset'), m2o);
      if (this.hasSym('ObpCaptureHandleInformationEx')) {
        // `sar rax, 0x10; ret`: the shift Volatility 3 reads to decode Windows 8+ handle entries.
        this.kmem.write(
          this.sym('ObpCaptureHandleInformationEx'),
          new Uint8Array([0x48, 0xc1, 0xf8, 0x10, 0xc3]),
        );
      }
    }
    if (this.family === 'win10')
      this.kmem.write(this.sym('ObHeaderCookie'), new Uint8Array([this.cookie, 0, 0, 0]));
    // KDBG on XP and 7 (Windows 8+ x64 encodes it; the builder leaves it out there).
    if (this.family !== 'win10') {
      const k = this.sym('KdDebuggerDataBlock');
      this.kdbgVa = k;
      const b = new Uint8Array(this.p.kdbgSize);
      const dv = new DataView(b.buffer);
      const w64 = (at: number, va: number) => {
        dv.setUint32(at, (va % TWO32) >>> 0, true);
        let hi = Math.floor(va / TWO32) >>> 0;
        if (this.x64 && hi & 0x8000) hi = (hi | 0xffff0000) >>> 0;
        dv.setUint32(at + 4, hi, true);
      };
      if (this.x64) {
        const listHead = this.kbase + 0x4000;
        w64(0, listHead);
        w64(8, listHead);
      }
      dv.setUint32(0x10, 0x4742444b, true);
      dv.setUint32(0x14, this.p.kdbgSize, true);
      w64(0x18, this.kbase);
      w64(0x48, mods);
      w64(0x50, head);
      this.kmem.write(k, b);
    }
  }

  private buildKuser(): void {
    const pfn = this.alloc.alloc();
    this.kmem.mapPage(this.p.kuser, pfn);
    const k = this.s('_KUSER_SHARED_DATA');
    const [lo, hi] = filetime(this.sc.systemTime);
    k.set('SystemTime.LowPart', lo).set('SystemTime.High1Time', hi).set('SystemTime.High2Time', hi);
    k.set('NtMajorVersion', this.p.major).set('NtMinorVersion', this.p.minor).set('NtProductType', 1);
    k.set('NtBuildNumber', this.p.build, true).set('NumberOfPhysicalPages', this.img.size / PAGE, true);
    k.set('TickCountMultiplier', 0x0fa00000, true);
    k.set('ImageNumberLow', this.x64 ? 0x8664 : 0x14c, true).set(
      'ImageNumberHigh',
      this.x64 ? 0x8664 : 0x14c,
      true,
    );
    this.kmem.write(this.p.kuser, k.bytes);
    this.kuserPfn = pfn;
  }
  private kuserPfn = 0;

  private buildLowStub(): number | null {
    if (!this.x64) return null;
    const b = new Uint8Array(PAGE);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, 0x000600e9, true);
    dv.setUint32(4, 0x00000001, true);
    const entry = this.kbase + 0x2000;
    dv.setUint32(0x70, (entry % TWO32) >>> 0, true);
    dv.setUint32(0x74, (Math.floor(entry / TWO32) | 0xffff0000) >>> 0, true);
    dv.setUint32(0xa0, this.p.dtbPa, true);
    this.img.write(0x1000, b);
    return 0x1000;
  }

  private buildDevice(): void {
    const d = this.createObject('Device', '_DEVICE_OBJECT', this.tagFor('Devi'), { name: 'HarddiskVolume1' });
    const s = this.s('_DEVICE_OBJECT');
    s.set('Type', 3).set('Size', this.L.size('_DEVICE_OBJECT')).set('DeviceType', 7);
    s.set('ReferenceCount', 1, true).set('StackSize', 8, true);
    this.kmem.write(d.body, s.bytes);
    this.device = d;
  }

  // ---------------------------------------------------------------- files

  private contentPfn(f: FileRec, page: number): number {
    let pfn = f.sharedPfn[page]!;
    if (pfn >= 0) return pfn;
    pfn = this.alloc.alloc();
    const buf = new Uint8Array(PAGE);
    contentPage(f.content, f.spec.path, page * PAGE, buf);
    this.img.writePage(pfn, buf);
    f.sharedPfn[page] = pfn;
    return pfn;
  }

  private buildFile(spec: FileSpec): FileRec {
    const content = resolveContent(spec.content, spec.path, this.rng.fork(`content:${spec.path}`));
    const pages = Math.max(1, Math.ceil(content.size / PAGE));
    const fo = this.createObject('File', '_FILE_OBJECT', this.tagFor('File'), { quota: true });
    const f: FileRec = {
      spec,
      content,
      pages,
      fo,
      data: null,
      image: null,
      scm: null,
      cacheStates: null,
      cacheViews: new Set(spec.cache?.views ?? []),
      vacbs: [],
      sharedPfn: new Array<number>(pages).fill(-1),
    };
    const prng = this.rng.fork(`plan:${spec.path}`);
    if (spec.data !== undefined) f.data = this.buildSection(f, expandPlan(spec.data, pages, prng), false);
    if (spec.image !== undefined) {
      const imagePages = spec.imageSections ? spec.imageSections.reduce((a, x) => a + x.virtual, 0) : pages;
      f.image = this.buildSection(f, expandPlan(spec.image, imagePages, prng), true);
    }
    if (spec.cache) this.buildCache(f, expandPlan(spec.cache.pages, pages, prng));
    // FCB with the common header (sizes) and the section object pointers.
    const fcb = this.pp.alloc('NtFC', 0x100).data;
    const fb = new Uint8Array(0x100);
    const fdv = new DataView(fb.buffer);
    fdv.setUint16(0, 0x0702, true);
    fdv.setUint16(2, 0x100, true);
    const hdrOff = this.x64 ? 0x18 : 0x10;
    for (let i = 0; i < 3; i++) {
      const v = i === 0 ? Math.ceil(content.size / PAGE) * PAGE : content.size;
      fdv.setUint32(hdrOff + i * 8, (v % TWO32) >>> 0, true);
      fdv.setUint32(hdrOff + i * 8 + 4, Math.floor(v / TWO32), true);
    }
    this.kmem.write(fcb, fb);
    const sop = fcb + 0x80;
    const sp = this.s('_SECTION_OBJECT_POINTERS');
    if (f.data) sp.ptr('DataSectionObject', f.data.ca);
    if (f.scm !== null) sp.ptr('SharedCacheMap', f.scm);
    if (f.image) sp.ptr('ImageSectionObject', f.image.ca);
    this.kmem.write(sop, sp.bytes);
    const o = this.s('_FILE_OBJECT');
    o.set('Type', 5).set('Size', this.L.size('_FILE_OBJECT'));
    o.ptr('DeviceObject', this.device!.body).ptr('FsContext', fcb).ptr('SectionObjectPointer', sop);
    const nameBuf = this.allocString(spec.path, 'IoNm');
    o.ustr('FileName', spec.path.length * 2, spec.path.length * 2 + 2, nameBuf);
    o.set('ReadAccess', 1)
      .set('SharedRead', 1, true)
      .set('DeletePending', spec.deleted ? 1 : 0);
    o.set('Flags', 0x40042, true);
    this.kmem.write(fo.body, o.bytes);
    this.files.set(spec.path, f);
    return f;
  }

  private pteSize(): number {
    return this.p.arch === 'x86' ? 4 : 8;
  }

  private writePte(va: number, v: Pte): void {
    const b = new Uint8Array(this.pteSize());
    const dv = new DataView(b.buffer);
    dv.setUint32(0, v[0] >>> 0, true);
    if (b.length === 8) dv.setUint32(4, v[1] >>> 0, true);
    this.kmem.write(va, b);
  }

  /** Control area, segment, subsections and prototype PTEs for a data or image section. */
  private buildSection(f: FileRec, states: string, image: boolean): SectionRec {
    // Image sections laid out as PE sections: one subsection each, PtesInSubsection from the virtual size,
    // StartingSector and NumberOfFullSectors from the raw data; pages past the raw size are not file-backed.
    const pe = image ? f.spec.imageSections : undefined;
    if (pe && pe.reduce((a, x) => a + x.raw, 0) !== f.pages)
      throw new Error(
        `forge: ${f.spec.path}: imageSections raw pages must add up to the file's ${f.pages} pages`,
      );
    const n = pe ? pe.reduce((a, x) => a + x.virtual, 0) : f.pages;
    // Subsection sizes: the spec's list (the last size repeats), else one per 256 pages (7/10) or a single one (XP).
    const want = pe
      ? pe.map((x) => x.virtual)
      : (f.spec.subsectionPages ?? (this.family === 'xp' ? [n] : 256));
    const sizes = typeof want === 'number' ? [want] : want.length ? want : [n];
    const firsts: number[] = [];
    const fileFirsts: number[] = [];
    for (let first = 0, filePage = 0, i = 0; first < n; i++) {
      firsts.push(first);
      fileFirsts.push(filePage);
      const size = Math.max(1, sizes[Math.min(i, sizes.length - 1)]!);
      first += size;
      filePage += pe ? pe[i]!.raw : size;
    }
    const rawOf = (i: number) => (pe ? pe[i]!.raw : span(i));
    const span = (i: number) => (i + 1 < firsts.length ? firsts[i + 1]! : n) - firsts[i]!;
    const ssType =
      !image && this.family !== 'xp' && this.L.hasType('_MSUBSECTION') ? '_MSUBSECTION' : '_SUBSECTION';
    const ssSize = this.L.size(ssType);
    const caSize = this.L.size('_CONTROL_AREA');
    const count = firsts.length;
    const caBlock = this.np.alloc(image ? 'MmCi' : 'MmCa', caSize + ssSize);
    const ca = caBlock.data;
    const ssVas: number[] = [ca + caSize];
    for (let i = 1; i < count; i++) ssVas.push(this.np.alloc('MmSb', ssSize).data);
    const pte = this.pteSize();
    // Prototype PTE arrays: XP keeps them inline in the segment; later versions one array per subsection.
    let segment: number;
    const bases: number[] = [];
    const segSize = this.L.size('_SEGMENT');
    if (this.family === 'xp') {
      const thePtes = this.L.off('_SEGMENT', 'ThePtes');
      const blk = this.pp.alloc('MmSt', thePtes + n * pte);
      segment = blk.data;
      for (let i = 0; i < count; i++) bases.push(segment + thePtes + firsts[i]! * pte);
    } else {
      segment = this.pp.alloc('MmSm', segSize).data;
      for (let i = 0; i < count; i++) {
        const cnt = span(i);
        bases.push(this.pp.alloc('MmSt', cnt * pte).data);
      }
    }
    const sec: SectionRec = {
      ca,
      segment,
      image,
      pages: n,
      protoVa: [],
      subsections: [],
      states,
      pfn: new Array<number>(n).fill(-1),
      pageOfFile: new Array<number>(f.pages).fill(-1),
    };
    const imgPfn: number[] = [];
    for (let i = 0; i < count; i++) {
      const first = firsts[i]!;
      const cnt = span(i);
      const filePage = fileFirsts[i]!;
      const raw = Math.min(rawOf(i), cnt);
      sec.subsections.push({ va: ssVas[i]!, first, pages: cnt, base: bases[i]!, filePage });
      const s = new StructBuf(this.L, ssType);
      const core = s.view('_SUBSECTION');
      core.ptr('ControlArea', ca).ptr('SubsectionBase', bases[i]!).set('PtesInSubsection', cnt);
      if (i + 1 < count) core.ptr('NextSubsection', ssVas[i + 1]!);
      const bytesIn = Math.max(0, Math.min(raw * PAGE, f.content.size - filePage * PAGE));
      const unit = image ? 0x200 : PAGE;
      core.set('StartingSector', (filePage * PAGE) / unit);
      core.set('NumberOfFullSectors', Math.floor(bytesIn / unit));
      core.set('u.SubsectionFlags.SectorEndOffset', bytesIn % unit, true);
      core.set('u.SubsectionFlags.Protection', image ? PROT_EXECUTE_WRITECOPY : PROT_READWRITE, true);
      core.set('UnusedPtes', 0, true);
      this.kmem.write(ssVas[i]!, s.bytes);
      for (let k = 0; k < cnt; k++) {
        const page = first + k;
        const va = bases[i]! + k * pte;
        sec.protoVa[page] = va;
        // Section page → file page; past the raw data the page is zero-filled, not read from the file.
        const fp = k < raw ? filePage + k : -1;
        if (fp >= 0 && fp < f.pages) sec.pageOfFile[fp] = page;
        const c = states[page]!;
        let v: Pte;
        if (c === 'R' || c === 'T') {
          let pfn: number;
          if (image) {
            pfn = this.alloc.alloc();
            const buf = new Uint8Array(PAGE);
            if (fp >= 0) contentPage(f.content, f.spec.path, fp * PAGE, buf);
            this.img.writePage(pfn, buf);
            imgPfn[page] = pfn;
          } else pfn = this.contentPfn(f, fp);
          sec.pfn[page] = pfn;
          v = c === 'R' ? this.codec.valid(pfn, false) : this.codec.transition(pfn, PROT_READWRITE);
        } else {
          v = this.codec.subsection(ssVas[i]!, PROT_READWRITE);
        }
        this.writePte(va, v);
      }
    }
    const seg = this.s('_SEGMENT');
    seg
      .ptr('ControlArea', ca)
      .set('TotalNumberOfPtes', n)
      .set('SizeOfSegment', n * PAGE);
    seg.ptr('PrototypePte', bases[0]!);
    if (this.family === 'xp')
      this.kmem.write(segment, seg.bytes.subarray(0, this.L.off('_SEGMENT', 'ThePtes')));
    else this.kmem.write(segment, seg.bytes);
    const c = this.s('_CONTROL_AREA');
    c.ptr('Segment', segment).set('NumberOfSectionReferences', 1).set('NumberOfMappedViews', 1);
    c.set('NumberOfUserReferences', 1).set('NumberOfPfnReferences', sec.pfn.filter((x) => x >= 0).length);
    c.set('NumberOfSubsections', count, true);
    c.set('u.Flags.File', 1).set('u.Flags.Image', image ? 1 : 0);
    c.set('u.Flags.Accessed', 1, true);
    // Vista+ FilePointer is an _EX_FAST_REF: the low bits hold a reference count.
    c.ptr('FilePointer', f.fo.body + (this.family === 'xp' ? 0 : 1));
    this.kmem.write(ca, c.bytes);
    return sec;
  }

  private buildCache(f: FileRec, states: string): void {
    f.cacheStates = states;
    const size = f.content.size;
    const sectionSize = Math.ceil(size / PAGE) * PAGE;
    const views = Math.ceil(sectionSize / 0x40000);
    const scm = this.np.alloc('CcSc', this.L.size('_SHARED_CACHE_MAP')).data;
    f.scm = scm;
    const s = this.s('_SHARED_CACHE_MAP');
    s.set('NodeTypeCode', 0x2ff).set('NodeByteSize', this.L.size('_SHARED_CACHE_MAP'), true);
    s.set('OpenCount', 1).set('FileSize', size).set('SectionSize', sectionSize).set('ValidDataLength', size);
    s.ptr('FileObjectFastRef', f.fo.body + (this.family === 'xp' ? 0 : 1), true);
    if (this.family === 'xp' && this.L.has('_SHARED_CACHE_MAP', 'FileObject')) s.ptr('FileObject', f.fo.body);
    // Where each view's VACB pointer goes: InitialVacbs up to 1 MiB, a flat array up to 32 MiB, above that a
    // sparse tree of 128-pointer arrays (each followed by a VACB_LEVEL_REFERENCE) with only the arrays on the
    // path to a mapped view allocated, as CcSetVacbLargeOffset does.
    const levels = sectionSize <= VACB_FLAT_MAX ? 1 : Math.ceil((Math.ceil(Math.log2(sectionSize)) - 18) / 7);
    let slotOf: ((view: number) => number) | null = null;
    const tree: { va: number; ptrs: number[] }[] = [];
    if (sectionSize <= 0x100000) s.ptr('Vacbs', scm + s.off('InitialVacbs'));
    else if (levels === 1) {
      const flat = this.np.alloc('CcVa', views * this.ps).data;
      s.ptr('Vacbs', flat);
      slotOf = (v) => flat + v * this.ps;
    } else {
      const newLevel = () => {
        const node = {
          va: this.np.alloc('CcVa', VACB_ARRAY * this.ps + 8).data,
          ptrs: new Array<number>(VACB_ARRAY).fill(0),
        };
        tree.push(node);
        return node;
      };
      const root = newLevel();
      s.ptr('Vacbs', root.va);
      const children = new Map<number, { va: number; ptrs: number[] }>([[root.va, root]]);
      slotOf = (v) => {
        let node = root;
        for (let level = levels - 1; level > 0; level--) {
          const i = Math.floor(v / VACB_ARRAY ** level) % VACB_ARRAY;
          if (!node.ptrs[i]) {
            const child = newLevel();
            children.set(child.va, child);
            node.ptrs[i] = child.va;
          }
          node = children.get(node.ptrs[i]!)!;
        }
        // The leaf slot's address; the VACB pointer is recorded in the node and written with it below.
        return node.va + (v % VACB_ARRAY) * this.ps;
      };
    }
    const vacbSize = this.L.size('_VACB');
    for (const v of [...f.cacheViews].sort((a, b) => a - b)) {
      if (v >= views) continue;
      const vacb = this.np.alloc('CcVa', vacbSize).data;
      const base = this.cacheRegion.pages(64, 64);
      const vb = this.s('_VACB');
      vb.ptr('BaseAddress', base)
        .ptr('SharedCacheMap', scm)
        .u64('Overlay.FileOffset', (v * 0x40000) % TWO32, Math.floor((v * 0x40000) / TWO32));
      this.kmem.write(vacb, vb.bytes);
      if (slotOf) {
        const slot = slotOf(v);
        const leaf = tree.find((n) => slot >= n.va && slot < n.va + VACB_ARRAY * this.ps);
        if (leaf) leaf.ptrs[(slot - leaf.va) / this.ps] = vacb;
        else this.kmem.writePtr(slot, vacb, this.ps);
      } else s.ptr(`InitialVacbs[${v}]`, vacb);
      f.vacbs.push({ va: vacb, base, offset: v * 0x40000 });
      for (let k = 0; k < 64; k++) {
        const page = v * 64 + k;
        if (page >= f.pages) break;
        const c = states[page]!;
        const va = base + k * PAGE;
        if (c === 'R') this.kmem.mapPage(va, this.contentPfn(f, page));
        else if (c === 'T')
          this.paging.map(
            this.paging.kernelDtbPfn,
            va,
            this.codec.transition(this.contentPfn(f, page), PROT_READWRITE),
          );
        else if (c === 'P' && f.data)
          this.paging.map(this.paging.kernelDtbPfn, va, this.codec.prototype(f.data.protoVa[page]!));
        else if (c === 'P')
          this.paging.map(
            this.paging.kernelDtbPfn,
            va,
            this.codec.pageFile(1, this.pageFileNext++, PROT_READWRITE),
          );
      }
    }
    for (const node of tree) {
      for (let i = 0; i < VACB_ARRAY; i++)
        if (node.ptrs[i]) this.kmem.writePtr(node.va + i * this.ps, node.ptrs[i]!, this.ps);
      // VACB_LEVEL_REFERENCE.Reference: live entries below this array.
      const ref = new Uint8Array(8);
      new DataView(ref.buffer).setUint32(0, node.ptrs.filter((x) => x).length, true);
      this.kmem.write(node.va + VACB_ARRAY * this.ps, ref);
    }
    this.kmem.write(scm, s.bytes);
  }

  // ---------------------------------------------------------------- processes

  private buildProcess(spec: ProcessSpec, isSystem: boolean): void {
    const p = this.p;
    const eproc = this.createObject('Process', '_EPROCESS', this.tagFor('Proc'));
    const top = isSystem ? this.paging.kernelDtbPfn : this.paging.newTop();
    const dtb = this.paging.dtbOf(top);
    const e = this.s('_EPROCESS');
    const pcb = e.view('_KPROCESS', e.off('Pcb'));
    pcb.set('Header.Type', 3);
    pcb.set('Header.Size', this.family === 'win10' ? 0 : (this.L.size('_KPROCESS') / 4) & 0xff);
    pcb.set('DirectoryTableBase', p.arch === 'pae' ? dtb : dtb);
    e.set('UniqueProcessId', spec.pid).set('InheritedFromUniqueProcessId', spec.ppid);
    const [clo, chi] = filetime(spec.create);
    e.u64('CreateTime', clo, chi);
    let exitIso: string | null = null;
    if (spec.exited || spec.exit) {
      exitIso = spec.exit ?? new Date(Date.parse(spec.create) + 3600_000).toISOString();
      const [elo, ehi] = filetime(exitIso);
      e.u64('ExitTime', elo, ehi);
      e.set('ExitStatus', 0);
    } else e.set('ExitStatus', 0x103);
    const imageName = spec.name.slice(0, 15);
    e.raw('ImageFileName', ascii(imageName, 16));
    // Unlinked exited processes keep links pointing at themselves (as after RemoveEntryList on a lone entry).
    const links = eproc.body + e.off('ActiveProcessLinks');
    e.list('ActiveProcessLinks', links, links);
    const m: ManifestProcess = {
      pid: spec.pid,
      ppid: spec.ppid,
      name: spec.name,
      imageFileName: imageName,
      eprocess: this.hex(eproc.body),
      eprocessPa: `0x${this.kmem.pa(eproc.body).toString(16)}`,
      dtb: `0x${dtb.toString(16)}`,
      createTime: new Date(Date.parse(spec.create)).toISOString(),
      exitTime: exitIso ? new Date(Date.parse(exitIso)).toISOString() : null,
      exited: !!(spec.exited || spec.exit),
      active: !(spec.exited || spec.exit),
      peb: null,
      commandLine: null,
      objectTable: null,
      threads: [],
      vads: [],
      handles: [],
    };
    // Threads.
    const nThreads = spec.exited ? 0 : (spec.threads ?? 1);
    const thrHead = eproc.body + e.off('ThreadListHead');
    const kthrHead = eproc.body + e.off('Pcb') + pcb.layout.off('_KPROCESS', 'ThreadListHead');
    const thr: number[] = [];
    for (let i = 0; i < nThreads; i++)
      thr.push(this.createObject('Thread', '_ETHREAD', this.tagFor('Thre')).body);
    const eOff = this.L.off('_ETHREAD', 'ThreadListEntry');
    const kOff = this.L.off('_ETHREAD', 'Tcb') + this.L.off('_KTHREAD', 'ThreadListEntry');
    const ring = (headVa: number, off: number) => {
      const nodes = [headVa, ...thr.map((t) => t + off)];
      return (i: number) => [nodes[(i + 1) % nodes.length]!, nodes[(i + nodes.length - 1) % nodes.length]!];
    };
    const r1 = ring(thrHead, eOff);
    const r2 = ring(kthrHead, kOff);
    const [f1, b1] = r1(0) as [number, number];
    e.list('ThreadListHead', f1, b1);
    const [f2, b2] = r2(0) as [number, number];
    pcb.list('ThreadListHead', f2, b2);
    e.set('ActiveThreads', nThreads);
    thr.forEach((t, i) => {
      const th = this.s('_ETHREAD');
      th.set('Tcb.Header.Type', 6);
      th.set('Cid.UniqueProcess', spec.pid).set('Cid.UniqueThread', spec.pid + 4 * (i + 1));
      const [a, b] = r1(i + 1) as [number, number];
      th.list('ThreadListEntry', a, b);
      const [c2, d2] = r2(i + 1) as [number, number];
      th.list('Tcb.ThreadListEntry', c2, d2);
      th.ptr('Tcb.Process', eproc.body, true).ptr('Tcb.ApcState.Process', eproc.body, true);
      th.u64('CreateTime', clo, chi);
      this.kmem.write(t, th.bytes);
      m.threads.push(this.hex(t));
    });
    // User space: KUSER_SHARED_DATA's user alias, PEB, process parameters, VADs.
    if (!isSystem) this.paging.map(top, 0x7ffe0000, this.codec.valid(this.kuserPfn, true), true);
    const vadSpecs: VadSpec[] = [];
    let pebVa = 0;
    let paramsVa = 0;
    if (!isSystem) {
      pebVa = this.family === 'win10' ? p.peb + this.rng.fork(`peb:${spec.pid}`).int(0x4000) * PAGE : p.peb;
      paramsVa = p.processParameters;
      // 'S': pages the builder fills with structures afterwards (process parameters, TEB + PEB).
      vadSpecs.push({ kind: 'private', pages: 1, start: paramsVa, ptes: 'S' });
      vadSpecs.push({ kind: 'private', pages: 2, start: pebVa - PAGE, ptes: 'S' });
    }
    vadSpecs.push(...(spec.vads ?? []));
    const vads = this.layoutVads(vadSpecs);
    const vadNodes = this.buildVads(spec, top, vads, m);
    if (!isSystem) {
      const image = vads.find((v) => v.spec.kind === 'image');
      this.writePeb(top, spec, pebVa, paramsVa, image ? image.start : 0, m);
      if (image) e.ptr('SectionBaseAddress', image.start);
      e.ptr('Peb', pebVa);
    }
    this.linkVadRoot(e, eproc.body, vadNodes);
    if (!m.exited) {
      const ht = this.buildHandles(spec, eproc, m);
      e.ptr('ObjectTable', ht);
      m.objectTable = this.hex(ht);
    }
    this.kmem.write(eproc.body, e.bytes);
    this.procs.push({ spec, eproc, top, m });
  }

  private writePeb(
    top: number,
    spec: ProcessSpec,
    pebVa: number,
    paramsVa: number,
    imageBase: number,
    m: ManifestProcess,
  ): void {
    const cmd = spec.commandLine ?? spec.name;
    const path = `C:\\WINDOWS\\system32\\${spec.name}`;
    const params = this.s('_RTL_USER_PROCESS_PARAMETERS');
    const pb = new Uint8Array(PAGE);
    const strAt = Math.ceil(params.bytes.length / 16) * 16;
    const pathB = utf16(`${path}\0`);
    const cmdB = utf16(`${cmd}\0`);
    pb.set(pathB, strAt);
    pb.set(cmdB.subarray(0, Math.min(cmdB.length, PAGE - strAt - pathB.length)), strAt + pathB.length);
    params.set('MaximumLength', params.bytes.length, true).set('Length', params.bytes.length, true);
    params.ustr('ImagePathName', pathB.length - 2, pathB.length, paramsVa + strAt);
    params.ustr(
      'CommandLine',
      Math.min(cmdB.length - 2, 0xfffe),
      cmdB.length,
      paramsVa + strAt + pathB.length,
    );
    pb.set(params.bytes, 0);
    this.userPage(top, paramsVa, pb);
    const peb = this.s('_PEB');
    peb.ptr('ImageBaseAddress', imageBase).ptr('ProcessParameters', paramsVa);
    peb
      .set('OSMajorVersion', this.p.major)
      .set('OSMinorVersion', this.p.minor)
      .set('OSBuildNumber', this.p.build);
    peb.set('NumberOfProcessors', 1, true).set('OSCSDVersion', this.p.servicePack << 8, true);
    const pg = new Uint8Array(PAGE);
    pg.set(peb.bytes.subarray(0, PAGE));
    this.userPage(top, pebVa, pg);
    m.peb = this.hex(pebVa);
    m.commandLine = cmd;
  }

  private userPages = new Map<string, number>();

  /** Maps a resident private page (writing its bytes) in a process; replaces any earlier mapping. */
  private userPage(top: number, va: number, bytes: Uint8Array): number {
    const key = `${top}:${va}`;
    let pfn = this.userPages.get(key);
    if (pfn === undefined) {
      pfn = this.alloc.alloc();
      this.userPages.set(key, pfn);
    }
    this.img.writePage(pfn, bytes);
    this.paging.map(top, va, this.codec.valid(pfn, true), true);
    return pfn;
  }

  private layoutVads(specs: VadSpec[]): { spec: VadSpec; start: number; pages: number }[] {
    const out: { spec: VadSpec; start: number; pages: number }[] = [];
    let cursor = this.p.userBase;
    for (const s of specs) {
      let pages: number;
      if (s.kind === 'private') pages = s.pages;
      else {
        const f = this.files.get(s.file);
        if (!f) throw new Error(`forge: VAD maps unknown file ${s.file}`);
        const off = s.kind === 'mapped' ? (s.offset ?? 0) : 0;
        pages = s.kind === 'mapped' ? (s.pages ?? f.pages - off / PAGE) : (f.image?.pages ?? f.pages);
      }
      let start = s.start;
      if (start === undefined) {
        start = Math.ceil(cursor / 0x10000) * 0x10000;
        cursor = start + pages * PAGE + 0x10000;
      }
      out.push({ spec: s, start, pages });
    }
    out.sort((a, b) => a.start - b.start);
    for (let i = 1; i < out.length; i++) {
      if (out[i]!.start < out[i - 1]!.start + out[i - 1]!.pages * PAGE) {
        throw new Error(`forge: VADs overlap at ${out[i]!.start.toString(16)}`);
      }
    }
    return out;
  }

  private buildVads(
    spec: ProcessSpec,
    top: number,
    vads: { spec: VadSpec; start: number; pages: number }[],
    m: ManifestProcess,
  ): { va: number; type: string }[] {
    const nodes: { va: number; type: string; tag: string }[] = [];
    for (const v of vads) {
      const s = v.spec;
      const type = s.kind === 'private' ? '_MMVAD_SHORT' : '_MMVAD';
      const tag =
        s.kind === 'private' ? 'VadS' : s.kind === 'image' && this.family !== 'win10' ? 'Vadl' : 'Vad ';
      const size =
        s.kind === 'image' && this.family !== 'win10' && this.L.hasType('_MMVAD_LONG')
          ? this.L.size('_MMVAD_LONG')
          : this.L.size(type);
      nodes.push({
        va: this.np.alloc(tag, size).data,
        type: size > this.L.size('_MMVAD') ? '_MMVAD_LONG' : type,
        tag,
      });
    }
    // Balanced tree from the sorted list (median root), with parent links.
    const parent = new Array<number>(vads.length).fill(-1);
    const left = new Array<number>(vads.length).fill(-1);
    const right = new Array<number>(vads.length).fill(-1);
    const build = (lo: number, hi: number, par: number): number => {
      if (lo > hi) return -1;
      const mid = (lo + hi) >> 1;
      parent[mid] = par;
      left[mid] = build(lo, mid - 1, mid);
      right[mid] = build(mid + 1, hi, mid);
      return mid;
    };
    const root = build(0, vads.length - 1, -1);
    this.vadRootIndex = root;
    vads.forEach((v, i) => {
      const node = nodes[i]!;
      const s = v.spec;
      const buf = new StructBuf(this.L, node.type);
      const sh = buf.view('_MMVAD_SHORT');
      const startVpn = v.start / PAGE;
      const endVpn = startVpn + v.pages - 1;
      const nva = (k: number) => (k >= 0 ? nodes[k]!.va : 0);
      const protection = s.kind === 'image' ? PROT_EXECUTE_WRITECOPY : (s.protection ?? PROT_READWRITE);
      const priv = s.kind === 'private';
      if (this.family === 'xp') {
        sh.set('StartingVpn', startVpn).set('EndingVpn', endVpn);
        sh.ptr('Parent', nva(parent[i]!)).ptr('LeftChild', nva(left[i]!)).ptr('RightChild', nva(right[i]!));
        sh.set('u.VadFlags.Protection', protection).set('u.VadFlags.PrivateMemory', priv ? 1 : 0);
        sh.set('u.VadFlags.CommitCharge', priv ? v.pages : 0).set('u.VadFlags.MemCommit', priv ? 1 : 0);
        sh.set('u.VadFlags.ImageMap', s.kind === 'image' ? 1 : 0);
      } else if (this.family === 'win7') {
        sh.set('StartingVpn', startVpn).set('EndingVpn', endVpn);
        sh.ptr('u1.Parent', nva(parent[i]!));
        sh.ptr('LeftChild', nva(left[i]!)).ptr('RightChild', nva(right[i]!));
        sh.set('u.VadFlags.Protection', protection).set('u.VadFlags.PrivateMemory', priv ? 1 : 0);
        sh.set('u.VadFlags.CommitCharge', priv ? v.pages : 0).set('u.VadFlags.MemCommit', priv ? 1 : 0);
        sh.set('u.VadFlags.VadType', s.kind === 'image' ? 2 : 0);
      } else {
        sh.set('StartingVpn', startVpn % TWO32).set('EndingVpn', endVpn % TWO32);
        sh.set('StartingVpnHigh', Math.floor(startVpn / TWO32)).set(
          'EndingVpnHigh',
          Math.floor(endVpn / TWO32),
        );
        sh.ptr('VadNode.Left', nva(left[i]!))
          .ptr('VadNode.Right', nva(right[i]!))
          .ptr('VadNode.ParentValue', nva(parent[i]!));
        sh.set('u.VadFlags.Protection', protection).set('u.VadFlags.PrivateMemory', priv ? 1 : 0);
        sh.set('u.VadFlags.VadType', s.kind === 'image' ? 2 : 0);
        sh.set('u1.VadFlags1.CommitCharge', priv ? v.pages : 0).set('u1.VadFlags1.MemCommit', priv ? 1 : 0);
      }
      const mv: ManifestVad = {
        start: this.hex(v.start),
        end: this.hex(v.start + v.pages * PAGE - 1),
        address: this.hex(node.va),
        tag: node.tag,
        kind: s.kind,
        protection,
        privateMemory: priv,
        commitCharge: priv ? v.pages : 0,
        file: null,
        fileOffset: null,
        controlArea: null,
        firstPrototypePte: null,
        lastContiguousPte: null,
        ptes: '',
      };
      if (priv) {
        mv.ptes = this.privatePages(spec, top, v.start, v.pages, s.ptes ?? 'V', protection);
      } else {
        const f = this.files.get(s.file)!;
        const sec = s.kind === 'image' ? f.image : f.data;
        if (!sec)
          throw new Error(`forge: ${s.file} has no ${s.kind === 'image' ? 'image' : 'data'} section to map`);
        const firstPage = s.kind === 'mapped' ? (s.offset ?? 0) / PAGE : 0;
        const ss = sec.subsections.find((x) => firstPage >= x.first && firstPage < x.first + x.pages)!;
        const firstProto = sec.protoVa[firstPage]!;
        const lastPage = Math.min(firstPage + v.pages - 1, ss.first + ss.pages - 1);
        const lastProto =
          this.family === 'xp'
            ? sec.protoVa[Math.min(firstPage + v.pages - 1, sec.pages - 1)]!
            : sec.protoVa[lastPage]!;
        if (this.family === 'xp') buf.ptr('ControlArea', sec.ca);
        else buf.ptr('Subsection', ss.va);
        buf.ptr('FirstPrototypePte', firstProto).ptr('LastContiguousPte', lastProto);
        buf.set('u2.VadFlags2.FileOffset', (firstPage * PAGE) / 0x10000, true);
        buf.set('u2.VadFlags2.LongVad', node.type === '_MMVAD_LONG' ? 1 : 0, true);
        buf.ptr('FileObject', f.fo.body, true);
        buf.ptr('VadsProcess', 0, true);
        mv.file = f.spec.path;
        mv.fileOffset = firstPage * PAGE;
        mv.controlArea = this.hex(sec.ca);
        mv.firstPrototypePte = this.hex(firstProto);
        mv.lastContiguousPte = this.hex(lastProto);
        mv.ptes = this.viewPages(
          top,
          v.start,
          v.pages,
          firstPage,
          sec,
          s.kind === 'mapped' ? (s.ptes ?? '') : '',
        );
      }
      this.kmem.write(node.va, buf.bytes);
      m.vads.push(mv);
      this.stats.vads++;
    });
    return nodes;
  }
  private vadRootIndex = -1;

  private privatePages(
    spec: ProcessSpec,
    top: number,
    start: number,
    pages: number,
    plan: string,
    protection: number,
  ): string {
    if (plan === 'S') {
      // TEB page (first of the PEB VAD) and structure pages: resident, written by writePeb / here.
      for (let i = 0; i < pages; i++)
        this.userPage(top, start + i * PAGE, privatePattern(spec.pid, start + i * PAGE, this.x64));
      return 'V'.repeat(pages);
    }
    let out = '';
    for (let i = 0; i < pages; i++) {
      const c = i < plan.length ? plan[i]! : plan[plan.length - 1]!;
      const va = start + i * PAGE;
      if (c === 'V' || c === 'T') {
        const pfn = this.alloc.alloc();
        this.img.writePage(pfn, privatePattern(spec.pid, va, this.x64));
        this.paging.map(
          top,
          va,
          c === 'V' ? this.codec.valid(pfn, true) : this.codec.transition(pfn, protection),
          true,
        );
      } else if (c === 'Z') this.paging.map(top, va, this.codec.demandZero(protection), true);
      else if (c === 'F')
        this.paging.map(top, va, this.codec.pageFile(1, this.pageFileNext++, protection), true);
      out += c;
    }
    return out;
  }

  /** Process PTEs of a file view: valid where the prototype is resident, else a prototype pointer or nothing. */
  private viewPages(
    top: number,
    start: number,
    pages: number,
    firstPage: number,
    sec: SectionRec,
    plan: string,
  ): string {
    let out = '';
    for (let i = 0; i < pages; i++) {
      const page = firstPage + i;
      if (page >= sec.pages) {
        out += '-';
        continue;
      }
      let c = plan.length
        ? i < plan.length
          ? plan[i]!
          : plan[plan.length - 1]!
        : sec.states[page] === 'R'
          ? 'V'
          : 'P';
      if (c === 'V' && sec.states[page] !== 'R') c = 'P';
      const va = start + i * PAGE;
      if (c === 'V') this.paging.map(top, va, this.codec.valid(sec.pfn[page]!, true), true);
      else if (c === 'P') this.paging.map(top, va, this.codec.prototype(sec.protoVa[page]!), true);
      out += c;
    }
    return out;
  }

  private linkVadRoot(e: StructBuf, eproc: number, nodes: { va: number; type: string }[]): void {
    const root = this.vadRootIndex >= 0 ? nodes[this.vadRootIndex]!.va : 0;
    const depth = nodes.length ? Math.ceil(Math.log2(nodes.length + 1)) : 0;
    if (this.family === 'xp') {
      e.ptr('VadRoot', root).ptr('VadHint', root).set('NumberOfVads', nodes.length);
    } else if (this.family === 'win7') {
      const t = e.view('_MM_AVL_TABLE', e.off('VadRoot'));
      const balanced = eproc + e.off('VadRoot');
      t.ptr('BalancedRoot.u1.Parent', balanced).ptr('BalancedRoot.RightChild', root);
      t.set('NumberGenericTableElements', nodes.length).set('DepthOfTree', depth).ptr('NodeHint', root);
      if (root) this.kmem.writePtr(root + this.L.off('_MMVAD_SHORT', 'u1.Parent'), balanced, this.ps);
    } else {
      e.ptr('VadRoot.Root', root).ptr('VadHint', root).set('VadCount', nodes.length);
    }
  }

  private buildHandles(spec: ProcessSpec, eproc: Obj, m: ManifestProcess): number {
    const entries: { hdr: number; body: number; type: string; access: number; name: string }[] = [];
    entries.push({
      hdr: eproc.header,
      body: eproc.body,
      type: 'Process',
      access: 0x1fffff,
      name: `${spec.name}(${spec.pid})`,
    });
    for (const path of spec.handles?.files ?? []) {
      const f = this.files.get(path);
      if (!f) throw new Error(`forge: handle to unknown file ${path}`);
      entries.push({
        hdr: f.fo.header,
        body: f.fo.body,
        type: 'File',
        access: 0x12019f,
        name: `\\Device\\HarddiskVolume1${path}`,
      });
    }
    for (const key of spec.handles?.keys ?? []) {
      const o = this.buildKey(key);
      entries.push({ hdr: o.header, body: o.body, type: 'Key', access: 0x20019, name: key });
    }
    for (const path of spec.handles?.sections ?? []) {
      const f = this.files.get(path);
      if (!f?.data) throw new Error(`forge: section handle needs a data section for ${path}`);
      const o = this.buildSectionObject(f);
      entries.push({ hdr: o.header, body: o.body, type: 'Section', access: 0xf001f, name: path });
    }
    const esz = this.L.size('_HANDLE_TABLE_ENTRY');
    const perPage = PAGE / esz;
    const needed = entries.length + 1;
    const leafCount = Math.ceil(needed / perPage);
    const leaves: number[] = [];
    for (let i = 0; i < leafCount; i++) leaves.push(this.pp.alloc('Obtb', PAGE).data);
    entries.forEach((en, i) => {
      const slot = i + 1;
      const leaf = leaves[Math.floor(slot / perPage)]!;
      const at = leaf + (slot % perPage) * esz;
      const b = this.s('_HANDLE_TABLE_ENTRY');
      if (this.family === 'win10') {
        const h48 = en.hdr;
        const lo = (((h48 % 0x10000) * 0x10000) | 1) >>> 0;
        const hi = Math.floor(h48 / 0x10000) >>> 0;
        b.u64('LowValue', lo, hi).set('GrantedAccessBits', en.access);
      } else {
        b.ptr('Object', en.hdr + 1).set('GrantedAccess', en.access);
      }
      this.kmem.write(at, b.bytes);
      const handle = slot * 4;
      m.handles.push({
        handle,
        type: en.type,
        object: this.hex(en.body),
        objectHeader: this.hex(en.hdr),
        grantedAccess: en.access,
        name: en.name,
      } satisfies ManifestHandle);
      // Object header counts.
      this.kmem.write(en.hdr + this.L.off('_OBJECT_HEADER', 'HandleCount'), new Uint8Array([1]));
      this.stats.handles++;
    });
    let tableCode = leaves[0]!;
    if (leafCount > 1) {
      const mid = this.pp.alloc('Obtb', PAGE).data;
      for (let i = 0; i < leaves.length; i++) this.kmem.writePtr(mid + i * this.ps, leaves[i]!, this.ps);
      tableCode = mid + 1;
    }
    const ht = this.pp.alloc('Obtb', this.L.size('_HANDLE_TABLE')).data;
    const h = this.s('_HANDLE_TABLE');
    h.set('TableCode', tableCode).ptr('QuotaProcess', eproc.body, true).set('UniqueProcessId', spec.pid);
    h.list('HandleTableList', ht + h.off('HandleTableList'), ht + h.off('HandleTableList'));
    h.set('HandleCount', entries.length, true).set('NextHandleNeedingPool', leafCount * perPage * 4, true);
    this.kmem.write(ht, h.bytes);
    return ht;
  }

  private keys = new Map<string, Obj>();
  private buildKey(name: string): Obj {
    const hit = this.keys.get(name);
    if (hit) return hit;
    const o = this.createObject('Key', '_CM_KEY_BODY', this.tagFor('CmKy'));
    const kcb = this.pp.alloc('CmKb', this.L.size('_CM_KEY_CONTROL_BLOCK')).data;
    const leaf = name.split('\\').pop() ?? name;
    const ncbSize = this.L.off('_CM_NAME_CONTROL_BLOCK', 'Name') + leaf.length;
    const ncb = this.pp.alloc('CmNm', ncbSize).data;
    const n = this.s('_CM_NAME_CONTROL_BLOCK', ncbSize);
    n.set('Compressed', 1).set('NameLength', leaf.length);
    n.bytes.set(ascii(leaf, leaf.length + 1).subarray(0, leaf.length), n.off('Name'));
    this.kmem.write(ncb, n.bytes);
    const k = this.s('_CM_KEY_CONTROL_BLOCK');
    k.ptr('NameBlock', ncb).set('RefCount', 1, true);
    this.kmem.write(kcb, k.bytes);
    const body = this.s('_CM_KEY_BODY');
    body.set('Type', 0x6b793032).ptr('KeyControlBlock', kcb);
    this.kmem.write(o.body, body.bytes);
    this.keys.set(name, o);
    return o;
  }

  private buildSectionObject(f: FileRec): Obj {
    const type = this.L.hasType('_SECTION') ? '_SECTION' : '_SECTION_OBJECT';
    const o = this.createObject('Section', type, this.tagFor('Sect'));
    const s = this.s(type);
    if (type === '_SECTION') {
      s.ptr('u1.ControlArea', f.data!.ca)
        .set('SizeOfSection', f.pages * PAGE)
        .set('u.Flags.File', 1);
    } else {
      s.ptr('Segment', f.data!.segment);
    }
    this.kmem.write(o.body, s.bytes);
    return o;
  }

  // ---------------------------------------------------------------- noise

  private buildNoise(): void {
    const n = this.sc.noise;
    if (!n) return;
    const r = this.rng.fork('noise');
    const page = new Uint8Array(PAGE);
    for (let i = 0; i < (n.randomPages ?? 0); i++) {
      r.fill(page);
      this.img.writePage(this.alloc.alloc(), page);
    }
    // Stale copies: a process's pool block copied into a free page (pool header + object), unreachable.
    const procs = this.procs;
    for (let i = 0; i < (n.staleObjects ?? 0) && procs.length; i++) {
      const pr = procs[r.int(procs.length)]!;
      const start = pr.eproc.header - this.np.hdrSize;
      const len = this.np.hdrSize + this.L.off('_OBJECT_HEADER', 'Body') + this.L.size('_EPROCESS');
      const bytes = this.kmem.read(start, Math.min(len, PAGE - 0x100));
      page.fill(0);
      page.set(bytes, 0x80);
      const pfn = this.alloc.alloc();
      this.img.writePage(pfn, page);
      this.staleCopies.push({
        kind: 'EPROCESS',
        pid: pr.spec.pid,
        poolHeaderPa: `0x${(pfn * PAGE + 0x80).toString(16)}`,
      });
    }
  }

  // ---------------------------------------------------------------- driver

  build(): Manifest {
    this.buildKernelImage();
    this.buildKuser();
    const lowStub = this.buildLowStub();
    this.createTypes();
    this.buildDevice();
    for (const f of this.sc.files) this.buildFile(f);
    const procs = [...this.sc.processes];
    const sysIdx = procs.findIndex((p) => p.pid === 4 || p.name === 'System');
    if (sysIdx < 0) throw new Error('forge: scenario needs a System process (pid 4)');
    const [sys] = procs.splice(sysIdx, 1);
    this.buildProcess(sys!, true);
    for (const p of procs) this.buildProcess(p, false);
    const active = this.procs.filter((p) => p.m.active).map((p) => p.eproc.body);
    this.writeGlobals(active);
    this.buildNoise();
    const manifest = this.manifest(lowStub);
    this.img.close();
    return manifest;
  }

  private manifest(lowStub: number | null): Manifest {
    const files: ManifestFile[] = [];
    const page = new Uint8Array(PAGE);
    for (const f of this.files.values()) {
      const full = createHash('sha256');
      const pages: ManifestFilePage[] = [];
      for (let i = 0; i < f.pages; i++) {
        contentPage(f.content, f.spec.path, i * PAGE, page);
        const n = Math.min(PAGE, f.content.size - i * PAGE);
        if (n > 0) full.update(page.subarray(0, n));
        const data = f.data ? stateName(f.data.states[i] === 'A' ? 'P' : f.data.states[i]!) : undefined;
        const ip = f.image ? f.image.pageOfFile[i]! : -1;
        const image = f.image
          ? ip < 0
            ? 'absent'
            : stateName(f.image.states[ip] === 'A' ? 'P' : f.image.states[ip]!)
          : undefined;
        let cache: PageStateName | undefined;
        if (f.cacheStates)
          cache = f.cacheViews.has(Math.floor(i / 64)) ? stateName(f.cacheStates[i]!) : 'absent';
        let best: PageStateName = 'absent';
        for (const s of [data, cache, image]) if (s && RANK[s] > RANK[best]) best = s;
        const mp: ManifestFilePage = { offset: i * PAGE, state: best, sha256: sha256(page) };
        if (data) mp.data = data;
        if (cache) mp.cache = cache;
        if (image) mp.image = image;
        const pfn = f.sharedPfn[i]! >= 0 ? f.sharedPfn[i]! : ip >= 0 ? f.image!.pfn[ip]! : -1;
        if ((best === 'resident' || best === 'transition') && pfn >= 0)
          mp.pa = `0x${(pfn * PAGE).toString(16)}`;
        pages.push(mp);
      }
      files.push({
        path: f.spec.path,
        size: f.content.size,
        sha256: full.digest('hex'),
        origin: f.content.origin,
        deleted: !!f.spec.deleted,
        fileObject: this.hex(f.fo.body),
        fileObjectPa: `0x${this.kmem.pa(f.fo.body).toString(16)}`,
        dataSectionObject: f.data ? this.hex(f.data.ca) : null,
        imageSectionObject: f.image ? this.hex(f.image.ca) : null,
        sharedCacheMap: f.scm !== null ? this.hex(f.scm) : null,
        subsections: [...(f.data?.subsections ?? []), ...(f.image?.subsections ?? [])].map((s) => ({
          address: this.hex(s.va),
          startingPage: s.filePage,
          pages: s.pages,
          subsectionBase: this.hex(s.base),
        })),
        vacbs: f.vacbs.map((v) => ({
          address: this.hex(v.va),
          baseAddress: this.hex(v.base),
          fileOffset: v.offset,
        })),
        pages,
      });
    }
    const symbols: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.symbols)) symbols[k] = this.hex(v);
    const objectTypes: Record<string, number> = {};
    for (const [k, v] of this.types) objectTypes[k] = v.index;
    return {
      format: 'memdig-forge-manifest',
      version: 1,
      scenario: this.sc.name,
      seed: this.sc.seed,
      profile: this.p.id,
      os: {
        family: this.family,
        arch: this.p.arch,
        major: this.p.major,
        minor: this.p.minor,
        build: this.p.build,
        servicePack: this.p.servicePack,
      },
      image: {
        container: 'raw',
        path: this.outPath,
        physicalSize: this.img.size,
        ranges: [{ start: '0x0', end: `0x${this.img.size.toString(16)}` }],
      },
      kernel: {
        pdb: this.kernelPdb(),
        base: this.hex(this.kbase),
        basePa: `0x${this.p.kernelPa.toString(16)}`,
        dtb: `0x${this.p.dtbPa.toString(16)}`,
        selfRefIndex:
          this.p.arch === 'x64' ? this.paging.selfRefIndex : this.p.arch === 'x86' ? 0x300 : 0x603,
        psActiveProcessHead: symbols.PsActiveProcessHead!,
        psLoadedModuleList: symbols.PsLoadedModuleList!,
        psInitialSystemProcess: symbols.PsInitialSystemProcess!,
        kdbg: this.kdbgVa !== null ? this.hex(this.kdbgVa) : null,
        kdbgPa: this.kdbgVa !== null ? `0x${this.kmem.pa(this.kdbgVa).toString(16)}` : null,
        kuserSharedData: this.hex(this.p.kuser),
        obHeaderCookie: this.family === 'win10' ? this.cookie : null,
        lowStubPa: lowStub !== null ? `0x${lowStub.toString(16)}` : null,
        objectTypes,
        symbols,
      },
      processes: this.procs.map((p) => p.m),
      files,
      noise: { randomPages: this.sc.noise?.randomPages ?? 0, staleCopies: this.staleCopies },
      stats: {
        processes: this.procs.length,
        vads: this.stats.vads,
        fileObjects: this.files.size,
        handles: this.stats.handles,
        pageTablePages: this.paging.tablePages,
      },
    };
  }
}

/** Content of a resident private page: "memdig-forge pg " + VA (u64) + pid (u32), then (i·7 + VPN) & 0xFF. */
export function privatePattern(pid: number, va: number, x64: boolean): Uint8Array {
  const b = new Uint8Array(PAGE);
  const vpn = Math.floor(va / PAGE);
  for (let i = 0; i < PAGE; i++) b[i] = (i * 7 + vpn) & 0xff;
  const tag = 'memdig-forge pg ';
  for (let i = 0; i < 16; i++) b[i] = tag.charCodeAt(i);
  const dv = new DataView(b.buffer);
  dv.setUint32(16, (va % TWO32) >>> 0, true);
  let hi = Math.floor(va / TWO32);
  if (x64 && hi & 0x8000) hi = (hi | 0xffff0000) >>> 0;
  dv.setUint32(20, hi, true);
  dv.setUint32(24, pid, true);
  return b;
}

export { tagBytes };
