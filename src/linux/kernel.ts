import { ElfMemory } from '../sources/elf.js';
import type { PhysicalMemory } from '../sources/source.js';
import type { VirtualSpace } from '../translate/types.js';
import { MemdigError, Warnings } from '../util/errors.js';
import { Btf } from './btf.js';
import { decodeKallsyms, type Kallsyms, type KallsymsTables, scanKallsyms } from './kallsyms.js';
import { KERNEL_MAP_48, KernelMemory } from './kmem.js';
import { type LinuxLayout, resolveLayout } from './layout.js';
import { BtfTypes, type TypeSource } from './types.js';
import { scanVmcoreInfo, VmcoreInfo } from './vmcoreinfo.js';

/** Makes an address space for a page-table root; `la57` says the kernel runs 5-level paging (refuse, never guess). */
export type SpaceFactory = (dtb: number, la57: boolean) => VirtualSpace;

export interface LinuxOptions {
  /** Skip VMCOREINFO even when present (tests the signature path). */
  noVmcoreinfo?: boolean;
  /** A type source to use instead of the in-RAM BTF (e.g. an ISF). */
  types?: TypeSource;
  /** Page-table translation (x64, 4- or 5-level); without it vmalloc/vmemmap reads and user pages are unavailable. */
  spaceFactory?: SpaceFactory;
  warnings?: Warnings;
}

/** Defaults when CONFIG_RANDOMIZE_MEMORY is off (48-bit forms). */
const DEFAULT_PAGE_OFFSET = 0x888000000000;
const DEFAULT_VMEMMAP = 0xea0000000000;

/** Everything discovered about a Linux kernel in a dump, from the dump alone. */
export class LinuxKernel {
  readonly warnings: Warnings;
  readonly kmem: KernelMemory;
  vmcoreinfo: VmcoreInfo | null = null;
  kallsyms!: Kallsyms;
  types!: TypeSource;
  layout!: LinuxLayout;
  release = '';
  /** How the kernel was found, for `memdig info`. */
  foundVia = '';
  /** Virtual KASLR slide of the image (KERNELOFFSET). */
  kaslrSlide = 0;
  physBase = 0;
  pageOffsetBase = DEFAULT_PAGE_OFFSET;
  vmemmapBase = DEFAULT_VMEMMAP;
  vmallocBase = -1;
  /** Physical address of the kernel's top page table (init_top_pgt). */
  dtb = -1;
  l5 = false;
  readonly timings: Record<string, number> = {};
  private readonly spaceFactory: SpaceFactory | undefined;

  constructor(
    readonly mem: PhysicalMemory,
    opts: LinuxOptions = {},
  ) {
    this.warnings = opts.warnings ?? new Warnings();
    this.kmem = new KernelMemory(mem);
    this.spaceFactory = opts.spaceFactory;
    this.discover(opts);
  }

  /** A kernel symbol's address (48-bit form); throws when the kernel has no such symbol. */
  sym(name: string): number {
    const a = this.kallsyms.addr(name) ?? this.vmcoreinfo?.symbol(name);
    if (a === undefined) throw new MemdigError(`kernel symbol ${name} not found (kallsyms, VMCOREINFO)`);
    return a;
  }

  optSym(name: string): number | undefined {
    return this.kallsyms.addr(name) ?? this.vmcoreinfo?.symbol(name);
  }

  /** A translator for a process's page tables (physical root), or null without a translator. */
  space(dtb: number): VirtualSpace | null {
    return this.spaceFactory ? this.spaceFactory(dtb, this.l5) : null;
  }

  /** PFN of a `struct page` in the vmemmap (SPARSEMEM_VMEMMAP). */
  pageToPfn(page: number): number {
    const d = page - this.vmemmapBase;
    return d >= 0 && d % this.layout.page.size === 0 ? d / this.layout.page.size : -1;
  }

  private discover(opts: LinuxOptions): void {
    let t0 = performance.now();
    const tick = (what: string) => {
      const t = performance.now();
      this.timings[what] = t - t0;
      t0 = t;
    };
    if (!opts.noVmcoreinfo) {
      const text = this.mem instanceof ElfMemory ? this.mem.vmcoreinfo() : null;
      this.vmcoreinfo = text ? new VmcoreInfo(text, 'VMCOREINFO ELF note') : scanVmcoreInfo(this.mem);
    }
    tick('vmcoreinfo');
    const vi = this.vmcoreinfo;
    const kmem = this.kmem;
    let ks: Kallsyms | null = null;
    if (vi) {
      this.release = vi.osRelease ?? '';
      this.foundVia = vi.foundVia.startsWith('RAM') ? `VMCOREINFO in ${vi.foundVia}` : vi.foundVia;
      const pb = vi.number('phys_base');
      // Printed as a signed long: kept signed, so PA = VA − __START_KERNEL_map + physBase stays exact.
      if (pb !== undefined) this.physBase = pb;
      this.kaslrSlide = vi.kernelOffset ?? 0;
      this.l5 = vi.number('pgtable_l5_enabled') === 1;
      kmem.physBase = this.physBase;
      const t = tablesFromVmcoreinfo(vi, kmem);
      if (t && pb !== undefined) {
        ks = decodeKallsyms((a, n) => kmem.bytes(a, n), t, 'VMCOREINFO kallsyms_* symbols', this.warnings);
        if (!ks) this.warnings.add('kallsyms: the tables VMCOREINFO points at do not decode; trying a scan');
      }
    }
    if (!ks) ks = this.kallsymsByScan();
    tick('kallsyms');
    this.kallsyms = ks;
    const text = ks.addr('_text');
    if (text !== undefined && !vi?.kernelOffset) this.kaslrSlide = text - 0xffff81000000;
    this.readBases();
    tick('bases');
    this.types = opts.types ?? this.findBtf();
    tick('btf');
    this.layout = resolveLayout(this.types);
    tick('layout');
    this.checkInitTask();
    if (this.spaceFactory && this.dtb >= 0) {
      const s = this.spaceFactory(this.dtb, this.l5);
      kmem.space = s;
    }
  }

  /** No usable VMCOREINFO: signature-scan the tables, then place the image by the banner. */
  private kallsymsByScan(): Kallsyms {
    const t = scanKallsyms(this.mem);
    if (!t) {
      throw new MemdigError(
        'no Linux kernel symbol table found: no VMCOREINFO (ELF note or in RAM) and no kallsyms tables in memory. ' +
          'memdig needs a kernel with CONFIG_KALLSYMS_ALL (most distributions), or VMCOREINFO in the dump ' +
          '(QEMU -device vmcoreinfo, kdump).',
      );
    }
    const phys = (a: number, n: number) => {
      const b = new Uint8Array(n);
      this.mem.read(a, b, 0, n);
      return b;
    };
    const ks = decodeKallsyms(phys, t, 'kallsyms tables found by signature scan', this.warnings);
    if (!ks) throw new MemdigError('kallsyms tables found by signature scan do not decode');
    const banner = ks.addr('linux_banner');
    const textVa = ks.addr('_text');
    if (banner === undefined || textVa === undefined)
      throw new MemdigError(
        'kallsyms has no linux_banner/_text: cannot place the kernel image (KALLSYMS_ALL off?)',
      );
    // The image's physical load address is 2 MiB aligned (CONFIG_PHYSICAL_ALIGN); the banner copy that puts
    // _text on such a boundary is the real linux_banner.
    const needle = Buffer.from('Linux version ');
    const block = 1 << 22;
    const buf = Buffer.alloc(block + 16);
    for (const r of this.mem.ranges) {
      for (let a = r.start; a < r.end; a += block) {
        const n = Math.min(block + 16, r.end - a);
        this.mem.read(a, buf, 0, n);
        const view = buf.subarray(0, n);
        for (let i = view.indexOf(needle); i >= 0 && i < block; i = view.indexOf(needle, i + 1)) {
          const pb = a + i - (banner - KERNEL_MAP_48);
          if ((pb + textVa - KERNEL_MAP_48) % 0x200000 !== 0) continue;
          this.physBase = pb;
          this.kmem.physBase = pb;
          this.release = this.kmem.cstr(banner + 14, 64).split(' ')[0] ?? '';
          this.foundVia = 'linux_banner and kallsyms found by scanning RAM (no VMCOREINFO)';
          return ks;
        }
      }
    }
    throw new MemdigError('kallsyms decoded, but no copy of linux_banner places the kernel image');
  }

  private readBases(): void {
    const k = this.kmem;
    const read = (name: string): number | undefined => {
      const a = this.kallsyms.addr(name);
      if (a === undefined) return undefined;
      const v = k.ptr(a);
      return v > 0 ? v : undefined;
    };
    const pob = read('page_offset_base');
    if (pob !== undefined) this.pageOffsetBase = pob;
    else this.warnings.add('page_offset_base not in kallsyms: assuming the unrandomized direct map');
    const vmm = read('vmemmap_base');
    if (vmm !== undefined) this.vmemmapBase = vmm;
    this.vmallocBase = read('vmalloc_base') ?? -1;
    k.pageOffsetBase = this.pageOffsetBase;
    const top =
      this.optSym('init_top_pgt') ?? this.optSym('init_level4_pgt') ?? this.optSym('swapper_pg_dir');
    if (top !== undefined) this.dtb = k.pa(top);
    if (!this.release) {
      const uts = this.optSym('init_uts_ns');
      // new_utsname.release follows sysname and nodename (65 bytes each) after the kref in uts_namespace.
      if (uts !== undefined) this.release = k.cstr(uts + 4 + 130, 65);
    }
  }

  /** BTF from `__start_BTF..__stop_BTF`, else by header scan (the largest blob that parses). */
  private findBtf(): TypeSource {
    const s = this.kallsyms.addr('__start_BTF');
    const e = this.kallsyms.addr('__stop_BTF');
    if (s !== undefined && e !== undefined && e > s && e - s < 256 << 20) {
      const bytes = this.kmem.bytes(s, e - s);
      try {
        const btf = Btf.parse(bytes);
        return new BtfTypes(
          btf,
          `BTF in RAM at PA 0x${this.kmem.pa(s).toString(16)} (${btf.localCount} types)`,
        );
      } catch (err) {
        this.warnings.add(`BTF at __start_BTF does not parse (${(err as Error).message}); scanning`);
      }
    }
    const t = this.kallsyms.addr('_text');
    const e2 = this.kallsyms.addr('_end');
    const image =
      t !== undefined && e2 !== undefined ? { start: this.kmem.pa(t), end: this.kmem.pa(e2) } : undefined;
    const found = scanBtf(this.mem, image);
    if (found) return found;
    throw new MemdigError(
      'no kernel type information: this kernel has no BTF in RAM (needs 5.5+ built with CONFIG_DEBUG_INFO_BTF). ' +
        'Give memdig a Volatility 3 ISF for this exact kernel with --isf FILE (dwarf2json from the debug package).',
    );
  }

  private checkInitTask(): void {
    const it = this.optSym('init_task');
    if (it === undefined) {
      this.warnings.add('init_task not in kallsyms');
      return;
    }
    const comm = this.kmem.cstr(it + this.layout.task.comm, 16);
    if (!comm.startsWith('swapper')) {
      this.warnings.add(
        `init_task.comm is "${comm}", expected "swapper/0": offsets or phys_base may be wrong`,
      );
    }
  }
}

function tablesFromVmcoreinfo(vi: VmcoreInfo, kmem: KernelMemory): KallsymsTables | null {
  const names = vi.symbol('kallsyms_names');
  const num = vi.symbol('kallsyms_num_syms');
  const tt = vi.symbol('kallsyms_token_table');
  const ti = vi.symbol('kallsyms_token_index');
  const offs = vi.symbol('kallsyms_offsets');
  const rb = vi.symbol('kallsyms_relative_base');
  if ([names, num, tt, ti, offs, rb].some((x) => x === undefined)) return null;
  return {
    names: names!,
    numSyms: kmem.u32(num!),
    tokenTable: tt!,
    tokenIndex: ti!,
    offsets: offs!,
    relativeBase: rb!,
  };
}

/**
 * Scans physical memory for a vmlinux BTF header and parses the best candidate: inside the kernel image first
 * (copies elsewhere are stale buffers, e.g. from a reader of /sys/kernel/btf/vmlinux), then the largest.
 */
export function scanBtf(mem: PhysicalMemory, image?: { start: number; end: number }): TypeSource | null {
  const sig = Buffer.from([0x9f, 0xeb, 0x01, 0x00, 0x18, 0x00, 0x00, 0x00]);
  const block = 1 << 22;
  const buf = Buffer.alloc(block + 32);
  const cands: { pa: number; size: number }[] = [];
  for (const r of mem.ranges) {
    for (let a = r.start; a < r.end; a += block) {
      const n = Math.min(block + 32, r.end - a);
      mem.read(a, buf, 0, n);
      const view = buf.subarray(0, n);
      for (let i = view.indexOf(sig); i >= 0 && i < block; i = view.indexOf(sig, i + 1)) {
        const size = Btf.blobSize(view.subarray(i, i + 24));
        if (size > 1 << 20 && size < 256 << 20) cands.push({ pa: a + i, size });
      }
    }
  }
  const inImage = (c: { pa: number }) => (image && c.pa >= image.start && c.pa < image.end ? 1 : 0);
  cands.sort((x, y) => inImage(y) - inImage(x) || y.size - x.size);
  for (const c of cands) {
    const b = new Uint8Array(c.size);
    if (mem.read(c.pa, b, 0, c.size) < c.size) continue;
    try {
      const btf = Btf.parse(b);
      if (btf.findByName('task_struct').length === 0) continue;
      return new BtfTypes(btf, `BTF found by scan at PA 0x${c.pa.toString(16)} (${btf.localCount} types)`);
    } catch {
      // a stale partial copy: try the next
    }
  }
  return null;
}
