import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildEvt } from '../forge/evt-writer.js';
import { buildEvtx } from '../forge/evtx-writer.js';
import { Rng } from '../forge/rng.js';
import { checkFormats } from '../testing/cli.js';
import { EVT_KEYS, EVTX_KEYS } from '../testing/evtlog-columns.js';
import { sharedPath } from '../testing/shared.js';

let dir = '';
let evt = '';
let evtx = '';
let caseDb = '';

// Real logs from the corpus when ../shared is there; otherwise logs written by the forge's writers.
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'memdig-formats-evtlog-'));
  caseDb = join(dir, 'case.db');
  evt = sharedPath('corpus', 'evt', 'moex01__Application.evt') ?? join(dir, 'App.evt');
  evtx = sharedPath('corpus', 'evtx', 'velociraptor__TaskScheduler.evtx') ?? join(dir, 'Task.evtx');
  if (evt.startsWith(dir))
    writeFileSync(
      evt,
      buildEvt({ records: 40, maxSize: 0x10000, computer: 'XPBOX', source: 'memdig' }, new Rng(1)),
    );
  if (evtx.startsWith(dir))
    writeFileSync(evtx, buildEvtx({ chunks: 2, computer: 'WIN10', channel: 'System' }, new Rng(1)));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('event log commands in every format', { concurrency: true }, () => {
  test('evt: every format carries the same records', async () => {
    const rows = await checkFormats({
      args: ['evt', evt],
      dump: evt,
      table: 'evt_records',
      keys: EVT_KEYS,
      indexed: ['record_number', 'time_written', 'event_id'],
      bodyfileTimes: ['time_generated', 'time_written'],
      caseDb,
    });
    assert.ok(rows.length > 0);
    // `strings` is a JSON array inside the cell, in every format.
    for (const r of rows) assert.ok(Array.isArray(JSON.parse(r.strings as string)));
  });

  test('evt --carve: every format carries the same records', async () => {
    const rows = await checkFormats({
      args: ['evt', '--carve', evt],
      dump: evt,
      table: 'evt_records',
      keys: EVT_KEYS,
      bodyfileTimes: ['time_generated', 'time_written'],
      caseDb: join(dir, 'carve.db'),
    });
    assert.ok(rows.length > 0);
  });

  test('evtx: every format carries the same records', async () => {
    const rows = await checkFormats({
      args: ['evtx', evtx],
      dump: evtx,
      table: 'evtx_records',
      keys: EVTX_KEYS,
      indexed: ['record_id', 'time_created', 'event_id', 'provider'],
      bodyfileTimes: ['time_created'],
      caseDb,
    });
    assert.ok(rows.length > 0);
    assert.ok(rows.every((r) => typeof r.record_id === 'number'));
  });

  test('evtx --carve: every format carries the same records', async () => {
    const rows = await checkFormats({
      args: ['evtx', '--carve', evtx],
      dump: evtx,
      table: 'evtx_records',
      keys: EVTX_KEYS,
      bodyfileTimes: ['time_created'],
      caseDb: join(dir, 'carve.db'),
    });
    assert.ok(rows.length > 0);
  });
});
