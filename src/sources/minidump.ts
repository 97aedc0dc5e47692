import { FormatError, MemdigError, Warnings } from '../util/errors.js';
import { type ByteSource, BytesReader, FileReader } from './file-reader.js';
import { MinidumpMemory } from './minidump-memory.js';
import {
  ARCH_BITS,
  ARCH_NAMES,
  type CodeViewRecord,
  type ExceptionInfo,
  type MemoryInfo,
  type MemoryRange,
  type MinidumpHandle,
  type MinidumpModule,
  type MinidumpThread,
  type MiscInfo,
  PLATFORM_NAMES,
  type StreamEntry,
  StreamType,
  type SystemInfo,
  streamTypeName,
  type UnloadedModule,
} from './minidump-types.js';
import { registerContainer } from './open.js';

export * from './minidump-types.js';

/**
 * Windows user-mode minidumps ('MDMP', MiniDumpWriteDump, breakpad, crashpad, procdump): one process's threads,
 * modules and captured virtual memory. Not physical memory: `openDump` hands these out as `{ kind: 'process' }`.
 * Usable on its own, on a file or on bytes (a minidump carved from RAM). Damaged streams become warnings, so
 * every stream that can be read is; only a broken header or stream directory is fatal.
 */

export const MINIDUMP_SIGNATURE = 0x504d444d;
const FMT = 'minidump';
const MAX_STREAMS = 4096;
const MAX_STRING_BYTES = 1 << 16;

/** A bounded little-endian view over one stream's bytes; reads past the end return 0 and are reported by `ok`. */
class View {
  readonly dv: DataView;
  constructor(readonly b: Uint8Array) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  u8(o: number): number {
    return o + 1 <= this.b.length ? this.b[o]! : 0;
  }
  u16(o: number): number {
    return o + 2 <= this.b.length ? this.dv.getUint16(o, true) : 0;
  }
  u32(o: number): number {
    return o + 4 <= this.b.length ? this.dv.getUint32(o, true) : 0;
  }
  /** Raw u64 as a number (may exceed 2^53 for garbage: callers validate). */
  u64(o: number): number {
    return this.u32(o + 4) * 2 ** 32 + this.u32(o);
  }
}

export class Minidump {
  readonly version: number;
  readonly timeDateStamp: number;
  readonly flags: string;
  readonly streams: StreamEntry[] = [];
  systemInfo: SystemInfo | null = null;
  readonly modules: MinidumpModule[] = [];
  readonly unloadedModules: UnloadedModule[] = [];
  readonly threads: MinidumpThread[] = [];
  /** Memory ranges from MemoryList and Memory64List, in stream order (may overlap; memory() resolves that). */
  readonly memoryRanges: MemoryRange[] = [];
  readonly memoryInfo: MemoryInfo[] = [];
  readonly handles: MinidumpHandle[] = [];
  exception: ExceptionInfo | null = null;
  miscInfo: MiscInfo | null = null;
  readonly warnings = new Warnings(1000);
  /** Pointer width of the process: from SystemInfo, else guessed from the addresses seen. */
  pointerSize: 4 | 8 = 8;
  private mem: MinidumpMemory | null = null;

  static open(path: string): Minidump {
    return new Minidump(new FileReader(path));
  }

  static fromBytes(bytes: Uint8Array, name = ''): Minidump {
    return new Minidump(new BytesReader(bytes, name));
  }

  constructor(readonly source: ByteSource) {
    const h = source.bytes(0, 32);
    if (h.length < 32)
      throw new FormatError(FMT, 0, `file is ${h.length} bytes, too short for the 32-byte header`);
    const hv = new View(h);
    const sig = hv.u32(0);
    if (sig !== MINIDUMP_SIGNATURE)
      throw new FormatError(FMT, 0, `signature 0x${sig.toString(16)}, expected 'MDMP'`);
    this.version = hv.u32(4);
    if ((this.version & 0xffff) !== 0xa793) {
      this.warnings.add(`header version 0x${(this.version & 0xffff).toString(16)}, expected 0xa793`);
    }
    const n = hv.u32(8);
    const dirRva = hv.u32(12);
    this.timeDateStamp = hv.u32(20);
    this.flags = `0x${hv.u32(28).toString(16)}${hv.u32(24).toString(16).padStart(8, '0')}`.replace(
      /^0x0+(?=.)/,
      '0x',
    );
    if (n > MAX_STREAMS) throw new FormatError(FMT, 8, `${n} streams is absurd (limit ${MAX_STREAMS})`);
    if (dirRva < 32) {
      throw new FormatError(
        FMT,
        12,
        `stream directory at 0x${dirRva.toString(16)} overlaps the 32-byte header`,
      );
    }
    if (dirRva + n * 12 > source.size) {
      throw new FormatError(
        FMT,
        12,
        `stream directory (${n} entries at 0x${dirRva.toString(16)}) runs past the end of the ${source.size}-byte file`,
      );
    }
    const dv = new View(source.bytes(dirRva, n * 12));
    for (let i = 0; i < n; i++) {
      const type = dv.u32(i * 12);
      if (type === 0) continue; // UnusedStream: writers reserve directory slots and leave them zero
      const e = { type, name: streamTypeName(type), size: dv.u32(i * 12 + 4), rva: dv.u32(i * 12 + 8) };
      this.streams.push(e);
      if (e.rva + e.size > source.size) {
        this.warnings.add(
          `${e.name} stream (${e.size} bytes at 0x${e.rva.toString(16)}) runs past the end of the ` +
            `${source.size}-byte file (directory entry ${i} at 0x${(dirRva + i * 12).toString(16)})`,
        );
      }
    }
    // SystemInfo first: it decides the pointer width used to read addresses in the other streams.
    this.each(StreamType.SystemInfo, (v, e) => this.parseSystemInfo(v, e));
    this.each(StreamType.ModuleList, (v, e) => this.parseModules(v, e));
    this.each(StreamType.UnloadedModuleList, (v, e) => this.parseUnloaded(v, e));
    this.each(StreamType.ThreadList, (v) => this.parseThreads(v));
    this.each(StreamType.ThreadNames, (v) => this.parseThreadNames(v));
    this.each(StreamType.MemoryList, (v, e) => this.parseMemoryList(v, e));
    this.each(StreamType.Memory64List, (v, e) => this.parseMemory64List(v, e));
    this.each(StreamType.MemoryInfoList, (v, e) => this.parseMemoryInfo(v, e));
    this.each(StreamType.HandleData, (v, e) => this.parseHandles(v, e));
    this.each(StreamType.Exception, (v, e) => this.parseException(v, e));
    this.each(StreamType.MiscInfo, (v) => this.parseMiscInfo(v));
    if (this.systemInfo && !this.systemInfo.isWindows) {
      this.warnings.add(
        `not a Windows process dump (platform ${this.systemInfo.platformName}): ` +
          'streams and memory are readable, Windows-specific analysis does not apply',
      );
    }
  }

  /** Bytes of every stream of this type (clipped to the file), parsed by `fn`; a FormatError there is a warning. */
  private each(type: number, fn: (v: View, e: StreamEntry) => void): void {
    for (const e of this.streams) {
      if (e.type !== type) continue;
      try {
        fn(new View(this.source.bytes(e.rva, e.size)), e);
      } catch (err) {
        if (!(err instanceof FormatError)) throw err;
        this.warnings.add(`${e.name} stream: ${err.message}`);
      }
    }
  }

  /** A pointer-sized address: 32-bit processes' sign-extended values are folded back, x64 to memdig's 48-bit form. */
  private addr(v: View, o: number): number {
    const lo = v.u32(o);
    const hi = v.u32(o + 4);
    if (this.pointerSize === 4 && (hi === 0xffffffff || hi === 0)) return lo;
    if (hi >= 0xffff8000) return (hi & 0xffff) * 2 ** 32 + lo;
    return hi * 2 ** 32 + lo;
  }

  private string(rva: number): string {
    if (rva === 0) return '';
    const lb = this.source.bytes(rva, 4);
    if (lb.length < 4) {
      this.warnings.add(`string at 0x${rva.toString(16)} lies past the end of the file`);
      return '';
    }
    const len = new View(lb).u32(0);
    if (len > MAX_STRING_BYTES || rva + 4 + len > this.source.size) {
      this.warnings.add(
        `string at 0x${rva.toString(16)} claims ${len} bytes, past the end of the file or absurd`,
      );
      return '';
    }
    const b = this.source.bytes(rva + 4, len & ~1);
    return new TextDecoder('utf-16le').decode(b);
  }

  private parseSystemInfo(v: View, e: StreamEntry): void {
    if (v.b.length < 32) throw new FormatError(FMT, e.rva, `SystemInfo is ${v.b.length} bytes, expected 56`);
    const arch = v.u16(0);
    const platformId = v.u32(20);
    this.systemInfo = {
      processorArchitecture: arch,
      archName: ARCH_NAMES[arch] ?? `0x${arch.toString(16)}`,
      processorLevel: v.u16(2),
      processorRevision: v.u16(4),
      numberOfProcessors: v.u8(6),
      productType: v.u8(7),
      majorVersion: v.u32(8),
      minorVersion: v.u32(12),
      buildNumber: v.u32(16),
      platformId,
      platformName: PLATFORM_NAMES[platformId] ?? `0x${platformId.toString(16)}`,
      csdVersion: this.string(v.u32(24)),
      suiteMask: v.u16(28),
      isWindows: platformId <= 2,
    };
    const bits = ARCH_BITS[arch];
    if (bits) this.pointerSize = bits === 64 ? 8 : 4;
  }

  /** Lists start with a u32 count; some writers pad it to 8 bytes, which shows as 4 spare bytes before the entries. */
  private listStart(v: View, count: number, entry: number): number {
    return v.b.length === 8 + count * entry ? 8 : 4;
  }

  private boundedCount(v: View, declared: number, start: number, entry: number, what: string): number {
    const fits = Math.max(0, Math.floor((v.b.length - start) / entry));
    if (declared > fits) {
      this.warnings.add(
        `${what}: ${declared} entries declared but the stream holds ${fits}; reading ${fits}`,
      );
      return fits;
    }
    return declared;
  }

  private parseModules(v: View, e: StreamEntry): void {
    const declared = v.u32(0);
    const start = this.listStart(v, declared, 108);
    const n = this.boundedCount(v, declared, start, 108, 'ModuleList');
    for (let i = 0; i < n; i++) {
      const o = start + i * 108;
      const ms = v.u32(o + 24 + 8);
      const ls = v.u32(o + 24 + 12);
      const fileVersion =
        v.u32(o + 24) === 0xfeef04bd ? `${ms >>> 16}.${ms & 0xffff}.${ls >>> 16}.${ls & 0xffff}` : '';
      this.modules.push({
        base: this.addr(v, o),
        size: v.u32(o + 8),
        checksum: v.u32(o + 12),
        timeDateStamp: v.u32(o + 16),
        name: this.string(v.u32(o + 20)),
        fileVersion,
        codeView: this.codeView(v.u32(o + 76), v.u32(o + 80), e.rva + o + 76),
      });
    }
  }

  private codeView(size: number, rva: number, at: number): CodeViewRecord | null {
    if (size === 0) return null;
    if (size > MAX_STRING_BYTES || rva + size > this.source.size || size < 4) {
      this.warnings.add(
        `CodeView record (${size} bytes at 0x${rva.toString(16)}, entry at 0x${at.toString(16)}) is out of bounds`,
      );
      return null;
    }
    const v = new View(this.source.bytes(rva, size));
    const sig = v.u32(0);
    const cstr = (from: number) => {
      const s = v.b.subarray(from);
      const z = s.indexOf(0);
      return new TextDecoder().decode(z < 0 ? s : s.subarray(0, z));
    };
    if (sig === 0x53445352 && size >= 24) {
      const h = (o: number, n: number) => {
        let s = '';
        for (let i = n - 1; i >= 0; i--)
          s += v
            .u8(o + i)
            .toString(16)
            .padStart(2, '0');
        return s;
      };
      let d4 = '';
      for (let i = 8; i < 16; i++)
        d4 += v
          .u8(4 + i)
          .toString(16)
          .padStart(2, '0');
      const guid = `${h(4, 4)}-${h(8, 2)}-${h(10, 2)}-${d4.slice(0, 4)}-${d4.slice(4)}`.toUpperCase();
      const age = v.u32(20);
      return {
        kind: 'RSDS',
        guid,
        age,
        pdbName: cstr(24),
        id: `${guid.replace(/-/g, '')}${age.toString(16).toUpperCase()}`,
      };
    }
    if (sig === 0x3031424e && size >= 16)
      return { kind: 'NB10', signature: v.u32(8), age: v.u32(12), pdbName: cstr(16) };
    if (sig === 0x4270454c) {
      return {
        kind: 'ELF',
        buildId: Array.from(v.b.subarray(4), (x) => x.toString(16).padStart(2, '0')).join(''),
      };
    }
    return { kind: 'other', signature: sig, size };
  }

  private parseUnloaded(v: View, e: StreamEntry): void {
    const headerSize = v.u32(0);
    const entrySize = v.u32(4);
    const declared = v.u32(8);
    if (headerSize < 12 || entrySize < 24) {
      throw new FormatError(
        FMT,
        e.rva,
        `UnloadedModuleList header ${headerSize}/${entrySize}, expected >= 12/24`,
      );
    }
    const n = this.boundedCount(v, declared, headerSize, entrySize, 'UnloadedModuleList');
    for (let i = 0; i < n; i++) {
      const o = headerSize + i * entrySize;
      this.unloadedModules.push({
        base: this.addr(v, o),
        size: v.u32(o + 8),
        checksum: v.u32(o + 12),
        timeDateStamp: v.u32(o + 16),
        name: this.string(v.u32(o + 20)),
      });
    }
  }

  private parseThreads(v: View): void {
    const declared = v.u32(0);
    const start = this.listStart(v, declared, 48);
    const n = this.boundedCount(v, declared, start, 48, 'ThreadList');
    for (let i = 0; i < n; i++) {
      const o = start + i * 48;
      this.threads.push({
        id: v.u32(o),
        suspendCount: v.u32(o + 4),
        priorityClass: v.u32(o + 8),
        priority: v.u32(o + 12),
        teb: this.addr(v, o + 16),
        stackStart: this.addr(v, o + 24),
        stackSize: v.u32(o + 32),
        stackRva: v.u32(o + 36),
        contextSize: v.u32(o + 40),
        contextRva: v.u32(o + 44),
        name: null,
      });
    }
  }

  private parseThreadNames(v: View): void {
    const n = this.boundedCount(v, v.u32(0), 4, 12, 'ThreadNames');
    for (let i = 0; i < n; i++) {
      const o = 4 + i * 12;
      const id = v.u32(o);
      const rva = v.u64(o + 4);
      const t = this.threads.find((x) => x.id === id);
      if (t && rva < this.source.size) t.name = this.string(rva);
    }
  }

  private addRange(start: number, size: number, rva: number, where: string): void {
    if (!Number.isSafeInteger(start + size) || size > 2 ** 47) {
      this.warnings.add(`${where}: range at 0x${start.toString(16)} of ${size} bytes is absurd; skipped`);
      return;
    }
    if (size === 0) return;
    if (rva >= this.source.size) {
      this.warnings.add(
        `${where}: data of range 0x${start.toString(16)} (${size} bytes) at 0x${rva.toString(16)} lies past the ` +
          `end of the ${this.source.size}-byte file; skipped`,
      );
      return;
    }
    if (rva + size > this.source.size) {
      const have = this.source.size - rva;
      this.warnings.add(
        `${where}: range 0x${start.toString(16)} is cut short by the end of the file: ${have} of ${size} bytes present`,
      );
      size = have;
    }
    this.memoryRanges.push({ start, size, rva });
  }

  private parseMemoryList(v: View, e: StreamEntry): void {
    const declared = v.u32(0);
    const start = this.listStart(v, declared, 16);
    const n = this.boundedCount(v, declared, start, 16, 'MemoryList');
    for (let i = 0; i < n; i++) {
      const o = start + i * 16;
      this.addRange(
        this.addr(v, o),
        v.u32(o + 8),
        v.u32(o + 12),
        `MemoryList entry ${i} at 0x${(e.rva + o).toString(16)}`,
      );
    }
  }

  private parseMemory64List(v: View, e: StreamEntry): void {
    if (v.b.length < 16)
      throw new FormatError(FMT, e.rva, `Memory64List is ${v.b.length} bytes, expected >= 16`);
    const declared = v.u64(0);
    let rva = v.u64(8);
    const n = this.boundedCount(v, Math.min(declared, 2 ** 32), 16, 16, 'Memory64List');
    for (let i = 0; i < n; i++) {
      const o = 16 + i * 16;
      const size = v.u64(o + 8);
      this.addRange(this.addr(v, o), size, rva, `Memory64List entry ${i} at 0x${(e.rva + o).toString(16)}`);
      rva += size;
      if (!Number.isSafeInteger(rva)) break;
    }
  }

  private parseMemoryInfo(v: View, e: StreamEntry): void {
    const headerSize = v.u32(0);
    const entrySize = v.u32(4);
    if (headerSize < 16 || entrySize < 48) {
      throw new FormatError(
        FMT,
        e.rva,
        `MemoryInfoList header ${headerSize}/${entrySize}, expected >= 16/48`,
      );
    }
    const n = this.boundedCount(v, Math.min(v.u64(8), 2 ** 32), headerSize, entrySize, 'MemoryInfoList');
    for (let i = 0; i < n; i++) {
      const o = headerSize + i * entrySize;
      this.memoryInfo.push({
        base: this.addr(v, o),
        allocationBase: this.addr(v, o + 8),
        allocationProtect: v.u32(o + 16),
        size: v.u64(o + 24),
        state: v.u32(o + 32),
        protect: v.u32(o + 36),
        type: v.u32(o + 40),
      });
    }
    // regionAt() binary-searches; dbghelp writes regions in address order, other writers need not.
    this.memoryInfo.sort((a, b) => a.base - b.base);
  }

  private parseHandles(v: View, e: StreamEntry): void {
    const headerSize = v.u32(0);
    const entrySize = v.u32(4);
    if (headerSize < 16 || entrySize < 32) {
      throw new FormatError(FMT, e.rva, `HandleData header ${headerSize}/${entrySize}, expected >= 16/32`);
    }
    const n = this.boundedCount(v, v.u32(8), headerSize, entrySize, 'HandleData');
    // Type names repeat for every handle: decode each distinct string once.
    const names = new Map<number, string>();
    const str = (rva: number) => {
      let t = names.get(rva);
      if (t === undefined) {
        t = this.string(rva);
        names.set(rva, t);
      }
      return t;
    };
    for (let i = 0; i < n; i++) {
      const o = headerSize + i * entrySize;
      this.handles.push({
        handle: v.u64(o),
        typeName: str(v.u32(o + 8)),
        objectName: str(v.u32(o + 12)),
        attributes: v.u32(o + 16),
        grantedAccess: v.u32(o + 20),
        handleCount: v.u32(o + 24),
        pointerCount: v.u32(o + 28),
      });
    }
  }

  private parseException(v: View, e: StreamEntry): void {
    if (v.b.length < 40)
      throw new FormatError(FMT, e.rva, `Exception stream is ${v.b.length} bytes, expected 168`);
    const np = Math.min(v.u32(32), 15);
    const parameters: number[] = [];
    for (let i = 0; i < np; i++) parameters.push(v.u64(40 + i * 8));
    this.exception = {
      threadId: v.u32(0),
      code: v.u32(8),
      flags: v.u32(12),
      address: this.addr(v, 24),
      parameters,
    };
  }

  private parseMiscInfo(v: View): void {
    const flags = v.u32(4);
    const t = v.u32(12);
    this.miscInfo = {
      processId: flags & 1 ? v.u32(8) : null,
      processCreateTime: flags & 2 && t ? new Date(t * 1000).toISOString() : null,
    };
  }

  /** The captured memory as a virtual address space (built once). */
  memory(): MinidumpMemory {
    this.mem ??= new MinidumpMemory(this);
    return this.mem;
  }

  /** The MemoryInfoList region holding `va`, or null (binary search; regions are sorted by the writer). */
  regionAt(va: number): MemoryInfo | null {
    const r = this.memoryInfo;
    let lo = 0;
    let hi = r.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (r[mid]!.base <= va) lo = mid + 1;
      else hi = mid - 1;
    }
    const m = hi >= 0 ? r[hi]! : null;
    return m && va < m.base + m.size ? m : null;
  }

  close(): void {
    this.source.close();
  }
}

/** True when the bytes start with the minidump signature. */
export function isMinidump(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x4d && head[1] === 0x44 && head[2] === 0x4d && head[3] === 0x50;
}

registerContainer({
  name: 'minidump',
  matches: isMinidump,
  open: (file) => {
    file.close();
    throw new MemdigError(
      `${file.path || 'input'} is a Windows user-mode minidump (one process's virtual memory, not physical ` +
        'memory): open it with openDump() or the Minidump API',
    );
  },
});
