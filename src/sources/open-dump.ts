import { MemdigError } from '../util/errors.js';
import { FileReader } from './file-reader.js';
import { isMinidump, Minidump } from './minidump.js';
import { openPhysical } from './open.js';
import type { PhysicalMemory } from './source.js';

/** What a dump file turned out to be: a machine's physical memory, or one process's memory (a minidump). */
export type OpenedDump =
  | { kind: 'physical'; memory: PhysicalMemory }
  | { kind: 'process'; minidump: Minidump };

/** Opens any dump memdig reads, choosing by content. Callers that only handle physical memory use openPhysical. */
export function openDump(path: string): OpenedDump {
  let file: FileReader;
  try {
    file = new FileReader(path);
  } catch (e) {
    throw new MemdigError(`cannot open ${path}: ${(e as Error).message}`);
  }
  if (isMinidump(file.bytes(0, 4))) {
    try {
      return { kind: 'process', minidump: new Minidump(file) };
    } catch (e) {
      file.close();
      throw e;
    }
  }
  file.close();
  return { kind: 'physical', memory: openPhysical(path) };
}
