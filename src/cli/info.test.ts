import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Rng } from '../forge/rng.js';
import { runCli } from '../testing/cli.js';
import { sharedPath, skipWithoutShared } from '../testing/shared.js';

const info = (path: string) => runCli(['info', path]);

// Each test spawns its own memdig: run them side by side.
describe('cli info', { concurrency: true }, () => {
  test('cli info: bad input exits 3 with one line and no stack trace', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'memdig-cli-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const badMdmp = join(dir, 'bad.dmp');
    const b = new Uint8Array(64);
    b.set([0x4d, 0x44, 0x4d, 0x50, 0x93, 0xa7, 0, 0, 4, 0, 0, 0, 0xf0, 0, 0, 0]);
    writeFileSync(badMdmp, b);
    const badLime = join(dir, 'bad.lime');
    const l = new Uint8Array(64);
    l.set([0x45, 0x4d, 0x69, 0x4c, 1, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0x10]);
    writeFileSync(badLime, l);
    const cases = [
      [badMdmp, /^memdig: minidump: at offset 0xc: stream directory \(4 entries at 0xf0\) runs past the end/],
      [badLime, /^memdig: LiME: at offset 0x8: range 0x2000-0x1000 is invalid/],
      [join(dir, 'missing.raw'), /^memdig: cannot open .*missing\.raw/],
    ] as const;
    const runs = await Promise.all(cases.map(([p]) => info(p)));
    for (const [i, [, re]] of cases.entries()) {
      const r = runs[i]!;
      assert.equal(r.status, 3, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
  });

  test('cli info: minidump facts', {
    skip: skipWithoutShared('corpus/minidump/breakpad__minidump2.dmp'),
  }, async () => {
    const r = await info(sharedPath('corpus', 'minidump', 'breakpad__minidump2.dmp')!);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^os:\s+Windows NT 5\.1\.2600 Service Pack 2$/m);
    assert.match(r.stdout, /^arch:\s+x86, 32-bit pointers, 1 processor\(s\)$/m);
    assert.match(r.stdout, /^modules:\s+13 \(main: c:\\test_app\.exe at 0x400000\)$/m);
    assert.match(r.stdout, /^memory:\s+5884 bytes captured in 3 range\(s\)/m);
    assert.match(
      r.stdout,
      /^streams:\s+7: ThreadList, ModuleList, MemoryList, Exception, SystemInfo, MiscInfo, BreakpadInfo$/m,
    );
    assert.match(r.stdout, /^exception:\s+0xc0000005 at 0x40429e in thread 3060$/m);
  });

  test('cli info: crash-dump header facts and truncation warning (exit 1)', {
    skip: skipWithoutShared('corpus/minidump/imhex__dmp64_PAGEDU64_header.bin'),
  }, async () => {
    const r = await info(sharedPath('corpus', 'minidump', 'imhex__dmp64_PAGEDU64_header.bin')!);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^container:\s+crashdump64$/m);
    assert.match(r.stdout, /^PsActiveProcessHead: ?0xfffff8071ec360a0$/m);
    assert.match(r.stdout, /^DirectoryTableBase: ?0x1ad002$/m);
    assert.match(r.stdout, /^build:\s+19045 \(free\)$/m);
    assert.match(r.stdout, /^systemTime:\s+2024-10-12T12:57:59\.711Z$/m);
    assert.match(r.stdout, /^warning:\s+file is 16384 bytes but its runs need/m);
  });

  test('cli info: Windows identification findings with how each was found', async (t) => {
    const { forgeImage, presetScenario } = await import('../forge/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'memdig-cli-wininfo-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const img = join(dir, 'xp.raw');
    const m = forgeImage(presetScenario('xp-eventlog'), img, { writeManifest: false });
    const r = await info(img);
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, /^container: +raw$/m);
    assert.match(out, /^windows: +Windows NT 5\.1 build 2600 +\(kernel PE header version\)$/m);
    assert.match(out, new RegExp(`^dtb: +${m.kernel.dtb.replace(/^0x0*/, '0x')} +\\(`, 'm'));
    assert.match(
      out,
      new RegExp(`^kernel base: +0x${Number.parseInt(m.kernel.base, 16).toString(16)} +\\(`, 'm'),
    );
    assert.match(out, new RegExp(`^kernel pdb: +${m.kernel.pdb.name} ${m.kernel.pdb.guid}`, 'mi'));
    assert.match(out, /^layout: +.*\(exact PDB GUID\/age, built-in table\)$/m);
    assert.match(out, /^KDBG: +0x[0-9a-f]+ +\(/m);
    assert.match(out, /^system time: +\d{4}-/m);
    assert.match(out, /^processors: +1 /m);
  });

  test('cli info: no OS recognised is a partial result (exit 1): container facts and a warning', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'memdig-cli-noos-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const raw = join(dir, 'noise.raw');
    const noise = new Uint8Array(1 << 20);
    new Rng(7).fill(noise);
    writeFileSync(raw, noise);
    const r = await info(raw);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^container: +raw$/m);
    assert.match(r.stdout, /^physical: +1048576 bytes present in 1 range\(s\)/m);
    assert.match(r.stdout, /^os: +not recognised$/m);
    assert.match(r.stdout, /^warning: +no Windows or Linux kernel recognised: container facts only$/m);
    assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
  });
});
