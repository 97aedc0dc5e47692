import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runEvtlogs } from '../cli/evtlogs-action.js';
import { openWindows } from '../cli/windows-session.js';
import { carveEvtRecords } from '../evtlog/evt/carve.js';
import { parseEvt } from '../evtlog/evt/parse.js';
import { posixToIso } from '../evtlog/evt/record.js';
import { carveEvtx } from '../evtlog/evtx/carve.js';
import { parseEvtx } from '../evtlog/evtx/parser.js';
import { LOG_RECORD_COLUMNS, type LogRecordRow } from '../evtlog/log-records.js';
import { resolveContent } from '../forge/content.js';
import { forgeImage, type Manifest, presetScenario } from '../forge/index.js';
import { Rng } from '../forge/rng.js';

/**
 * End to end on the forge's EventLog presets: every record the manifest says is recoverable (all the file pages it
 * spans resident) is reported, and every record reported exists in an original log.
 */

interface Truth {
  /** Keys of every record in the original logs of the image. */
  all: Map<string, number | null>;
  /** Per log (base name): keys of records whose pages are all resident. */
  recoverable: Map<string, Set<string>>;
}

const PAGE = 4096;

function pagesResident(m: Manifest['files'][number], ranges: [number, number][]): boolean {
  for (const [s, e] of ranges)
    for (let p = Math.floor(s / PAGE); p * PAGE < e; p++) if (m.pages[p]?.state !== 'resident') return false;
  return true;
}

/** The original bytes of each log in the image, rebuilt the way the forge made them, and their records. */
function truthOf(preset: string, manifest: Manifest): Truth {
  const sc = presetScenario(preset);
  const all = new Map<string, number | null>();
  const recoverable = new Map<string, Set<string>>();
  for (const spec of sc.files) {
    const kind = /\.evtx$/i.test(spec.path) ? 'evtx' : /\.evt$/i.test(spec.path) ? 'evt' : null;
    if (!kind) continue;
    const mf = manifest.files.find((f) => f.path === spec.path)!;
    const c = resolveContent(spec.content, spec.path, new Rng(sc.seed).fork(`content:${spec.path}`));
    const bytes = c.bytes!;
    assert.equal(
      createHash('sha256').update(bytes).digest('hex'),
      mf.sha256,
      `${spec.path}: regenerated content`,
    );
    assert.equal(c.origin, mf.origin);
    const rec = new Set<string>();
    recoverable.set(spec.path.split('\\').pop()!, rec);
    if (kind === 'evt') {
      const p = parseEvt(bytes);
      for (const r of [...p.records, ...p.recovered, ...carveEvtRecords(bytes)]) {
        if (r.problems.length || !r.complete) continue;
        const key = `evt:${r.recordNumber}:${posixToIso(r.timeWritten)}:${r.sourceName}`;
        all.set(key, r.eventId);
        const first = Math.min(r.length, bytes.length - r.offset);
        const ranges: [number, number][] = [[r.offset, r.offset + first]];
        if (first < r.length) ranges.push([0x30, 0x30 + r.length - first]);
        if (pagesResident(mf, ranges)) rec.add(key);
      }
    } else {
      const seen = [...parseEvtx(bytes)].map((r) => ({ ...r, incomplete: false }));
      for (const r of [...seen, ...carveEvtx(bytes).records]) {
        const key = `evtx:${r.recordId}:${r.written}`;
        all.set(key, r.incomplete ? null : (r.json?.EventID ?? null));
        if (pagesResident(mf, [[r.offset, r.offset + r.size]])) rec.add(key);
      }
    }
  }
  return { all, recoverable };
}

function keyOf(r: LogRecordRow): string {
  return r.format === 'evt'
    ? `evt:${r.record_id}:${r.time_written}:${r.provider}`
    : `evtx:${r.record_id}:${r.time_written}`;
}

/**
 * Forges `preset` in a temp folder, runs evtlogs on it and checks it against the truth. Without ../shared the forge
 * builds the same images with generated logs, so this runs on a fresh clone too.
 */
export function evtlogsScenario(preset: string, expectHost: RegExp) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), `memdig-evtlogs-${preset}-`));
    try {
      const image = join(dir, `${preset}.raw`);
      const manifest = forgeImage(presetScenario(preset), image);
      const truth = truthOf(preset, manifest);
      const ctx = await openWindows(image, {});
      assert.ok(ctx);
      let res: ReturnType<typeof runEvtlogs>;
      try {
        res = runEvtlogs(ctx, { output: join(dir, 'out') });
      } finally {
        ctx.mem.close();
      }
      assert.ok(res.service, 'service found');
      assert.match(`${res.service.process.name} ${res.service.process.pid}`, expectHost);

      const found = new Set(res.records.map(keyOf));
      for (const [log, keys] of truth.recoverable) {
        const missing = [...keys].filter((k) => !found.has(k));
        const got = res.records.filter((r) => r.log === log).length;
        console.log(
          `${preset} ${log}: ${keys.size} recoverable, ${keys.size - missing.length} recovered, ${got} reported`,
        );
        assert.deepEqual(
          missing.slice(0, 5),
          [],
          `${log}: ${missing.length} recoverable records not reported`,
        );
      }
      for (const r of res.records) {
        const k = keyOf(r);
        assert.ok(
          truth.all.has(k),
          `${r.log} ${r.source} record ${k} at ${r.offset} is not in any original log`,
        );
        const ev = truth.all.get(k);
        if (r.complete && ev !== null && ev !== undefined) assert.equal(r.event_id, ev, `${k}: event id`);
      }
      // Each .evtx has a repaired copy beside it that a strict reader accepts (every CRC right).
      for (const l of res.logs.filter((x) => x.format === 'evtx')) {
        assert.ok(
          l.repaired && dirname(l.repaired) === dirname(l.output),
          `${l.log}: repaired beside the log`,
        );
        const fixed = parseEvtx(readFileSync(l.repaired));
        const n = [...fixed].length;
        assert.ok(fixed.header?.crcOk, `${l.log}: repaired header CRC`);
        assert.deepEqual(
          fixed.chunks.filter((c) => !c.headerCrcOk || !c.dataCrcOk).map((c) => c.index),
          [],
          `${l.log}: repaired chunk CRCs`,
        );
        assert.ok(n > 0, `${l.log}: repaired copy has records`);
      }
      // The JSON Lines and CSV files hold every record with the stable columns.
      const lines = readFileSync(res.recordsPath, 'utf8').trim().split('\n');
      assert.equal(lines.length, res.records.length);
      assert.deepEqual(Object.keys(JSON.parse(lines[0]!)), [...LOG_RECORD_COLUMNS]);
      const csv = readFileSync(res.csvPath, 'utf8').split('\n');
      assert.equal(csv[0], LOG_RECORD_COLUMNS.join(','));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
