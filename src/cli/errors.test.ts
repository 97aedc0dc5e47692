import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildEvtx } from '../forge/evtx-writer.js';
import { forgeImage, presetScenario } from '../forge/index.js';
import { Rng } from '../forge/rng.js';
import { runCli } from '../testing/cli.js';
import { ExitCode } from '../util/errors.js';

let dir = '';
let img = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdig-errors-'));
  img = join(dir, 'xp.raw');
  forgeImage(presetScenario('xp-eventlog', 1), img);
  const junk = new Uint8Array(256 << 10);
  new Rng(7).fill(junk);
  writeFileSync(join(dir, 'junk.bin'), junk);
  // A Windows hibernation file: recognised, but its compressed memory is not supported.
  const hiber = new Uint8Array(64 << 10);
  hiber.set(Buffer.from('hibr'), 0);
  writeFileSync(join(dir, 'hiberfil.sys'), hiber);
  // An EVTX log with one damaged byte in its chunk: records are listed, the chunk CRC says some may be wrong.
  const evtx = buildEvtx({ chunks: 1, computer: 'WIN10', channel: 'System' }, new Rng(1));
  evtx[0x1000 + 0x300] = (evtx[0x1000 + 0x300]! ^ 0xff) & 0xff;
  writeFileSync(join(dir, 'damaged.evtx'), evtx);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Each failure: the documented exit code, and exactly one `memdig: ...` line on stderr, no stack. */
const cases: { name: string; args: () => string[]; code: number; says: RegExp }[] = [
  {
    name: 'missing file',
    args: () => ['ps', join(dir, 'nope.raw')],
    code: ExitCode.BadInput,
    says: /cannot open/,
  },
  { name: 'a folder, not a file', args: () => ['ps', dir], code: ExitCode.BadInput, says: /not a file/ },
  {
    name: 'unknown command',
    args: () => ['bogus'],
    code: ExitCode.Usage,
    says: /unknown command 'bogus'.*--help/,
  },
  {
    name: 'unknown option',
    args: () => ['ps', img, '--bogus'],
    code: ExitCode.Usage,
    says: /unknown option/,
  },
  { name: 'missing argument', args: () => ['ps'], code: ExitCode.Usage, says: /missing required argument/ },
  {
    name: 'two formats',
    args: () => ['ps', img, '--json', '--csv'],
    code: ExitCode.Usage,
    says: /one output format/,
  },
  {
    name: 'unsupported container (hibernation file)',
    args: () => ['ps', join(dir, 'hiberfil.sys')],
    code: ExitCode.BadInput,
    says: /hibernation/,
  },
  {
    name: 'no OS recognised',
    args: () => ['ps', join(dir, 'junk.bin')],
    code: ExitCode.BadInput,
    says: /no Windows or Linux kernel found.*memdig info/,
  },
  {
    name: 'Windows-only command on a non-Windows dump',
    args: () => ['vads', join(dir, 'junk.bin')],
    code: ExitCode.BadInput,
    says: /not a Windows dump/,
  },
  {
    name: 'Linux-only command on Windows',
    args: () => ['maps', img],
    code: ExitCode.BadInput,
    says: /not supported by this command/,
  },
  {
    name: 'extract without a selector',
    args: () => ['extract', img, '-o', join(dir, 'x')],
    code: ExitCode.Usage,
    says: /choose what to extract/,
  },
  {
    name: 'extract with a bad regular expression',
    args: () => ['extract', img, '-o', join(dir, 'x'), '--name', '('],
    code: ExitCode.Usage,
    says: /--name: invalid regular expression/,
  },
  {
    name: 'extract into a path under a file',
    args: () => ['extract', img, '--all', '-o', join(dir, 'junk.bin', 'x')],
    code: ExitCode.Usage,
    says: /cannot create the output folder/,
  },
  {
    // The usage error comes first: the dump (missing here) is not even opened.
    name: 'two output formats',
    args: () => ['ps', join(dir, 'missing.raw'), '--json', '--csv'],
    code: ExitCode.Usage,
    says: /choose one output format, not json and csv/,
  },
  {
    name: 'case database that is not one',
    args: () => ['ps', img, '--sqlite', join(dir, 'junk.bin')],
    code: ExitCode.Usage,
    says: /cannot use it as a case database/,
  },
  {
    name: 'evt on a file that is not a log',
    args: () => ['evt', join(dir, 'junk.bin')],
    code: ExitCode.BadInput,
    says: /not a classic event log.*--carve/,
  },
  {
    name: 'evtx on a file that is not a log',
    args: () => ['evtx', join(dir, 'junk.bin')],
    code: ExitCode.BadInput,
    says: /not an EVTX log.*--carve/,
  },
  {
    name: 'forge with an unknown scenario',
    args: () => ['forge', join(dir, 'nope'), '-o', join(dir, 'f.raw')],
    code: ExitCode.Usage,
    says: /not a preset/,
  },
];

describe('user-facing failures', { concurrency: true }, () => {
  for (const c of cases) {
    test(`${c.name}: exit ${c.code}, one line`, async () => {
      const r = await runCli(c.args());
      assert.equal(r.status, c.code, r.stderr);
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, `one stderr line, got:\n${r.stderr}`);
      assert.match(lines[0]!, /^memdig: /);
      assert.match(lines[0]!, c.says);
      assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
    });
  }

  test('partial results: records listed, exit 1, warnings on stderr', async () => {
    const r = await runCli(['evtx', join(dir, 'damaged.evtx'), '--json']);
    assert.equal(r.status, ExitCode.Partial, r.stderr);
    assert.ok(r.stdout.trim().split('\n').length > 0);
    assert.match(r.stderr, /CRC/);
  });
});
