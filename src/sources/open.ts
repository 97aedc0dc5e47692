import { MemdigError } from '../util/errors.js';
import { type ByteSource, FileReader } from './file-reader.js';
import { openRaw } from './raw.js';
import type { PhysicalMemory } from './source.js';

/** A container format recognised by its content (never by file extension). */
export interface ContainerProbe {
  name: string;
  /** True when `head` (the file's first 8 KiB or less) identifies this format. */
  matches(head: Uint8Array, file: ByteSource): boolean;
  open(file: ByteSource): PhysicalMemory;
}

const probes: ContainerProbe[] = [];

/** Later containers register here; order matters only between formats that could both match. */
export function registerContainer(p: ContainerProbe): void {
  probes.push(p);
}

/** Opens a dump as physical memory, choosing the container by its bytes; anything unrecognised is raw. */
export function openPhysical(path: string): PhysicalMemory {
  let file: FileReader;
  try {
    file = new FileReader(path);
  } catch (e) {
    throw new MemdigError(`cannot open ${path}: ${(e as Error).message}`);
  }
  const head = file.bytes(0, 8192);
  for (const p of probes) {
    if (p.matches(head, file)) {
      try {
        return p.open(file);
      } catch (e) {
        file.close();
        throw e;
      }
    }
  }
  return openRaw(path, file);
}
