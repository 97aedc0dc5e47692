import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileObjectRow } from '../cli/windows-files.js';
import { FilePageMap, isResident } from '../extract/recovered-file.js';
import { OutputNames } from '../extract/safe-name.js';
import { forgeImage, type Manifest, presetScenario } from '../forge/index.js';
import { openPhysical } from '../sources/index.js';
import { readCachePages } from './cache-pages.js';
import { extractFileObject } from './extract-files.js';
import { FileObjectReader, scanFileObjects } from './file-object.js';
import { identifyWindows } from './identify.js';
import { readSectionPages } from './section-pages.js';

type MFile = Manifest['files'][number];
const num = (h: string | null | undefined) =>
  h ? Number.parseInt(h.replace(/^0xffff(?=[0-9a-f]{12}$)/i, '0x'), 16) : 0;
const live = (s: string | undefined) => s === 'resident' || s === 'transition';

/** Page indices a map holds as resident from one source. */
function residentFrom(map: FilePageMap, source: string): number[] {
  return map.indices().filter((i) => {
    const o = map.get(i)!;
    return isResident(o) && o.source === source;
  });
}

/**
 * The edge-case presets: the reader must recover exactly (not merely at least) the manifest's resident pages per
 * source — a 72 MiB cache-only file through a two-level VACB tree, a data file with uneven subsections and
 * paged-out first pages, an image with a section larger in memory than on disk — and `memdig files` / `extract` must flag delete-pending and cache-only files.
 */
for (const preset of ['xp-edge', 'win10-edge']) {
  test(`forge edge cases: ${preset}`, () => {
    const dir = mkdtempSync(join(tmpdir(), `memdig-edge-${preset}-`));
    try {
      const path = join(dir, 'image.raw');
      const m = forgeImage(presetScenario(preset), path, { writeManifest: false });
      const mem = openPhysical(path);
      try {
        const ctx = identifyWindows(mem);
        const byName = new Map(m.files.map((f) => [f.path, f]));
        const find = (tail: string): MFile => m.files.find((f) => f.path.endsWith(tail))!;
        const reader = new FileObjectReader(ctx);

        // Cache manager: a 72 MiB file needs the multi-level tree; every mapped view is found, nothing else.
        const big = find('disk-image.vhd');
        assert.ok(big.size > 32 * 1024 * 1024, 'big file is over the flat-array limit');
        const bigFo = reader.read(num(big.fileObject))!;
        const cacheMap = new FilePageMap();
        const r = readCachePages(ctx, bigFo.sharedCacheMap, cacheMap)!;
        assert.equal(r.vacbs, big.vacbs.length, 'VACBs found in the tree');
        assert.equal(r.fileSize, big.size);
        assert.deepEqual(
          residentFrom(cacheMap, 'shared-cache-map'),
          big.pages.filter((p) => live(p.cache)).map((p) => p.offset / 4096),
          'cache pages of the big file',
        );
        assert.ok(residentFrom(cacheMap, 'shared-cache-map').some((i) => i >= 128 * 64));

        // Data sections: exactly the manifest's resident pages at their file offsets (uneven subsections).
        const multi = find('journal.dat');
        assert.ok(multi.subsections.length >= 4, 'several subsections');
        assert.equal(multi.pages[0]!.data, 'pagedout', 'first page paged out');
        for (const f of m.files) {
          const fo = reader.read(num(f.fileObject))!;
          const data = new FilePageMap();
          if (fo.dataSectionObject) {
            const s = readSectionPages(ctx, fo.dataSectionObject, 'data-section', data)!;
            assert.equal(s.subsections, f.subsections.length, `${f.path}: subsections`);
          }
          assert.deepEqual(
            residentFrom(data, 'data-section'),
            f.dataSectionObject ? f.pages.filter((p) => live(p.data)).map((p) => p.offset / 4096) : [],
            `${f.path}: data-section pages`,
          );
          // Image sections: pages past a section's raw data (.bss) are not file pages.
          const image = new FilePageMap();
          if (fo.imageSectionObject) readSectionPages(ctx, fo.imageSectionObject, 'image-section', image);
          assert.deepEqual(
            residentFrom(image, 'image-section'),
            f.pages.filter((p) => live(p.image)).map((p) => p.offset / 4096),
            `${f.path}: image-section pages`,
          );
        }
        const dll = find('implant.dll');
        assert.deepEqual(
          dll.subsections.map((s) => s.startingPage),
          [0, 1, 5, 6],
          'image subsections start at their raw data',
        );

        // `memdig files` rows: delete-pending and cache-only flags.
        const rows = new Map(scanFileObjects(ctx).map((f) => [f.name, fileObjectRow(f)]));
        for (const f of m.files) {
          const row = rows.get(f.path);
          assert.ok(row, `files lists ${f.path}`);
          assert.equal(row.delete_pending, f.deleted, `${f.path}: del`);
          assert.equal(row.data_section !== null, f.dataSectionObject !== null, `${f.path}: dat`);
          assert.equal(row.image_section !== null, f.imageSectionObject !== null, `${f.path}: img`);
          assert.equal(row.shared_cache_map !== null, f.sharedCacheMap !== null, `${f.path}: scm`);
          assert.equal(row.size, f.size, `${f.path}: size`);
        }
        const wiped = rows.get(find('wiped.log').path)!;
        assert.deepEqual(
          [wiped.delete_pending, wiped.data_section, wiped.image_section, wiped.shared_cache_map !== null],
          [true, null, null, true],
          'deleted, cache-only file',
        );

        // Extraction of the data view: size from the FCB, resident pages = best over cache and data section.
        mkdirSync(join(dir, 'out'));
        const names = new OutputNames(join(dir, 'out'));
        for (const name of ['disk-image.vhd', 'journal.dat', 'dropper.tmp', 'wiped.log']) {
          const f = byName.get(find(name).path)!;
          const [x] = extractFileObject(ctx, reader.read(num(f.fileObject))!, names);
          assert.ok(x, `${name} extracted`);
          assert.equal(x.view, 'data');
          assert.equal(x.size, f.size, `${name}: size`);
          assert.equal(x.deletePending, f.deleted, `${name}: delete pending`);
          assert.equal(
            x.residentPages,
            f.pages.filter((p) => live(p.data) || live(p.cache)).length,
            `${name}: resident pages`,
          );
        }
      } finally {
        mem.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
