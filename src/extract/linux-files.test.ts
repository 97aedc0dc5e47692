import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LinuxKernel } from '../linux/kernel.js';
import { listVmas } from '../linux/maps.js';
import { listCachedFiles } from '../linux/pagecache.js';
import { listTasks } from '../linux/tasks.js';
import { openPhysical } from '../sources/index.js';
import { fnv1a64, pattern } from '../testing/linux-truth.js';
import { sharedDecompressed, sharedPath, skipWithoutShared } from '../testing/shared.js';
import { createSpace } from '../translate/index.js';
import { extractCachedFile, extractProcessView } from './linux-files.js';
import { SafeNamer } from './safe-path.js';

const skip = skipWithoutShared('linux-dumps', 'dump.elf.xz');

test('extract: an unlinked cached file and a private mapping as the process sees it', { skip }, () => {
  const truth = JSON.parse(readFileSync(sharedPath('linux-dumps', 'truth.json')!, 'utf8'));
  const mem = openPhysical(sharedDecompressed('linux-dumps', 'dump.elf.xz')!);
  const dir = mkdtempSync(join(tmpdir(), 'memdig-linux-extract-'));
  try {
    const k = new LinuxKernel(mem);
    const namer = new SafeNamer();
    const f = listCachedFiles(k).find((x) => x.path === '/tmp/memdig/beta/beta-B.dat')!;
    const man = extractCachedFile(k, f, dir, namer);
    assert.equal(man.deleted, true);
    assert.equal(man.output, join('files', 'tmp/memdig/beta/beta-B.dat (deleted)'));
    assert.equal(man.pagesRecovered, 75);
    const want = pattern('beta-B.dat', 307200);
    assert.ok(readFileSync(join(dir, man.output)).equals(Buffer.from(want)));
    const onDisk = JSON.parse(readFileSync(join(dir, `${man.output}.memdig.json`), 'utf8'));
    assert.equal(onDisk.sha256, man.sha256);

    // beta's private rw mapping of the same file: 13 written pages are its own, the rest is the cache.
    const beta = listTasks(k).find((t) => t.pid === 89)!;
    const vma = listVmas(k, beta).find((v) => v.name === '/tmp/memdig/beta/beta-B.dat')!;
    const view = extractProcessView(
      k,
      89,
      vma,
      createSpace(mem, 'x64', beta.dtb, { os: 'linux' }),
      dir,
      namer,
    )!;
    assert.equal(view.pagesPrivate, 13);
    const bytes = readFileSync(join(dir, view.output));
    const region = truth.mappers[1].regions.find((r: { label: string }) => r.label === 'B');
    for (const p of region.pages) {
      const page = bytes.subarray(p.i * 4096, p.i * 4096 + 4096);
      if (p.present && !p.file_or_shared_anon) {
        assert.equal(fnv1a64(page), p.fnv1a64, `private page ${p.i}`);
        assert.ok(page.toString('latin1').startsWith('MEMDIG-COW beta-B.dat'));
      } else assert.ok(page.equals(Buffer.from(want.subarray(p.i * 4096, p.i * 4096 + 4096))), `page ${p.i}`);
    }
    assert.deepEqual(
      view.runs.slice(0, 2).map((r) => [r.offset, r.source]),
      [
        [0, 'cow'],
        [4096, 'page-cache'],
      ],
    );
  } finally {
    mem.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
