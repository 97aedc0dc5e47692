import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { carveEvtRecords } from '../evtlog/evt/carve.js';
import { parseEvt } from '../evtlog/evt/parse.js';
import type { EvtRecord } from '../evtlog/evt/record.js';
import { carveEvtx } from '../evtlog/evtx/carve.js';
import { CHUNK_SIZE } from '../evtlog/evtx/layout.js';
import { parseEvtx } from '../evtlog/evtx/parser.js';
import { repairEvtx } from '../evtlog/evtx/repair.js';
import { recordsPastHoles } from '../evtlog/evtx-holes.js';
import {
  evtKey,
  evtRow,
  evtxKey,
  evtxRow,
  LOG_RECORD_COLUMNS,
  type LogRecordRow,
  plausibleEvtx,
  ResidentRanges,
} from '../evtlog/log-records.js';
import { carveMemory } from '../evtlog/memory-carve.js';
import { OutputNames } from '../extract/safe-name.js';
import { type FormatOptions, Output } from '../output/options.js';
import { progress } from '../output/progress.js';
import { type Artefact, RowWriter, type Sink } from '../output/render.js';
import { MemdigError } from '../util/errors.js';
import type { WinContext } from '../windows/context.js';
import { type EventLogService, findEventLogs, type LogFileCandidate } from '../windows/eventlog-service.js';
import { extractFileObject } from '../windows/extract-files.js';
import { makeOutputDir } from './output-dir.js';
import { windowsProcesses } from './windows-ps.js';
import { openWindows, osName, printWarnings } from './windows-session.js';

export interface EvtlogsOptions extends FormatOptions {
  output: string;
  carve?: boolean;
  symbols?: string[];
}

export const EVTLOG_SUMMARY: Artefact = {
  name: 'event_logs',
  columns: [
    { key: 'log', indexed: true },
    { key: 'process' },
    { key: 'found_by' },
    { key: 'deleted', title: 'del' },
    { key: 'records', right: true, type: 'integer' },
    { key: 'incomplete', right: true, type: 'integer' },
    { key: 'pages', right: true },
    { key: 'recovered', right: true },
    { key: 'crc_failures', title: 'crc fail', right: true, type: 'integer' },
    { key: 'carved_extras', title: 'carved', right: true, type: 'integer' },
    { key: 'output' },
  ],
};

/** Every record, for the case database and the timeline (`--sqlite`, `--bodyfile`); records.jsonl has the same. */
export const EVTLOG_RECORDS: Artefact = {
  name: 'event_log_records',
  columns: LOG_RECORD_COLUMNS.map((key) => ({
    key,
    ...(key === 'record_id' || key === 'event_id' ? { type: 'integer' as const } : {}),
    ...(key === 'log' || key === 'event_id' || key === 'time_written' ? { indexed: true } : {}),
    ...(key === 'time_written' ? { bodyfile: 'mtime' as const } : {}),
    ...(key === 'time_created' ? { bodyfile: 'crtime' as const } : {}),
  })),
  bodyName: (r) => `[event] ${r.log} ${r.provider ?? ''} ${r.event_id ?? ''} #${r.record_id} (${r.source})`,
};

/** Per-log result, also written to summary.json. */
export interface LogSummary {
  log: string;
  path: string;
  format: 'evt' | 'evtx';
  process: string;
  foundBy: string[];
  deletePending: boolean;
  records: number;
  incomplete: number;
  pages: number;
  residentPages: number;
  crcFailures: number;
  carvedExtras: number;
  output: string;
  manifest: string;
  repaired: string | null;
  warnings: string[];
}

export interface EvtlogsResult {
  service: EventLogService | null;
  logs: LogSummary[];
  records: LogRecordRow[];
  carve: { bytes: number; seconds: number; evt: number; evtx: number; extras: number } | null;
  recordsPath: string;
  csvPath: string;
  summaryPath: string;
}

export async function evtlogsAction(dump: string, o: EvtlogsOptions): Promise<void> {
  const ctx = await openWindows(dump, o);
  if (!ctx)
    throw new MemdigError(`evtlogs: ${dump} does not hold Windows (event logs are a Windows artefact)`);
  const output = new Output(o, { path: dump, format: ctx.mem.format, os: osName(ctx) });
  try {
    const res = runEvtlogs(ctx, o);
    const svc = res.service;
    const say = output.format === 'table' ? process.stdout : process.stderr;
    say.write(
      svc
        ? `EventLog service: ${svc.process.name} pid ${svc.process.pid} — ${svc.reasons.join('; ')}\n`
        : 'EventLog service: not found (no process maps event logs); logs found by pool scan only\n',
    );
    // The timeline is the records; the case database gets both tables; the other formats show the summary.
    if (output.format === 'sqlite' || output.format === 'bodyfile')
      output.write(EVTLOG_RECORDS, res.records as unknown as Record<string, unknown>[]);
    const sink = output.format === 'bodyfile' ? { add() {}, end() {} } : output.sink(EVTLOG_SUMMARY);
    for (const l of res.logs) {
      sink.add({
        log: l.path,
        process: l.process,
        found_by: l.foundBy.join(', '),
        deleted: l.deletePending,
        records: l.records,
        incomplete: l.incomplete,
        pages: `${l.residentPages}/${l.pages}`,
        recovered: l.pages ? `${((100 * l.residentPages) / l.pages).toFixed(1)}%` : '-',
        crc_failures: l.crcFailures,
        carved_extras: l.carvedExtras,
        output: l.output,
      });
    }
    sink.end();
    const c = res.carve;
    say.write(
      `${res.records.length} records (${res.records.filter((r) => r.source === 'carved').length} carved from memory outside the logs)` +
        (c
          ? `; carved ${(c.bytes / 2 ** 20).toFixed(0)} MiB in ${c.seconds.toFixed(2)} s (${(c.bytes / 2 ** 30 / Math.max(c.seconds, 1e-6)).toFixed(2)} GiB/s)`
          : '') +
        `\nrecords: ${res.recordsPath}, ${res.csvPath}\nsummary: ${res.summaryPath}\n`,
    );
    printWarnings(ctx);
  } finally {
    output.close();
    ctx.mem.close();
  }
}

/** Buffered file sink: rows are small and many; one write per row would dominate. */
class FileSink implements Sink {
  private readonly fd: number;
  private parts: string[] = [];
  private size = 0;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }
  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 1 << 20) this.flush();
  }
  flush(): void {
    if (this.parts.length) writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

function baseName(p: string): string {
  return p.split('\\').pop() ?? p;
}

/** The whole scenario, without printing: used by the command, the demo, tests and the benchmark. */
export function runEvtlogs(ctx: WinContext, o: { output: string; carve?: boolean }): EvtlogsResult {
  makeOutputDir(o.output);
  const names = new OutputNames(o.output);
  const recordsPath = names.take('records.jsonl');
  const csvPath = names.take('records.csv');
  const summaryPath = names.take('summary.json');
  const processes = windowsProcesses(ctx).filter((p) => p.foundBy !== 'stale');
  const { hosts, logs } = findEventLogs(ctx, processes);
  const service = hosts[0] ?? null;
  const records: LogRecordRow[] = [];
  const evtSeen = new Set<string>();
  const evtxSeen = new Set<string>();
  const summaries: LogSummary[] = [];
  /** Which log a carved record most likely belongs to: EVT by source name, EVTX by channel. */
  const logOfEvtSource = new Map<string, string>();
  const logOfChannel = new Map<string, string>();

  const bar = progress('extract logs', logs.length);
  for (let i = 0; i < logs.length; i++) {
    const s = extractLog(ctx, logs[i]!, names, service, records, evtSeen, evtxSeen);
    if (s) {
      summaries.push(s);
      for (const r of records) {
        if (r.log !== s.log) continue;
        if (r.format === 'evt' && r.provider && !logOfEvtSource.has(r.provider))
          logOfEvtSource.set(r.provider, s.log);
        if (r.format === 'evtx' && r.channel && !logOfChannel.has(r.channel))
          logOfChannel.set(r.channel, s.log);
      }
    }
    bar.update(i + 1);
  }
  bar.stop();

  let carve: EvtlogsResult['carve'] = null;
  if (o.carve !== false) {
    const total = ctx.mem.ranges.reduce((a, r) => a + (r.end - r.start), 0);
    const cbar = progress('carve memory', total, 'bytes');
    const c = carveMemory(ctx.mem, { onProgress: (d) => cbar.update(d) });
    cbar.stop();
    let extras = 0;
    const bump = (log: string) => {
      const s = summaries.find((x) => x.log === log);
      if (s) s.carvedExtras++;
    };
    for (const r of c.evt) {
      if (evtSeen.has(evtKey(r))) continue;
      const log = logOfEvtSource.get(r.sourceName) ?? 'unattributed';
      records.push(evtRow(r, log, 'carved', true));
      bump(log);
      extras++;
    }
    for (const { record: r, key } of c.evtx) {
      if (evtxSeen.has(key) || !plausibleEvtx(r)) continue;
      const ch = r.json?.Channel ?? null;
      const log = (ch && logOfChannel.get(ch)) ?? ch ?? 'unattributed';
      records.push(evtxRow(r, log, 'carved', !r.incomplete));
      bump(log);
      extras++;
    }
    carve = { bytes: c.bytes, seconds: c.seconds, evt: c.evt.length, evtx: c.evtx.length, extras };
  }

  const jsonl = new FileSink(recordsPath);
  const csv = new FileSink(csvPath);
  const cols = LOG_RECORD_COLUMNS.map((key) => ({ key }));
  const jw = new RowWriter(cols, 'json', jsonl);
  const cw = new RowWriter(cols, 'csv', csv);
  for (const r of records) {
    jw.add(r as never);
    cw.add(r as never);
  }
  jw.end();
  cw.end();
  jsonl.close();
  csv.close();

  for (const s of summaries) {
    if (s.residentPages < s.pages)
      ctx.warnings.add(
        `${s.log}: ${s.pages - s.residentPages} of ${s.pages} pages not in memory (zero-filled; records there are lost or incomplete)`,
      );
    if (s.incomplete)
      ctx.warnings.add(`${s.log}: ${s.incomplete} records incomplete (bytes on missing pages)`);
  }
  if (!service) ctx.warnings.add('no process maps event logs: the EventLog service was not identified');
  writeFileSync(
    summaryPath,
    `${JSON.stringify(
      {
        format: 'memdig-evtlogs/1',
        service: service && {
          pid: service.process.pid,
          name: service.process.name,
          reasons: service.reasons,
          mapped_logs: service.mappedLogs,
        },
        candidates: hosts
          .slice(1)
          .map((h) => ({ pid: h.process.pid, name: h.process.name, reasons: h.reasons })),
        logs: summaries,
        carve,
        records: records.length,
        warnings: ctx.warnings.items,
      },
      null,
      1,
    )}\n`,
  );
  return { service, logs: summaries, records, carve, recordsPath, csvPath, summaryPath };
}

interface PageRunDoc {
  offset: number;
  length: number;
  resident: boolean;
}

function extractLog(
  ctx: WinContext,
  c: LogFileCandidate,
  names: OutputNames,
  service: EventLogService | null,
  records: LogRecordRow[],
  evtSeen: Set<string>,
  evtxSeen: Set<string>,
): LogSummary | null {
  const files = extractFileObject(ctx, c.fileObject, names, { found_by: c.foundBy, processes: c.processes });
  const f = files.find((x) => x.view === 'data');
  if (!f) return null;
  const bytes = readFileSync(f.output);
  const doc = JSON.parse(readFileSync(f.manifest, 'utf8')) as { pages: PageRunDoc[] };
  const resident = new ResidentRanges(doc.pages);
  const log = baseName(c.name);
  const s: LogSummary = {
    log,
    path: c.name,
    format: c.kind,
    process:
      c.processes.join(', ') ||
      (service && c.foundBy.every((b) => b === 'pool-scan') ? '(no mapping; pool scan)' : '-'),
    foundBy: c.foundBy,
    deletePending: f.deletePending,
    records: 0,
    incomplete: 0,
    pages: f.pages,
    residentPages: f.residentPages,
    crcFailures: 0,
    carvedExtras: 0,
    output: f.output,
    manifest: f.manifest,
    repaired: null,
    warnings: [],
  };
  const add = (r: LogRecordRow) => {
    records.push(r);
    s.records++;
    if (!r.complete) s.incomplete++;
  };
  if (c.kind === 'evt') {
    const parsed = parseEvt(bytes);
    s.warnings.push(...parsed.warnings.items.slice(0, 50));
    const ringEnd = bytes.length;
    const covered = (r: EvtRecord) => {
      if (!r.wrapped) return resident.covers(r.offset, r.offset + r.length);
      const first = ringEnd - r.offset;
      return resident.covers(r.offset, ringEnd) && resident.covers(0x30, 0x30 + (r.length - first));
    };
    // The ring walk stops at the first hole; carving the file finds the records past it.
    for (const r of [...parsed.records, ...parsed.recovered, ...carveEvtRecords(bytes)]) {
      const k = evtKey(r);
      if (evtSeen.has(k)) continue;
      const ok = covered(r);
      // A record rebuilt over zero-filled pages is not evidence: keep it only if its framing survived.
      if (!ok && r.problems.length) continue;
      evtSeen.add(k);
      add(evtRow(r, log, 'file', ok));
    }
  } else {
    const { bytes: fixed, report } = repairEvtx(bytes);
    const repaired = names.take(`${basename(f.output)}.repaired.evtx`);
    writeFileSync(repaired, fixed);
    s.repaired = repaired;
    s.warnings.push(...report.notes.slice(0, 50));
    const parsed = parseEvtx(bytes);
    const seenHere = new Set<string>();
    const take = (r: Parameters<typeof evtxKey>[0]) => {
      if (!plausibleEvtx(r)) return;
      const k = evtxKey(r, bytes, r.offset);
      if (seenHere.has(k) || evtxSeen.has(k)) return;
      seenHere.add(k);
      evtxSeen.add(k);
      // Names and templates a record uses are defined earlier in its chunk (at first use), so its rendering is
      // only trustworthy when the chunk is whole from its header to the record's end: a template read from
      // zero-filled bytes can render to a plausible but empty event without complaint.
      const chunkStart =
        r.offset < 0x1000 ? 0 : 0x1000 + Math.floor((r.offset - 0x1000) / CHUNK_SIZE) * CHUNK_SIZE;
      add(evtxRow(r, log, 'file', resident.covers(chunkStart, r.offset + r.size)));
    };
    for (const r of parsed) take(r);
    for (const ch of parsed.chunks)
      if (ch.status !== 'empty' && ch.status !== 'bad-magic' && (!ch.headerCrcOk || !ch.dataCrcOk))
        s.crcFailures++;
    // Chunks whose header page is missing are skipped by the parser, and a chunk walk stops at a zero-filled
    // page: the records past the holes are still in the file.
    for (const r of carveEvtx(bytes).records) take(r);
    const known = new Set(records.filter((r) => r.log === log).map((r) => Number.parseInt(r.offset, 16)));
    for (const r of recordsPastHoles(bytes, known)) take(r);
    s.warnings.push(...parsed.warnings.items.slice(0, 50));
    if (bytes.length > 0x1000 && (bytes.length - 0x1000) % CHUNK_SIZE !== 0)
      s.warnings.push(`size ${bytes.length} is not a header plus whole chunks`);
  }
  return s;
}
