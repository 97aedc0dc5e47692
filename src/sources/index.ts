// Importing a container module registers its probe with openPhysical(); import them all here, once.
import './elf.js';
import './lime.js';

export type { ElfMemory, ElfNote } from './elf.js';
export { openPhysical } from './open.js';
export type { PhysicalMemory, PhysRange, ScanBlock } from './source.js';
