import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FormatError, MemdigError } from '../util/errors.js';
import { BytesReader } from './file-reader.js';
import { openPhysical } from './index.js';
import { parseVmwareMetadata } from './vmware.js';

const PAGE = 4096;

type Tag = { name: string; idx?: number[]; value?: number; size?: 1 | 2 | 4 | 8; data?: Uint8Array };

function tagBytes(t: Tag, version: number): Uint8Array {
  const idx = t.idx ?? [];
  const name = Buffer.from(t.name, 'latin1');
  if (t.data) {
    const w = version === 0 ? 4 : 8;
    const b = new Uint8Array(2 + name.length + idx.length * 4 + 2 * w + 2 + t.data.length);
    const dv = new DataView(b.buffer);
    b[0] = (idx.length << 6) | 62;
    b[1] = name.length;
    b.set(name, 2);
    let p = 2 + name.length;
    for (const i of idx) {
      dv.setUint32(p, i, true);
      p += 4;
    }
    dv.setUint32(p, t.data.length, true);
    dv.setUint32(p + w, t.data.length, true);
    b.set(t.data, p + 2 * w + 2);
    return b;
  }
  const size = t.size ?? 4;
  const b = new Uint8Array(2 + name.length + idx.length * 4 + size);
  const dv = new DataView(b.buffer);
  b[0] = (idx.length << 6) | size;
  b[1] = name.length;
  b.set(name, 2);
  let p = 2 + name.length;
  for (const i of idx) {
    dv.setUint32(p, i, true);
    p += 4;
  }
  let v = t.value ?? 0;
  for (let i = 0; i < size; i++, v = Math.floor(v / 256)) b[p + i] = v % 256;
  return b;
}

/** A .vmss: header, a "cpu" group and a "memory" group holding `tags`. */
function vmss(tags: Tag[], magic = 0xbed3bed3): Uint8Array {
  const version = magic & 0xf;
  const memTags = Buffer.concat([...tags.map((t) => tagBytes(t, version)), new Uint8Array(2)]);
  const cpuTags = Buffer.concat([tagBytes({ name: 'cpuid', value: 1 }, version), new Uint8Array(2)]);
  const head = new Uint8Array(12 + 2 * 80);
  const dv = new DataView(head.buffer);
  dv.setUint32(0, magic, true);
  dv.setUint32(8, 2, true);
  head.set(Buffer.from('cpu'), 12);
  dv.setUint32(12 + 64, head.length, true);
  dv.setUint32(12 + 72, cpuTags.length, true);
  head.set(Buffer.from('memory'), 12 + 80);
  dv.setUint32(12 + 80 + 64, head.length + cpuTags.length, true);
  dv.setUint32(12 + 80 + 72, memTags.length, true);
  return Buffer.concat([head, cpuTags, memTags]);
}

/** Two regions: guest pages 0-1 at .vmem pages 0-1, guest page 0x100000 (4 GiB) at .vmem page 2. */
const regionTags: Tag[] = [
  { name: 'regionsCount', value: 2 },
  { name: 'regionPPN', idx: [0], value: 0 },
  { name: 'regionPageNum', idx: [0], value: 0 },
  { name: 'regionSize', idx: [0], value: 2 },
  { name: 'regionPPN', idx: [1], value: 0x100000 },
  { name: 'regionPageNum', idx: [1], value: 2 },
  { name: 'regionSize', idx: [1], value: 1 },
];

function vmem(pages: number): Uint8Array {
  const b = new Uint8Array(pages * PAGE);
  for (let i = 0; i < pages; i++) new DataView(b.buffer).setUint32(i * PAGE, 0xa0 + i, true);
  return b;
}

test('vmware: a .vmem with a sibling .vmss gets the region layout (above 4 GiB, not contiguous)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memdig-vmw-'));
  writeFileSync(join(dir, 'Win10-abc.vmem'), vmem(3));
  writeFileSync(join(dir, 'Win10-abc.vmss'), vmss(regionTags));
  for (const arg of ['Win10-abc.vmem', 'Win10-abc.vmss']) {
    const m = openPhysical(join(dir, arg));
    assert.equal(m.format, 'vmware', arg);
    assert.deepEqual(m.ranges, [
      { start: 0, end: 2 * PAGE },
      { start: 0x100000000, end: 0x100001000 },
    ]);
    assert.equal(m.readU32(PAGE), 0xa1);
    assert.equal(m.readU32(0x100000000), 0xa2);
    assert.equal(m.readU32(2 * PAGE), -1, 'the .vmem page 2 is not guest page 2');
    assert.equal(m.meta.regions, 2);
    assert.match(String(m.meta.metadata), /Win10-abc\.vmss$/);
    m.close();
  }
});

test('vmware: a .vmem with a .vmsn of the old format (version 0) and no regions is flat', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memdig-vmw-'));
  writeFileSync(join(dir, 'snap.vmem'), vmem(2));
  writeFileSync(join(dir, 'snap.vmsn'), vmss([{ name: 'regionsCount', value: 0 }], 0xbed2bed0));
  const m = openPhysical(join(dir, 'snap.vmem'));
  assert.equal(m.format, 'vmware');
  assert.deepEqual(m.ranges, [{ start: 0, end: 2 * PAGE }]);
  m.close();
  // A sibling with the right name but the wrong magic is ignored: the .vmem is raw.
  const dir2 = mkdtempSync(join(tmpdir(), 'memdig-vmw-'));
  writeFileSync(join(dir2, 'x.vmem'), vmem(1));
  writeFileSync(join(dir2, 'x.vmss'), new Uint8Array(100));
  const r = openPhysical(join(dir2, 'x.vmem'));
  assert.equal(r.format, 'raw');
  r.close();
});

test('vmware: a snapshot with its memory embedded (Memory tag) and no .vmem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memdig-vmw-'));
  const p = join(dir, 'old.vmsn');
  writeFileSync(p, vmss([...regionTags, { name: 'Memory', idx: [0, 0], data: vmem(3) }], 0xbad1bad1));
  const m = openPhysical(p);
  assert.equal(m.meta.memoryIn, 'snapshot file');
  assert.equal(m.readU32(0x100000000), 0xa2);
  assert.equal(m.readU32(0), 0xa0);
  m.close();
  const q = join(dir, 'nomem.vmss');
  writeFileSync(q, vmss(regionTags));
  assert.throws(
    () => openPhysical(q),
    (e: unknown) => e instanceof MemdigError && /without its memory: put the \.vmem/.test(e.message),
  );
});

test('vmware: regions beyond the .vmem warn; broken metadata names the offset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memdig-vmw-'));
  writeFileSync(join(dir, 'short.vmem'), vmem(2));
  writeFileSync(join(dir, 'short.vmss'), vmss(regionTags));
  const m = openPhysical(join(dir, 'short.vmem'));
  assert.deepEqual(m.ranges, [{ start: 0, end: 2 * PAGE }]);
  assert.match(m.warnings!.join(), /region 1 .* needs memory-file bytes up to 0x3000/);
  m.close();

  const good = vmss(regionTags);
  const groups = Uint8Array.from(good);
  new DataView(groups.buffer).setUint32(8, 99, true);
  assert.throws(
    () => parseVmwareMetadata(new BytesReader(groups)),
    (e: unknown) =>
      e instanceof FormatError &&
      /offset 0xc: group table \(99 x 80 bytes\) runs past the end/.test(e.message),
  );
  const far = Uint8Array.from(good);
  new DataView(far.buffer).setUint32(12 + 80 + 64, 1e6, true);
  assert.throws(
    () => parseVmwareMetadata(new BytesReader(far)),
    /offset 0x9c: "memory" group offset 0xf4240 is past the end/,
  );
  const cut = good.subarray(0, good.length - 10);
  assert.throws(() => parseVmwareMetadata(new BytesReader(cut)), /file ends inside/);
  const missing = vmss(regionTags.slice(0, 5));
  assert.throws(
    () => parseVmwareMetadata(new BytesReader(missing)) && openRegions(missing),
    /lacks regionPPN/,
  );
});

/** Opens metadata whose memory is missing a region tag, through a temp .vmss/.vmem pair. */
function openRegions(meta: Uint8Array): void {
  const dir = mkdtempSync(join(tmpdir(), 'memdig-vmw-'));
  writeFileSync(join(dir, 'm.vmem'), vmem(3));
  writeFileSync(join(dir, 'm.vmss'), meta);
  openPhysical(join(dir, 'm.vmem')).close();
}
