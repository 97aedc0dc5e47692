import { isKernelAddress, type WinContext } from './context.js';

export interface WinFileObject {
  /** Kernel address of the _FILE_OBJECT. */
  addr: number;
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

  read(addr: number): WinFileObject | null {
    const k = this.ctx.kernel;
    const hdr = new Uint8Array(4);
    if (k.read(addr + this.off.type, hdr, 0, 2) < 2 || hdr[0] !== 5) return null;
    const name = this.ctx.profile.readUnicodeString(k, addr + this.off.name);
    const sopAddr = this.kptr(addr + this.off.sop);
    const dp = new Uint8Array(1);
    k.read(addr + this.off.deletePending, dp, 0, 1);
    const fsContext = this.kptr(addr + this.off.fsContext);
    return {
      addr,
      name,
      device: this.deviceName(this.kptr(addr + this.off.device)),
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
