import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildEvtLog, buildEvtRecord } from '../evtlog/evt/build.js';

const main = join(dirname(fileURLToPath(import.meta.url)), 'main.js');

/** Runs `memdig evt`; `status` 1 is the documented exit code for a partial result (records on missing pages). */
function run(...args: string[]) {
  return runExpecting(0, ...args);
}

function runExpecting(status: number, ...args: string[]) {
  const r = spawnSync(process.execPath, [main, 'evt', ...args], { encoding: 'utf8' });
  assert.equal(r.status, status, r.stderr);
  return r;
}

test('cli evt: table, JSON Lines and CSV with stable columns; --recovered adds slack records', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memdig-evt-cli-'));
  try {
    const { file, eofOffset } = buildEvtLog({
      size: 0x1000,
      records: [
        buildEvtRecord({
          recordNumber: 1,
          eventIdentifier: 0xc0001b58,
          eventType: 1,
          source: 'Service Control Manager',
          sid: 'S-1-5-18',
          strings: ['a, "quoted"', 'b'],
          data: Uint8Array.of(0xde, 0xad),
          timeGenerated: 1311748907,
        }),
        buildEvtRecord({ recordNumber: 2 }),
      ],
    });
    buildEvtRecord({ recordNumber: 9, source: 'Old' }).copy(file, eofOffset + 0x100);
    const path = join(dir, 'x.evt');
    writeFileSync(path, file);

    const json = run(path, '--json')
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(json.length, 2);
    assert.deepEqual(Object.keys(json[0]), [
      'record_number',
      'time_generated',
      'time_written',
      'event_id',
      'event_identifier',
      'event_type',
      'category',
      'source',
      'computer',
      'sid',
      'strings',
      'data_hex',
      'offset',
      'recovered',
      'partial',
    ]);
    assert.equal(json[0].partial, false);
    assert.equal(json[0].event_id, 7000);
    assert.equal(json[0].event_identifier, '0xc0001b58');
    assert.equal(json[0].event_type, 'error');
    assert.equal(json[0].time_generated, '2011-07-27T06:41:47Z');
    assert.equal(json[0].sid, 'S-1-5-18');
    assert.deepEqual(JSON.parse(json[0].strings), ['a, "quoted"', 'b']);
    assert.equal(json[0].data_hex, 'dead');
    assert.equal(json[0].offset, 0x30);

    const rec = run(path, '--json', '--recovered').stdout.trim().split('\n');
    assert.equal(rec.length, 3);
    assert.equal(JSON.parse(rec[2]!).recovered, true);
    assert.equal(JSON.parse(rec[2]!).source, 'Old');

    const csv = run(path, '--csv').stdout.split('\n');
    assert.ok(csv[0]!.startsWith('record_number,time_generated,'));
    assert.equal(csv.length, 4);
    const table = run(path);
    assert.match(table.stdout, /Service Control Manager/);
    assert.match(table.stderr, /2 records/);

    const carved = run(path, '--carve', '--json').stdout.trim().split('\n');
    assert.equal(carved.length, 3);

    // A page map beside the file (as `memdig` writes for extracted files): records on missing pages are partial.
    writeFileSync(
      `${path}.json`,
      JSON.stringify({
        format: 'memdig-extracted-file/1',
        pages: [
          { offset: 0, length: 0x40, resident: false },
          { offset: 0x40, length: 0xfc0, resident: true },
        ],
      }),
    );
    const withMap = runExpecting(1, path, '--json');
    assert.deepEqual(
      withMap.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).partial),
      [true, false],
    );
    assert.match(withMap.stderr, /64 bytes missing/);
    const twice = join(dir, 'twice.bin');
    writeFileSync(twice, Buffer.concat([file, file]));
    assert.equal(run(twice, '--carve', '--json').stdout.trim().split('\n').length, 6);
    assert.equal(run(twice, '--carve', '--json', '--unique').stdout.trim().split('\n').length, 3);
    const noMap = run(path, '--json', '--no-manifest').stdout.trim().split('\n');
    assert.equal(JSON.parse(noMap[0]!).partial, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
