import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';

/** The built CLI entry (dist/cli/main.js), run as a user would: a separate process with piped stdio. */
export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `memdig ...args` asynchronously, so a test can run several commands at once on both cores. */
export function runCli(args: string[], cwd?: string): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd, encoding: 'utf8', maxBuffer: 256 << 20, env: { ...process.env, MEMDIG_DEBUG: '' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 70) : 0;
        resolvePromise({ status: code, stdout, stderr });
      },
    );
  });
}

export type JsonRow = Record<string, string | number | boolean | null>;

/** What every format of one command must agree on. */
export interface FormatExpectation {
  /** Command and arguments without a format flag, e.g. `['ps', dump]`. */
  args: string[];
  /** SQLite table the rows go to. */
  table: string;
  /** Stable column names, in order. */
  keys: string[];
  /** Columns that get an index in the case database. */
  indexed?: string[];
  /** Columns that are bodyfile times (ISO strings in JSON). */
  bodyfileTimes?: string[];
  /** The input file: its row in the case database's dumps table. */
  dump: string;
  /** Exit statuses accepted (1 = partial results with warnings). */
  okStatus?: number[];
  /**
   * Run each format in its own folder under this one (commands that write files, given relative output paths,
   * then report the same paths in every format).
   */
  workDir?: string;
  /** A case database shared by the calls (the dump is keyed by its path inside). */
  caseDb: string;
}

function assertOk(r: CliResult, what: string, ok: number[]): void {
  assert.ok(ok.includes(r.status), `${what}: exit ${r.status}\n${r.stderr}`);
  // Progress bars are for terminals only: a piped stderr never carries one.
  assert.doesNotMatch(r.stderr, /\r|\[[█░=\- ]{5,}\]|eta \d/, `${what}: progress output on a non-terminal`);
}

/** CSV cells are text: how a JSON Lines value appears in the CSV of the same row. */
function asCsv(v: JsonRow[string]): string {
  return v === null ? '' : String(v);
}

/**
 * Runs one row-producing command in JSON Lines, CSV, SQLite, bodyfile and table form and checks they all say the
 * same thing. Returns the JSON rows for command-specific checks.
 */
export async function checkFormats(x: FormatExpectation): Promise<JsonRow[]> {
  const ok = x.okStatus ?? [0];
  const what = x.args.join(' ');
  const cwd = (f: string) => {
    if (!x.workDir) return undefined;
    const d = join(x.workDir, f);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const [json, csv, table, body] = await Promise.all([
    runCli([...x.args, '--json'], cwd('json')),
    runCli([...x.args, '--csv'], cwd('csv')),
    runCli(x.args, cwd('table')),
    runCli([...x.args, '--bodyfile'], cwd('bodyfile')),
  ]);
  for (const [r, f] of [
    [json, 'json'],
    [csv, 'csv'],
    [table, 'table'],
    [body, 'bodyfile'],
  ] as const) {
    assertOk(r, `${what} (${f})`, ok);
    // Output paths name each run's own folder: compare them as if all had run in one.
    if (x.workDir) r.stdout = r.stdout.split(join(x.workDir, f)).join('<work>');
  }

  // JSON Lines: every line one object, with exactly the documented keys in order.
  const lines = json.stdout.split('\n');
  assert.equal(lines.pop(), '', `${what}: JSON Lines must end with a newline`);
  const rows = lines.map((l, i) => {
    const o = JSON.parse(l) as JsonRow;
    assert.deepEqual(Object.keys(o), x.keys, `${what}: keys of JSON line ${i + 1}`);
    return o;
  });

  // CSV: a real parser reads back the header and exactly the JSON rows.
  const records = parse(csv.stdout, { relax_column_count: false }) as string[][];
  assert.deepEqual(records[0], x.keys, `${what}: CSV header`);
  assert.deepEqual(
    records.slice(1),
    rows.map((r) => x.keys.map((k) => asCsv(r[k]!))),
    `${what}: CSV rows equal JSON rows`,
  );

  // Table: a header and one line per row.
  const tableLines = table.stdout.trimEnd().split('\n');
  assert.equal(tableLines.length, rows.length + 1, `${what}: table lines`);

  // Bodyfile: 11 fields, Unix-second times, one line per row that has a time.
  const times = x.bodyfileTimes ?? [];
  const timed = rows.filter((r) =>
    times.some((k) => typeof r[k] === 'string' && !Number.isNaN(Date.parse(r[k]))),
  );
  const bodyLines = body.stdout === '' ? [] : body.stdout.trimEnd().split('\n');
  assert.equal(bodyLines.length, timed.length, `${what}: bodyfile lines = rows with a time`);
  for (const l of bodyLines) {
    const f = l.split('|');
    assert.equal(f.length, 11, `${what}: bodyfile line ${l}`);
    for (const t of f.slice(7)) assert.match(t, /^\d{1,10}$/, `${what}: bodyfile time ${t}`);
  }
  if (timed.length) {
    const first = timed[0]!;
    const secs = times
      .map((k) => first[k])
      .filter((v): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v)))
      .map((v) => Math.floor(Date.parse(v) / 1000));
    const fields = bodyLines[0]!.split('|').slice(7).map(Number);
    for (const s of secs) assert.ok(fields.includes(s), `${what}: bodyfile time ${s} of the first row`);
  }

  // SQLite: rows go to the artefact's table keyed by dump_id, with the documented indexes.
  const sq = await runCli([...x.args, '--sqlite', x.caseDb], cwd('sqlite'));
  assertOk(sq, `${what} (sqlite)`, ok);
  assert.equal(sq.stdout, '', `${what}: --sqlite writes nothing to stdout`);
  assert.ok(existsSync(x.caseDb));
  const db = new Database(x.caseDb, { readonly: true });
  try {
    const cols = (db.prepare(`PRAGMA table_info("${x.table}")`).all() as { name: string }[]).map(
      (c) => c.name,
    );
    assert.deepEqual(cols, ['dump_id', ...x.keys], `${what}: SQLite columns`);
    const idx = (db.prepare(`PRAGMA index_list("${x.table}")`).all() as { name: string }[]).map(
      (i) => i.name,
    );
    assert.ok(idx.includes(`${x.table}_dump`), `${what}: dump_id index`);
    for (const k of x.indexed ?? []) assert.ok(idx.includes(`${x.table}_${k}`), `${what}: index on ${k}`);
    const n = db
      .prepare(`SELECT count(*) AS n FROM "${x.table}" t JOIN dumps d USING (dump_id) WHERE d.path = ?`)
      .get(resolve(x.dump)) as { n: number };
    assert.equal(n.n, rows.length, `${what}: SQLite rows = JSON rows`);
  } finally {
    db.close();
  }
  return rows;
}
