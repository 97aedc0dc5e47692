import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { forgeImage, presetScenario } from '../forge/index.js';
import { runCli } from '../testing/cli.js';

test('memdig evtlogs: names the service on stderr with --json, one summary row per log, exit 1 when partial', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memdig-evtlogs-cli-'));
  try {
    const image = join(dir, 'xp.raw');
    forgeImage(presetScenario('xp-eventlog'), image);
    const out = join(dir, 'out');
    const r = await runCli(['evtlogs', image, '-o', out, '--json']);
    // Pages of SecEvent.Evt and SysEvent.Evt were never in memory: a partial result.
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /EventLog service: services\.exe pid 652 — maps 3 classic event logs/);
    assert.match(r.stderr, /warning: SecEvent\.Evt: 5 of 16 pages not in memory/);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      rows.map((x) => String(x.log).split('\\').pop()),
      ['AppEvent.Evt', 'SecEvent.Evt', 'SysEvent.Evt'],
    );
    const sec = rows[1]!;
    assert.equal(sec.deleted, true);
    assert.equal(sec.pages, '11/16');
    const files = readdirSync(out);
    for (const f of ['records.jsonl', 'records.csv', 'summary.json']) assert.ok(files.includes(f), f);
    assert.equal(files.filter((f) => f.endsWith('.dat') && existsSync(join(out, `${f}.json`))).length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
