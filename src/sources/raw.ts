import { FileReader } from './file-reader.js';
import { SegmentedMemory } from './segmented.js';

/** raw / dd / .mem / .vmem / .bin: physical memory contiguous from address 0. */
export function openRaw(path: string, file = new FileReader(path)): SegmentedMemory {
  return new SegmentedMemory('raw', file, [{ phys: 0, length: file.size, fileOffset: 0 }], { path });
}
