import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sharedDecompressed, skipWithoutShared } from '../testing/shared.js';
import { ElfMemory } from './elf.js';
import { openPhysical } from './index.js';

/** Writes a minimal ELF64 core: header, `loads` PT_LOAD headers and one PT_NOTE with a VMCOREINFO note. */
function elfCore(loads: { paddr: number; data: Uint8Array; memsz?: number }[]): Uint8Array {
  const note = (() => {
    const name = new TextEncoder().encode('VMCOREINFO\0');
    const desc = new TextEncoder().encode('OSRELEASE=6.1.0\n');
    const pad = (n: number) => (n + 3) & ~3;
    const b = new Uint8Array(12 + pad(name.length) + pad(desc.length));
    const dv = new DataView(b.buffer);
    dv.setUint32(0, name.length, true);
    dv.setUint32(4, desc.length, true);
    dv.setUint32(8, 0, true);
    b.set(name, 12);
    b.set(desc, 12 + pad(name.length));
    return b;
  })();
  const phnum = loads.length + 1;
  let off = 64 + phnum * 56;
  const noteOff = off;
  off += note.length;
  const dataOffs = loads.map((l) => {
    const o = off;
    off += l.data.length;
    return o;
  });
  const out = new Uint8Array(off);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  dv.setUint16(16, 4, true);
  dv.setUint16(18, 62, true);
  dv.setUint32(32, 64, true);
  dv.setUint16(54, 56, true);
  dv.setUint16(56, phnum, true);
  const ph = (i: number, type: number, offset: number, paddr: number, filesz: number, memsz: number) => {
    const o = 64 + i * 56;
    dv.setUint32(o, type, true);
    dv.setUint32(o + 8, offset, true);
    dv.setUint32(o + 24, paddr % 2 ** 32, true);
    dv.setUint32(o + 28, Math.floor(paddr / 2 ** 32), true);
    dv.setUint32(o + 32, filesz, true);
    dv.setUint32(o + 40, memsz, true);
  };
  ph(0, 4, noteOff, 0, note.length, 0);
  out.set(note, noteOff);
  loads.forEach((l, i) => {
    ph(i + 1, 1, dataOffs[i]!, l.paddr, l.data.length, l.memsz ?? l.data.length);
    out.set(l.data, dataOffs[i]!);
  });
  return out;
}

function tmpFile(bytes: Uint8Array): string {
  const p = join(mkdtempSync(join(tmpdir(), 'memdig-elf-')), 'core');
  writeFileSync(p, bytes);
  return p;
}

test('elf: PT_LOAD segments map physical addresses, gaps are holes, notes are read', () => {
  const a = new Uint8Array(8192).fill(0xaa);
  const b = new Uint8Array(4096).fill(0xbb);
  const m = openPhysical(
    tmpFile(
      elfCore([
        { paddr: 0x100000000, data: b },
        { paddr: 0x1000, data: a },
      ]),
    ),
  );
  assert.ok(m instanceof ElfMemory);
  assert.equal(m.format, 'elf');
  assert.deepEqual(m.ranges, [
    { start: 0x1000, end: 0x3000 },
    { start: 0x100000000, end: 0x100001000 },
  ]);
  assert.equal(m.readU32(0x1000), 0xaaaaaaaa);
  assert.equal(m.readU32(0x100000ffc), 0xbbbbbbbb);
  assert.equal(m.readU32(0x3000), -1);
  const dst = new Uint8Array(8);
  assert.equal(m.read(0x2ffc, dst, 0, 8), 4);
  assert.deepEqual([...dst], [0xaa, 0xaa, 0xaa, 0xaa, 0, 0, 0, 0]);
  assert.equal(m.vmcoreinfo(), 'OSRELEASE=6.1.0\n');
  m.close();
});

test('elf: truncated program header table is a clear error', () => {
  const bytes = elfCore([{ paddr: 0, data: new Uint8Array(4096) }]);
  assert.throws(
    () => openPhysical(tmpFile(bytes.subarray(0, 100))),
    /program header table .* past end of file/,
  );
});

test('elf: a PT_LOAD running past the end of a truncated file keeps only the bytes present', () => {
  const bytes = elfCore([{ paddr: 0x2000, data: new Uint8Array(8192).fill(7) }]);
  const m = openPhysical(tmpFile(bytes.subarray(0, bytes.length - 4096)));
  assert.deepEqual(m.ranges, [{ start: 0x2000, end: 0x3000 }]);
  m.close();
});

test('elf: the real QEMU dump of a Linux guest opens', {
  skip: skipWithoutShared('linux-dumps/dump.elf.xz'),
}, () => {
  const path = sharedDecompressed('linux-dumps', 'dump.elf.xz')!;
  const m = openPhysical(path) as ElfMemory;
  assert.equal(m.format, 'elf');
  assert.deepEqual(m.ranges, [
    { start: 0, end: 0x20000000 },
    { start: 0xfffc0000, end: 0x100000000 },
  ]);
  assert.match(m.vmcoreinfo() ?? '', /OSRELEASE=6\.1\.0-56-amd64/);
  m.close();
});
