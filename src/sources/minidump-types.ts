/** Minidump stream types, record shapes and the names memdig prints for their codes (winnt.h / dbghelp values). */

export const StreamType = {
  ThreadList: 3,
  ModuleList: 4,
  MemoryList: 5,
  Exception: 6,
  SystemInfo: 7,
  ThreadExList: 8,
  Memory64List: 9,
  CommentA: 10,
  CommentW: 11,
  HandleData: 12,
  FunctionTable: 13,
  UnloadedModuleList: 14,
  MiscInfo: 15,
  MemoryInfoList: 16,
  ThreadInfoList: 17,
  HandleOperationList: 18,
  Token: 19,
  JavaScriptData: 20,
  SystemMemoryInfo: 21,
  ProcessVmCounters: 22,
  IptTrace: 23,
  ThreadNames: 24,
} as const;

const STREAM_NAMES: Record<number, string> = {
  ...Object.fromEntries(Object.entries(StreamType).map(([k, v]) => [v, k])),
  1129316353: 'CrashpadInfo',
  1197932545: 'BreakpadInfo',
  1197932546: 'AssertionInfo',
  1197932547: 'LinuxCpuInfo',
  1197932548: 'LinuxProcStatus',
  1197932549: 'LinuxLsbRelease',
  1197932550: 'LinuxCmdLine',
  1197932551: 'LinuxEnviron',
  1197932552: 'LinuxAuxv',
  1197932553: 'LinuxMaps',
  1197932554: 'LinuxDsoDebug',
};

export function streamTypeName(t: number): string {
  return STREAM_NAMES[t] ?? `0x${t.toString(16)}`;
}

export const ARCH_NAMES: Record<number, string> = {
  0: 'x86',
  5: 'ARM',
  6: 'IA64',
  9: 'AMD64',
  12: 'ARM64',
  32769: 'SPARC',
  32770: 'PPC64',
  32771: 'ARM64 (breakpad)',
  32772: 'MIPS64',
  32773: 'RISC-V',
  32774: 'RISC-V 64',
};
export const ARCH_BITS: Record<number, 32 | 64> = {
  0: 32,
  5: 32,
  6: 64,
  9: 64,
  12: 64,
  32770: 64,
  32771: 64,
  32772: 64,
  32774: 64,
};

export const PLATFORM_NAMES: Record<number, string> = {
  0: 'Win32s',
  1: 'Windows 9x',
  2: 'Windows NT',
  32768: 'Unix',
  33025: 'macOS',
  33026: 'iOS',
  33281: 'Linux',
  33282: 'Solaris',
  33283: 'Android',
  33284: 'PS3',
  33285: 'NaCl',
  33286: 'Fuchsia',
};

export interface StreamEntry {
  type: number;
  name: string;
  size: number;
  rva: number;
}

export interface SystemInfo {
  processorArchitecture: number;
  archName: string;
  processorLevel: number;
  processorRevision: number;
  numberOfProcessors: number;
  /** 1 workstation, 2 domain controller, 3 server. */
  productType: number;
  majorVersion: number;
  minorVersion: number;
  buildNumber: number;
  platformId: number;
  platformName: string;
  /** Service pack ("Service Pack 2"); breakpad writers put the kernel version here on Linux. */
  csdVersion: string;
  suiteMask: number;
  isWindows: boolean;
}

export type CodeViewRecord =
  | {
      kind: 'RSDS';
      guid: string;
      age: number;
      pdbName: string /** symbol-server key: GUID + age */;
      id: string;
    }
  | { kind: 'NB10'; signature: number; age: number; pdbName: string }
  | { kind: 'ELF'; buildId: string }
  | { kind: 'other'; signature: number; size: number };

export interface MinidumpModule {
  base: number;
  size: number;
  checksum: number;
  /** PE TimeDateStamp (seconds since 1970) as written by the linker. */
  timeDateStamp: number;
  name: string;
  /** "major.minor.build.revision" from VS_FIXEDFILEINFO, or '' when absent. */
  fileVersion: string;
  codeView: CodeViewRecord | null;
}

export interface UnloadedModule {
  base: number;
  size: number;
  checksum: number;
  timeDateStamp: number;
  name: string;
}

export interface MinidumpThread {
  id: number;
  suspendCount: number;
  priorityClass: number;
  priority: number;
  teb: number;
  stackStart: number;
  stackSize: number;
  stackRva: number;
  contextSize: number;
  contextRva: number;
  name: string | null;
}

/** A captured range of process memory: `size` bytes at virtual `start`, stored at file offset `rva`. */
export interface MemoryRange {
  start: number;
  size: number;
  rva: number;
}

export const MemState = { Commit: 0x1000, Reserve: 0x2000, Free: 0x10000 } as const;
export const MemType = { Image: 0x1000000, Mapped: 0x40000, Private: 0x20000 } as const;

export interface MemoryInfo {
  base: number;
  allocationBase: number;
  allocationProtect: number;
  size: number;
  state: number;
  protect: number;
  type: number;
}

export interface ExceptionInfo {
  threadId: number;
  code: number;
  flags: number;
  address: number;
  parameters: number[];
}

/** One open handle (HandleData stream): files, sections, keys the process held when dumped. */
export interface MinidumpHandle {
  handle: number;
  typeName: string;
  /** Object name (file path, key path...); '' when the writer did not record it. */
  objectName: string;
  attributes: number;
  grantedAccess: number;
  handleCount: number;
  pointerCount: number;
}

export interface MiscInfo {
  processId: number | null;
  /** Process creation time (seconds since 1970) as ISO 8601. */
  processCreateTime: string | null;
}

export function memStateName(s: number): string {
  return s === MemState.Commit
    ? 'commit'
    : s === MemState.Reserve
      ? 'reserve'
      : s === MemState.Free
        ? 'free'
        : `0x${s.toString(16)}`;
}

export function memTypeName(t: number): string {
  if (t === MemType.Image) return 'image';
  if (t === MemType.Mapped) return 'mapped';
  if (t === MemType.Private) return 'private';
  return t === 0 ? '' : `0x${t.toString(16)}`;
}

const PROTECT_NAMES: Record<number, string> = {
  1: 'NOACCESS',
  2: 'R',
  4: 'RW',
  8: 'WC',
  16: 'X',
  32: 'RX',
  64: 'RWX',
  128: 'WCX',
};

/** PAGE_* protection as short text ('RX', 'RW+GUARD'). */
export function protectName(p: number): string {
  if (p === 0) return '';
  const base = PROTECT_NAMES[p & 0xff] ?? `0x${(p & 0xff).toString(16)}`;
  const mods = [p & 0x100 ? 'GUARD' : '', p & 0x200 ? 'NOCACHE' : '', p & 0x400 ? 'WRITECOMBINE' : ''].filter(
    Boolean,
  );
  return [base, ...mods].join('+');
}
