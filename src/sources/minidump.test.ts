import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sharedPath, skipWithoutShared } from '../testing/shared.js';
import { newPteInfo, PageState, PteFlag } from '../translate/types.js';
import { FormatError, MemdigError } from '../util/errors.js';
import { BytesReader, RangeReader } from './file-reader.js';
import { openDump, openPhysical } from './index.js';
import { MemType, Minidump, memTypeName, protectName, StreamType } from './minidump.js';

/** Lays out a minidump: header, directory, then each stream and blob appended in order. */
class Builder {
  private parts: Uint8Array[] = [];
  private size = 0;
  readonly dir: { type: number; size: number; rva: number }[] = [];
  constructor(private readonly nStreams: number) {
    this.size = 32 + nStreams * 12;
  }
  /** Appends bytes and returns their RVA. */
  blob(b: Uint8Array): number {
    const rva = this.size;
    this.parts.push(b);
    this.size += b.length;
    return rva;
  }
  str(s: string): number {
    const u = Buffer.from(s, 'utf16le');
    const b = new Uint8Array(4 + u.length + 2);
    new DataView(b.buffer).setUint32(0, u.length, true);
    b.set(u, 4);
    return this.blob(b);
  }
  stream(type: number, b: Uint8Array): void {
    this.dir.push({ type, size: b.length, rva: this.blob(b) });
  }
  build(): Uint8Array {
    const head = new Uint8Array(32 + this.nStreams * 12);
    const dv = new DataView(head.buffer);
    dv.setUint32(0, 0x504d444d, true);
    dv.setUint32(4, 0xa793, true);
    dv.setUint32(8, this.nStreams, true);
    dv.setUint32(12, 32, true);
    dv.setUint32(20, 1700000000, true);
    this.dir.forEach((d, i) => {
      dv.setUint32(32 + i * 12, d.type, true);
      dv.setUint32(36 + i * 12, d.size, true);
      dv.setUint32(40 + i * 12, d.rva, true);
    });
    return Buffer.concat([head, ...this.parts]);
  }
}

function le(fields: [number, 1 | 2 | 4 | 8][]): Uint8Array {
  const b = new Uint8Array(fields.reduce((a, f) => a + f[1], 0));
  const dv = new DataView(b.buffer);
  let o = 0;
  for (const [v, n] of fields) {
    if (n === 1) dv.setUint8(o, v);
    else if (n === 2) dv.setUint16(o, v, true);
    else if (n === 4) dv.setUint32(o, v, true);
    else {
      dv.setUint32(o, v % 2 ** 32, true);
      dv.setUint32(o + 4, Math.floor(v / 2 ** 32), true);
    }
    o += n;
  }
  return b;
}

/** A small x64 Windows process: one module, one thread, MemoryList + Memory64List ranges, three regions. */
function sample(): Uint8Array {
  const b = new Builder(6);
  const csd = b.str('Service Pack 9');
  b.stream(
    StreamType.SystemInfo,
    Buffer.concat([
      le([
        [9, 2],
        [6, 2],
        [0, 2],
        [4, 1],
        [1, 1],
        [10, 4],
        [0, 4],
        [19041, 4],
        [2, 4],
        [csd, 4],
        [0x100, 2],
        [0, 2],
      ]),
      new Uint8Array(24),
    ]),
  );
  const name = b.str('C:\\Windows\\System32\\evil.dll');
  const cv = b.blob(
    Buffer.concat([
      Buffer.from('RSDS'),
      Buffer.from([0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde, 1, 2, 3, 4, 5, 6, 7, 8]),
      le([[3, 4]]),
      Buffer.from('evil.pdb\0'),
    ]),
  );
  const vs = le([
    [0xfeef04bd, 4],
    [0x10000, 4],
    [0x000a0000, 4],
    [0x4a610001, 4],
  ]);
  b.stream(
    StreamType.ModuleList,
    Buffer.concat([
      le([
        [1, 4],
        [0x7ff612340000, 8],
        [0x5000, 4],
        [0xabcd, 4],
        [1600000000, 4],
        [name, 4],
      ]),
      vs,
      new Uint8Array(52 - 16),
      le([
        [33, 4],
        [cv, 4],
      ]),
      new Uint8Array(8 + 16),
    ]),
  );
  b.stream(
    StreamType.ThreadList,
    le([
      [1, 4],
      [0x1234, 4],
      [0, 4],
      [0x20, 4],
      [0, 4],
      [0x7ff000, 8],
      [0x10000, 8],
      [0x100, 4],
      [0, 4],
      [0, 4],
      [0, 4],
    ]),
  );
  // MemoryList: two ranges adjacent in the address space (0x10000..0x10200), data in separate blobs.
  const d1 = b.blob(new Uint8Array(0x100).fill(0x11));
  b.blob(new Uint8Array(7));
  const d2 = b.blob(new Uint8Array(0x100).fill(0x22));
  b.stream(
    StreamType.MemoryList,
    le([
      [2, 4],
      [0x10000, 8],
      [0x100, 4],
      [d1, 4],
      [0x10100, 8],
      [0x100, 4],
      [d2, 4],
    ]),
  );
  // Memory64List: data of both ranges laid out back to back from BaseRva (set below once known).
  const m64 = le([
    [2, 8],
    [0, 8],
    [0x20000, 8],
    [0x1000, 8],
    [0x7ff612340000, 8],
    [0x1000, 8],
  ]);
  b.stream(StreamType.Memory64List, m64);
  b.stream(
    StreamType.MemoryInfoList,
    Buffer.concat([
      le([
        [16, 4],
        [48, 4],
        [3, 8],
      ]),
      le([
        [0x10000, 8],
        [0x10000, 8],
        [4, 4],
        [0, 4],
        [0x1000, 8],
        [0x1000, 4],
        [4, 4],
        [MemType.Private, 4],
        [0, 4],
      ]),
      le([
        [0x20000, 8],
        [0x20000, 8],
        [2, 4],
        [0, 4],
        [0x2000, 8],
        [0x1000, 4],
        [2, 4],
        [MemType.Mapped, 4],
        [0, 4],
      ]),
      le([
        [0x7ff612340000, 8],
        [0x7ff612340000, 8],
        [0x80, 4],
        [0, 4],
        [0x5000, 8],
        [0x1000, 4],
        [0x20, 4],
        [MemType.Image, 4],
        [0, 4],
      ]),
    ]),
  );
  const base = b.blob(
    Buffer.concat([new Uint8Array(0x1000).fill(0x33), Buffer.from('MZ'), new Uint8Array(0xffe)]),
  );
  const out = b.build();
  const m64rva = b.dir.find((d) => d.type === StreamType.Memory64List)!.rva;
  new DataView(out.buffer, out.byteOffset).setUint32(m64rva + 8, base, true);
  return out;
}

test('minidump: streams, system info, modules with CodeView, threads, memory info', () => {
  const m = Minidump.fromBytes(sample());
  assert.deepEqual(
    m.streams.map((s) => s.name),
    ['SystemInfo', 'ModuleList', 'ThreadList', 'MemoryList', 'Memory64List', 'MemoryInfoList'],
  );
  const si = m.systemInfo!;
  assert.equal(si.archName, 'AMD64');
  assert.equal(`${si.majorVersion}.${si.minorVersion}.${si.buildNumber}`, '10.0.19041');
  assert.equal(si.csdVersion, 'Service Pack 9');
  assert.equal(si.isWindows, true);
  assert.equal(m.pointerSize, 8);
  const mod = m.modules[0]!;
  assert.equal(mod.base, 0x7ff612340000);
  assert.equal(mod.size, 0x5000);
  assert.equal(mod.name, 'C:\\Windows\\System32\\evil.dll');
  assert.equal(mod.fileVersion, '10.0.19041.1');
  assert.deepEqual(mod.codeView, {
    kind: 'RSDS',
    guid: '12345678-9ABC-DEF0-0102-030405060708',
    age: 3,
    pdbName: 'evil.pdb',
    id: '123456789ABCDEF001020304050607083',
  });
  assert.equal(m.threads[0]!.id, 0x1234);
  assert.equal(m.threads[0]!.stackStart, 0x10000);
  assert.equal(m.memoryInfo.length, 3);
  assert.equal(memTypeName(m.regionAt(0x20fff)!.type), 'mapped');
  assert.equal(memTypeName(m.regionAt(0x7ff612344fff)!.type), 'image');
  assert.equal(protectName(m.regionAt(0x10000)!.protect), 'RW');
  assert.equal(protectName(0x104), 'RW+GUARD');
  assert.equal(m.regionAt(0x30000), null);
  assert.deepEqual(m.warnings.items, []);
});

test('minidump: memory reads span ranges, holes are zero-filled and reported, translate gives file offsets', () => {
  const bytes = sample();
  const m = Minidump.fromBytes(bytes);
  const mem = m.memory();
  assert.equal(mem.arch, 'x64');
  assert.deepEqual(mem.ranges, [
    { start: 0x10000, end: 0x10200 },
    { start: 0x20000, end: 0x21000 },
    { start: 0x7ff612340000, end: 0x7ff612341000 },
  ]);
  const dst = new Uint8Array(0x20);
  assert.equal(mem.read(0x100f0, dst, 0, 0x20), 0x20);
  assert.deepEqual([...dst.subarray(0x0e, 0x12)], [0x11, 0x11, 0x22, 0x22]);
  dst.fill(0xee);
  assert.equal(mem.read(0x101f0, dst, 0, 0x20), 0x10);
  assert.equal(mem.lastMissing, 0x10);
  assert.equal(mem.readU64AsNumber(0x7ff612340000), 0x5a4d);
  assert.equal(mem.readU64AsNumber(0x10000), -1, '0x1111111111111111 is not canonical');
  assert.equal(mem.lastMissing, 0x10, 'pointer reads leave lastMissing of the last bulk read alone');
  assert.deepEqual([...dst.subarray(0x0f, 0x11)], [0x22, 0]);
  assert.equal(mem.readU32(0x7ff612340000) & 0xffff, 0x5a4d);
  const info = newPteInfo();
  const off = mem.translate(0x10105, info);
  assert.equal(info.state, PageState.Valid);
  assert.equal(info.phys, off);
  assert.equal(bytes[off], 0x22);
  assert.equal(info.flags, PteFlag.User | PteFlag.Writable | PteFlag.NoExecute, 'RW private region');
  mem.translate(0x7ff612340010, info);
  assert.equal(info.flags, PteFlag.User, 'RX image region: executable, read-only');
  assert.equal(mem.translate(0x30000, info), -1);
  assert.equal(info.state, PageState.Unmapped);
  assert.equal(info.phys, -1);
});

test('minidump: parses from a byte range inside a larger source (carved from an image)', () => {
  const md = sample();
  const image = new Uint8Array(0x3000 + md.length + 0x100);
  image.set(md, 0x3000);
  const m = new Minidump(new RangeReader(new BytesReader(image), 0x3000, md.length));
  assert.equal(m.modules[0]!.name, 'C:\\Windows\\System32\\evil.dll');
  assert.equal(m.memory().readU32(0x20000), 0x33333333);
  assert.deepEqual(m.warnings.items, []);
});

test('minidump: openPhysical refuses it with a pointer to the minidump API; openDump returns it', () => {
  const p = join(mkdtempSync(join(tmpdir(), 'memdig-mdmp-')), 'proc.dmp');
  writeFileSync(p, sample());
  assert.throws(
    () => openPhysical(p),
    (e: unknown) =>
      e instanceof MemdigError && /user-mode minidump .* openDump\(\) or the Minidump API/.test(e.message),
  );
  const d = openDump(p);
  assert.equal(d.kind, 'process');
  if (d.kind === 'process') {
    assert.equal(d.minidump.modules.length, 1);
    d.minidump.close();
  }
});

test('minidump: broken header and directory are errors naming the offset', () => {
  const good = sample();
  const copy = () => new Uint8Array(good);
  assert.throws(() => Minidump.fromBytes(good.subarray(0, 20)), /offset 0x0: file is 20 bytes/);
  const badSig = copy();
  badSig[0] = 0x4e;
  assert.throws(() => Minidump.fromBytes(badSig), /offset 0x0: signature 0x504d444e, expected 'MDMP'/);
  const farDir = copy();
  new DataView(farDir.buffer).setUint32(12, good.length - 10, true);
  assert.throws(
    () => Minidump.fromBytes(farDir),
    (e: unknown) =>
      e instanceof FormatError &&
      /offset 0xc: stream directory \(6 entries .* runs past the end/.test(e.message),
  );
  const many = copy();
  new DataView(many.buffer).setUint32(8, 1e6, true);
  assert.throws(() => Minidump.fromBytes(many), /offset 0x8: 1000000 streams is absurd/);
});

test('minidump: damaged streams and ranges become warnings; the rest still parses', () => {
  const bytes = sample();
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  const m0 = Minidump.fromBytes(bytes);
  const ml = m0.streams.find((s) => s.type === StreamType.MemoryList)!;
  const modl = m0.streams.find((s) => s.type === StreamType.ModuleList)!;
  dv.setUint32(ml.rva + 4 + 12, bytes.length + 100, true); // first range's data beyond the end of the file
  dv.setUint32(ml.rva + 16 + 4 + 12, bytes.length - 0x40, true); // second range cut short by the end of the file
  dv.setUint32(modl.rva, 5, true); // five modules declared, one present
  const m = Minidump.fromBytes(bytes);
  const w = m.warnings.items.join('\n');
  assert.match(w, /ModuleList: 5 entries declared but the stream holds 1/);
  assert.match(w, /MemoryList entry 0 at 0x[0-9a-f]+: data of range 0x10000 .* past the end/);
  assert.match(w, /MemoryList entry 1 .* cut short by the end of the file: 64 of 256 bytes present/);
  assert.equal(m.modules.length, 1);
  assert.deepEqual(
    m.memoryRanges.map((r) => [r.start, r.size]),
    [
      [0x10100, 64],
      [0x20000, 0x1000],
      [0x7ff612340000, 0x1000],
    ],
  );
  // A stream whose extent runs past the file is reported with its directory entry.
  const trunc = sample().subarray(0, modl.rva + 50);
  const mt = Minidump.fromBytes(trunc);
  assert.match(
    mt.warnings.items.join('\n'),
    /ModuleList stream \(112 bytes at 0x[0-9a-f]+\) runs past the end .*\(directory entry 1 at 0x2c\)/,
  );
});

const corpus = (f: string) => sharedPath('corpus', 'minidump', f)!;
const skip = skipWithoutShared('corpus/minidump/breakpad__minidump2.dmp');

test('minidump: every real minidump in the corpus parses or fails clearly', { skip }, () => {
  const dir = sharedPath('corpus', 'minidump')!;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.dmp'))) {
    if (f === 'rustmd__invalid-range.dmp') {
      // Fuzzed header: the directory RVA (2) points into the header itself.
      assert.throws(
        () => Minidump.open(join(dir, f)),
        /offset 0xc: stream directory at 0x2 overlaps the 32-byte header/,
      );
      continue;
    }
    const m = Minidump.open(join(dir, f));
    assert.ok(m.streams.length > 0, f);
    m.memory();
    m.close();
  }
});

test('minidump: breakpad minidump2 (Windows XP SP2 x86) by hand-checked values', { skip }, () => {
  const m = Minidump.open(corpus('breakpad__minidump2.dmp'));
  assert.deepEqual(
    m.streams.map((s) => s.name),
    ['ThreadList', 'ModuleList', 'MemoryList', 'Exception', 'SystemInfo', 'MiscInfo', 'BreakpadInfo'],
  );
  assert.equal(m.systemInfo!.archName, 'x86');
  assert.equal(m.systemInfo!.buildNumber, 2600);
  assert.equal(m.systemInfo!.csdVersion, 'Service Pack 2');
  assert.equal(m.pointerSize, 4);
  assert.equal(m.modules.length, 13);
  assert.equal(m.modules[0]!.name, 'c:\\test_app.exe');
  assert.equal(m.modules[0]!.base, 0x400000);
  assert.equal(m.modules[0]!.size, 184320);
  assert.equal(m.modules[0]!.timeDateStamp, 1171480428);
  assert.equal(
    m.modules[0]!.codeView?.kind === 'RSDS' && m.modules[0]!.codeView.guid,
    '5A9832E5-2872-41C1-838E-D98914E9B7FF',
  );
  assert.equal(m.modules[12]!.name, 'C:\\WINDOWS\\system32\\psapi.dll');
  assert.equal(m.modules[12]!.base, 0x76bf0000);
  assert.deepEqual(
    m.memoryRanges.map((r) => [r.start, r.size, r.rva]),
    [
      [0x7c90eb14, 256, 0x1539],
      [0x12f31c, 3300, 0x1639],
      [0x97f6e8, 2328, 0x231d],
    ],
  );
  const b = new Uint8Array(8);
  assert.equal(m.memory().read(0x7c90eb14, b, 0, 8), 8);
  assert.equal(Buffer.from(b).toString('hex'), 'ff83c4ec890424c7');
  assert.equal(m.exception!.code, 0xc0000005);
  assert.equal(m.exception!.address, 0x40429e);
  assert.equal(m.miscInfo!.processId, 3932);
  assert.equal(m.threads.length, 2);
  assert.deepEqual(m.warnings.items, []);
  m.close();
});

test('minidump: dbghelp dump with MemoryInfoList (557 regions, mapped and image views)', { skip }, () => {
  const m = Minidump.open(corpus('breakpad__tiny-exe-with-cet-xsave.dmp'));
  assert.equal(m.memoryInfo.length, 557);
  const byType = new Map<string, number>();
  for (const r of m.memoryInfo) byType.set(memTypeName(r.type), (byType.get(memTypeName(r.type)) ?? 0) + 1);
  assert.deepEqual(Object.fromEntries(byType), { '': 127, private: 217, mapped: 62, image: 151 });
  const r = m.regionAt(0x2a658330000)!;
  assert.equal(r.size, 0x10000);
  assert.equal(memTypeName(r.type), 'mapped');
  assert.equal(protectName(r.protect), 'RW');
  assert.equal(m.memoryRanges.length, 65);
  assert.equal(m.memory().capturedBytes, 50800);
  assert.equal(m.unloadedModules.length, 1);
  assert.equal(m.systemInfo!.buildNumber, 22000);
  // HandleData: 147 handles; this writer recorded types but no object names.
  assert.equal(m.handles.length, 147);
  assert.equal(m.handles.filter((h) => h.typeName === 'File').length, 11);
  assert.equal(m.handles.filter((h) => h.typeName === 'Section').length, 31);
  assert.deepEqual(
    m.handles
      .filter((h) => h.typeName === 'File')
      .slice(0, 2)
      .map((h) => [h.handle, h.grantedAccess]),
    [
      [0x4, 0x12019f],
      [0x4c, 0x100020],
    ],
  );
  m.close();
});

test('minidump: calc.exe (Windows 7 x64) module versions; non-Windows and truncated dumps warn', {
  skip,
}, () => {
  const calc = Minidump.open(corpus('r2__calc.dmp'));
  assert.equal(calc.modules.length, 28);
  assert.equal(calc.modules[0]!.name, 'C:\\Windows\\System32\\calc.exe');
  assert.equal(calc.modules[0]!.fileVersion, '6.1.7600.16385');
  assert.ok(calc.streams.some((s) => s.name === 'Token'));
  calc.close();

  const linux = Minidump.open(corpus('rustmd__linux-mini.dmp'));
  assert.equal(linux.systemInfo!.platformName, 'Linux');
  assert.match(linux.warnings.items.join(), /not a Windows process dump \(platform Linux\)/);
  assert.equal(linux.modules[0]!.name, '/work/linux/build/crash');
  assert.equal(linux.modules[0]!.codeView?.kind, 'ELF');
  assert.equal(linux.memoryRanges.length, 2);
  linux.close();

  const trunc = Minidump.open(corpus('r2__trunc_memory64.dmp'));
  assert.deepEqual(
    trunc.streams.map((s) => s.name),
    ['Memory64List'],
  );
  assert.equal(trunc.memoryRanges.length, 0);
  assert.match(trunc.warnings.items.join(), /Memory64List: 1 entries declared but the stream holds 0/);
  trunc.close();
});
