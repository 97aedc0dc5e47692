import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openPhysical } from '../sources/index.js';
import { sharedDecompressed, sharedPath, skipWithoutShared } from '../testing/shared.js';
import { IsfTypes } from './isf-types.js';
import { LinuxKernel } from './kernel.js';
import { resolveLayout } from './layout.js';
import { listVmas, mapsLine } from './maps.js';
import { listTasks } from './tasks.js';

const skip =
  skipWithoutShared('linux-dumps', 'dump.elf.xz') ||
  skipWithoutShared('linux-dumps', 'debian-6.1.0-56-amd64.json.xz');

test('a dwarf2json ISF gives the same layout as the in-RAM BTF, and drives the same analysis', {
  skip,
}, () => {
  const isf = IsfTypes.read(sharedPath('linux-dumps', 'debian-6.1.0-56-amd64.json.xz')!);
  const mem = openPhysical(sharedDecompressed('linux-dumps', 'dump.elf.xz')!);
  try {
    const btf = new LinuxKernel(mem);
    assert.deepEqual(resolveLayout(isf), btf.layout);
    const k = new LinuxKernel(mem, { types: isf });
    assert.match(k.types.description, /^ISF /);
    const gamma = listTasks(k).find((t) => t.pid === 90)!;
    assert.match(listVmas(k, gamma).map(mapsLine).join('\n'), /gamma-A\.dat \(deleted\)/);
  } finally {
    mem.close();
  }
});
