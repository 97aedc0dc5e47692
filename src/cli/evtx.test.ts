import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { synthChunk, synthEvents, synthFile } from '../evtlog/evtx/synth.js';
import { runCli } from '../testing/cli.js';
import { EVTX_KEYS } from '../testing/evtlog-columns.js';

test('memdig evtx: table, JSON Lines, CSV, XML and carve output', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memdig-evtx-cli-'));
  try {
    const file = join(dir, 'test.evtx');
    writeFileSync(file, synthFile([synthChunk(synthEvents(1, 3))], 4));
    const fixed = join(dir, 'fixed.evtx');
    // Independent runs of one file: side by side.
    const [json, csv, table, xml, carve, rep] = await Promise.all([
      runCli(['evtx', '--json', file]),
      runCli(['evtx', '--csv', file]),
      runCli(['evtx', file]),
      runCli(['evtx', '--xml', file]),
      runCli(['evtx', '--carve', '--json', file]),
      runCli(['evtx', '--repair', fixed, file]),
    ]);
    assert.equal(json.status, 0, json.stderr);
    const rows = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(rows.length, 3);
    assert.deepEqual(Object.keys(rows[0]), EVTX_KEYS);
    assert.equal(rows[0].record_id, 1);
    assert.equal(rows[0].event_id, 4624);
    assert.equal(rows[0].provider, 'Memdig-Test');
    assert.equal(rows[0].offset, 4096 + 512);
    assert.match(json.stderr, /1 chunk\(s\): 0 skipped, 0 with CRC mismatches/);

    assert.equal(
      csv.stdout.split('\n')[0],
      'record_id,time_created,event_id,level,provider,channel,computer,chunk,offset,data',
    );
    assert.match(table.stdout, /^record_id\s+time_created/);
    assert.equal((xml.stdout.match(/<Event xmlns=/g) ?? []).length, 3);
    assert.equal(carve.stdout.trim().split('\n').length, 3);
    assert.match(carve.stderr, /carved 1 chunk\(s\), 3 record\(s\)/);
    assert.equal(rep.status, 0, rep.stderr);
    assert.match(rep.stderr, /1 chunk\(s\) of 1 found, 3 record\(s\) \(1\.\.3\)/);
    assert.equal((await runCli(['evtx', '--json', fixed])).stdout, json.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
