import type { Command } from 'commander';
import { MemdigError } from '../util/errors.js';
import { BodyfileWriter } from './bodyfile.js';
import type { Artefact, OutputFormat, RowSink, Sink } from './render.js';
import { RowWriter } from './render.js';
import { CaseDatabase, type DumpRecord } from './sqlite.js';

export interface FormatOptions {
  json?: boolean;
  csv?: boolean;
  sqlite?: string;
  bodyfile?: boolean;
}

/** Adds the shared output-format flags to a command. */
export function withFormatOptions(cmd: Command): Command {
  return (
    cmd
      .option('--json', 'JSON Lines: one object per row')
      .option('--csv', 'CSV with a header row')
      .option(
        '--sqlite <case.db>',
        'add the rows to a SQLite case database (one table per artefact, keyed by dump_id)',
      )
      .option('--bodyfile', 'mactime bodyfile timeline lines')
      // Conflicting formats are a usage error: say so before the dump is opened and analysed.
      .hook('preAction', (c) => {
        formatFrom(c.opts() as FormatOptions);
      })
  );
}

export function formatFrom(o: FormatOptions): OutputFormat {
  const chosen = [o.json && 'json', o.csv && 'csv', o.sqlite && 'sqlite', o.bodyfile && 'bodyfile'].filter(
    Boolean,
  );
  if (chosen.length > 1) throw new MemdigError(`choose one output format, not ${chosen.join(' and ')}`, 2);
  return (chosen[0] as OutputFormat | undefined) ?? 'table';
}

/**
 * Opens the sink the user asked for. Several artefacts of one command (e.g. processes and their VADs) go to the
 * same case database; call `close()` once at the end.
 */
export class Output {
  readonly format: OutputFormat;
  private db: CaseDatabase | null = null;
  private dumpId = 0;

  constructor(
    private readonly opts: FormatOptions,
    private readonly dump: DumpRecord | null,
    private readonly out: Sink = process.stdout,
  ) {
    this.format = formatFrom(opts);
  }

  sink(artefact: Artefact): RowSink {
    switch (this.format) {
      case 'sqlite': {
        if (!this.db) {
          this.db = new CaseDatabase(this.opts.sqlite!);
          this.dumpId = this.db.dumpId(this.dump ?? { path: '(none)' });
        }
        return this.db.sink(artefact, this.dumpId);
      }
      case 'bodyfile':
        return new BodyfileWriter(artefact, this.out);
      default:
        return new RowWriter(artefact.columns, this.format, this.out);
    }
  }

  /** Writes all rows of one artefact. */
  write(artefact: Artefact, rows: Iterable<Record<string, unknown>>): void {
    const s = this.sink(artefact);
    for (const r of rows) s.add(r as never);
    s.end();
  }

  close(): void {
    this.db?.close();
    this.db = null;
  }
}
