import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildEvtLog, buildEvtRecord } from '../evtlog/evt/build.js';
import { runCli } from '../testing/cli.js';
import { EVT_KEYS } from '../testing/evtlog-columns.js';

/** Runs `memdig evt`; `status` 1 is the documented exit code for a partial result (records on missing pages). */
async function run(args: string[], status = 0) {
  const r = await runCli(['evt', ...args]);
  assert.equal(r.status, status, r.stderr);
  return r;
}

const lines = (s: string) => s.trim().split('\n');

test('cli evt: table, JSON Lines and CSV with stable columns; --recovered adds slack records', async () => {
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

    // Independent runs of one file: side by side.
    const [jsonRun, recRun, csvRun, table, carvedRun] = await Promise.all([
      run([path, '--json']),
      run([path, '--json', '--recovered']),
      run([path, '--csv']),
      run([path]),
      run([path, '--carve', '--json']),
    ]);
    const json = lines(jsonRun.stdout).map((l) => JSON.parse(l));
    assert.equal(json.length, 2);
    assert.deepEqual(Object.keys(json[0]), EVT_KEYS);
    assert.equal(json[0].partial, false);
    assert.equal(json[0].event_id, 7000);
    assert.equal(json[0].event_identifier, '0xc0001b58');
    assert.equal(json[0].event_type, 'error');
    assert.equal(json[0].time_generated, '2011-07-27T06:41:47Z');
    assert.equal(json[0].sid, 'S-1-5-18');
    assert.deepEqual(JSON.parse(json[0].strings), ['a, "quoted"', 'b']);
    assert.equal(json[0].data_hex, 'dead');
    assert.equal(json[0].offset, 0x30);

    const rec = lines(recRun.stdout);
    assert.equal(rec.length, 3);
    assert.equal(JSON.parse(rec[2]!).recovered, true);
    assert.equal(JSON.parse(rec[2]!).source, 'Old');

    const csv = csvRun.stdout.split('\n');
    assert.ok(csv[0]!.startsWith('record_number,time_generated,'));
    assert.equal(csv.length, 4);
    assert.match(table.stdout, /Service Control Manager/);
    assert.match(table.stderr, /2 records/);

    assert.equal(lines(carvedRun.stdout).length, 3);

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
    const twice = join(dir, 'twice.bin');
    writeFileSync(twice, Buffer.concat([file, file]));
    const [withMap, twiceAll, twiceUnique, noMap] = await Promise.all([
      run([path, '--json'], 1),
      run([twice, '--carve', '--json']),
      run([twice, '--carve', '--json', '--unique']),
      run([path, '--json', '--no-manifest']),
    ]);
    assert.deepEqual(
      lines(withMap.stdout).map((l) => JSON.parse(l).partial),
      [true, false],
    );
    assert.match(withMap.stderr, /64 bytes missing/);
    assert.equal(lines(twiceAll.stdout).length, 6);
    assert.equal(lines(twiceUnique.stdout).length, 3);
    assert.equal(JSON.parse(lines(noMap.stdout)[0]!).partial, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
