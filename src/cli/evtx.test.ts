import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { synthChunk, synthEvents, synthFile } from '../evtlog/evtx/synth.js';

const main = join(dirname(fileURLToPath(import.meta.url)), 'main.js');

function run(args: string[]) {
  return spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
}

test('memdig evtx: table, JSON Lines, CSV, XML and carve output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memdig-evtx-cli-'));
  try {
    const file = join(dir, 'test.evtx');
    writeFileSync(file, synthFile([synthChunk(synthEvents(1, 3))], 4));
    const json = run(['evtx', '--json', file]);
    assert.equal(json.status, 0, json.stderr);
    const rows = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(rows.length, 3);
    assert.deepEqual(Object.keys(rows[0]), [
      'record_id',
      'time_created',
      'event_id',
      'level',
      'provider',
      'channel',
      'computer',
      'chunk',
      'offset',
      'data',
    ]);
    assert.equal(rows[0].record_id, 1);
    assert.equal(rows[0].event_id, 4624);
    assert.equal(rows[0].provider, 'Memdig-Test');
    assert.equal(rows[0].offset, 4096 + 512);
    assert.match(json.stderr, /1 chunk\(s\): 0 skipped, 0 with CRC mismatches/);

    const csv = run(['evtx', '--csv', file]);
    assert.equal(
      csv.stdout.split('\n')[0],
      'record_id,time_created,event_id,level,provider,channel,computer,chunk,offset,data',
    );
    const table = run(['evtx', file]);
    assert.match(table.stdout, /^record_id\s+time_created/);
    const xml = run(['evtx', '--xml', file]);
    assert.equal((xml.stdout.match(/<Event xmlns=/g) ?? []).length, 3);
    const carve = run(['evtx', '--carve', '--json', file]);
    assert.equal(carve.stdout.trim().split('\n').length, 3);
    assert.match(carve.stderr, /carved 1 chunk\(s\), 3 record\(s\)/);
    const fixed = join(dir, 'fixed.evtx');
    const rep = run(['evtx', '--repair', fixed, file]);
    assert.equal(rep.status, 0, rep.stderr);
    assert.match(rep.stderr, /1 chunk\(s\) of 1 found, 3 record\(s\) \(1\.\.3\)/);
    assert.equal(run(['evtx', '--json', fixed]).stdout, json.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
