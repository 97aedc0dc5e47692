import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sharedPath, skipWithoutShared } from '../testing/shared.js';
import { FormatError, MemdigError } from '../util/errors.js';
import { CrashDumpMemory, openCrashDump } from './crashdump.js';
import { parseCrashDumpHeader } from './crashdump-header.js';
import { BytesReader, FileReader } from './file-reader.js';
import { openPhysical } from './index.js';

const PAGE = 4096;

function setU64(dv: DataView, o: number, v: number): void {
  dv.setUint32(o, v % 2 ** 32, true);
  dv.setUint32(o + 4, Math.floor(v / 2 ** 32), true);
}

/** A 'PAGE'-filled header with the fields memdig reads set to recognisable values. */
function header(bits: 32 | 64, dumpType: number, runs: [number, number][] = []): Uint8Array {
  const size = bits === 64 ? 0x2000 : 0x1000;
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  for (let o = 0; o < size; o += 4) dv.setUint32(o, 0x45474150, true);
  b.set(new TextEncoder().encode(bits === 64 ? 'PAGEDU64' : 'PAGEDUMP'), 0);
  dv.setUint32(8, 0xf, true);
  dv.setUint32(12, bits === 64 ? 19041 : 2600, true);
  const pages = runs.reduce((a, r) => a + r[1], 0);
  if (bits === 64) {
    setU64(dv, 0x10, 0x1ad000);
    dv.setUint32(0x20, 0x1ec422b0, true);
    dv.setUint32(0x24, 0xfffff807, true);
    dv.setUint32(0x28, 0x1ec360a0, true);
    dv.setUint32(0x2c, 0xfffff807, true);
    dv.setUint32(0x30, 0x8664, true);
    dv.setUint32(0x34, 2, true);
    dv.setUint32(0x38, 0xd1, true);
    setU64(dv, 0x40, 1);
    dv.setUint32(0x48, 0x12345678, true);
    dv.setUint32(0x4c, 0xfffff807, true);
    dv.setUint32(0x80, 0xc480b080, true);
    dv.setUint32(0x84, 0xffffc509, true);
    dv.setUint32(0x88, runs.length, true);
    setU64(dv, 0x90, pages);
    runs.forEach(([base, count], i) => {
      setU64(dv, 0x98 + i * 16, base);
      setU64(dv, 0xa0 + i * 16, count);
    });
    dv.setUint32(0xf98, dumpType, true);
    setU64(dv, 0xfa8, 0x01db1ca65d8b2600);
  } else {
    dv.setUint32(0x10, 0x39000, true);
    dv.setUint32(0x18, 0x8055a420, true);
    dv.setUint32(0x1c, 0x8055b158, true);
    dv.setUint32(0x20, 0x14c, true);
    dv.setUint32(0x24, 1, true);
    dv.setUint32(0x28, 0x7e, true);
    b[0x5c] = 1;
    dv.setUint32(0x60, 0x80545ae0, true);
    dv.setUint32(0x64, runs.length, true);
    dv.setUint32(0x68, pages, true);
    runs.forEach(([base, count], i) => {
      dv.setUint32(0x6c + i * 8, base, true);
      dv.setUint32(0x70 + i * 8, count, true);
    });
    dv.setUint32(0xf88, dumpType, true);
    setU64(dv, 0xfc0, 0x01db1ca65d8b2600);
  }
  return b;
}

/** Page `i` of the stored data: its first u32 is a marker. */
function pages(markers: number[]): Uint8Array {
  const b = new Uint8Array(markers.length * PAGE);
  const dv = new DataView(b.buffer);
  markers.forEach((m, i) => {
    dv.setUint32(i * PAGE, m, true);
  });
  return b;
}

/** Summary ('FDMP'/'SDMP') header plus bitmap at `at`, first page at the next page boundary. */
function summary(setBits: number[], totalBits: number, sig = 'FDMP', declared = setBits.length): Uint8Array {
  const bitmapBytes = Math.ceil(totalBits / 8);
  const first = Math.ceil((0x2000 + 0x38 + bitmapBytes) / PAGE) * PAGE;
  const b = new Uint8Array(first - 0x2000);
  const dv = new DataView(b.buffer);
  b.set(new TextEncoder().encode(`${sig}DUMP`), 0);
  setU64(dv, 0x20, first);
  setU64(dv, 0x28, declared);
  setU64(dv, 0x30, totalBits);
  for (const bit of setBits) b[0x38 + (bit >> 3)]! |= 1 << (bit & 7);
  return b;
}

test('crashdump: 64-bit full dump maps PHYSICAL_MEMORY_DESCRIPTOR runs and exposes header fields', () => {
  const bytes = Buffer.concat([
    header(64, 1, [
      [1, 2],
      [0x100, 1],
    ]),
    pages([0xa1, 0xa2, 0xb1]),
  ]);
  const p = join(mkdtempSync(join(tmpdir(), 'memdig-dmp-')), 'MEMORY.DMP');
  const fd = openSync(p, 'w');
  writeSync(fd, bytes);
  closeSync(fd);
  const m = openPhysical(p) as CrashDumpMemory;
  assert.ok(m instanceof CrashDumpMemory);
  assert.equal(m.format, 'crashdump64');
  assert.deepEqual(m.ranges, [
    { start: 0x1000, end: 0x3000 },
    { start: 0x100000, end: 0x101000 },
  ]);
  assert.equal(m.readU32(0x1000), 0xa1);
  assert.equal(m.readU32(0x2000), 0xa2);
  assert.equal(m.readU32(0x100000), 0xb1);
  assert.equal(m.readU32(0x3000), -1);
  const h = m.header;
  assert.equal(h.bits, 64);
  assert.equal(h.minorVersion, 19041);
  assert.equal(h.directoryTableBase, 0x1ad000);
  assert.equal(h.psLoadedModuleList, 0xf8071ec422b0);
  assert.equal(h.psActiveProcessHead, 0xf8071ec360a0);
  assert.equal(h.kdDebuggerDataBlock, 0xc509c480b080);
  assert.equal(h.machineImageType, 0x8664);
  assert.equal(h.numberProcessors, 2);
  assert.equal(h.bugCheckCode, 0xd1);
  assert.deepEqual(
    h.bugCheckParameters,
    // Parameters 3 and 4 were never written: they keep the kernel's 'PAGE' fill.
    ['0x1', '0xfffff80712345678', '0x4547415045474150', '0x4547415045474150'],
  );
  assert.equal(h.dumpType, 1);
  assert.equal(h.systemTime, '2024-10-12T12:57:59.711Z');
  assert.equal(m.meta.PsActiveProcessHead, '0xfffff8071ec360a0');
  assert.equal(m.meta.KdDebuggerDataBlock, '0xffffc509c480b080');
  assert.equal(m.meta.DirectoryTableBase, '0x1ad000');
  assert.equal(m.meta.machine, '0x8664 AMD64');
  assert.deepEqual(m.warnings, []);
  m.close();
});

test('crashdump: 32-bit PAE full dump', () => {
  const m = openCrashDump(
    new BytesReader(
      Buffer.concat([
        header(32, 1, [
          [0, 1],
          [0x10, 2],
        ]),
        pages([1, 2, 3]),
      ]),
    ),
  );
  assert.equal(m.format, 'crashdump32');
  assert.deepEqual(m.ranges, [
    { start: 0, end: 0x1000 },
    { start: 0x10000, end: 0x12000 },
  ]);
  assert.equal(m.readU32(0x11000), 3);
  assert.equal(m.header.paeEnabled, true);
  assert.equal(m.header.psActiveProcessHead, 0x8055b158);
  assert.equal(m.header.kdDebuggerDataBlock, 0x80545ae0);
  assert.equal(m.header.bugCheckCode, 0x7e);
  assert.equal(m.header.systemTime, '2024-10-12T12:57:59.711Z');
  assert.equal(m.meta.paeEnabled, 'true');
});

test('crashdump: a truncated full dump keeps the pages present and warns', () => {
  const bytes = Buffer.concat([header(64, 1, [[1, 4]]), pages([1, 2, 3, 4])]);
  const m = openCrashDump(new BytesReader(bytes.subarray(0, 0x2000 + 2 * PAGE + 100)));
  assert.deepEqual(m.ranges, [{ start: 0x1000, end: 0x3064 }]);
  assert.match(m.warnings.join('\n'), /truncated dump/);
});

test('crashdump: absurd descriptor values are errors naming the offset', () => {
  const h = header(64, 1, [[1, 1]]);
  new DataView(h.buffer).setUint32(0x88, 500, true);
  assert.throws(
    () => openCrashDump(new BytesReader(h)),
    (e: unknown) => e instanceof FormatError && /offset 0x88: NumberOfRuns 500 does not fit/.test(e.message),
  );
  const h2 = header(64, 1, [[2 ** 45, 1]]);
  assert.throws(() => openCrashDump(new BytesReader(h2)), /offset 0x98: run 0 .* beyond 2\^52/);
  assert.throws(
    () => openCrashDump(new BytesReader(header(64, 1).subarray(0, 0x800))),
    /header is 2048 bytes/,
  );
  const h3 = header(64, 0x33);
  assert.throws(() => openCrashDump(new BytesReader(h3)), /offset 0xf98: DumpType 51, expected/);
});

test('crashdump: bitmap dump stores the set pages in frame order', () => {
  const bytes = Buffer.concat([
    header(64, 5),
    summary([1, 2, 5, 40, 41], 48),
    pages([0x11, 0x22, 0x55, 0x400, 0x410]),
  ]);
  const m = openCrashDump(new BytesReader(bytes));
  assert.deepEqual(m.ranges, [
    { start: 0x1000, end: 0x3000 },
    { start: 0x5000, end: 0x6000 },
    { start: 40 * PAGE, end: 42 * PAGE },
  ]);
  assert.equal(m.readU32(0x2000), 0x22);
  assert.equal(m.readU32(0x5000), 0x55);
  assert.equal(m.readU32(41 * PAGE), 0x410);
  assert.equal(m.readU32(0x3000), -1);
  assert.match(String(m.meta.summary), /FDMP, 5 of 48 pages present/);
  assert.deepEqual(m.warnings, []);
});

test('crashdump: 32-bit kernel summary (SDMP) dump with a wrong declared count warns', () => {
  const sum = summary([0, 31, 32], 64, 'SDMP', 7);
  // 32-bit dumps put the summary header right after their 4 KiB header.
  const first = 0x1000 + Math.ceil((0x38 + 8) / PAGE) * PAGE;
  new DataView(sum.buffer).setUint32(0x20, first, true);
  const bytes = Buffer.concat([header(32, 2), sum.subarray(0, first - 0x1000), pages([7, 8, 9])]);
  const m = openCrashDump(new BytesReader(bytes));
  assert.deepEqual(m.ranges, [
    { start: 0, end: PAGE },
    { start: 31 * PAGE, end: 33 * PAGE },
  ]);
  assert.equal(m.readU32(32 * PAGE), 9);
  assert.match(m.warnings.join(), /3 pages set but the summary header declares 7/);
});

test('crashdump: bad summary headers and bitmaps are errors naming the offset', () => {
  const bad = summary([1], 8);
  bad[0] = 0x58;
  assert.throws(
    () => openCrashDump(new BytesReader(Buffer.concat([header(64, 5), bad]))),
    /offset 0x2000: summary header signature .* expected 'SDMP' or 'FDMP'/,
  );
  const early = summary([1], 8);
  new DataView(early.buffer).setUint32(0x20, 0x2010, true);
  assert.throws(
    () => openCrashDump(new BytesReader(Buffer.concat([header(64, 5), early]))),
    /offset 0x2020: first page offset 0x2010 must be page-aligned and after/,
  );
  const huge = summary([1], 8);
  new DataView(huge.buffer).setUint32(0x34, 0x100000, true);
  assert.throws(
    () => openCrashDump(new BytesReader(Buffer.concat([header(64, 5), huge]))),
    /offset 0x2030: bitmap of .* absurd/,
  );
  const big = summary([1], 8 * 0x3000);
  assert.throws(
    () => openCrashDump(new BytesReader(Buffer.concat([header(64, 5), big.subarray(0, 0x100)]))),
    /file ends inside the page bitmap/,
  );
});

test('crashdump: triage, header-only and RDMP dumps are refused with a clear message', () => {
  for (const [t, re] of [
    [4, /triage \(small memory dump\): it holds no physical memory/],
    [3, /header only: it holds no physical memory/],
    [8, /kernel memory dump \(RDMP\) .* not supported yet/],
  ] as const) {
    assert.throws(
      () => openCrashDump(new BytesReader(header(64, t))),
      (e: unknown) => e instanceof MemdigError && re.test(e.message),
    );
  }
});

test('crashdump: half a million bitmap runs stay compact', () => {
  // 2^20 page frames, every other one present: 524288 runs over a sparse 2 GiB file.
  const bitsTotal = 1 << 20;
  const sum = summary([], bitsTotal, 'FDMP', bitsTotal / 2);
  sum.fill(0x55, 0x38, 0x38 + bitsTotal / 8);
  const dir = mkdtempSync(join(tmpdir(), 'memdig-bmp-'));
  const p = join(dir, 'big.dmp');
  const fd = openSync(p, 'w');
  writeSync(fd, header(64, 5));
  writeSync(fd, sum, 0, sum.length, 0x2000);
  ftruncateSync(fd, 0x2000 + sum.length + (bitsTotal / 2) * PAGE);
  closeSync(fd);
  try {
    // Typed arrays live outside the JS heap: count both.
    const used = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const before = used();
    const m = openCrashDump(new FileReader(p));
    const grown = used() - before;
    assert.equal(m.segmentCount, bitsTotal / 2);
    assert.ok(m.isPresent(0) && !m.isPresent(PAGE) && m.isPresent(2 * PAGE));
    assert.equal(m.fileOffsetOf(4 * PAGE), 0x2000 + sum.length + 2 * PAGE);
    // Three Float64Arrays (24 bytes a run) plus growth slack; an object per run would be ~100 bytes.
    assert.ok(grown < 64 * (bitsTotal / 2), `heap grew ${grown} bytes`);
    m.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('crashdump: the real PAGEDU64 header (16 KiB of a build 19045 dump) parses', {
  skip: skipWithoutShared('corpus/minidump/imhex__dmp64_PAGEDU64_header.bin'),
}, () => {
  const path = sharedPath('corpus', 'minidump', 'imhex__dmp64_PAGEDU64_header.bin')!;
  const m = openPhysical(path) as CrashDumpMemory;
  const h = m.header;
  assert.equal(m.format, 'crashdump64');
  assert.equal(h.majorVersion, 0xf);
  assert.equal(h.minorVersion, 19045);
  assert.equal(h.directoryTableBase, 0x1ad002);
  assert.equal(h.pfnDataBase, 0xec0000000000);
  assert.equal(h.psLoadedModuleList, 0xf8071ec422b0);
  assert.equal(h.psActiveProcessHead, 0xf8071ec360a0);
  assert.equal(h.machineImageType, 0x8664);
  assert.equal(h.numberProcessors, 4);
  // The header's bug-check fields hold ASCII ('MATT', 'MOON', 'SOLS'): an edited or test dump.
  assert.equal(h.bugCheckCode, 0x5454414d);
  assert.deepEqual(h.bugCheckParameters, ['0x4e4f4f4d', '0x534c4f53', '0x4e4f4f4d', '0x534c4f53']);
  assert.equal(h.kdDebuggerDataBlock, 0xc509c480b080);
  assert.equal(h.dumpType, 1);
  assert.equal(h.requiredDumpSpace, 0x7fe88000);
  assert.equal(h.systemTime, '2024-10-12T12:57:59.711Z');
  assert.deepEqual(h.physicalMemory, {
    numberOfRuns: 5,
    numberOfPages: 0x7fe86,
    runs: [
      { basePage: 0x2, pageCount: 0x9e },
      { basePage: 0x100, pageCount: 0x251 },
      { basePage: 0x3d8, pageCount: 0xd7df },
      { basePage: 0xdbb8, pageCount: 0x1fb7 },
      { basePage: 0xfbff, pageCount: 0x70401 },
    ],
  });
  // Only the first two pages of data follow the 8 KiB header in this 16 KiB excerpt.
  assert.deepEqual(m.ranges, [{ start: 0x2000, end: 0x4000 }]);
  assert.match(m.warnings.join(), /truncated dump/);
  assert.equal(m.meta.PsLoadedModuleList, '0xfffff8071ec422b0');
  assert.equal(parseCrashDumpHeader(new FileReader(path).bytes(0, 0x2000)).minorVersion, 19045);
  m.close();
});
