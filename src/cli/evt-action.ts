import { existsSync, readFileSync } from 'node:fs';
import { EvtRecordCarver } from '../evtlog/evt/carve.js';
import { evtRecordKey } from '../evtlog/evt/dedupe.js';
import { readEvtFile } from '../evtlog/evt/parse.js';
import { type EvtRecord, eventTypeName, posixToIso } from '../evtlog/evt/record.js';
import { type FormatOptions, Output } from '../output/options.js';
import type { Cell, Column, Row } from '../output/render.js';
import { FileReader } from '../sources/file-reader.js';
import { ExitCode, FormatError, MemdigError } from '../util/errors.js';
import { hex } from '../util/hex.js';

const clip = (n: number) => (v: Cell) => {
  const s = v === null || v === undefined ? '-' : String(v).replace(/[\r\n\t]+/g, ' ');
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
};

/** Stable column names: scripts rely on them. `strings` is a JSON array of the record's strings. */
export const EVT_COLUMNS: Column[] = [
  { key: 'record_number', right: true, type: 'integer', indexed: true },
  { key: 'time_generated', bodyfile: 'crtime' },
  { key: 'time_written', bodyfile: 'mtime', indexed: true },
  { key: 'event_id', right: true, type: 'integer', indexed: true },
  { key: 'event_identifier' },
  { key: 'event_type' },
  { key: 'category', right: true },
  { key: 'source' },
  { key: 'computer' },
  { key: 'sid' },
  {
    key: 'strings',
    format: (v) => clip(160)(typeof v === 'string' ? (JSON.parse(v) as string[]).join('; ') : v),
  },
  { key: 'data_hex', format: clip(34) },
  { key: 'offset', right: true, format: (v) => (typeof v === 'number' ? hex(v) : '-') },
  { key: 'recovered' },
  { key: 'partial' },
];

export function evtRow(r: EvtRecord): Row {
  return {
    record_number: r.recordNumber,
    time_generated: posixToIso(r.timeGenerated),
    time_written: posixToIso(r.timeWritten),
    event_id: r.eventId,
    event_identifier: hex(r.eventIdentifier, 8),
    event_type: eventTypeName(r.eventType),
    category: r.category,
    source: r.sourceName,
    computer: r.computerName,
    sid: r.sid,
    strings: JSON.stringify(r.strings),
    data_hex: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString('hex'),
    offset: r.offset,
    recovered: r.recovered,
    // Truncated, partly overwritten, or touching bytes the source did not have: fields may be wrong.
    partial: !r.complete || r.missingBytes,
  };
}

export interface EvtOptions extends FormatOptions {
  recovered?: boolean;
  carve?: boolean;
  manifest?: string | false;
  unique?: boolean;
}

/**
 * The missing byte ranges of a file memdig extracted from memory, from the manifest written beside it
 * (`<file>.json`, format memdig-extracted-file/1). Null when there is none.
 */
export function missingFromManifest(path: string): Array<{ offset: number; length: number }> | null {
  if (!existsSync(path)) return null;
  let doc: { format?: string; pages?: Array<{ offset: number; length: number; resident: boolean }> };
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new MemdigError(`cannot read the page map ${path}: ${(e as Error).message}`);
  }
  if (doc.format !== 'memdig-extracted-file/1' || !Array.isArray(doc.pages)) return null;
  return doc.pages.filter((p) => !p.resident).map((p) => ({ offset: p.offset, length: p.length }));
}

const CARVE_BLOCK = 16 << 20;

export function evtAction(file: string, o: EvtOptions): void {
  const warn = (s: string) => process.stderr.write(`memdig: ${s}\n`);
  const open = () => {
    const output = new Output(o, { path: file, format: 'evt' });
    const sink = output.sink({
      name: 'evt_records',
      columns: EVT_COLUMNS,
      bodyName: (r) => `[evt] ${r.source} event ${r.event_id} record ${r.record_number}`,
    });
    return { output, out: sink };
  };
  if (o.carve) {
    let reader: FileReader;
    try {
      reader = new FileReader(file);
    } catch (e) {
      throw new MemdigError(`cannot open ${file}: ${(e as Error).message}`);
    }
    const { output, out } = open();
    try {
      // One streaming path for every size: a dump is read block by block, records across blocks included.
      const carver = new EvtRecordCarver();
      const block = Buffer.allocUnsafe(Math.min(CARVE_BLOCK, Math.max(1, reader.size)));
      // The set grows with the number of distinct records, not with the bytes scanned.
      const seen = o.unique ? new Set<string>() : null;
      for (let pos = 0; pos < reader.size; pos += block.length) {
        const got = reader.direct(pos, block, 0, Math.min(block.length, reader.size - pos));
        for (const r of carver.push(block.subarray(0, got), pos)) {
          if (seen) {
            const k = evtRecordKey(r);
            if (seen.has(k)) continue;
            seen.add(k);
          }
          out.add(evtRow(r));
        }
      }
      carver.finish();
      if (carver.dropped) warn(`${carver.dropped} record start(s) could not be completed`);
    } finally {
      reader.close();
      out.end();
      output.close();
    }
    return;
  }
  const manifestPath = o.manifest === false ? null : (o.manifest ?? `${file}.json`);
  const missing = manifestPath ? missingFromManifest(manifestPath) : null;
  if (o.manifest && !missing) throw new MemdigError(`${o.manifest}: not a memdig extracted-file manifest`);
  if (missing) {
    const bytes = missing.reduce((a, g) => a + g.length, 0);
    warn(`page map ${manifestPath}: ${bytes} bytes missing in ${missing.length} range(s)`);
  }
  const log = readEvtFile(file, { recovered: !!o.recovered, missing: missing ?? undefined });
  if (!log.header && !log.eof && log.records.length === 0)
    throw new FormatError(
      'evt',
      0,
      'not a classic event log: no "LfLe" header, end-of-file record or record (try --carve)',
    );
  const { output, out } = open();
  for (const r of log.records) out.add(evtRow(r));
  if (o.recovered) for (const r of log.recovered) out.add(evtRow(r));
  out.end();
  output.close();
  const h = log.header;
  const flags = h ? ['dirty', 'wrapped', 'logFull', 'archive'].filter((k) => h[k as 'dirty']).join(',') : '';
  warn(
    `${file}: ${log.records.length} records${o.recovered ? `, ${log.recovered.length} recovered from slack` : ''}` +
      (h ? `; header v${h.majorVersion}.${h.minorVersion} flags [${flags}]` : '; no valid header') +
      (log.eof ? `; end-of-file record at ${hex(log.eof.offset)}` : '') +
      (log.mode === 'scan' ? '; records found by scanning' : ''),
  );
  const shown = log.warnings.items.slice(0, 20);
  for (const w of shown) warn(`warning: ${w}`);
  if (log.warnings.count > shown.length) warn(`… ${log.warnings.count - shown.length} more warnings`);
  // Records were listed but some are damaged or lie on missing pages: partial results. (A stale "dirty" header
  // alone is normal for a log that was open when memory was taken.)
  if ([...log.records, ...(o.recovered ? log.recovered : [])].some((r) => !r.complete || r.missingBytes))
    process.exitCode = ExitCode.Partial;
}
