import type { Readable } from '../symbols/layout.js';
import { isKernelAddress, type WinContext } from './context.js';
import { scanPool } from './pool-scan.js';

export interface WinFileObject {
  /** Kernel address of the _FILE_OBJECT (-1 when found by pool scan only). */
  addr: number;
  /** Physical address of the _FILE_OBJECT (-1 when not translatable). */
  physical: number;
  /** Volume-relative path as stored in FileName. */
  name: string | null;
  /** `\Device\HarddiskVolume1` style device name from the device object's name info, when readable. */
  device: string | null;
  deletePending: boolean;
  fsContext: number;
  sectionObjectPointer: number;
  dataSectionObject: number;
  sharedCacheMap: number;
  imageSectionObject: number;
  /** File size from the FCB header (FsContext → FSRTL_COMMON_FCB_HEADER), or -1 when not plausible. */
  fcbFileSize: number;
}

/** Reads and decodes _FILE_OBJECTs; member offsets resolved once. */
export class FileObjectReader {
  readonly size: number;
  private readonly off: {
    name: number;
    device: number;
    fsContext: number;
    sop: number;
    deletePending: number;
    type: number;
    sopData: number;
    sopScm: number;
    sopImage: number;
  };
  private readonly ps: 4 | 8;

  constructor(private readonly ctx: WinContext) {
    const p = ctx.profile;
    this.ps = p.pointerSize;
    const fo = p.struct('_FILE_OBJECT');
    const sop = p.struct('_SECTION_OBJECT_POINTERS');
    this.size = fo.size;
    this.off = {
      name: fo.offsetOf('FileName'),
      device: fo.offsetOf('DeviceObject'),
      fsContext: fo.offsetOf('FsContext'),
      sop: fo.offsetOf('SectionObjectPointer'),
      deletePending: fo.offsetOf('DeletePending'),
      type: fo.offsetOf('Type'),
      sopData: sop.offsetOf('DataSectionObject'),
      sopScm: sop.offsetOf('SharedCacheMap'),
      sopImage: sop.offsetOf('ImageSectionObject'),
    };
  }

  private ptr(addr: number): number {
    const v = this.ctx.profile.readPointer(this.ctx.kernel, addr);
    return Number.isFinite(v) ? v : 0;
  }

  private kptr(addr: number): number {
    const v = this.ptr(addr);
    return v && isKernelAddress(v, this.ps) ? v : 0;
  }

  private kptrIn(src: Readable, addr: number): number {
    const v = this.ctx.profile.readPointer(src, addr);
    return Number.isFinite(v) && v && isKernelAddress(v, this.ps) ? v : 0;
  }

  /** FileName: the UNICODE_STRING header comes from `src`, its buffer from kernel space. */
  private nameAt(src: Readable, addr: number): string | null {
    const us = new Uint8Array(this.ps === 8 ? 16 : 8);
    if (src.read(addr + this.off.name, us, 0, us.length) < us.length) return null;
    const dv = new DataView(us.buffer);
    const len = dv.getUint16(0, true);
    const max = dv.getUint16(2, true);
    if (len === 0) return '';
    if (len & 1 || len > max) return null;
    const buf =
      this.ps === 8
        ? (dv.getUint32(12, true) & 0xffff) * 2 ** 32 + dv.getUint32(8, true)
        : dv.getUint32(4, true);
    if (!isKernelAddress(buf, this.ps)) return null;
    const bytes = new Uint8Array(len);
    if (this.ctx.kernel.read(buf, bytes, 0, len) < len) return null;
    return Buffer.from(bytes.buffer, 0, len).toString('utf16le');
  }

  /**
   * Decodes the _FILE_OBJECT at `addr` in `src` (the kernel's address space by default; physical memory for pool
   * scan hits, whose virtual address is unknown). Pointers it holds are followed through the kernel space.
   */
  read(addr: number, src: Readable = this.ctx.kernel, physical = -1): WinFileObject | null {
    const hdr = new Uint8Array(4);
    if (src.read(addr + this.off.type, hdr, 0, 4) < 4 || hdr[0] !== 5) return null;
    const name = this.nameAt(src, addr);
    const sopAddr = this.kptrIn(src, addr + this.off.sop);
    const dp = new Uint8Array(1);
    src.read(addr + this.off.deletePending, dp, 0, 1);
    const fsContext = this.kptrIn(src, addr + this.off.fsContext);
    return {
      addr: src === this.ctx.kernel ? addr : -1,
      physical: src === this.ctx.kernel ? this.ctx.kernel.translate(addr) : physical >= 0 ? physical : addr,
      name,
      device: this.deviceName(this.kptrIn(src, addr + this.off.device)),
      deletePending: dp[0] !== 0,
      fsContext,
      sectionObjectPointer: sopAddr,
      dataSectionObject: sopAddr ? this.kptr(sopAddr + this.off.sopData) : 0,
      sharedCacheMap: sopAddr ? this.kptr(sopAddr + this.off.sopScm) : 0,
      imageSectionObject: sopAddr ? this.kptr(sopAddr + this.off.sopImage) : 0,
      fcbFileSize: fsContext ? this.fcbSize(fsContext) : -1,
    };
  }

  /** FSRTL_COMMON_FCB_HEADER.FileSize (x64 +0x20, x86 +0x18): a 64-bit size; -1 when absurd or unreadable. */
  private fcbSize(fcb: number): number {
    const b = new Uint8Array(8);
    if (this.ctx.kernel.read(fcb + (this.ps === 8 ? 0x20 : 0x18), b, 0, 8) < 8) return -1;
    const dv = new DataView(b.buffer);
    const hi = dv.getUint32(4, true);
    if (hi > 0xffff) return -1;
    return hi * 2 ** 32 + dv.getUint32(0, true);
  }

  /** Name of a device object from its object header's name info (`\Device\...`), or null. */
  private deviceName(dev: number): string | null {
    if (!dev) return null;
    const name = objectName(this.ctx, dev);
    return name ? `\\Device\\${name}` : null;
  }
}

/** Name of a named kernel object from its _OBJECT_HEADER_NAME_INFO, or null. */
export function objectName(ctx: WinContext, body: number): string | null {
  const p = ctx.profile;
  const oh = p.struct('_OBJECT_HEADER');
  const header = body - oh.offsetOf('Body');
  const ni = p.tryStruct('_OBJECT_HEADER_NAME_INFO');
  if (!ni) return null;
  const b = new Uint8Array(1);
  let nameInfo = 0;
  if (oh.has('NameInfoOffset')) {
    if (ctx.kernel.read(header + oh.offsetOf('NameInfoOffset'), b, 0, 1) < 1 || b[0] === 0) return null;
    nameInfo = header - b[0]!;
  } else if (oh.has('InfoMask')) {
    if (ctx.kernel.read(header + oh.offsetOf('InfoMask'), b, 0, 1) < 1) return null;
    const mask = b[0]!;
    if (!(mask & 2)) return null;
    // Optional headers sit below the header in mask order: CreatorInfo (0x1) first, then NameInfo (0x2).
    const creator = p.tryStruct('_OBJECT_HEADER_CREATOR_INFO')?.size ?? (p.pointerSize === 8 ? 0x20 : 0x10);
    nameInfo = header - ni.size - (mask & 1 ? creator : 0);
  } else return null;
  return p.readUnicodeString(ctx.kernel, nameInfo + ni.offsetOf('Name'));
}

/**
 * Pool scan for _FILE_OBJECTs (`Fil\xe5` up to Windows 7, `File` after): inside each allocation the object starts
 * where Type = 5 (IO_TYPE_FILE) and Size = sizeof(_FILE_OBJECT) — a version-independent way to find the body.
 * Finds files whose handles were closed or whose process is gone, which VAD and handle walks miss.
 */
export function scanFileObjects(ctx: WinContext, reader = new FileObjectReader(ctx)): WinFileObject[] {
  const ps = ctx.profile.pointerSize;
  const align = ps === 8 ? 16 : 8;
  const out: WinFileObject[] = [];
  const alloc = new Uint8Array(4096);
  const dv = new DataView(alloc.buffer);
  const want = (reader.size << 16) | 5;
  for (const hit of scanPool(ctx.mem, ['Fil\xe5', 'File'], ps, reader.size)) {
    const n = Math.min(hit.size, alloc.length);
    if (ctx.mem.read(hit.header, alloc, 0, n) < n) continue;
    for (let d = align; d + reader.size <= n; d += align) {
      if (dv.getUint32(d, true) !== want) continue;
      const fo = reader.read(hit.header + d, ctx.mem, hit.header + d);
      if (fo && fo.name !== null) out.push(fo);
      break;
    }
  }
  return out;
}
