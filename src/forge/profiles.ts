/**
 * Per-Windows-version facts the builder needs beyond structure layouts: which kernel table, address-space layout,
 * version numbers, and how each version shapes VAD trees, object headers and handle entries.
 */
import type { LayoutRef } from './layout.js';
import type { Arch } from './paging.js';
import type { ProfileId } from './scenario.js';

export type Family = 'xp' | 'win7' | 'win10';

export interface Profile {
  id: ProfileId;
  family: Family;
  arch: Arch;
  layout: LayoutRef;
  major: number;
  minor: number;
  build: number;
  servicePack: number;
  /** Kernel image: physical base (contiguous) and virtual base; VA = PA + 0x80000000 (x86) / + 0xF80000000000 (x64). */
  kernelPa: number;
  kernelSize: number;
  /** Kernel DTB frame address. */
  dtbPa: number;
  nonPagedPool: [number, number];
  pagedPool: [number, number];
  systemCache: [number, number];
  kuser: number;
  /** PEB address of every process (Windows 10 randomises it per process from the seed). */
  peb: number;
  processParameters: number;
  userBase: number;
  poolTypeNonPaged: number;
  poolTypePaged: number;
  kdbgSize: number;
  /** Object type indices (Windows 7+ TypeIndex; XP uses type pointers but the same numbering for the manifest). */
  typeNames: string[];
  /** Kernel symbol RVAs the builder places itself when the table has none (XP). */
  fixedRvas?: Record<string, number>;
  ntBuildLab: string;
}

const XP_TYPES = [
  '',
  '',
  'Type',
  'Directory',
  'SymbolicLink',
  'Token',
  'Process',
  'Thread',
  'Job',
  'DebugObject',
  'Event',
  'EventPair',
  'Mutant',
  'Callback',
  'Semaphore',
  'Timer',
  'Profile',
  'KeyedEvent',
  'WindowStation',
  'Desktop',
  'Section',
  'Key',
  'Port',
  'WaitablePort',
  'Adapter',
  'Controller',
  'Device',
  'Driver',
  'IoCompletion',
  'File',
  'WmiGuid',
  'FilterConnectionPort',
  'FilterCommunicationPort',
];
const WIN7_TYPES = [
  '',
  'Reserved',
  'Type',
  'Directory',
  'SymbolicLink',
  'Token',
  'Job',
  'Process',
  'Thread',
  'UserApcReserve',
  'IoCompletionReserve',
  'DebugObject',
  'Event',
  'EventPair',
  'Mutant',
  'Callback',
  'Semaphore',
  'Timer',
  'Profile',
  'KeyedEvent',
  'WindowStation',
  'Desktop',
  'TpWorkerFactory',
  'Adapter',
  'Controller',
  'Device',
  'Driver',
  'IoCompletion',
  'File',
  'TmTm',
  'TmTx',
  'TmRm',
  'TmEn',
  'Section',
  'Session',
  'Key',
  'ALPC Port',
  'PowerRequest',
  'WmiGuid',
  'EtwRegistration',
  'EtwConsumer',
  'FilterConnectionPort',
  'FilterCommunicationPort',
  'PcwObject',
];
const WIN10_TYPES = [
  '',
  'Reserved',
  'Type',
  'Directory',
  'SymbolicLink',
  'Token',
  'Job',
  'Process',
  'Thread',
  'Partition',
  'UserApcReserve',
  'IoCompletionReserve',
  'ActivityReference',
  'PsSiloContextPaged',
  'PsSiloContextNonPaged',
  'DebugObject',
  'Event',
  'Mutant',
  'Callback',
  'Semaphore',
  'Timer',
  'IRTimer',
  'Profile',
  'KeyedEvent',
  'WindowStation',
  'Desktop',
  'Composition',
  'RawInputManager',
  'CoreMessaging',
  'ActivationObject',
  'TpWorkerFactory',
  'Adapter',
  'Controller',
  'Device',
  'Driver',
  'IoCompletion',
  'WaitCompletionPacket',
  'File',
  'TmTm',
  'TmTx',
  'TmRm',
  'TmEn',
  'Section',
  'Session',
  'Key',
  'RegistryTransaction',
  'ALPC Port',
  'EnergyTracker',
  'PowerRequest',
  'WmiGuid',
  'EtwRegistration',
  'EtwSessionDemuxEntry',
  'EtwConsumer',
  'CoverageSampler',
  'DmaAdapter',
  'PcwObject',
  'FilterConnectionPort',
  'FilterCommunicationPort',
  'NdisCmState',
  'DxgkSharedResource',
];

const X64_KERNEL = 0xf80000000000;

export const PROFILES: Record<ProfileId, Profile> = {
  'xp-sp2-x86': {
    id: 'xp-sp2-x86',
    family: 'xp',
    arch: 'x86',
    layout: { corpus: 'isf-x86', pdbName: 'ntoskrnl.pdb', guid: '8592B6763F34476B9BB560395A383F96', age: 2 },
    major: 5,
    minor: 1,
    build: 2600,
    servicePack: 2,
    kernelPa: 0x4d7000,
    kernelSize: 0x1f0000,
    dtbPa: 0x39000,
    nonPagedPool: [0x86000000, 0x88000000],
    pagedPool: [0xe1000000, 0xe8000000],
    systemCache: [0xc1000000, 0xc8000000],
    kuser: 0xffdf0000,
    peb: 0x7ffdf000,
    processParameters: 0x20000,
    userBase: 0x00100000,
    poolTypeNonPaged: 1,
    poolTypePaged: 3,
    kdbgSize: 0x290,
    typeNames: XP_TYPES,
    fixedRvas: {
      KdDebuggerDataBlock: 0x1bd000,
      PsActiveProcessHead: 0x1bd400,
      PsLoadedModuleList: 0x1bd410,
      PsInitialSystemProcess: 0x1bd420,
      NtBuildNumber: 0x1bd424,
      KeNumberProcessors: 0x1bd428,
      MmProtectToValue: 0x1bd500,
      KdpDebuggerDataListHead: 0x1bd600,
    },
    ntBuildLab: '2600.xpsp_sp2_rtm.040803-2158',
  },
  'xp-sp3-pae': {
    id: 'xp-sp3-pae',
    family: 'xp',
    arch: 'pae',
    layout: { corpus: 'isf-x86', pdbName: 'ntkrnlpa.pdb', guid: '30B5FB31AE7E4ACAABA750AA241FF331', age: 1 },
    major: 5,
    minor: 1,
    build: 2600,
    servicePack: 3,
    kernelPa: 0x4d7000,
    kernelSize: 0x1f0000,
    dtbPa: 0x31000,
    nonPagedPool: [0x86000000, 0x88000000],
    pagedPool: [0xe1000000, 0xe8000000],
    systemCache: [0xc1000000, 0xc8000000],
    kuser: 0xffdf0000,
    peb: 0x7ffdf000,
    processParameters: 0x20000,
    userBase: 0x00100000,
    poolTypeNonPaged: 1,
    poolTypePaged: 3,
    kdbgSize: 0x290,
    typeNames: XP_TYPES,
    fixedRvas: {
      KdDebuggerDataBlock: 0x1bd000,
      PsActiveProcessHead: 0x1bd400,
      PsLoadedModuleList: 0x1bd410,
      PsInitialSystemProcess: 0x1bd420,
      NtBuildNumber: 0x1bd424,
      KeNumberProcessors: 0x1bd428,
      MmProtectToValue: 0x1bd500,
      KdpDebuggerDataListHead: 0x1bd600,
    },
    ntBuildLab: '2600.xpsp.080413-2111',
  },
  'win7-sp1-x64': {
    id: 'win7-sp1-x64',
    family: 'win7',
    arch: 'x64',
    layout: { corpus: 'isf', pdbName: 'ntkrnlmp.pdb', guid: '339E74133576439CBCDF7E0229DA3773', age: 1 },
    major: 6,
    minor: 1,
    build: 7601,
    servicePack: 1,
    kernelPa: 0x2400000,
    kernelSize: 0x5e0000,
    dtbPa: 0x187000,
    nonPagedPool: [0xfa8000000000, 0xfa8040000000],
    pagedPool: [0xf8a000000000, 0xf8a040000000],
    systemCache: [0xf98000000000, 0xf98040000000],
    kuser: 0xf78000000000,
    peb: 0x7fffffdf000,
    processParameters: 0x2d0000,
    userBase: 0x00400000,
    poolTypeNonPaged: 2,
    poolTypePaged: 3,
    kdbgSize: 0x340,
    typeNames: WIN7_TYPES,
    ntBuildLab: '7601.24540.amd64fre.win7sp1_ldr_escrow.200102-1707',
  },
  'win10-19041-x64': {
    id: 'win10-19041-x64',
    family: 'win10',
    arch: 'x64',
    layout: { corpus: 'isf', pdbName: 'ntkrnlmp.pdb', guid: '3177D31000BA7590DED335936C93E374', age: 1 },
    major: 10,
    minor: 0,
    build: 19041,
    servicePack: 0,
    kernelPa: 0x1000000,
    kernelSize: 0xe00000,
    dtbPa: 0x1aa000,
    nonPagedPool: [0xc58000000000, 0xc58040000000],
    pagedPool: [0x9f0000000000, 0x9f0040000000],
    systemCache: [0xb80000000000, 0xb80040000000],
    kuser: 0xf78000000000,
    peb: 0x3f5a2000,
    processParameters: 0x1d0000,
    userBase: 0x00400000,
    poolTypeNonPaged: 2,
    poolTypePaged: 3,
    kdbgSize: 0x380,
    typeNames: WIN10_TYPES,
    ntBuildLab: '19041.1.amd64fre.vb_release.191206-1406',
  },
};

export function kernelVa(p: Profile): number {
  return p.arch === 'x64' ? X64_KERNEL + p.kernelPa : 0x80000000 + p.kernelPa;
}
