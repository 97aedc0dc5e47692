import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { skipWithoutShared } from '../testing/shared.js';
import { physicalRuns } from './containers.js';
import { forgeImage, presetScenario } from './index.js';
import type { Manifest } from './manifest.js';

const dir = mkdtempSync(join(tmpdir(), 'memdig-forge-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const skipXp = skipWithoutShared('corpus', 'isf-x86');
const skipX64 = skipWithoutShared('corpus', 'isf');

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Minimal independent reader: physical reads and a page walk straight from the image bytes. */
class Phys {
  private readonly fd: number;
  constructor(
    path: string,
    private readonly arch: string,
    private readonly base = 0,
  ) {
    this.fd = openSync(path, 'r');
  }
  read(pa: number, len: number): Uint8Array {
    const b = new Uint8Array(len);
    readSync(this.fd, b, 0, len, this.base + pa);
    return b;
  }
  u64(pa: number): number {
    const dv = new DataView(this.read(pa, 8).buffer);
    return dv.getUint32(4, true) * 2 ** 32 + dv.getUint32(0, true);
  }
  u32(pa: number): number {
    return new DataView(this.read(pa, 4).buffer).getUint32(0, true);
  }
  /** Virtual → physical through valid entries only; null when not valid. */
  translate(dtb: number, va: number): number | null {
    if (this.arch === 'x86') {
      const pde = this.u32(dtb + Math.floor(va / 2 ** 22) * 4);
      if (!(pde & 1)) return null;
      const pte = this.u32((pde & 0xfffff000) + (Math.floor(va / 4096) % 1024) * 4);
      return pte & 1 ? (pte & 0xfffff000) + (va % 4096) : null;
    }
    if (this.arch === 'pae') {
      const pdpte = this.u64(dtb + Math.floor(va / 2 ** 30) * 8);
      const pde = this.u64(pdpte - (pdpte % 4096) + (Math.floor(va / 2 ** 21) % 512) * 8);
      if (pde % 2 === 0) return null;
      const pte = this.u64(pde - (pde % 4096) + (Math.floor(va / 4096) % 512) * 8);
      return pte % 2 ? (pte % 2 ** 36) - (pte % 4096) + (va % 4096) : null;
    }
    let table = dtb;
    for (const shift of [39, 30, 21, 12]) {
      const e = this.u64(table + (Math.floor(va / 2 ** shift) % 512) * 8);
      if (e % 2 === 0) return null;
      table = (e % 2 ** 48) - (e % 4096);
    }
    return table + (va % 4096);
  }
  close(): void {
    closeSync(this.fd);
  }
}

function va48(hex: string): number {
  const h = hex.replace(/^0x/, '');
  const n = Number.parseInt(h.slice(-12), 16);
  return n;
}

function checkManifest(m: Manifest, path: string): void {
  const phys = new Phys(path, m.os.arch);
  try {
    const dtb = Number.parseInt(m.kernel.dtb, 16);
    let pages = 0;
    for (const f of m.files) {
      assert.equal(phys.translate(dtb, va48(f.fileObject)), Number.parseInt(f.fileObjectPa, 16), f.path);
      for (const p of f.pages) {
        if (!p.pa) continue;
        const got = createHash('sha256')
          .update(phys.read(Number.parseInt(p.pa, 16), 4096))
          .digest('hex');
        assert.equal(got, p.sha256, `${f.path} page at ${p.offset}`);
        pages++;
      }
    }
    assert.ok(pages > 10, 'some resident file pages');
    // Every process's EPROCESS is where the manifest says, in the kernel address space.
    for (const p of m.processes)
      assert.equal(phys.translate(dtb, va48(p.eprocess)), Number.parseInt(p.eprocessPa, 16));
    // KDBG carries the tag "KDBG" (XP/7).
    if (m.kernel.kdbgPa) {
      const tag = phys.read(Number.parseInt(m.kernel.kdbgPa, 16) + 0x10, 4);
      assert.equal(new TextDecoder().decode(tag), 'KDBG');
    }
    // The kernel image starts with MZ and holds the RSDS record.
    const mz = phys.read(Number.parseInt(m.kernel.basePa, 16), 0x2000);
    assert.equal(mz[0], 0x4d);
    assert.ok(new TextDecoder('latin1').decode(mz).includes(`RSDS`));
    // Private pages marked V hold the documented pattern at their VA.
    const proc = m.processes.find((p) =>
      p.vads.some((v) => v.kind === 'private' && v.ptes.startsWith('VVV')),
    )!;
    const vad = proc.vads.find((v) => v.kind === 'private' && v.ptes.startsWith('VVV'))!;
    const pa = phys.translate(Number.parseInt(proc.dtb, 16), va48(vad.start));
    assert.ok(pa !== null);
    assert.equal(new TextDecoder().decode(phys.read(pa!, 16)), 'memdig-forge pg ');
  } finally {
    phys.close();
  }
}

test('xp-eventlog: same seed gives identical bytes; another seed differs', { skip: skipXp }, () => {
  const a = join(dir, 'a.raw');
  const b = join(dir, 'b.raw');
  const c = join(dir, 'c.raw');
  forgeImage(presetScenario('xp-eventlog', 11), a);
  forgeImage(presetScenario('xp-eventlog', 11), b);
  forgeImage(presetScenario('xp-eventlog', 12), c);
  assert.equal(sha(a), sha(b));
  assert.equal(sha(`${a}.manifest.json`).length, 64);
  assert.notEqual(sha(a), sha(c));
});

test('xp-eventlog: manifest is consistent with the image', { skip: skipXp }, () => {
  const out = join(dir, 'xp.raw');
  const m = forgeImage(presetScenario('xp-eventlog'), out);
  assert.equal(m.os.arch, 'x86');
  const services = m.processes.find((p) => p.name === 'services.exe')!;
  const evts = services.vads.filter((v) => v.file?.endsWith('.Evt'));
  assert.equal(evts.length, 3);
  assert.ok(m.files.find((f) => f.path.endsWith('SecEvent.Evt'))!.deleted);
  assert.ok(m.processes.some((p) => p.exited && !p.active));
  checkManifest(m, out);
});

test('xp-pae-eventlog: PAE page tables translate', { skip: skipXp }, () => {
  const out = join(dir, 'pae.raw');
  const m = forgeImage(presetScenario('xp-pae-eventlog'), out);
  checkManifest(m, out);
});

for (const preset of ['win7-eventlog', 'win10-eventlog']) {
  test(`${preset}: manifest is consistent with the image`, { skip: skipX64 }, () => {
    const out = join(dir, `${preset}.raw`);
    const m = forgeImage(presetScenario(preset), out);
    assert.equal(m.os.arch, 'x64');
    const el = m.processes.find((p) => p.commandLine?.includes('EventLog'))!;
    assert.ok(el.vads.filter((v) => v.file?.endsWith('.evtx')).length >= 8);
    assert.ok(m.files.some((f) => f.sharedCacheMap && !f.dataSectionObject));
    if (preset.startsWith('win10')) {
      assert.notEqual(m.kernel.selfRefIndex, 0x1ed);
      assert.ok(m.kernel.obHeaderCookie !== null);
    } else assert.equal(m.kernel.selfRefIndex, 0x1ed);
    checkManifest(m, out);
    const phys = new Phys(out, 'x64');
    // The low stub names the kernel DTB.
    assert.equal(phys.u32(0x10a0), Number.parseInt(m.kernel.dtb, 16));
    phys.close();
  });
}

test('containers hold the same page content as the raw image', { skip: skipXp }, () => {
  const raw = join(dir, 'cont.raw');
  const m = forgeImage(presetScenario('xp-eventlog', 5), raw);
  const runs = physicalRuns(m.image.physicalSize);
  const rawPhys = new Phys(raw, 'x86');
  const samples = m.files
    .flatMap((f) => f.pages.filter((p) => p.pa).map((p) => Number.parseInt(p.pa!, 16)))
    .slice(0, 40);
  samples.push(Number.parseInt(m.kernel.dtb, 16), Number.parseInt(m.processes[1]!.eprocessPa, 16) & ~0xfff);
  for (const fmt of ['crash', 'lime', 'elf'] as const) {
    const out = join(dir, `cont.${fmt}`);
    const mm = forgeImage(presetScenario('xp-eventlog', 5), out, { format: fmt });
    assert.equal(mm.image.container, fmt);
    const fd = openSync(out, 'r');
    const head = new Uint8Array(8);
    readSync(fd, head, 0, 8, 0);
    closeSync(fd);
    // File offset of a physical address in each container.
    const offsetOf = (pa: number): number => {
      let off = fmt === 'crash' ? 0x1000 : fmt === 'elf' ? 0x1000 : 0;
      for (const [s, e] of runs) {
        if (fmt === 'lime') off += 32;
        if (pa >= s && pa < e) return off + (pa - s);
        off += e - s;
      }
      throw new Error('pa not in runs');
    };
    if (fmt === 'crash') assert.equal(new TextDecoder().decode(head), 'PAGEDUMP');
    const p = new Phys(out, 'x86');
    for (const pa of samples) {
      assert.deepEqual(
        p.read(offsetOf(pa), 4096),
        rawPhys.read(pa, 4096),
        `${fmt} page 0x${pa.toString(16)}`,
      );
    }
    p.close();
  }
  rawPhys.close();
});
