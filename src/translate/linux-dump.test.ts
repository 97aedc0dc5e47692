import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { openPhysical } from '../sources/index.js';
import { sharedDecompressed, sharedPath, skipWithoutShared } from '../testing/shared.js';
import { fnv1a64Hex } from '../util/fnv.js';
import { parseAddress } from './address.js';
import { createSpace } from './create.js';
import { newPteInfo, PageState } from './types.js';

interface TruthPage {
  va: string;
  present: boolean;
  pa?: string;
  fnv1a64?: string;
  head?: string;
}
interface Truth {
  kaslr: { phys_base: string; page_offset_base: string };
  init_task: { va: string; pa_from_gva2gpa: string; comm_swapper0_offset: number };
  qemu: { registers: { cr3: string; cr4: string } };
  mappers: { name: string; regions: { label: string; pages: TruthPage[] }[] }[];
}

const skip = skipWithoutShared('linux-dumps', 'dump.elf.xz');

function load() {
  const dir = ['linux-dumps'];
  const truth = JSON.parse(readFileSync(sharedPath(...dir, 'truth.json')!, 'utf8')) as Truth;
  const info = JSON.parse(readFileSync(sharedPath(...dir, 'kernel-info.json')!, 'utf8')) as {
    kallsyms: Record<string, { addr: string }>;
  };
  const mem = openPhysical(sharedDecompressed(...dir, 'dump.elf.xz')!);
  // Kernel image: PA = VA - __START_KERNEL_map + phys_base (mod 2^64; phys_base is negative here).
  const image = (va: string) =>
    Number(
      BigInt.asUintN(64, BigInt(va) - 0xffffffff80000000n + BigInt(truth.kaslr.phys_base)) & 0xffffffffffffn,
    );
  const cr4 = Number(truth.qemu.registers.cr4);
  const kernel = createSpace(mem, 'x64', image(info.kallsyms.init_top_pgt!.addr), { os: 'linux', cr4 });
  return { truth, info, mem, kernel, cr4 };
}

function headBytes(head: string): number[] {
  return [...head].map((c) => c.charCodeAt(0));
}

test('real Linux dump: kernel page tables from init_top_pgt translate init_task and the direct map', {
  skip,
}, () => {
  const { truth, info, mem, kernel } = load();
  try {
    const pi = newPteInfo();
    const initTask = parseAddress(truth.init_task.va);
    assert.equal(kernel.translate(initTask, pi), Number(truth.init_task.pa_from_gva2gpa));
    assert.equal(pi.state, PageState.Valid);
    const comm = new Uint8Array(10);
    kernel.read(initTask + truth.init_task.comm_swapper0_offset, comm, 0, 10);
    assert.equal(new TextDecoder().decode(comm), 'swapper/0\0');
    // page_offset_base as stored in kernel memory equals truth (read through the page tables).
    const pob = kernel.readU64AsNumber(parseAddress(info.kallsyms.page_offset_base!.addr));
    assert.equal(pob, parseAddress(truth.kaslr.page_offset_base));

    const page = new Uint8Array(4096);
    const sizes = new Map<number, number>();
    let checked = 0;
    for (const m of truth.mappers) {
      for (const r of m.regions) {
        for (const p of r.pages) {
          if (!p.present || !p.pa) continue;
          const pa = Number(p.pa);
          const where = `${m.name}/${r.label} ${p.va} pa ${p.pa}`;
          assert.equal(kernel.translate(pob + pa, pi), pa, where);
          sizes.set(pi.pageSize, (sizes.get(pi.pageSize) ?? 0) + 1);
          assert.equal(kernel.read(pob + pa, page, 0, 4096), 4096, where);
          if (p.fnv1a64) assert.equal(fnv1a64Hex(page), p.fnv1a64, where);
          if (p.head) assert.deepEqual([...page.subarray(0, p.head.length)], headBytes(p.head), where);
          checked++;
        }
      }
    }
    assert.equal(checked, 437);
    // Every page of RAM through the direct map: mapped to itself or not mapped, never elsewhere.
    let self = 0;
    for (let pa = 0; pa < 0x20000000; pa += 4096) {
      const got = kernel.translate(pob + pa);
      if (got === pa) self++;
      else assert.equal(got, -1, `direct map of pa 0x${pa.toString(16)} -> 0x${got.toString(16)}`);
    }
    assert.ok(self >= 0x1ff00000 / 4096 - 256, `${self} direct-map pages`);
    // The direct map is mostly 2 MiB pages (the kernel splits some into 4 KiB where attributes differ).
    assert.ok((sizes.get(2 ** 21) ?? 0) > checked / 2, `page sizes used: ${[...sizes.entries()]}`);
  } finally {
    mem.close();
  }
});

test('real Linux dump: gamma user addresses through its CR3 land on the pagemap frames', { skip }, () => {
  const { truth, mem, cr4 } = load();
  try {
    const gamma = createSpace(mem, 'x64', Number(truth.qemu.registers.cr3), { os: 'linux', cr4 });
    const pi = newPteInfo();
    const page = new Uint8Array(4096);
    const g = truth.mappers.find((m) => m.name === 'gamma')!;
    let present = 0;
    let absent = 0;
    for (const r of g.regions) {
      for (const p of r.pages) {
        const va = Number(p.va);
        const where = `gamma/${r.label} ${p.va}`;
        if (p.present) {
          assert.equal(gamma.translate(va, pi), Number(p.pa), where);
          assert.equal(pi.pageSize, 4096, where);
          assert.equal(gamma.read(va, page, 0, 4096), 4096, where);
          if (p.fnv1a64) assert.equal(fnv1a64Hex(page), p.fnv1a64, where);
          present++;
        } else {
          assert.equal(gamma.translate(va, pi), -1, where);
          assert.notEqual(pi.state, PageState.TableMissing, where);
          absent++;
        }
      }
    }
    assert.equal(present, 95);
    assert.ok(absent > 0);
    // The kernel half is shared: init_task resolves through gamma's root as through init_top_pgt.
    assert.equal(gamma.translate(parseAddress(truth.init_task.va)), Number(truth.init_task.pa_from_gva2gpa));
    // Enumerating gamma's user half finds every present page at its pagemap frame, and none of the absent ones.
    const mapped = new Map<number, number>();
    gamma.forEachPage(0, 0x800000000000, (va, i) => {
      if (i.state === PageState.Valid) mapped.set(va, i.phys);
    });
    for (const r of g.regions) {
      for (const p of r.pages) {
        const va = Number(p.va);
        if (p.present) assert.equal(mapped.get(va), Number(p.pa), `gamma/${r.label} ${p.va}`);
        else assert.equal(mapped.has(va), false, `gamma/${r.label} ${p.va}`);
      }
    }
  } finally {
    mem.close();
  }
});
