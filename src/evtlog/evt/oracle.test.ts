import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { sharedDecompressed, sharedPath, skipWithoutShared } from '../../testing/shared.js';
import { carveEvtRecords } from './carve.js';
import { readEvtFile } from './parse.js';

/**
 * Oracle: libevt's `evtexport -m items` text for every .evt of the shared corpus (see corpus/SOURCES.md). memdig
 * must find at least the records libevt lists, with the same fields.
 */

interface OracleRecord {
  number: number;
  created: number;
  written: number;
  eventType: number;
  sid: string | null;
  computer: string;
  source: string;
  category: number;
  identifier: number;
  numStrings: number;
  strings: string[];
}

const FIELD =
  /^(Event number|Creation time|Written time|Event type|User security identifier|Computer name|Source name|Event category|Event identifier|Number of strings|String: \d+)\t+: (.*)$/s;

/** Splits evtexport output into records; a value that spans lines (strings with CR LF) keeps its newlines. */
function parseOracle(text: string): OracleRecord[] {
  const recs: Array<Map<string, string>> = [];
  let cur: Map<string, string> | null = null;
  let lastKey = '';
  // Normalise the end to one separator line, like every record before it; the last split element is then empty.
  const lines = text.replace(/\n+$/, '\n\n').split('\n');
  lines.pop();
  for (const line of lines.slice(1)) {
    const m = FIELD.exec(line);
    if (m && (m[1] === 'Event number' || cur)) {
      if (m[1] === 'Event number') {
        cur = new Map();
        recs.push(cur);
      }
      lastKey = m[1]!;
      cur!.set(lastKey, m[2]!);
    } else if (cur) cur.set(lastKey, `${cur.get(lastKey)}\n${line}`);
  }
  // Each record ends with one empty line (the separator), which the continuation rule appended to its last value.
  for (const r of recs) r.set(lastKeyOf(r), r.get(lastKeyOf(r))!.replace(/\n$/, ''));
  return recs.map((r) => {
    const num = (k: string) => Number(/\((\d+)\)/.exec(r.get(k) ?? '')?.[1] ?? r.get(k));
    const strings: string[] = [];
    for (let i = 1; r.has(`String: ${i}`); i++) strings.push(r.get(`String: ${i}`)!);
    return {
      number: Number(r.get('Event number')),
      created: oracleTime(r.get('Creation time')!),
      written: oracleTime(r.get('Written time')!),
      eventType: num('Event type'),
      sid: r.get('User security identifier') ?? null,
      computer: r.get('Computer name') ?? '',
      source: r.get('Source name') ?? '',
      category: Number(r.get('Event category')),
      identifier: num('Event identifier'),
      numStrings: Number(r.get('Number of strings')),
      strings,
    };
  });
}

function lastKeyOf(r: Map<string, string>): string {
  return [...r.keys()].at(-1)!;
}

/** "Jul 21, 2021 02:40:16 UTC" → POSIX seconds; "Not set (0)" → 0. */
function oracleTime(s: string): number {
  if (s.startsWith('Not set')) return 0;
  const t = Date.parse(s);
  assert.ok(!Number.isNaN(t), `oracle time "${s}"`);
  return t / 1000;
}

/** Records libevt finds with `-m recovered`, as listed in corpus/SOURCES.md. */
const RECOVERED: Record<string, number> = {
  'plaso__SysEvent.Evt': 438,
  'dissect__TestLog.evt': 0,
  'dissect__TestLog-dirty.evt': 0,
  'moex01__Application.evt': 0,
  'moex01__Security.evt': 0,
};

const dir = sharedPath('corpus', 'evt');
const files = dir ? readdirSync(dir).sort() : [];

test('evt oracle: corpus present', { skip: skipWithoutShared('corpus', 'evt') }, () => {
  assert.ok(files.length >= 5, `expected the 5 corpus .evt files, found ${files.length}`);
});

for (const f of files) {
  test(`evt oracle: ${f} matches libevt evtexport`, {
    skip: skipWithoutShared('corpus', 'oracle', `${f}.txt.xz`),
  }, () => {
    const oracle = parseOracle(readFileSync(sharedDecompressed('corpus', 'oracle', `${f}.txt.xz`)!, 'utf8'));
    const log = readEvtFile(`${dir}/${f}`);
    assert.ok(oracle.length > 0, 'oracle lists records');
    assert.ok(
      log.records.length >= oracle.length,
      `memdig ${log.records.length} records < libevt ${oracle.length}`,
    );
    let paddingStrings = 0;
    const byNumber = new Map(log.records.map((r) => [r.recordNumber, r]));
    for (const o of oracle) {
      const r = byNumber.get(o.number);
      assert.ok(r, `record ${o.number} missing`);
      // libevt counts strings by splitting the strings area on NULs, so zero padding after the last string shows up
      // as extra empty strings; memdig keeps the record's own NumStrings. Extra oracle strings must be empty.
      const extra = o.strings.splice(r.numberOfStrings);
      assert.ok(
        extra.every((s) => s === ''),
        `record ${o.number}: libevt has non-empty strings past NumStrings ${r.numberOfStrings}: ${JSON.stringify(extra)}`,
      );
      if (extra.length) paddingStrings++;
      o.numStrings = o.strings.length;
      const got = {
        number: r.recordNumber,
        created: r.timeGenerated,
        written: r.timeWritten,
        eventType: r.eventType,
        sid: r.sid,
        computer: r.computerName,
        source: r.sourceName,
        category: r.category,
        identifier: r.eventIdentifier,
        numStrings: r.numberOfStrings,
        strings: r.strings,
      };
      assert.deepEqual(got, o, `record ${o.number}`);
    }
    if (paddingStrings)
      console.log(`${f}: ${paddingStrings} records where libevt shows padding as empty strings`);
    const expectRecovered = RECOVERED[f];
    if (expectRecovered !== undefined)
      assert.equal(log.recovered.length, expectRecovered, 'recovered records');
  });
}

for (const f of files) {
  test(`evt carve: ${f}: carving finds every whole record the parser finds`, () => {
    const bytes = readFileSync(`${dir}/${f}`);
    const log = readEvtFile(`${dir}/${f}`);
    const carved = new Set(carveEvtRecords(bytes).map((r) => r.offset));
    const expected = [...log.records, ...log.recovered].filter(
      (r) => r.complete && !r.wrapped && !r.problems.length,
    );
    for (const r of expected)
      assert.ok(carved.has(r.offset), `record ${r.recordNumber} at 0x${r.offset.toString(16)}`);
    // Carving sees only whole records: the parser's split and incomplete ones are all it may miss.
    assert.ok(carved.size <= log.records.length + log.recovered.length);
  });
}
