import { createRequire } from 'node:module';
import { basename, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { ExitCode, MemdigError } from '../util/errors.js';
import type { Artefact, Row, RowSink } from './render.js';

/** Facts about a dump recorded once per case database; every artefact row refers to it by dump_id. */
export interface DumpRecord {
  path: string;
  size?: number;
  format?: string;
  os?: string;
}

// The native SQLite binding is loaded only when a case database is opened: every other run of memdig starts
// without it (it is one of the slowest modules to load).
const load = createRequire(import.meta.url);

const SAFE_IDENT = /^[a-z_][a-z0-9_]*$/;

function ident(s: string): string {
  if (!SAFE_IDENT.test(s)) throw new Error(`not a safe SQL identifier: ${s}`);
  return `"${s}"`;
}

/**
 * A case database: one table per artefact (processes, vads, handles, files, events, ...), each row tagged with the
 * dump it came from, so several dumps of one case stay apart and can be joined by dump_id.
 */
export class CaseDatabase {
  private readonly db: Database.Database;

  constructor(path: string) {
    // Several memdig runs may add to one case database at once: wait for the writer instead of failing.
    try {
      const Sqlite = load('better-sqlite3') as typeof Database;
      this.db = new Sqlite(path, { timeout: 30_000 });
      this.db.pragma('journal_mode = WAL');
      this.db.exec(`CREATE TABLE IF NOT EXISTS dumps (
        dump_id INTEGER PRIMARY KEY, path TEXT NOT NULL, name TEXT, size INTEGER, format TEXT, os TEXT,
        added TEXT NOT NULL)`);
    } catch (e) {
      throw new MemdigError(
        `--sqlite ${path}: cannot use it as a case database (${(e as Error).message}); give a new file name or an existing memdig case database`,
        ExitCode.Usage,
      );
    }
  }

  /** The id of this dump in the case, adding it when new (same resolved path = same dump). */
  dumpId(d: DumpRecord): number {
    // IMMEDIATE: two memdig runs adding the same dump to one case at once must not both insert it.
    return this.db.transaction(() => this.dumpIdLocked(d)).immediate();
  }

  private dumpIdLocked(d: DumpRecord): number {
    const path = resolve(d.path);
    const old = this.db.prepare('SELECT dump_id FROM dumps WHERE path = ?').get(path) as
      | { dump_id: number }
      | undefined;
    if (old) {
      this.db
        .prepare(
          'UPDATE dumps SET size = coalesce(?, size), format = coalesce(?, format), os = coalesce(?, os) WHERE dump_id = ?',
        )
        .run(d.size ?? null, d.format ?? null, d.os ?? null, old.dump_id);
      return old.dump_id;
    }
    const r = this.db
      .prepare('INSERT INTO dumps (path, name, size, format, os, added) VALUES (?, ?, ?, ?, ?, ?)')
      .run(path, basename(path), d.size ?? null, d.format ?? null, d.os ?? null, new Date().toISOString());
    return Number(r.lastInsertRowid);
  }

  /** Rows of one artefact for one dump; earlier rows of the same dump and artefact are replaced (re-runs). */
  sink(artefact: Artefact, dumpId: number): RowSink {
    const table = ident(artefact.name);
    const cols = artefact.columns;
    const defs = cols.map((c) => `${ident(c.key)} ${(c.type ?? 'text').toUpperCase()}`).join(', ');
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS ${table} (dump_id INTEGER NOT NULL REFERENCES dumps(dump_id), ${defs})`,
    );
    const have = new Set(
      (this.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((r) => r.name),
    );
    for (const c of cols)
      if (!have.has(c.key)) this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${ident(c.key)}`);
    this.db.exec(`CREATE INDEX IF NOT EXISTS ${ident(`${artefact.name}_dump`)} ON ${table} (dump_id)`);
    for (const c of cols) {
      if (c.indexed)
        this.db.exec(
          `CREATE INDEX IF NOT EXISTS ${ident(`${artefact.name}_${c.key}`)} ON ${table} (${ident(c.key)})`,
        );
    }
    this.db.prepare(`DELETE FROM ${table} WHERE dump_id = ?`).run(dumpId);
    const insert = this.db.prepare(
      `INSERT INTO ${table} (dump_id, ${cols.map((c) => ident(c.key)).join(', ')}) VALUES (?${', ?'.repeat(cols.length)})`,
    );
    const batch: unknown[][] = [];
    const flush = this.db.transaction((rows: unknown[][]) => {
      for (const r of rows) insert.run(...r);
    });
    return {
      add: (row: Row) => {
        batch.push([dumpId, ...cols.map((c) => sqlValue(row[c.key]))]);
        if (batch.length >= 5000) flush(batch.splice(0));
      },
      end: () => {
        if (batch.length) flush(batch.splice(0));
      },
    };
  }

  close(): void {
    this.db.close();
  }
}

function sqlValue(v: Row[string]): string | number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}
