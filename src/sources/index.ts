// Importing a container module registers its probe with openPhysical(); import them all here, once.
import './crashdump.js';
import './elf.js';
import './hibernation.js';
import './lime.js';
import './minidump.js';
import './vmware.js';

export { CrashDumpMemory } from './crashdump.js';
export type { CrashDumpHeader } from './crashdump-header.js';
export { parseCrashDumpHeader } from './crashdump-header.js';
export type { ElfMemory, ElfNote } from './elf.js';
export { type ByteSource, BytesReader, FileReader, RangeReader } from './file-reader.js';
export * from './minidump.js';
export { MinidumpMemory } from './minidump-memory.js';
export { openPhysical } from './open.js';
export { type OpenedDump, openDump } from './open-dump.js';
export { physicalFromBytes } from './raw.js';
export { type Segment, SegmentedMemory, SegmentList } from './segmented.js';
export type { PhysicalMemory, PhysRange, ScanBlock } from './source.js';
