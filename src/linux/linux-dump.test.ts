import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { openPhysical } from '../sources/index.js';
import { fnv1a64, logText, pattern } from '../testing/linux-truth.js';
import { sharedDecompressed, sharedPath, skipWithoutShared } from '../testing/shared.js';
import { createSpace } from '../translate/index.js';
import { newPteInfo, PageState } from '../translate/types.js';
import { LinuxKernel, scanBtf } from './kernel.js';
import { listVmas, mapsLine } from './maps.js';
import { cachedPages, listCachedFiles } from './pagecache.js';
import { listTasks, stateLetter } from './tasks.js';

const skip = skipWithoutShared('linux-dumps', 'dump.elf.xz');

interface TruthPage {
  i: number;
  va: string;
  present: boolean;
  file_or_shared_anon?: boolean;
  pa?: string;
  fnv1a64?: string;
  head?: string;
}
interface TruthRegion {
  label: string;
  kind: string;
  map: string;
  writable: boolean;
  deleted: boolean;
  path: string | null;
  size: number;
  pages: TruthPage[];
}
interface Truth {
  kaslr: Record<string, string>;
  processes: { pid: number; ppid: number; comm: string; state: string; start_time_ticks: number }[];
  mappers: { name: string; pid: number; maps_text: string; regions: TruthRegion[] }[];
}

test('Linux 6.1 dump, no symbol file: kernel, tasks, maps, page cache, COW pages', { skip }, (t) => {
  const truth = JSON.parse(readFileSync(sharedPath('linux-dumps', 'truth.json')!, 'utf8')) as Truth;
  const mem = openPhysical(sharedDecompressed('linux-dumps', 'dump.elf.xz')!);
  try {
    const k = new LinuxKernel(mem, { spaceFactory: (dtb) => createSpace(mem, 'x64', dtb, { os: 'linux' }) });
    const hex = (n: number) => `0x${n.toString(16)}`;
    const full = (n: number) => `0xffff${n.toString(16)}`;

    // Kernel discovery.
    assert.equal(k.release, '6.1.0-56-amd64');
    assert.equal(full(k.pageOffsetBase), truth.kaslr.page_offset_base);
    assert.equal(full(k.vmemmapBase), truth.kaslr.vmemmap_base);
    assert.equal(full(k.vmallocBase), truth.kaslr.vmalloc_base);
    assert.equal(hex(k.kaslrSlide), `0x${truth.kaslr.vmcoreinfo_KERNELOFFSET}`);
    assert.equal(full(k.sym('_text')), truth.kaslr._text);
    assert.equal(k.kallsyms.count, 94266);
    assert.match(k.types.description, /BTF in RAM/);
    assert.deepEqual(k.warnings.items, []);

    // Tasks: pids, parents and names (the kernel keeps 15 characters of kthread names; /proc adds workqueues).
    const tasks = listTasks(k);
    assert.deepEqual(
      tasks.map((x) => [x.pid, x.ppid]),
      truth.processes.map((p) => [p.pid, p.ppid]),
    );
    assert.equal(
      tasks.map((x) => stateLetter(x.state, x.exitState)).join(''),
      truth.processes.map((p) => p.state).join(''),
    );
    // /proc/<pid>/stat starttime = start_boottime in USER_HZ (100) ticks.
    assert.deepEqual(
      tasks.map((x) => Math.floor(x.startBoottimeNs / 1e7)),
      truth.processes.map((p) => p.start_time_ticks),
    );
    for (const [i, p] of truth.processes.entries()) {
      const comm = tasks[i]!.comm;
      assert.ok(p.comm === comm || p.comm.startsWith(comm), `pid ${p.pid}: ${comm} vs ${p.comm}`);
    }

    // Maps of the three test processes, line for line.
    for (const m of truth.mappers) {
      const task = tasks.find((x) => x.pid === m.pid)!;
      const text = `${listVmas(k, task).map(mapsLine).join('\n')}\n`;
      assert.equal(text, m.maps_text, `maps of ${m.name}`);
    }

    // Page cache: every page of the twelve test files, byte-exact, incl. the three unlinked ones.
    const files = listCachedFiles(k).filter(
      (f) => f.path.startsWith('/tmp/memdig/') && /(-[AB]\.dat|\.log|-copy\.bin)$/.test(f.path),
    );
    assert.equal(files.length, 12);
    assert.deepEqual(
      files
        .filter((f) => f.deleted)
        .map((f) => f.path)
        .sort(),
      ['/tmp/memdig/alpha/alpha.log', '/tmp/memdig/beta/beta-B.dat', '/tmp/memdig/gamma/gamma-A.dat'],
    );
    const mapper = listCachedFiles(k).find((f) => f.path === '/bin/mapper')!;
    const page = new Uint8Array(4096);
    const readPage = (pfn: number) => {
      mem.read(pfn * 4096, page, 0, 4096);
      return page;
    };
    const binPages = new Map(
      cachedPages(k, mapper.mapping, 'mapper').pages.map((p) => [p.index, fnv1a64(readPage(p.pfn))]),
    );
    let checked = 0;
    for (const f of files) {
      const name = f.path.split('/').pop()!;
      const { pages } = cachedPages(k, f.mapping, f.path);
      assert.equal(pages.length, Math.ceil(f.size / 4096), `${f.path}: all pages resident`);
      const expect = name.endsWith('.dat')
        ? pattern(name, f.size)
        : name.endsWith('.log')
          ? logText(name.replace('.log', ''))
          : null;
      for (const p of pages) {
        const got = readPage(p.pfn);
        if (expect) {
          const want = new Uint8Array(4096);
          want.set(expect.subarray(p.index * 4096, Math.min(expect.length, p.index * 4096 + 4096)));
          assert.ok(Buffer.from(got).equals(Buffer.from(want)), `${f.path} page ${p.index}`);
        } else assert.equal(fnv1a64(got), binPages.get(p.index), `${f.path} page ${p.index} = /bin/mapper`);
        checked++;
      }
    }
    assert.equal(checked, 1015);

    // Against the guest's own pagemap: cached pages sit where the process maps them; private written pages come
    // from the page tables with the written content.
    let cow = 0;
    for (const m of truth.mappers) {
      const task = tasks.find((x) => x.pid === m.pid)!;
      const space = createSpace(mem, 'x64', task.dtb, { os: 'linux' });
      const info = newPteInfo();
      for (const r of m.regions.filter((x) => x.kind === 'file')) {
        const f = files.find((x) => x.path === r.path)!;
        const byIndex = new Map(cachedPages(k, f.mapping, f.path).pages.map((p) => [p.index, p.pfn]));
        for (const p of r.pages) {
          if (!p.present) continue;
          const va = Number.parseInt(p.va, 16);
          const pa = space.translate(va, info);
          assert.equal(info.state, PageState.Valid);
          assert.equal(hex(pa), p.pa);
          assert.equal(fnv1a64(readPage(pa / 4096)), p.fnv1a64);
          if (p.file_or_shared_anon)
            assert.equal(byIndex.get(p.i), pa / 4096, `${r.path} page ${p.i} cached`);
          else {
            assert.ok(p.head!.startsWith('MEMDIG-COW'));
            assert.notEqual(byIndex.get(p.i), pa / 4096);
            cow++;
          }
        }
      }
    }
    assert.equal(cow, 21);
    // Every struct page (read through the kernel page tables) agreed with its XArray slot.
    assert.deepEqual(k.warnings.items, []);
    t.diagnostic(`${checked} page-cache pages and ${cow} private pages checked`);
  } finally {
    mem.close();
  }
});

test('Linux dump without VMCOREINFO: kallsyms and phys_base found by scanning', { skip }, () => {
  const mem = openPhysical(sharedDecompressed('linux-dumps', 'dump.elf.xz')!);
  try {
    const k = new LinuxKernel(mem, { noVmcoreinfo: true });
    assert.match(k.foundVia, /scanning RAM/);
    assert.equal(k.physBase, -0x27800000);
    assert.equal(`0xffff${k.sym('init_task').toString(16)}`, '0xffffffffbb01aa40');
    assert.equal(listTasks(k).length, 49);
    // BTF by header scan (kernels whose kallsyms lacks __start_BTF): the copy inside the image wins.
    const image = { start: k.kmem.pa(k.sym('_text')), end: k.kmem.pa(k.sym('_end')) };
    assert.match(scanBtf(mem, image)!.description, /PA 0x132c1b88 \(100750 types\)/);
  } finally {
    mem.close();
  }
});
