/**
 * `_KDDEBUGGER_DATA64` (the "KDBG" block) and its header are defined in the Windows SDK's debugger header
 * (wdbgexts.h), not in the kernel PDB, so no kernel ISF carries them; Volatility 3 ships its own table for them.
 * memdig adds them to every table from this member list. Every pointer in the block is stored as 64 bits on all
 * architectures; members were appended over releases (comments), and `Header.Size` says how much a kernel fills.
 */
import type { IsfDocument, IsfTypeRef, IsfUserType } from './isf.js';

type Member = [name: string, type: 'u64' | 'u32' | 'u16'];

const KDBG_MEMBERS: Member[] = [
  ['KernBase', 'u64'],
  ['BreakpointWithStatus', 'u64'],
  ['SavedContext', 'u64'],
  ['ThCallbackStack', 'u16'],
  ['NextCallback', 'u16'],
  ['FramePointer', 'u16'],
  ['PaeEnabled', 'u16'], // a 1-bit field at bit 0; see below
  ['KiCallUserMode', 'u64'],
  ['KeUserCallbackDispatcher', 'u64'],
  ['PsLoadedModuleList', 'u64'],
  ['PsActiveProcessHead', 'u64'],
  ['PspCidTable', 'u64'],
  ['ExpSystemResourcesList', 'u64'],
  ['ExpPagedPoolDescriptor', 'u64'],
  ['ExpNumberOfPagedPools', 'u64'],
  ['KeTimeIncrement', 'u64'],
  ['KeBugCheckCallbackListHead', 'u64'],
  ['KiBugcheckData', 'u64'],
  ['IopErrorLogListHead', 'u64'],
  ['ObpRootDirectoryObject', 'u64'],
  ['ObpTypeObjectType', 'u64'],
  ['MmSystemCacheStart', 'u64'],
  ['MmSystemCacheEnd', 'u64'],
  ['MmSystemCacheWs', 'u64'],
  ['MmPfnDatabase', 'u64'],
  ['MmSystemPtesStart', 'u64'],
  ['MmSystemPtesEnd', 'u64'],
  ['MmSubsectionBase', 'u64'],
  ['MmNumberOfPagingFiles', 'u64'],
  ['MmLowestPhysicalPage', 'u64'],
  ['MmHighestPhysicalPage', 'u64'],
  ['MmNumberOfPhysicalPages', 'u64'],
  ['MmMaximumNonPagedPoolInBytes', 'u64'],
  ['MmNonPagedSystemStart', 'u64'],
  ['MmNonPagedPoolStart', 'u64'],
  ['MmNonPagedPoolEnd', 'u64'],
  ['MmPagedPoolStart', 'u64'],
  ['MmPagedPoolEnd', 'u64'],
  ['MmPagedPoolInformation', 'u64'],
  ['MmPageSize', 'u64'],
  ['MmSizeOfPagedPoolInBytes', 'u64'],
  ['MmTotalCommitLimit', 'u64'],
  ['MmTotalCommittedPages', 'u64'],
  ['MmSharedCommit', 'u64'],
  ['MmDriverCommit', 'u64'],
  ['MmProcessCommit', 'u64'],
  ['MmPagedPoolCommit', 'u64'],
  ['MmExtendedCommit', 'u64'],
  ['MmZeroedPageListHead', 'u64'],
  ['MmFreePageListHead', 'u64'],
  ['MmStandbyPageListHead', 'u64'],
  ['MmModifiedPageListHead', 'u64'],
  ['MmModifiedNoWritePageListHead', 'u64'],
  ['MmAvailablePages', 'u64'],
  ['MmResidentAvailablePages', 'u64'],
  ['PoolTrackTable', 'u64'],
  ['NonPagedPoolDescriptor', 'u64'],
  ['MmHighestUserAddress', 'u64'],
  ['MmSystemRangeStart', 'u64'],
  ['MmUserProbeAddress', 'u64'],
  ['KdPrintCircularBuffer', 'u64'],
  ['KdPrintCircularBufferEnd', 'u64'],
  ['KdPrintWritePointer', 'u64'],
  ['KdPrintRolloverCount', 'u64'],
  ['MmLoadedUserImageList', 'u64'],
  // Windows XP
  ['NtBuildLab', 'u64'],
  ['KiNormalSystemCall', 'u64'],
  ['KiProcessorBlock', 'u64'],
  ['MmUnloadedDrivers', 'u64'],
  ['MmLastUnloadedDriver', 'u64'],
  ['MmTriageActionTaken', 'u64'],
  ['MmSpecialPoolTag', 'u64'],
  ['KernelVerifier', 'u64'],
  ['MmVerifierData', 'u64'],
  ['MmAllocatedNonPagedPool', 'u64'],
  ['MmPeakCommitment', 'u64'],
  ['MmTotalCommitLimitMaximum', 'u64'],
  ['CmNtCSDVersion', 'u64'],
  ['MmPhysicalMemoryBlock', 'u64'],
  ['MmSessionBase', 'u64'],
  ['MmSessionSize', 'u64'],
  ['MmSystemParentTablePage', 'u64'],
  // Server 2003
  ['MmVirtualTranslationBase', 'u64'],
  ['OffsetKThreadNextProcessor', 'u16'],
  ['OffsetKThreadTeb', 'u16'],
  ['OffsetKThreadKernelStack', 'u16'],
  ['OffsetKThreadInitialStack', 'u16'],
  ['OffsetKThreadApcProcess', 'u16'],
  ['OffsetKThreadState', 'u16'],
  ['OffsetKThreadBStore', 'u16'],
  ['OffsetKThreadBStoreLimit', 'u16'],
  ['SizeEProcess', 'u16'],
  ['OffsetEprocessPeb', 'u16'],
  ['OffsetEprocessParentCID', 'u16'],
  ['OffsetEprocessDirectoryTableBase', 'u16'],
  ['SizePrcb', 'u16'],
  ['OffsetPrcbDpcRoutine', 'u16'],
  ['OffsetPrcbCurrentThread', 'u16'],
  ['OffsetPrcbMhz', 'u16'],
  ['OffsetPrcbCpuType', 'u16'],
  ['OffsetPrcbVendorString', 'u16'],
  ['OffsetPrcbProcStateContext', 'u16'],
  ['OffsetPrcbNumber', 'u16'],
  ['SizeEThread', 'u16'],
  ['KdPrintCircularBufferPtr', 'u64'],
  ['KdPrintBufferSize', 'u64'],
  ['KeLoaderBlock', 'u64'],
  ['SizePcr', 'u16'],
  ['OffsetPcrSelfPcr', 'u16'],
  ['OffsetPcrCurrentPrcb', 'u16'],
  ['OffsetPcrContainedPrcb', 'u16'],
  ['OffsetPcrInitialBStore', 'u16'],
  ['OffsetPcrBStoreLimit', 'u16'],
  ['OffsetPcrInitialStack', 'u16'],
  ['OffsetPcrStackLimit', 'u16'],
  ['OffsetPrcbPcrPage', 'u16'],
  ['OffsetPrcbProcStateSpecialReg', 'u16'],
  ['GdtR0Code', 'u16'],
  ['GdtR0Data', 'u16'],
  ['GdtR0Pcr', 'u16'],
  ['GdtR3Code', 'u16'],
  ['GdtR3Data', 'u16'],
  ['GdtR3Teb', 'u16'],
  ['GdtLdt', 'u16'],
  ['GdtTss', 'u16'],
  ['Gdt64R3CmCode', 'u16'],
  ['Gdt64R3CmTeb', 'u16'],
  ['IopNumTriageDumpDataBlocks', 'u64'],
  ['IopTriageDumpDataBlocks', 'u64'],
  // Vista
  ['VfCrashDataBlock', 'u64'],
  ['MmBadPagesDetected', 'u64'],
  ['MmZeroedPageSingleBitErrorsDetected', 'u64'],
  // Windows 7
  ['EtwpDebuggerData', 'u64'],
  ['OffsetPrcbContext', 'u16'],
];

const BASE: Record<Member[1], string> = {
  u64: 'unsigned long long',
  u32: 'unsigned long',
  u16: 'unsigned short',
};
const SIZE: Record<Member[1], number> = { u64: 8, u32: 4, u16: 2 };

function kdbgTypes(): Record<string, IsfUserType> {
  const b = (name: string): IsfTypeRef => ({ kind: 'base', name });
  const fields: IsfUserType['fields'] = {
    Header: { offset: 0, type: { kind: 'struct', name: '_DBGKD_DEBUG_DATA_HEADER64' } },
  };
  let off = 0x18;
  for (const [name, t] of KDBG_MEMBERS) {
    const s = SIZE[t];
    off = Math.ceil(off / s) * s; // natural alignment, as the C compiler lays the struct out
    fields[name] =
      name === 'PaeEnabled'
        ? { offset: off, type: { kind: 'bitfield', bit_position: 0, bit_length: 1, type: b(BASE[t]) } }
        : { offset: off, type: b(BASE[t]) };
    off += s;
  }
  return {
    _LIST_ENTRY64: {
      kind: 'struct',
      size: 16,
      fields: {
        Flink: { offset: 0, type: b('unsigned long long') },
        Blink: { offset: 8, type: b('unsigned long long') },
      },
    },
    _DBGKD_DEBUG_DATA_HEADER64: {
      kind: 'struct',
      size: 0x18,
      fields: {
        List: { offset: 0, type: { kind: 'struct', name: '_LIST_ENTRY64' } },
        OwnerTag: { offset: 0x10, type: b('unsigned long') },
        Size: { offset: 0x14, type: b('unsigned long') },
      },
    },
    _KDDEBUGGER_DATA64: { kind: 'struct', size: Math.ceil(off / 8) * 8, fields },
  };
}

/** "KDBG" as the little-endian u32 at `_DBGKD_DEBUG_DATA_HEADER64.OwnerTag`. */
export const KDBG_OWNER_TAG = 0x4742444b;

/** Adds the KDBG types to a table that lacks them (kernel tables never have them). Returns the same object. */
export function addKdbgTypes(doc: IsfDocument): IsfDocument {
  const bt = doc.base_types;
  if (!bt['unsigned long long'] || !bt['unsigned long'] || !bt['unsigned short']) return doc;
  for (const [name, t] of Object.entries(kdbgTypes())) {
    if (!Object.hasOwn(doc.user_types, name)) doc.user_types[name] = t;
  }
  return doc;
}
