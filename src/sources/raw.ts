import { BytesReader, FileReader } from './file-reader.js';
import { type Segment, SegmentedMemory } from './segmented.js';

/** raw / dd / .mem / .vmem / .bin: physical memory contiguous from address 0. */
export function openRaw(path: string, file = new FileReader(path)): SegmentedMemory {
  return new SegmentedMemory('raw', file, [{ phys: 0, length: file.size, fileOffset: 0 }], { path });
}

/**
 * Physical memory held in a buffer (tests, synthetic images): by default the whole buffer from address 0, or the
 * given runs (`fileOffset` indexes the buffer). A full PhysicalMemory, scan() included.
 */
export function physicalFromBytes(bytes: Uint8Array, runs?: Segment[]): SegmentedMemory {
  const segs = runs ?? [{ phys: 0, length: bytes.length, fileOffset: 0 }];
  return new SegmentedMemory('bytes', new BytesReader(bytes), segs);
}
