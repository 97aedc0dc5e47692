import { FormatError } from '../util/errors.js';
import { canonicalHex, hex } from '../util/hex.js';

/**
 * The header of a Windows kernel crash dump (`_DUMP_HEADER` 'PAGEDUMP', 4 KiB; `_DUMP_HEADER64` 'PAGEDU64', 8 KiB),
 * parsed from bytes alone so it serves `memdig info`, the crash-dump container and kernel discovery alike.
 * Offsets are the public ones (Volatility's crash vtypes, kdmp-parser's structures, Microsoft's DUMP_HEADER64 docs).
 *
 * Kernel pointers are numbers in memdig's 48-bit form (x64 sign-extension bits dropped; print with canonicalHex).
 * Bug-check parameters are arbitrary 64-bit values, so they are kept as exact hex strings.
 */
export interface CrashDumpHeader {
  bits: 32 | 64;
  /** 0xf = free build, 0xc = checked build. */
  majorVersion: number;
  /** The Windows build number. */
  minorVersion: number;
  directoryTableBase: number;
  pfnDataBase: number;
  psLoadedModuleList: number;
  psActiveProcessHead: number;
  kdDebuggerDataBlock: number;
  /** IMAGE_FILE_MACHINE_*: 0x14c x86, 0x8664 AMD64, 0xaa64 ARM64. */
  machineImageType: number;
  numberProcessors: number;
  bugCheckCode: number;
  bugCheckParameters: [string, string, string, string];
  /** 32-bit dumps only: whether the kernel ran with PAE paging (null for 64-bit). */
  paeEnabled: boolean | null;
  dumpType: number;
  dumpTypeName: string;
  /** FILETIME of the dump as ISO 8601, or null when absent. */
  systemTime: string | null;
  /** Uptime in 100 ns units (may lose sub-microsecond precision). */
  systemUpTime: number;
  requiredDumpSpace: number;
  comment: string | null;
  productType: number;
  suiteMask: number;
  kdSecondaryVersion: number;
  /** PHYSICAL_MEMORY_DESCRIPTOR; only meaningful for full dumps (other types leave 'PAGE' filler there). */
  physicalMemory: {
    /** NumberOfRuns as written (may exceed what the 700-byte buffer holds: `runs` stops at that limit). */
    numberOfRuns: number;
    numberOfPages: number;
    runs: { basePage: number; pageCount: number }[];
  } | null;
  /** Where the data (full dumps) or the summary header (bitmap dumps) starts: 0x1000 or 0x2000. */
  headerSize: number;
}

/** 'PAGE': the kernel pre-fills the header with it, so a field still holding it was never written. */
export const PAGE_FILL = 0x45474150;

export const DumpType = {
  Full: 1,
  Kernel: 2,
  HeaderOnly: 3,
  Triage: 4,
  BitmapFull: 5,
  BitmapKernel: 6,
  Automatic: 7,
  KernelMemory: 8,
  KernelAndUserMemory: 9,
  CompleteMemory: 10,
} as const;

const DUMP_TYPE_NAMES: Record<number, string> = {
  1: 'full (complete memory dump)',
  2: 'kernel (summary dump)',
  3: 'header only',
  4: 'triage (small memory dump)',
  5: 'bitmap full (complete memory dump)',
  6: 'bitmap kernel (kernel or live kernel dump)',
  7: 'automatic',
  8: 'kernel memory dump (RDMP)',
  9: 'kernel and user memory dump (RDMP)',
  10: 'complete memory dump (RDMP)',
};

export function dumpTypeName(t: number): string {
  return DUMP_TYPE_NAMES[t] ?? `unknown (0x${t.toString(16)})`;
}

export const MACHINE_NAMES: Record<number, string> = {
  332: 'x86',
  34404: 'AMD64',
  43620: 'ARM64',
  452: 'ARM',
};

const FMT = 'Windows crash dump';

/** Number of PHYSICAL_MEMORY_RUNs that fit in the header's 700-byte descriptor buffer. */
export function maxRuns(bits: 32 | 64): number {
  return bits === 64 ? Math.floor((700 - 16) / 16) : Math.floor((700 - 8) / 8);
}

/** True when `b` starts with 'PAGEDUMP' or 'PAGEDU64'. */
export function isCrashDump(b: Uint8Array): boolean {
  if (b.length < 8) return false;
  const s = String.fromCharCode(...b.subarray(0, 8));
  return s === 'PAGEDUMP' || s === 'PAGEDU64';
}

export function parseCrashDumpHeader(b: Uint8Array): CrashDumpHeader {
  if (!isCrashDump(b)) throw new FormatError(FMT, 0, "signature is not 'PAGEDUMP' or 'PAGEDU64'");
  const bits = b[7] === 0x34 ? 64 : 32;
  const need = bits === 64 ? 0x1058 : 0xfc8;
  if (b.length < need) {
    throw new FormatError(
      FMT,
      b.length,
      `header is ${b.length} bytes, expected at least 0x${need.toString(16)}`,
    );
  }
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u32 = (o: number) => dv.getUint32(o, true);
  const u64 = (o: number) => u32(o + 4) * 2 ** 32 + u32(o);
  const hex64 = (o: number) => {
    const hi = u32(o + 4);
    return hi ? `0x${hi.toString(16)}${u32(o).toString(16).padStart(8, '0')}` : hex(u32(o));
  };
  // Kernel pointers: keep the low 48 bits (memdig's address form); 32-bit pointers are plain u32.
  const ptr = bits === 64 ? (o: number) => (u32(o + 4) & 0xffff) * 2 ** 32 + u32(o) : u32;
  const filetime = (o: number): string | null => {
    const hi = u32(o + 4);
    const lo = u32(o);
    if ((hi === 0 && lo === 0) || hi === PAGE_FILL) return null;
    const ms = hi * 429496.7296 + lo / 10000 - 11644473600000;
    const d = new Date(Math.floor(ms));
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  };
  const text = (o: number, n: number): string | null => {
    const raw = b.subarray(o, o + n);
    if (u32(o) === PAGE_FILL || raw[0] === 0) return null;
    const end = raw.indexOf(0);
    return new TextDecoder('latin1').decode(raw.subarray(0, end < 0 ? n : end));
  };
  if (bits === 64) {
    const nRuns = u32(0x88);
    const dumpType = u32(0xf98);
    return {
      bits,
      majorVersion: u32(8),
      minorVersion: u32(0xc),
      directoryTableBase: u64(0x10),
      pfnDataBase: ptr(0x18),
      psLoadedModuleList: ptr(0x20),
      psActiveProcessHead: ptr(0x28),
      machineImageType: u32(0x30),
      numberProcessors: u32(0x34),
      bugCheckCode: u32(0x38),
      bugCheckParameters: [hex64(0x40), hex64(0x48), hex64(0x50), hex64(0x58)],
      kdDebuggerDataBlock: ptr(0x80),
      paeEnabled: null,
      dumpType,
      dumpTypeName: dumpTypeName(dumpType),
      requiredDumpSpace: u64(0xfa0),
      systemTime: filetime(0xfa8),
      comment: text(0xfb0, 128),
      systemUpTime: u32(0x1034) === PAGE_FILL ? 0 : u64(0x1030),
      productType: u32(0x1040),
      suiteMask: u32(0x1044),
      kdSecondaryVersion: b[0x104d]!,
      physicalMemory:
        nRuns === PAGE_FILL
          ? null
          : {
              numberOfRuns: nRuns,
              numberOfPages: u64(0x90),
              runs: runs(dv, 0x98, Math.min(nRuns, maxRuns(64)), 64),
            },
      headerSize: 0x2000,
    };
  }
  const nRuns = u32(0x64);
  const dumpType = u32(0xf88);
  return {
    bits,
    majorVersion: u32(8),
    minorVersion: u32(0xc),
    directoryTableBase: u32(0x10),
    pfnDataBase: u32(0x14),
    psLoadedModuleList: u32(0x18),
    psActiveProcessHead: u32(0x1c),
    machineImageType: u32(0x20),
    numberProcessors: u32(0x24),
    bugCheckCode: u32(0x28),
    bugCheckParameters: [hex(u32(0x2c)), hex(u32(0x30)), hex(u32(0x34)), hex(u32(0x38))],
    paeEnabled: b[0x5c] === 1,
    kdDebuggerDataBlock: u32(0x60),
    dumpType,
    dumpTypeName: dumpTypeName(dumpType),
    requiredDumpSpace: u64(0xfa0),
    systemUpTime: u32(0xfbc) === PAGE_FILL ? 0 : u64(0xfb8),
    systemTime: filetime(0xfc0),
    comment: text(0x820, 128),
    productType: u32(0xf94),
    suiteMask: u32(0xf98),
    kdSecondaryVersion: b[0x5d]!,
    physicalMemory:
      nRuns === PAGE_FILL
        ? null
        : {
            numberOfRuns: nRuns,
            numberOfPages: u32(0x68),
            runs: runs(dv, 0x6c, Math.min(nRuns, maxRuns(32)), 32),
          },
    headerSize: 0x1000,
  };
}

function runs(dv: DataView, at: number, n: number, bits: 32 | 64): { basePage: number; pageCount: number }[] {
  const out: { basePage: number; pageCount: number }[] = [];
  const size = bits === 64 ? 16 : 8;
  for (let i = 0; i < n; i++) {
    const o = at + i * size;
    if (bits === 64) {
      out.push({
        basePage: dv.getUint32(o + 4, true) * 2 ** 32 + dv.getUint32(o, true),
        pageCount: dv.getUint32(o + 12, true) * 2 ** 32 + dv.getUint32(o + 8, true),
      });
    } else out.push({ basePage: dv.getUint32(o, true), pageCount: dv.getUint32(o + 4, true) });
  }
  return out;
}

/** Header facts for `memdig info`, already formatted. */
export function crashDumpFacts(h: CrashDumpHeader): Record<string, string | number> {
  const p = h.bits === 64 ? canonicalHex : hex;
  const facts: Record<string, string | number> = {
    dumpType: `${h.dumpType} ${h.dumpTypeName}`,
    build: `${h.minorVersion} (${h.majorVersion === 0xf ? 'free' : h.majorVersion === 0xc ? 'checked' : hex(h.majorVersion)})`,
    machine: `${hex(h.machineImageType)} ${MACHINE_NAMES[h.machineImageType] ?? ''}`.trim(),
    processors: String(h.numberProcessors),
    DirectoryTableBase: hex(h.directoryTableBase),
    PsActiveProcessHead: p(h.psActiveProcessHead),
    PsLoadedModuleList: p(h.psLoadedModuleList),
    KdDebuggerDataBlock: p(h.kdDebuggerDataBlock),
    PfnDataBase: p(h.pfnDataBase),
    bugCheck: `${hex(h.bugCheckCode)} (${h.bugCheckParameters.join(', ')})`,
    systemTime: h.systemTime ?? 'absent',
  };
  if (h.paeEnabled !== null) facts.paeEnabled = String(h.paeEnabled);
  if (h.comment) facts.comment = h.comment;
  return facts;
}
