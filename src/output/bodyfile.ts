import type { Artefact, Row, RowSink, Sink } from './render.js';

/**
 * mactime bodyfile (TSK 3.x): MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime, times in Unix seconds.
 * Each artefact says which of its columns is which time; rows with no time at all are left out of the timeline.
 */
export class BodyfileWriter implements RowSink {
  private readonly roles: { key: string; role: 'atime' | 'mtime' | 'ctime' | 'crtime' }[];

  constructor(
    private readonly artefact: Artefact,
    private readonly out: Sink = process.stdout,
  ) {
    this.roles = artefact.columns.flatMap((c) => (c.bodyfile ? [{ key: c.key, role: c.bodyfile }] : []));
  }

  add(row: Row): void {
    const t = { atime: 0, mtime: 0, ctime: 0, crtime: 0 };
    let any = false;
    for (const { key, role } of this.roles) {
      const v = row[key];
      if (typeof v !== 'string' || !v) continue;
      const ms = Date.parse(v);
      if (!Number.isFinite(ms)) continue;
      t[role] = Math.floor(ms / 1000);
      any = true;
    }
    if (!any) return;
    const name = (this.artefact.bodyName?.(row) ?? `[${this.artefact.name}]`).replace(/[|\r\n]/g, '_');
    const size = typeof row.size === 'number' ? row.size : 0;
    this.out.write(`0|${name}|0|0|0|0|${size}|${t.atime}|${t.mtime}|${t.ctime}|${t.crtime}\n`);
  }

  end(): void {}
}
