import { FormatError } from '../util/errors.js';
import type { ByteSource } from './file-reader.js';
import { registerContainer } from './open.js';
import { type Segment, SegmentedMemory } from './segmented.js';

/** One ELF note: QEMU writes CORE/NT_PRSTATUS per CPU, QEMU/0 (CPU state incl. CR0-CR4) and VMCOREINFO. */
export interface ElfNote {
  name: string;
  type: number;
  /** File offset and size of the descriptor bytes (read on demand: notes can be large). */
  descOffset: number;
  descSize: number;
}

const MAX_PHDRS = 1 << 16;
const MAX_NOTES = 1 << 16;

/**
 * ELF cores whose PT_LOAD segments carry physical addresses (QEMU `dump-guest-memory`, VirtualBox `dumpvmcore`).
 * Segments whose file size is shorter than their memory size are present only for the file-backed part.
 */
export class ElfMemory extends SegmentedMemory {
  constructor(
    file: ByteSource,
    segments: Segment[],
    readonly notes: readonly ElfNote[],
    readonly elfClass: 32 | 64,
  ) {
    const names = [...new Set(notes.map((n) => n.name))].join(',');
    super('elf', file, segments, { path: file.path, elfClass, loadSegments: segments.length, notes: names });
  }

  /** Descriptor bytes of the first note with this name (and type, when given). */
  note(name: string, type?: number): Uint8Array | null {
    const n = this.notes.find((x) => x.name === name && (type === undefined || x.type === type));
    return n ? this.file.bytes(n.descOffset, n.descSize) : null;
  }

  /** The VMCOREINFO text the kernel (or QEMU's vmcoreinfo device) left in a note, if any. */
  vmcoreinfo(): string | null {
    const b = this.note('VMCOREINFO');
    return b ? new TextDecoder('latin1').decode(b).replace(/\0+$/, '') : null;
  }
}

function u64(dv: DataView, off: number): number {
  return dv.getUint32(off + 4, true) * 0x100000000 + dv.getUint32(off, true);
}

export function openElf(file: ByteSource): ElfMemory {
  const fmt = 'ELF core';
  const id = file.bytes(0, 64);
  if (id.length < 52)
    throw new FormatError(fmt, 0, `file is ${id.length} bytes, too short for an ELF header`);
  const cls = id[4];
  if (cls !== 1 && cls !== 2)
    throw new FormatError(fmt, 4, `EI_CLASS ${cls}, expected 1 (32-bit) or 2 (64-bit)`);
  if (id[5] !== 1) throw new FormatError(fmt, 5, `EI_DATA ${id[5]}, only little-endian dumps are supported`);
  const is64 = cls === 2;
  const dv = new DataView(id.buffer, id.byteOffset, id.byteLength);
  if (is64 && id.length < 64) throw new FormatError(fmt, 0, 'truncated ELF64 header');
  const phoff = is64 ? u64(dv, 32) : dv.getUint32(28, true);
  const phentsize = dv.getUint16(is64 ? 54 : 42, true);
  let phnum = dv.getUint16(is64 ? 56 : 44, true);
  const minEnt = is64 ? 56 : 32;
  if (phentsize < minEnt)
    throw new FormatError(fmt, is64 ? 54 : 42, `e_phentsize ${phentsize}, expected >= ${minEnt}`);
  if (phnum === 0xffff) {
    // PN_XNUM: the real count lives in section header 0's sh_info (dumps with more than 65534 segments).
    const shoff = is64 ? u64(dv, 40) : dv.getUint32(32, true);
    const sh = file.bytes(shoff, is64 ? 64 : 40);
    if (sh.length < (is64 ? 48 : 32))
      throw new FormatError(fmt, shoff, 'PN_XNUM set but section header 0 is missing');
    phnum = new DataView(sh.buffer, sh.byteOffset).getUint32(is64 ? 44 : 28, true);
  }
  if (phnum > MAX_PHDRS)
    throw new FormatError(fmt, phoff, `${phnum} program headers is absurd (limit ${MAX_PHDRS})`);
  const table = file.bytes(phoff, phnum * phentsize);
  if (table.length < phnum * phentsize) {
    throw new FormatError(
      fmt,
      phoff,
      `program header table (${phnum} x ${phentsize} bytes) runs past end of file`,
    );
  }
  const tv = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const segments: Segment[] = [];
  const notes: ElfNote[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = i * phentsize;
    const type = tv.getUint32(o, true);
    const offset = is64 ? u64(tv, o + 8) : tv.getUint32(o + 4, true);
    const paddr = is64 ? u64(tv, o + 24) : tv.getUint32(o + 12, true);
    const filesz = is64 ? u64(tv, o + 32) : tv.getUint32(o + 16, true);
    if (type === 1) {
      if (filesz === 0) continue;
      if (offset + filesz > file.size) {
        // Truncated dump: keep what is there, the rest of the segment becomes a hole.
        const have = Math.max(0, file.size - offset);
        if (have > 0) segments.push({ phys: paddr, length: have, fileOffset: offset });
        continue;
      }
      segments.push({ phys: paddr, length: filesz, fileOffset: offset });
    } else if (type === 4) {
      parseNotes(file, offset, filesz, notes);
    }
  }
  if (segments.length === 0)
    throw new FormatError(fmt, phoff, 'no PT_LOAD segment with file data: not a memory dump');
  return new ElfMemory(file, segments, notes, is64 ? 64 : 32);
}

function parseNotes(file: ByteSource, offset: number, size: number, out: ElfNote[]): void {
  const b = file.bytes(offset, Math.min(size, 64 << 20));
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 0;
  while (p + 12 <= b.length && out.length < MAX_NOTES) {
    const namesz = dv.getUint32(p, true);
    const descsz = dv.getUint32(p + 4, true);
    const type = dv.getUint32(p + 8, true);
    const nameOff = p + 12;
    const descOff = nameOff + align4(namesz);
    if (descOff + descsz > b.length || namesz > 4096) break;
    const name = new TextDecoder('latin1').decode(b.subarray(nameOff, nameOff + namesz)).replace(/\0+$/, '');
    out.push({ name, type, descOffset: offset + descOff, descSize: descsz });
    p = descOff + align4(descsz);
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

registerContainer({
  name: 'elf',
  matches: (h) =>
    h.length >= 20 && h[0] === 0x7f && h[1] === 0x45 && h[2] === 0x4c && h[3] === 0x46 && h[16] === 4,
  open: openElf,
});
