import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sharedDecompressed, sharedPath, skipWithoutShared } from '../../testing/shared.js';
import { parseEvtxFile } from './parser.js';
import type { XChild } from './render.js';
import { eventStrings } from './strings.js';

/** One record of libevtx `evtxexport -m items` text output. */
interface OracleRecord {
  number: number;
  written: string;
  level: number | null;
  sid: string | null;
  computer: string;
  source: string;
  eventId: number;
  strings: string[];
}

const MONTHS: Record<string, string> = {
  Jan: '01',
  Feb: '02',
  Mar: '03',
  Apr: '04',
  May: '05',
  Jun: '06',
  Jul: '07',
  Aug: '08',
  Sep: '09',
  Oct: '10',
  Nov: '11',
  Dec: '12',
};

/** "Jul 08, 2016 18:12:51.681640800 UTC" -> "2016-07-08T18:12:51.6816408Z" (libevtx prints 100 ns ticks * 100). */
function oracleTime(s: string): string {
  const m = /^(\w{3}) (\d\d), (\d{4}) (\d\d:\d\d:\d\d)\.(\d{7})\d\d UTC$/.exec(s);
  if (!m) return s;
  return `${m[3]}-${MONTHS[m[1]!]}-${m[2]}T${m[4]}.${m[5]}Z`;
}

export function parseOracle(text: string): OracleRecord[] {
  const out: OracleRecord[] = [];
  const blocks = text.split(/\n(?=Event number\t+: )/);
  for (const block of blocks) {
    if (!block.startsWith('Event number')) continue;
    // Header fields are the lines before the first "String:" line.
    const fields = new Map<string, string>();
    const head = block.indexOf('\nString: 1\t');
    for (const line of (head < 0 ? block : block.slice(0, head)).split('\n')) {
      const i = line.indexOf('\t');
      const j = line.indexOf(': ', i);
      if (i > 0 && j > 0) fields.set(line.slice(0, i), line.slice(j + 2));
    }
    const field = (name: string): string | null => fields.get(name) ?? null;
    const count = Number(field('Number of strings') ?? 0);
    const strings: string[] = [];
    let from = block.indexOf('\nString: 1\t');
    for (let i = 1; i <= count && from >= 0; i++) {
      const start = block.indexOf('\t: ', from) + 3;
      const next = i < count ? block.indexOf(`\nString: ${i + 1}\t`, start) : -1;
      let v = next < 0 ? block.slice(start) : block.slice(start, next);
      if (next < 0) v = v.replace(/\n+$/, '');
      strings.push(v);
      from = next;
    }
    const level = /\((\d+)\)$/.exec(field('Event level') ?? '');
    const id = /\((\d+)\)$/.exec(field('Event identifier') ?? '');
    out.push({
      number: Number(field('Event number')),
      written: oracleTime(field('Written time') ?? ''),
      level: level ? Number(level[1]) : null,
      sid: field('User security identifier'),
      computer: field('Computer name') ?? '',
      source: field('Source name') ?? '',
      eventId: id ? Number(id[1]) : -1,
      strings,
    });
  }
  return out;
}

/** Hex numbers are padded differently by libevtx (0x%016x) than by Windows' rendering (0x%x). */
function sameString(ours: string, theirs: string): boolean {
  if (ours === theirs) return true;
  // Invalid UTF-16 (lone surrogates) is replaced differently by each decoder.
  if (ours.includes('\ufffd') || theirs.includes('\ufffd')) return true;
  // FILETIME values: libevtx prints 9 fractional digits, Windows 7.
  if (/^\d{4}-.*\.\d{9}Z$/.test(theirs) && ours === theirs.replace(/(\.\d{7})\d\dZ$/, '$1Z')) return true;
  // SizeT: Windows renders hex, libevtx decimal.
  if (/^0x[0-9a-f]+$/i.test(ours) && /^\d+$/.test(theirs)) return BigInt(ours) === BigInt(theirs);
  if (/^0x[0-9a-f]+$/i.test(ours) && /^0x[0-9a-f]+$/i.test(theirs)) return BigInt(ours) === BigInt(theirs);
  // libevtx trims nothing; Windows line ends inside values are CRLF in both, but libevtx drops a trailing NUL run.
  return (
    ours.replace(/\r\n/g, '\n').replace(/\s+$/, '') === theirs.replace(/\r\n/g, '\n').replace(/\s+$/, '')
  );
}

const dir = sharedPath('corpus', 'evtx');
const files = dir
  ? readdirSync(dir)
      .filter((f) => f.endsWith('.evtx'))
      .sort()
  : [];

test('EVTX records match libevtx evtxexport on the corpus', {
  skip: skipWithoutShared('corpus', 'evtx'),
}, () => {
  const report: string[] = [];
  let total = 0;
  let totalOracle = 0;
  const bad: string[] = [];
  for (const f of files) {
    const oraclePath = sharedDecompressed('corpus', 'oracle', `${f}.txt.xz`);
    if (!oraclePath) continue;
    const oracle = parseOracle(readFileSync(oraclePath, 'utf8'));
    const log = parseEvtxFile(join(dir!, f), { tree: true });
    const byId = new Map<number, { r: ReturnType<typeof summarise> }>();
    let n = 0;
    for (const r of log) {
      n++;
      if (!byId.has(r.recordId)) byId.set(r.recordId, { r: summarise(r) });
    }
    total += n;
    totalOracle += oracle.length;
    report.push(`${f}: memdig ${n}, evtxexport ${oracle.length}`);
    assert.ok(n >= oracle.length, `${f}: memdig found ${n} records, evtxexport ${oracle.length}`);
    for (const o of oracle) {
      const got = byId.get(o.number);
      const where = `${f} record ${o.number}`;
      if (!got) {
        bad.push(`${where}: missing`);
        continue;
      }
      const g = got.r;
      const check = (ok: boolean, what: string) => {
        if (!ok) bad.push(`${where}: ${what}`);
      };
      check(g.written === o.written, `written ${g.written} != ${o.written}`);
      check(g.eventId === o.eventId, `event id ${g.eventId} != ${o.eventId}`);
      check(g.provider === o.source, `source ${g.provider} != ${o.source}`);
      check(g.computer === o.computer, `computer ${g.computer} != ${o.computer}`);
      if (o.level !== null) check((g.level ?? 0) === o.level, `level ${g.level} != ${o.level}`);
      if (o.sid !== null) check(g.sid === o.sid, `user SID ${g.sid} != ${o.sid}`);
      if (g.userData) {
        // libevtx flattens UserData by rules of its own (nested lists, attribute-only leaves); check that every
        // value it found is in our rendering instead of replaying those rules.
        for (const str of o.strings) {
          if (str && !g.allText.some((t) => sameString(t, str)))
            check(false, `UserData value ${JSON.stringify(str).slice(0, 120)} not rendered`);
        }
        continue;
      }
      if (g.strings.length !== o.strings.length) {
        check(
          false,
          `string count ${g.strings.length} != ${o.strings.length}: ${JSON.stringify(g.strings).slice(0, 300)} vs ${JSON.stringify(o.strings).slice(0, 300)}`,
        );
        continue;
      }
      for (let i = 0; i < o.strings.length; i++) {
        check(
          sameString(g.strings[i]!, o.strings[i]!),
          `string ${i + 1}: ${JSON.stringify(g.strings[i]).slice(0, 200)} != ${JSON.stringify(o.strings[i]).slice(0, 200)}`,
        );
      }
    }
  }
  if (process.env.MEMDIG_VERBOSE) console.log([...report, ...bad].join('\n'));
  assert.deepEqual(bad.slice(0, 20), [], `${bad.length} mismatches with evtxexport`);
  assert.ok(total >= totalOracle);
});

function summarise(r: import('./parser.js').EvtxRecord) {
  const j = r.json!;
  return {
    written: r.written,
    eventId: j.EventID,
    provider: (j.EventSourceName as string | undefined) ?? j.Provider ?? '',
    computer: j.Computer ?? '',
    level: j.Level,
    sid: j.UserID,
    strings: eventStrings(r.tree ?? []),
    userData: 'UserData' in j,
    allText: allText(r.tree ?? [], []),
  };
}

function allText(children: XChild[], out: string[]): string[] {
  for (const c of children) {
    if (typeof c === 'string') out.push(c);
    else if ('name' in c) {
      for (const [, v] of c.attrs) out.push(v);
      if (c.children.every((x) => typeof x === 'string')) out.push(c.children.join(''));
      allText(c.children, out);
    }
  }
  return out;
}
