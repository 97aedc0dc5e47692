import { CrashDumpMemory } from '../sources/crashdump.js';
import type { PhysicalMemory } from '../sources/source.js';
import { KDBG_OWNER_TAG } from '../symbols/kdbg.js';
import { loadProfile } from '../symbols/load.js';
import { kernelExportedGlobals, type PdbInfo, PeImage } from '../symbols/pe.js';
import type { KernelArch, Profile } from '../symbols/profile.js';
import { resolveProfile, type SymbolFetchOptions } from '../symbols/resolve.js';
import { createSpace, dtbFromCr3 } from '../translate/create.js';
import type { PagedSpace } from '../translate/space.js';
import type { PagingArch } from '../translate/types.js';
import { windowsPteLayout } from '../translate/windows-pte.js';
import { MemdigError, Warnings } from '../util/errors.js';
import { type Finding, filetimeToIso, type WinContext } from './context.js';
import { type DtbCandidate, findDtbCandidates } from './dtb-scan.js';

export interface IdentifyOptions {
  symbolDirs?: readonly string[];
  /** memdig's symbol cache, searched after `symbolDirs` (the CLI passes `defaultSymbolDir()`). */
  cacheDir?: string;
  warnings?: Warnings;
  /** A kernel already located by `locateKernel`. */
  kernel?: KernelLocation;
  /** The table to use, already chosen by the caller. */
  profile?: Profile;
}

/** KUSER_SHARED_DATA: fixed kernel address per arch, and its user-mode alias. */
const KUSER_X86 = 0xffdf0000;
const KUSER_X64 = 0xf78000000000;
const KUSER_USER = 0x7ffe0000;
const KERNEL_PDB = /^(ntoskrnl|ntkrnlmp|ntkrnlpa|ntkrpamp)\.pdb$/i;

const hex = (n: number) => `0x${n.toString(16)}`;

/** CR3 of the System process, through PsInitialSystemProcess; -1 when it cannot be read or is implausible. */
function systemProcessDtb(
  space: PagedSpace,
  profile: Profile,
  ptrVa: number | undefined,
  maxPhys: number,
): number {
  if (ptrVa === undefined) return -1;
  const eproc = profile.tryStruct('_EPROCESS');
  const field = eproc?.tryField('Pcb.DirectoryTableBase');
  if (!eproc || !field) return -1;
  const sys = profile.readPointer(space, ptrVa);
  if (!Number.isFinite(sys) || sys === 0) return -1;
  const at = sys + field.offset;
  const lo = space.readU32(at);
  const hi = profile.pointerSize === 8 && field.type.size >= 8 ? space.readU32(at + 4) : 0;
  if (lo < 0 || hi < 0) return -1;
  const raw = hi * 2 ** 32 + lo;
  const dtb = dtbFromCr3(profile.arch, raw);
  return dtb > 0 && dtb < maxPhys ? dtb : -1;
}

/** Is there a Windows kernel? A quick, cheap test used by OS detection before the full identification. */
export function looksLikeWindows(mem: PhysicalMemory): boolean {
  if (mem instanceof CrashDumpMemory) return true;
  return findDtbCandidates(mem, 1).length > 0;
}

function spaceFor(mem: PhysicalMemory, c: DtbCandidate): PagedSpace | null {
  try {
    return createSpace(mem, c.mode as PagingArch, c.dtb, { os: 'windows', cr4: c.cr4 });
  } catch (e) {
    if (e instanceof MemdigError && /5-level/.test(e.message)) throw e;
    return null;
  }
}

/** A DTB is the kernel's when KUSER_SHARED_DATA's kernel address translates (and matches its user alias if mapped). */
function kuserOk(space: PagedSpace, mode: string): boolean {
  const k = space.translate(mode === 'x64' ? KUSER_X64 : KUSER_X86);
  if (k < 0) return false;
  const u = space.translate(KUSER_USER);
  return u < 0 || u === k;
}

/** Looks for the kernel image: an MZ page whose CodeView record names a kernel PDB. */
function findKernelBase(
  space: PagedSpace,
  mode: string,
  hints: number[],
  warnings: Warnings,
): { base: number; pe: PeImage; how: string } | null {
  const tryBase = (va: number): PeImage | null => {
    const mz = new Uint8Array(2);
    if (space.read(va, mz, 0, 2) < 2 || mz[0] !== 0x4d || mz[1] !== 0x5a) return null;
    try {
      const pe = PeImage.fromMemory(space, va, 'kernel image');
      const pdb = pe.pdbInfo(warnings);
      return pdb && KERNEL_PDB.test(pdb.pdbName) ? pe : null;
    } catch {
      return null;
    }
  };
  for (const h of hints) {
    // Scan back page by page from a pointer into the image (at most 32 MiB: no kernel image is larger).
    for (let va = h - (h % 4096), n = 0; n < 8192 && va > 0; va -= 4096, n++) {
      const pe = tryBase(va);
      if (pe) return { base: va, pe, how: `MZ/RSDS scan back from hint ${hex(h)}` };
    }
  }
  const ranges: [number, number][] =
    mode === 'x64'
      ? [[0xf80000000000, 0xf80800000000]]
      : [
          [0x80000000, 0xa0000000],
          [0xc0000000, 0xe0000000],
        ];
  // One read per mapped 2 MiB region (unmapped pages read as zeros), then an MZ test per page: a few large reads
  // instead of hundreds of 2-byte ones.
  const region2m = new Uint8Array(0x200000);
  for (const [start, end] of ranges) {
    for (let region = start; region < end; region += 0x200000) {
      // Skip 2 MiB regions with nothing mapped at their start and end (cheap test before the page loop).
      let any = false;
      for (let va = region; va < region + 0x200000; va += 0x40000) {
        if (space.translate(va) >= 0) {
          any = true;
          break;
        }
      }
      if (!any) continue;
      space.read(region, region2m, 0, region2m.length);
      for (let o = 0; o < region2m.length; o += 4096) {
        if (region2m[o] !== 0x4d || region2m[o + 1] !== 0x5a) continue;
        const va = region + o;
        const pe = tryBase(va);
        if (pe) return { base: va, pe, how: `MZ/RSDS scan of kernel space ${hex(start)}-${hex(end)}` };
      }
    }
  }
  return null;
}

/** KDBG in the kernel image's data: OwnerTag "KDBG" with KernBase equal to the kernel base. */
function findKdbg(space: PagedSpace, base: number, pe: PeImage): number {
  const secs = pe.sections.filter((s) => /^\.data$|^ALMOSTRO$|^\.rdata$/i.test(s.name));
  const buf = new Uint8Array(0x10000);
  const dv = new DataView(buf.buffer);
  for (const s of secs.length ? secs : pe.sections) {
    const size = Math.min(s.virtualSize || s.rawSize, 16 << 20);
    for (let off = 0; off < size; off += buf.length - 0x20) {
      const n = Math.min(buf.length, size - off);
      space.read(base + s.virtualAddress + off, buf, 0, n);
      for (let i = 0x10; i + 0x20 <= n; i += 4) {
        if (dv.getUint32(i, true) !== KDBG_OWNER_TAG) continue;
        const kb = dv.getUint32(i + 8, true) + (dv.getUint32(i + 12, true) & 0xffff) * 2 ** 32;
        if (kb === base) return base + s.virtualAddress + off + i - 0x10;
      }
    }
  }
  return -1;
}

/** Where the kernel is and who it is: everything identification learns before it needs a symbol table. */
export interface KernelLocation {
  candidate: DtbCandidate;
  space: PagedSpace;
  base: number;
  pe: PeImage;
  /** How the base was found. */
  how: string;
  pdb: PdbInfo;
  /** Exported kernel globals by name (VA). */
  exports: Partial<Record<string, number>>;
  /** NtBuildNumber's build, 0 when unreadable. */
  build: number;
  crashProcessors: number;
  crashTime: string | null;
}

/**
 * Finds the Windows kernel in a dump with no profile: dump-header facts when present, else the low stub and
 * self-map scans for the DTB; the kernel image by MZ/RSDS; its exports and build number.
 */
export function locateKernel(mem: PhysicalMemory, warnings: Warnings): KernelLocation {
  const candidates: DtbCandidate[] = [];
  const hints: number[] = [];
  let crashProcessors = 0;
  let crashTime: string | null = null;
  if (mem instanceof CrashDumpMemory) {
    const h = mem.header;
    const mode = h.bits === 64 ? 'x64' : h.paeEnabled ? 'pae' : 'x86';
    candidates.push({ mode, dtb: h.directoryTableBase, method: 'crash dump header DirectoryTableBase' });
    for (const v of [h.psLoadedModuleList, h.kdDebuggerDataBlock, h.psActiveProcessHead])
      if (v) hints.push(v);
    crashProcessors = h.numberProcessors;
    crashTime = h.systemTime;
  }
  candidates.push(...findDtbCandidates(mem));
  if (candidates.length === 0) {
    throw new MemdigError(
      'no Windows kernel page tables found (no low stub, no self-referencing page directory)',
    );
  }
  for (const c of candidates) {
    const space = spaceFor(mem, c);
    if (!space || !kuserOk(space, c.mode)) continue;
    const kh = [...hints, ...(c.kernelHint ? [c.kernelHint] : [])];
    const k = findKernelBase(space, c.mode, kh, warnings);
    if (!k) continue;
    const pdb = k.pe.pdbInfo(warnings)!;
    let exports: Partial<Record<string, number>> = {};
    try {
      exports = kernelExportedGlobals(space, k.base, warnings);
    } catch (e) {
      warnings.add(`kernel export table unreadable: ${(e as Error).message}`);
    }
    let build = 0;
    if (exports.NtBuildNumber !== undefined) {
      const v = space.readU32(exports.NtBuildNumber);
      if (v >= 0) build = v & 0xffff;
    }
    return {
      candidate: c,
      space,
      base: k.base,
      pe: k.pe,
      how: k.how,
      pdb,
      exports,
      build,
      crashProcessors,
      crashTime,
    };
  }
  throw new MemdigError(
    `found ${candidates.length} page-table root candidate(s) but none maps a Windows kernel image (MZ with an nt*.pdb CodeView record)`,
  );
}

/** The table query for a located kernel (for `loadProfile` / `resolveProfile`). */
export function kernelTableQuery(k: KernelLocation): {
  pdbName: string;
  guid: string;
  age: number;
  arch: KernelArch;
  build: number | undefined;
} {
  return {
    pdbName: k.pdb.pdbName,
    guid: k.pdb.guid,
    age: k.pdb.age,
    arch: k.candidate.mode as KernelArch,
    build: k.build || undefined,
  };
}

/** How a table was chosen, for the `layout` finding. */
function layoutHow(p: Profile): string {
  switch (p.info.origin) {
    case 'user':
      return 'exact PDB GUID/age, from a --symbols folder';
    case 'cache':
      return 'exact PDB GUID/age, from the memdig symbol cache';
    case 'downloaded':
      return `exact PDB GUID/age, downloaded from ${p.info.url ?? 'a symbol server'} into the memdig symbol cache`;
    case 'builtin':
      return 'exact PDB GUID/age, built-in table';
    default:
      return p.info.approximate ? 'nearest known build (no exact table: see warnings)' : 'exact PDB GUID/age';
  }
}

/**
 * Identifies the Windows kernel and picks its table synchronously (user folders, cache, built in, nearest build).
 * `kernel` and `profile` let a caller that located the kernel and resolved its table itself (e.g. with a download,
 * see `identifyWindowsAsync`) finish the identification without repeating either step.
 */
export function identifyWindows(mem: PhysicalMemory, opts: IdentifyOptions = {}): WinContext {
  const warnings = opts.warnings ?? new Warnings();
  const k = opts.kernel ?? locateKernel(mem, warnings);
  const profile =
    opts.profile ??
    loadProfile({ ...kernelTableQuery(k), symbolDirs: opts.symbolDirs, cacheDir: opts.cacheDir, warnings });
  return finishIdentify(mem, k, profile, warnings);
}

/** Like `identifyWindows`, and when asked downloads the kernel's table from a symbol server into the cache. */
export async function identifyWindowsAsync(
  mem: PhysicalMemory,
  opts: IdentifyOptions & { fetch?: SymbolFetchOptions } = {},
): Promise<WinContext> {
  const warnings = opts.warnings ?? new Warnings();
  const kernel = locateKernel(mem, warnings);
  const profile = await resolveProfile({
    ...kernelTableQuery(kernel),
    symbolDirs: opts.symbolDirs,
    cacheDir: opts.cacheDir,
    fetch: opts.fetch,
    warnings,
  });
  return finishIdentify(mem, kernel, profile, warnings);
}

function finishIdentify(
  mem: PhysicalMemory,
  k: KernelLocation,
  profile: Profile,
  warnings: Warnings,
): WinContext {
  const c = k.candidate;
  const space = k.space;
  const pdb = k.pdb;
  const exports = k.exports;
  const { crashProcessors, crashTime } = k;
  let build = k.build;
  const findings: Finding[] = [];
  findings.push({ key: 'architecture', value: c.mode, how: c.method });
  const dtbFinding: Finding = { key: 'dtb', value: hex(c.dtb), how: c.method };
  findings.push(dtbFinding);
  findings.push({ key: 'kernel base', value: hex(k.base), how: k.how });
  findings.push({
    key: 'kernel pdb',
    value: `${pdb.pdbName} ${pdb.guid} age ${pdb.age}`,
    how: 'CodeView RSDS record in the kernel image',
  });
  if (!build && profile.info.build) build = profile.info.build;
  // Non-present PTEs changed format with the build (page-file number field, Windows 11 file-backed PTEs).
  const pteLayout = windowsPteLayout(c.mode as PagingArch, build);
  space.setWindowsLayout(pteLayout);
  findings.push({
    key: 'layout',
    value: `${profile.info.version ?? ''} ${profile.info.source}`.trim(),
    how: layoutHow(profile),
  });
  if (build)
    findings.push({
      key: 'build',
      value: String(build),
      how: exports.NtBuildNumber !== undefined ? 'NtBuildNumber export' : 'layout table',
    });
  const globals = new Map<string, number>();
  for (const [name, va] of Object.entries(exports)) if (va !== undefined) globals.set(name, va);
  let kdbg = -1;
  const needKdbg = profile.symbol('PsActiveProcessHead') === undefined;
  if (needKdbg) {
    kdbg = findKdbg(space, k.base, k.pe);
    if (kdbg >= 0) {
      findings.push({ key: 'KDBG', value: hex(kdbg), how: 'OwnerTag scan of the kernel data sections' });
      for (const [name, off] of [
        ['PsActiveProcessHead', 0x50],
        ['PsLoadedModuleList', 0x48],
      ] as const) {
        const lo = space.readU32(kdbg + off);
        const hi = space.readU32(kdbg + off + 4);
        if (lo >= 0 && hi >= 0) globals.set(name, (c.mode === 'x64' ? (hi & 0xffff) * 2 ** 32 : 0) + lo);
      }
    }
  }
  // A physical scan finds *a* page directory that maps the kernel, possibly another process's; the one analysts
  // compare with other tools is the System process's.
  const systemDtb = systemProcessDtb(
    space,
    profile,
    profile.symbolAddress('PsInitialSystemProcess', k.base) ?? globals.get('PsInitialSystemProcess'),
    mem.maxAddress,
  );
  if (systemDtb >= 0 && systemDtb !== c.dtb) {
    dtbFinding.value = hex(systemDtb);
    dtbFinding.how = `System process DirectoryTableBase (PsInitialSystemProcess); ${c.method} found ${hex(c.dtb)}`;
  }
  const kuser = c.mode === 'x64' ? KUSER_X64 : KUSER_X86;
  const t = new Uint8Array(8);
  let systemTime = crashTime;
  if (!systemTime && space.read(kuser + 0x14, t, 0, 8) === 8) {
    const dv = new DataView(t.buffer);
    systemTime = filetimeToIso(dv.getUint32(0, true), dv.getUint32(4, true));
  }
  if (systemTime)
    findings.push({
      key: 'system time',
      value: systemTime,
      how: crashTime ? 'crash dump header' : 'KUSER_SHARED_DATA.SystemTime',
    });
  let processors = crashProcessors;
  if (!processors && exports.KeNumberProcessors !== undefined) {
    const b = new Uint8Array(1);
    if (space.read(exports.KeNumberProcessors, b, 0, 1) === 1) processors = b[0]!;
  }
  if (processors)
    findings.push({
      key: 'processors',
      value: String(processors),
      how: crashProcessors ? 'crash dump header' : 'KeNumberProcessors export',
    });
  const major = k.pe.osVersion.major;
  const minor = k.pe.osVersion.minor;
  const ntVersion = `${major}.${minor}`;
  findings.unshift({
    key: 'os',
    value: `Windows NT ${ntVersion}${build ? ` build ${build}` : ''}`,
    how: 'kernel PE header version',
  });
  return {
    mem,
    kernel: space,
    profile,
    kernelBase: k.base,
    build,
    ntVersion,
    processSpace: (dtb: number) =>
      createSpace(mem, c.mode as PagingArch, dtb, {
        os: 'windows',
        cr4: c.cr4,
        pageFileLowBit: pteLayout.pageFileLowBit as 1 | 12,
        fileBackedPtes: pteLayout.fileBackedPtes,
      }),
    global: (name: string) => profile.symbolAddress(name, k.base) ?? globals.get(name),
    findings,
    warnings,
  };
}
