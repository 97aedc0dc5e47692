import type { Accessor } from '../symbols/layout.js';
import { canonicalHex } from '../util/hex.js';
import { isKernelAddress, type WinContext } from './context.js';
import { FileObjectReader, objectName } from './file-object.js';
import { EprocessReader, type WinProcess } from './processes.js';

export interface WinHandle {
  pid: number;
  process: string;
  /** Handle value (multiple of 4). */
  handle: number;
  type: string | null;
  grantedAccess: number;
  /** Kernel address of the object body. */
  object: number;
  /** Kernel address of the _OBJECT_HEADER. */
  header: number;
  name: string | null;
}

export interface HandleLimits {
  /** Most leaf pages read per process (a hostile TableCode cannot make memdig read the whole kernel). */
  maxLeafPages?: number;
  /** Most handles reported per process. */
  maxHandles?: number;
}

const PAGE = 4096;

/**
 * Walks process handle tables and decodes each entry to its object: type (XP: the header's Type pointer; 7+: the
 * TypeIndex through ObTypeIndexTable, de-obfuscated with ObHeaderCookie on 10) and a name where one is cheap.
 * Member offsets, the entry encoding and type names are resolved once per context.
 */
export class HandleReader {
  private readonly ps: 4 | 8;
  private readonly entrySize: number;
  private readonly tableCode: Accessor;
  private readonly granted: Accessor;
  private readonly objOff: number;
  /** Windows 8+ x64: the entry holds the header address shifted left (ObjectPointerBits); this is the shift. */
  private readonly shift: number;
  private readonly bodyOff: number;
  /** Offset of the object body in _OBJECT_HEADER. */
  get bodyOffset(): number {
    return this.bodyOff;
  }
  private readonly typeOff: number;
  private readonly typeIndexOff: number;
  private readonly typeNameOff: number;
  private readonly typeTable: number;
  private readonly cookie: number;
  private readonly typeNames = new Map<number, string | null>();
  private readonly files: FileObjectReader;
  private readonly eproc: EprocessReader;
  private readonly page = new Uint8Array(PAGE);
  private readonly dir = new Uint8Array(PAGE);
  private readonly top = new Uint8Array(PAGE);

  constructor(private readonly ctx: WinContext) {
    const p = ctx.profile;
    this.ps = p.pointerSize;
    const ht = p.struct('_HANDLE_TABLE');
    const he = p.struct('_HANDLE_TABLE_ENTRY');
    this.entrySize = he.size;
    this.tableCode = ht.accessor('TableCode');
    this.granted = he.tryAccessor('GrantedAccessBits') ?? he.accessor('GrantedAccess');
    const oh = p.struct('_OBJECT_HEADER');
    this.bodyOff = oh.offsetOf('Body');
    this.typeOff = oh.offsetOrMinus1('Type');
    this.typeIndexOff = oh.offsetOrMinus1('TypeIndex');
    this.typeNameOff = p.struct('_OBJECT_TYPE').offsetOf('Name');
    if (he.has('ObjectPointerBits')) {
      this.objOff = he.offsetOf('LowValue');
      // The header is 16-aligned, so ObjectPointerBits holds its bits 4 and up: the layout gives the shift too.
      const f = he.field('ObjectPointerBits').type;
      this.shift = this.entryShift(f.kind === 'bitfield' && f.bitPos > 4 ? f.bitPos - 4 : 16);
    } else {
      this.objOff = he.offsetOf('Object');
      this.shift = 0;
    }
    this.typeTable = ctx.global('ObTypeIndexTable') ?? 0;
    const c = ctx.global('ObHeaderCookie');
    const cb = new Uint8Array(1);
    this.cookie = c !== undefined && ctx.kernel.read(c, cb, 0, 1) === 1 ? cb[0]! : -1;
    if (c !== undefined && this.cookie < 0)
      ctx.warnings.add('ObHeaderCookie is unreadable: handle types unknown');
    this.files = new FileObjectReader(ctx);
    this.eproc = new EprocessReader(ctx);
  }

  /**
   * The shift the kernel applies when decoding an entry: read from the `sar reg, imm8` in
   * ObpCaptureHandleInformationEx where present (as Volatility 3 does), else what the layout says.
   */
  private entryShift(fallback: number): number {
    const fn = this.ctx.global('ObpCaptureHandleInformationEx');
    if (fn !== undefined) {
      const code = new Uint8Array(0x200);
      const n = this.ctx.kernel.read(fn, code, 0, code.length);
      for (let i = 0; i + 3 < n; i++) {
        // REX.W + C1 /7 ib with a register operand: sar r64, imm8.
        if ((code[i]! & 0xf8) === 0x48 && code[i + 1] === 0xc1 && (code[i + 2]! & 0xf8) === 0xf8) {
          const s = code[i + 3]!;
          if (s >= 8 && s <= 24) return s;
        }
      }
    }
    return fallback;
  }

  /** Object header address held by the entry at `off` in `b`, or 0 for a free / unusable entry. */
  private entryHeader(b: Uint8Array, off: number): number {
    const dv = new DataView(b.buffer, b.byteOffset);
    const lo = dv.getUint32(off + this.objOff, true);
    if (this.ps === 4) {
      const v = (lo & ~7) >>> 0;
      return isKernelAddress(v, 4) ? v : 0;
    }
    const hi = dv.getUint32(off + this.objOff + 4, true);
    let v: number;
    if (this.shift) {
      // Arithmetic shift right of the 64-bit value, done on the halves (a double cannot hold 64 bits); only the
      // low 48 bits of the result matter (memdig drops the sign-extension bits of kernel addresses).
      const s = this.shift;
      v = (hi % 2 ** (16 + s)) * 2 ** (32 - s) + ((lo >>> 0) >>> s);
      v -= v % 16;
    } else {
      v = (hi & 0xffff) * 2 ** 32 + ((lo & ~7) >>> 0);
    }
    return isKernelAddress(v, 8) ? v : 0;
  }

  /** Name of the object type of the header at `header`, or null. */
  typeOf(header: number): string | null {
    const k = this.ctx.kernel;
    let key: number;
    if (this.typeOff >= 0) {
      key = this.ctx.profile.readPointer(k, header + this.typeOff);
      if (!Number.isFinite(key) || !isKernelAddress(key, this.ps)) return null;
    } else {
      const b = new Uint8Array(1);
      if (k.read(header + this.typeIndexOff, b, 0, 1) < 1) return null;
      key = b[0]!;
      if (this.cookie >= 0) key = (key ^ (Math.floor(header / 256) & 0xff) ^ this.cookie) & 0xff;
      if (key < 2) return null;
    }
    const hit = this.typeNames.get(key);
    if (hit !== undefined) return hit;
    let type = key;
    if (this.typeOff < 0) {
      type = this.typeTable ? this.ctx.profile.readPointer(k, this.typeTable + key * this.ps) : Number.NaN;
    }
    let name: string | null = null;
    if (Number.isFinite(type) && isKernelAddress(type, this.ps)) {
      const s = this.ctx.profile.readUnicodeString(k, type + this.typeNameOff, 128);
      if (s && /^[A-Za-z][\w ]{0,63}$/.test(s)) name = s; // 'ALPC Port' has a space
    }
    if (this.typeNames.size < 4096) this.typeNames.set(key, name);
    return name;
  }

  /** A name for the object when one is cheap: the file path, key path, process, or the object's name info. */
  nameOf(body: number, type: string | null): string | null {
    try {
      switch (type) {
        case 'File': {
          const fo = this.files.read(body);
          if (!fo || fo.name === null) return null;
          return `${fo.device ?? ''}${fo.name}`;
        }
        case 'Key':
          return this.keyName(body);
        case 'Process': {
          const p = this.eproc.read(this.ctx.kernel, body, this.ctx);
          return p ? `${p.name}(${p.pid})` : null;
        }
        case 'Thread': {
          const t = this.ctx.profile.tryStruct('_ETHREAD');
          if (!t?.has('Cid.UniqueThread')) return null;
          const tid = t.accessor('Cid.UniqueThread').read(this.ctx.kernel, body);
          const pid = t.accessor('Cid.UniqueProcess').read(this.ctx.kernel, body);
          return Number.isFinite(tid) && Number.isFinite(pid) ? `TID ${tid} PID ${pid}` : null;
        }
        case 'Section':
          return objectName(this.ctx, body) ?? this.sectionFile(body);
        default:
          return objectName(this.ctx, body);
      }
    } catch {
      return null;
    }
  }

  /** Key path from the key body's control block chain (ParentKcb), bounded. */
  private keyName(body: number): string | null {
    const p = this.ctx.profile;
    const k = this.ctx.kernel;
    const kb = p.struct('_CM_KEY_BODY');
    const kcbS = p.struct('_CM_KEY_CONTROL_BLOCK');
    const ncb = p.struct('_CM_NAME_CONTROL_BLOCK');
    let kcb = p.readPointer(k, body + kb.offsetOf('KeyControlBlock'));
    const parts: string[] = [];
    const seen = new Set<number>();
    while (
      Number.isFinite(kcb) &&
      kcb &&
      isKernelAddress(kcb, this.ps) &&
      parts.length < 64 &&
      !seen.has(kcb)
    ) {
      seen.add(kcb);
      const nb = p.readPointer(k, kcb + kcbS.offsetOf('NameBlock'));
      if (!Number.isFinite(nb) || !isKernelAddress(nb, this.ps)) break;
      const compressed = ncb.accessor('Compressed').read(k, nb);
      const len = ncb.accessor('NameLength').read(k, nb);
      if (!Number.isFinite(len) || len === 0 || len > 512) break;
      const raw = new Uint8Array(len);
      if (k.read(nb + ncb.offsetOf('Name'), raw, 0, len) < len) break;
      parts.unshift(compressed ? Buffer.from(raw).toString('latin1') : Buffer.from(raw).toString('utf16le'));
      kcb = p.readPointer(k, kcb + kcbS.offsetOf('ParentKcb'));
    }
    if (!parts.length) return null;
    // A complete chain starts at the REGISTRY root; a broken one gives the path below where it broke.
    return parts[0]!.toUpperCase() === 'REGISTRY' ? `\\${parts.join('\\')}` : parts.join('\\');
  }

  /** File name behind a file-backed section (section → control area → FilePointer). */
  private sectionFile(body: number): string | null {
    const p = this.ctx.profile;
    const k = this.ctx.kernel;
    let ca = Number.NaN;
    const sec = p.tryStruct('_SECTION');
    if (sec?.has('u1.ControlArea')) ca = p.readPointer(k, body + sec.offsetOf('u1.ControlArea'));
    else {
      const so = p.tryStruct('_SECTION_OBJECT');
      if (!so) return null;
      const seg = p.readPointer(k, body + so.offsetOf('Segment'));
      if (!Number.isFinite(seg) || !isKernelAddress(seg, this.ps)) return null;
      ca = p.readPointer(k, seg + p.struct('_SEGMENT').offsetOf('ControlArea'));
    }
    // Windows 8+ keeps flag bits in the low bits of the control area pointer of a section.
    if (!Number.isFinite(ca)) return null;
    ca -= ca % 8;
    if (!isKernelAddress(ca, this.ps)) return null;
    let fp = p.readPointer(k, ca + p.struct('_CONTROL_AREA').offsetOf('FilePointer'));
    if (!Number.isFinite(fp)) return null;
    fp -= fp % (this.ps === 8 ? 16 : 8); // an _EX_FAST_REF: reference count in the low bits
    if (!isKernelAddress(fp, this.ps)) return null;
    return this.files.read(fp)?.name ?? null;
  }

  /**
   * Every in-use entry of the process's handle table: [handle value, header address, granted access].
   * Unreadable table pages and impossible levels become warnings; the walk is bounded by `limits`.
   */
  entries(proc: WinProcess, limits: HandleLimits = {}): { handle: number; header: number; access: number }[] {
    const ctx = this.ctx;
    const out: { handle: number; header: number; access: number }[] = [];
    if (!proc.objectTable) return out;
    if (!isKernelAddress(proc.objectTable, this.ps)) {
      ctx.warnings.add(
        `pid ${proc.pid}: ObjectTable 0x${proc.objectTable.toString(16)} is not a kernel address`,
      );
      return out;
    }
    const maxLeaves = limits.maxLeafPages ?? 4096;
    const maxHandles = limits.maxHandles ?? 1 << 20;
    const code = this.tableCode.read(ctx.kernel, proc.objectTable);
    const who = `pid ${proc.pid} handle table 0x${proc.objectTable.toString(16)}`;
    if (!Number.isFinite(code)) {
      ctx.warnings.add(`${who}: unreadable`);
      return out;
    }
    const level = code % 4;
    const base = code - level;
    if (level > 2) {
      ctx.warnings.add(`${who}: TableCode 0x${code.toString(16)} has ${level + 1} levels (at most 3 exist)`);
      return out;
    }
    const perLeaf = PAGE / this.entrySize;
    const perDir = PAGE / this.ps;
    const seen = new Set<number>();
    let leaves = 0;
    const readTable = (va: number, into: Uint8Array, what: string): boolean => {
      if (!isKernelAddress(va, this.ps)) {
        ctx.warnings.add(`${who}: ${what} pointer 0x${va.toString(16)} is not a kernel address`);
        return false;
      }
      ctx.kernel.read(va, into, 0, PAGE);
      if (ctx.kernel.lastMissing > 0) {
        ctx.warnings.add(`${who}: ${what} page 0x${va.toString(16)} is not in the dump`);
        return false;
      }
      return true;
    };
    const leaf = (va: number, first: number): boolean => {
      if (seen.has(va)) {
        ctx.warnings.add(`${who}: table page 0x${va.toString(16)} is referenced twice`);
        return true;
      }
      seen.add(va);
      if (++leaves > maxLeaves) {
        ctx.warnings.add(`${who}: more than ${maxLeaves} table pages; the rest is skipped`);
        return false;
      }
      if (!readTable(va, this.page, 'leaf')) return true;
      for (let i = 0; i < perLeaf; i++) {
        const off = i * this.entrySize;
        const header = this.entryHeader(this.page, off);
        if (!header) continue;
        if (out.length >= maxHandles) {
          ctx.warnings.add(`${who}: more than ${maxHandles} handles; the rest is skipped`);
          return false;
        }
        out.push({ handle: (first + i) * 4, header, access: this.granted.get(this.page, off) });
      }
      return true;
    };
    const ptrAt = (b: Uint8Array, i: number): number => {
      const dv = new DataView(b.buffer, b.byteOffset);
      return this.ps === 8
        ? (dv.getUint32(i * 8 + 4, true) & 0xffff) * 2 ** 32 + dv.getUint32(i * 8, true)
        : dv.getUint32(i * 4, true);
    };
    const mid = (va: number, buf: Uint8Array, first: number): boolean => {
      if (!readTable(va, buf, 'directory')) return true;
      for (let i = 0; i < perDir; i++) {
        const l = ptrAt(buf, i);
        if (!l) continue;
        if (!leaf(l, first + i * perLeaf)) return false;
      }
      return true;
    };
    if (level === 0) leaf(base, 0);
    else if (level === 1) mid(base, this.dir, 0);
    else if (readTable(base, this.top, 'top directory')) {
      for (let i = 0; i < perDir; i++) {
        const m = ptrAt(this.top, i);
        if (!m) continue;
        if (seen.has(m)) continue;
        seen.add(m);
        if (!mid(m, this.dir, i * perDir * perLeaf)) break;
      }
    }
    return out;
  }

  /** Decoded handles of one process; entries whose header has no known type are dropped (free or garbage). */
  handles(proc: WinProcess, limits?: HandleLimits): WinHandle[] {
    const out: WinHandle[] = [];
    for (const e of this.entries(proc, limits)) {
      const type = this.typeOf(e.header);
      if (!type) continue;
      const object = e.header + this.bodyOff;
      out.push({
        pid: proc.pid,
        process: proc.name,
        handle: e.handle,
        type,
        grantedAccess: e.access,
        object,
        header: e.header,
        name: this.nameOf(object, type),
      });
    }
    return out;
  }
}

/** One output row (hex handle, access and object address). */
export function handleRow(h: WinHandle): Record<string, string | number | null> {
  return {
    pid: h.pid,
    process: h.process,
    handle: `0x${h.handle.toString(16)}`,
    type: h.type,
    granted_access: `0x${h.grantedAccess.toString(16)}`,
    object: canonicalHex(h.object),
    name: h.name,
  };
}
