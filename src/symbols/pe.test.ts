import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Warnings } from '../util/errors.js';
import { bytesReadable } from './layout.js';
import { formatGuid, kernelExportedGlobals, PeImage, parseRsds } from './pe.js';

// GUID {1B72224D-37B8-1792-2820-0ED8994498B2} stored as Data1/2/3 little-endian, Data4 as is.
const GUID_BYTES = [
  0x4d, 0x22, 0x72, 0x1b, 0xb8, 0x37, 0x92, 0x17, 0x28, 0x20, 0x0e, 0xd8, 0x99, 0x44, 0x98, 0xb2,
];
const GUID_TEXT = '1B72224D37B8179228200ED8994498B2';

/**
 * A PE32+ image laid out as in memory (RVA = offset), with .text at 0x1000 and .rdata at 0x2000 holding the export
 * directory (3 names, one forwarded), a debug directory and an RSDS record. `fileLayout` moves .rdata to file
 * offset 0x600 to exercise RVA -> file offset mapping.
 */
function buildPe(fileLayout = false): Uint8Array {
  const img = new Uint8Array(0x3000);
  const dv = new DataView(img.buffer);
  const rdataFile = fileLayout ? 0x600 : 0x2000;
  const at = (rva: number) => (rva >= 0x2000 ? rva - 0x2000 + rdataFile : rva);
  const str = (rva: number, s: string) => img.set(Buffer.from(`${s}\0`, 'latin1'), at(rva));
  dv.setUint16(0, 0x5a4d, true);
  dv.setUint32(0x3c, 0x80, true);
  dv.setUint32(0x80, 0x4550, true);
  const fh = 0x84;
  dv.setUint16(fh, 0x8664, true);
  dv.setUint16(fh + 2, 2, true);
  dv.setUint32(fh + 4, 0x5f000000, true);
  dv.setUint16(fh + 16, 0xf0, true);
  const opt = fh + 20;
  dv.setUint16(opt, 0x20b, true);
  dv.setUint32(opt + 24, 0x00400000, true);
  dv.setUint32(opt + 28, 0xfffff800, true); // ImageBase 0xfffff80000400000
  dv.setUint16(opt + 40, 10, true);
  dv.setUint32(opt + 56, 0x3000, true);
  dv.setUint32(opt + 60, 0x400, true);
  dv.setUint32(opt + 108, 16, true);
  const dirs = opt + 112;
  dv.setUint32(dirs + 0 * 8, 0x2000, true);
  dv.setUint32(dirs + 0 * 8 + 4, 0x200, true);
  dv.setUint32(dirs + 6 * 8, 0x2400, true);
  dv.setUint32(dirs + 6 * 8 + 4, 28 * 2, true);
  const sec = opt + 0xf0;
  const section = (i: number, name: string, va: number, vsize: number, raw: number, rsize: number) => {
    img.set(Buffer.from(name), sec + i * 40);
    dv.setUint32(sec + i * 40 + 8, vsize, true);
    dv.setUint32(sec + i * 40 + 12, va, true);
    dv.setUint32(sec + i * 40 + 16, rsize, true);
    dv.setUint32(sec + i * 40 + 20, raw, true);
  };
  section(0, '.text', 0x1000, 0x1000, fileLayout ? 0x400 : 0x1000, 0x200);
  section(1, '.rdata', 0x2000, 0x1000, rdataFile, 0x1000);
  // export directory at 0x2000: 3 functions, 3 names
  const ed = at(0x2000);
  dv.setUint32(ed + 12, 0x2100, true);
  dv.setUint32(ed + 16, 1, true);
  dv.setUint32(ed + 20, 3, true);
  dv.setUint32(ed + 24, 3, true);
  dv.setUint32(ed + 28, 0x2040, true);
  dv.setUint32(ed + 32, 0x2060, true);
  dv.setUint32(ed + 36, 0x2080, true);
  dv.setUint32(at(0x2040), 0x1010, true); // PsInitialSystemProcess
  dv.setUint32(at(0x2044), 0x1020, true); // PsLoadedModuleList
  dv.setUint32(at(0x2048), 0x2150, true); // forwarder (inside the export directory)
  dv.setUint32(at(0x2060), 0x2110, true);
  dv.setUint32(at(0x2064), 0x2130, true);
  dv.setUint32(at(0x2068), 0x2148, true);
  dv.setUint16(at(0x2080), 0, true);
  dv.setUint16(at(0x2082), 1, true);
  dv.setUint16(at(0x2084), 2, true);
  str(0x2100, 'ntoskrnl.exe');
  str(0x2110, 'PsInitialSystemProcess');
  str(0x2130, 'PsLoadedModuleList');
  str(0x2148, 'RtlFoo');
  str(0x2150, 'NTDLL.RtlFoo');
  // debug directory at 0x2400: an unrelated entry, then CodeView -> RSDS at 0x2500
  const dd = at(0x2400);
  dv.setUint32(dd + 12, 13, true);
  dv.setUint32(dd + 28 + 12, 2, true);
  const name = 'd:\\build\\ntkrnlmp.pdb';
  dv.setUint32(dd + 28 + 16, 24 + name.length + 1, true);
  dv.setUint32(dd + 28 + 20, 0x2500, true);
  const r = at(0x2500);
  dv.setUint32(r, 0x53445352, true);
  img.set(GUID_BYTES, r + 4);
  dv.setUint32(r + 20, 1, true);
  str(0x2500 + 24, name);
  return fileLayout ? img.subarray(0, 0x1600) : img;
}

test('PE in memory: headers, sections, exports with forwarder, RSDS identity', () => {
  const img = buildPe();
  const base = 0xf80000400000;
  const mem = bytesReadable(img, base);
  const pe = PeImage.fromMemory(mem, base);
  assert.equal(pe.machine, 0x8664);
  assert.equal(pe.is64, true);
  assert.equal(pe.imageBase, 0xf80000400000);
  assert.equal(pe.sizeOfImage, 0x3000);
  assert.deepEqual(
    pe.sections.map((s) => s.name),
    ['.text', '.rdata'],
  );
  const ex = pe.exports();
  assert.deepEqual(ex, [
    { name: 'PsInitialSystemProcess', ordinal: 1, rva: 0x1010 },
    { name: 'PsLoadedModuleList', ordinal: 2, rva: 0x1020 },
    { name: 'RtlFoo', ordinal: 3, rva: 0, forwarder: 'NTDLL.RtlFoo' },
  ]);
  assert.equal(pe.exportRva('PsLoadedModuleList'), 0x1020);
  assert.equal(pe.exportRva('RtlFoo'), undefined);
  assert.equal(pe.exportRva('PsActiveProcessHead'), undefined);
  assert.deepEqual(pe.pdbInfo(), { pdbName: 'ntkrnlmp.pdb', guid: GUID_TEXT, age: 1 });
  assert.deepEqual(kernelExportedGlobals(mem, base), {
    PsInitialSystemProcess: base + 0x1010,
    PsLoadedModuleList: base + 0x1020,
  });
});

test('PE file: RVAs map through the section table', () => {
  const pe = PeImage.fromFile(buildPe(true));
  assert.equal(pe.rvaToFileOffset(0x2010), 0x610);
  assert.equal(pe.rvaToFileOffset(0x1300), -1, 'beyond raw data of .text');
  assert.equal(pe.exportRva('PsInitialSystemProcess'), 0x1010);
  assert.equal(pe.pdbInfo()?.guid, GUID_TEXT);
});

test('GUID formatting is Volatility style', () => {
  assert.equal(formatGuid(Uint8Array.from(GUID_BYTES)), GUID_TEXT);
  assert.equal(parseRsds(new Uint8Array(10)), null);
});

test('hostile PE headers give clear errors or warnings, never hangs', () => {
  const bad = (mut: (dv: DataView, b: Uint8Array) => void, re: RegExp) => {
    const b = buildPe().slice();
    mut(new DataView(b.buffer), b);
    assert.throws(() => PeImage.fromMemory(bytesReadable(b, 0), 0), re);
  };
  bad((dv) => dv.setUint16(0, 0), /no MZ/);
  bad((dv) => dv.setUint32(0x3c, 0xfffffff0), /e_lfanew/);
  bad((dv) => dv.setUint32(0x80, 0), /PE\\0\\0/);
  bad((dv) => dv.setUint16(0x84 + 2, 0xffff), /sections/);
  bad((dv) => dv.setUint16(0x84 + 20, 0x999), /magic/);
  // export directory claiming 2^32-1 functions: a warning and no exports
  const b = buildPe().slice();
  new DataView(b.buffer).setUint32(0x2000 + 20, 0xffffffff, true);
  const w = new Warnings();
  const pe = PeImage.fromMemory(bytesReadable(b, 0), 0);
  assert.deepEqual(pe.exports(w), []);
  assert.match(w.items[0]!, /claims 4294967295 functions/);
  // CodeView record pointing outside the image
  const c = buildPe().slice();
  new DataView(c.buffer).setUint32(0x2400 + 28 + 20, 0x7ffff000, true);
  assert.equal(PeImage.fromMemory(bytesReadable(c, 0), 0).pdbInfo(), null);
});
