/**
 * One renderer layer for every command: the command produces rows and column definitions, the user picks the
 * format. Column names are stable identifiers (snake_case) so scripts can rely on them.
 */

export type Cell = string | number | boolean | null | undefined;
export type Row = Record<string, Cell>;

export interface Column {
  /** Stable machine name (JSON key, CSV header). */
  key: string;
  /** Human header for the table view (defaults to key). */
  title?: string;
  /** Right-align in the table (numbers). */
  right?: boolean;
  /** Table view only: formatter for the cell. */
  format?: (v: Cell) => string;
  /** SQLite column affinity (default text). */
  type?: 'integer' | 'real' | 'text';
  /** Index this column in the SQLite case database. */
  indexed?: boolean;
  /** The column holds an ISO timestamp that is this mactime field of the artefact's bodyfile line. */
  bodyfile?: 'atime' | 'mtime' | 'ctime' | 'crtime';
}

/** What a command produces rows of: the name is the SQLite table and the bodyfile label. */
export interface Artefact {
  name: string;
  columns: Column[];
  /** Bodyfile name for a row (e.g. `[process] lsass.exe pid 612`); rows without timestamps are skipped there. */
  bodyName?: (row: Row) => string;
}

/** Anything rows can be written to. */
export interface RowSink {
  add(row: Row): void;
  end(): void;
}

export type OutputFormat = 'table' | 'json' | 'csv' | 'sqlite' | 'bodyfile';

export interface Sink {
  write(s: string): void;
}

/** Streams rows in one format; `table` buffers (column widths need every row), the others stream. */
export class RowWriter implements RowSink {
  private readonly buffered: Row[] = [];
  private headerDone = false;

  constructor(
    private readonly columns: Column[],
    private readonly format: 'table' | 'json' | 'csv',
    private readonly out: Sink = process.stdout,
  ) {}

  add(row: Row): void {
    if (this.format === 'json') this.out.write(`${JSON.stringify(pick(row, this.columns))}\n`);
    else if (this.format === 'csv') {
      if (!this.headerDone) {
        this.out.write(`${this.columns.map((c) => csvCell(c.key)).join(',')}\n`);
        this.headerDone = true;
      }
      this.out.write(`${this.columns.map((c) => csvCell(row[c.key])).join(',')}\n`);
    } else this.buffered.push(row);
  }

  end(): void {
    if (this.format === 'csv' && !this.headerDone) {
      this.out.write(`${this.columns.map((c) => csvCell(c.key)).join(',')}\n`);
      this.headerDone = true;
    }
    if (this.format !== 'table') return;
    const cells = this.buffered.map((r) => this.columns.map((c) => tableCell(c, r[c.key])));
    const widths = this.columns.map((c, i) =>
      Math.max((c.title ?? c.key).length, ...cells.map((r) => r[i]!.length)),
    );
    const line = (vals: string[]) =>
      vals
        .map((v, i) => (this.columns[i]!.right ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    this.out.write(`${line(this.columns.map((c) => c.title ?? c.key))}\n`);
    for (const r of cells) this.out.write(`${line(r)}\n`);
    this.buffered.length = 0;
  }
}

function pick(row: Row, cols: Column[]): Row {
  const o: Row = {};
  for (const c of cols) o[c.key] = row[c.key] ?? null;
  return o;
}

function tableCell(c: Column, v: Cell): string {
  if (c.format) return c.format(v);
  if (v === null || v === undefined) return '-';
  return String(v).replace(/[\r\n\t]/g, ' ');
}

/** RFC 4180: quote when needed, double embedded quotes. */
export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
