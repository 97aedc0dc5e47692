import { readFileSync, writeFileSync } from 'node:fs';
import { CARVE_OVERLAP, type CarveResult, EvtxCarver } from '../evtlog/evtx/carve.js';
import type { EvtxOptions, EvtxRecord } from '../evtlog/evtx/parser.js';
import { parseEvtx } from '../evtlog/evtx/parser.js';
import { repairEvtx } from '../evtlog/evtx/repair.js';
import { type FormatOptions, Output } from '../output/options.js';
import type { Column, Row } from '../output/render.js';
import { FileReader } from '../sources/file-reader.js';
import { ExitCode, FormatError, MemdigError } from '../util/errors.js';

/** Stable column names: scripts rely on them. `data` is the EventData/UserData object as JSON. */
export const EVTX_COLUMNS: Column[] = [
  { key: 'record_id', right: true, type: 'integer', indexed: true },
  { key: 'time_created', bodyfile: 'crtime', indexed: true },
  { key: 'event_id', right: true, type: 'integer', indexed: true },
  { key: 'level', right: true, type: 'integer' },
  { key: 'provider', indexed: true },
  { key: 'channel' },
  { key: 'computer' },
  { key: 'chunk', right: true, type: 'integer' },
  { key: 'offset', right: true, type: 'integer' },
  { key: 'data', format: (v) => (v === null || v === undefined ? '-' : String(v).slice(0, 120)) },
];

export interface EvtxCliOptions extends FormatOptions {
  xml?: boolean;
  carve?: boolean;
  repair?: string;
  warnings?: boolean;
}

export function evtxRow(r: EvtxRecord): Row {
  const j = r.json;
  const payload = j ? (j.EventData ?? j.UserData ?? null) : null;
  return {
    record_id: r.recordId,
    time_created: j?.TimeCreated ?? r.written,
    event_id: j?.EventID ?? null,
    level: j?.Level ?? null,
    provider: j?.Provider ?? null,
    channel: j?.Channel ?? null,
    computer: j?.Computer ?? null,
    chunk: r.chunkIndex,
    offset: r.offset,
    data: payload === null ? null : JSON.stringify(payload),
  };
}

export function evtxAction(file: string, o: EvtxCliOptions): void {
  // `memdig evtx big.evtx | head` must end quietly when the reader goes away.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const read = (): Buffer => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new MemdigError(`cannot read ${file}: ${(e as Error).message}`);
    }
  };
  if (o.repair) {
    const { bytes: fixed, report } = repairEvtx(read());
    writeFileSync(o.repair, fixed);
    process.stderr.write(
      `${o.repair}: ${report.chunksWritten} chunk(s) of ${report.chunksFound} found, ${report.records} record(s)${report.firstRecordId === null ? '' : ` (${report.firstRecordId}..${report.lastRecordId})`}\n`,
    );
    for (const n of report.notes) process.stderr.write(`note: ${n}\n`);
    return;
  }
  const warnings: string[] = [];
  let records: Iterable<EvtxRecord>;
  let summary: () => string;
  let size = 0;
  let parsed: ReturnType<typeof parseEvtx> | null = null;
  if (o.carve) {
    const totals = { chunks: 0, records: 0, orphans: 0, incomplete: 0, duplicates: 0 };
    records = carveFile(file, { xml: o.xml }, (res) => {
      totals.chunks += res.chunks.length;
      totals.records += res.records.length;
      totals.orphans += res.orphans;
      totals.incomplete += res.incomplete;
      totals.duplicates += res.duplicates;
      warnings.push(...res.warnings);
    });
    summary = () =>
      `carved ${totals.chunks} chunk(s), ${totals.records} record(s) (${totals.orphans} orphan, ${totals.incomplete} incomplete, ${totals.duplicates} duplicate(s) dropped)`;
  } else {
    const bytes = read();
    size = bytes.length;
    const log = parseEvtx(bytes, { xml: o.xml });
    parsed = log;
    records = log;
    summary = () => {
      warnings.push(...log.warnings.items);
      const bad = log.chunks.filter((c) => c.headerCrcOk === false || c.dataCrcOk === false).length;
      const skipped = log.chunks.filter((c) => c.status === 'bad-magic' || c.status === 'bad-header').length;
      return `${log.chunks.length} chunk(s): ${skipped} skipped, ${bad} with CRC mismatches; ${log.warnings.count} warning(s)`;
    };
  }
  if (o.xml) {
    for (const r of records) process.stdout.write(r.xml ?? '');
  } else {
    const output = new Output(o, { path: file, size: size || undefined, format: 'evtx' });
    const out = output.sink({
      name: 'evtx_records',
      columns: EVTX_COLUMNS,
      bodyName: (r) => `[evtx] ${r.provider} event ${r.event_id} record ${r.record_id}`,
    });
    for (const r of records) out.add(evtxRow(r));
    out.end();
    output.close();
  }
  if (!o.carve && parsed && !parsed.header && !parsed.chunks.some((c) => c.status === 'ok' && c.records > 0))
    throw new FormatError(
      'evtx',
      0,
      'not an EVTX log: no "ElfFile" header and no readable chunk (try --carve to search it for records)',
    );
  process.stderr.write(`${summary()}\n`);
  if (o.warnings) for (const m of warnings) process.stderr.write(`warning: ${m}\n`);
  // Records were listed but something was skipped or damaged: partial results.
  if (warnings.length) process.exitCode = ExitCode.Partial;
}

const CARVE_BLOCK = 64 << 20;

/** Carves a file of any size in overlapping blocks, yielding records as each block is done. */
function* carveFile(
  file: string,
  opts: EvtxOptions,
  onBlock: (r: CarveResult) => void,
): Generator<EvtxRecord> {
  const reader = new FileReader(file);
  try {
    const carver = new EvtxCarver(opts);
    const block = Buffer.allocUnsafe(Math.min(CARVE_BLOCK, reader.size));
    for (let pos = 0; pos < reader.size; pos += CARVE_BLOCK - CARVE_OVERLAP) {
      const got = reader.direct(pos, block, 0, Math.min(block.length, reader.size - pos));
      const final = pos + got >= reader.size;
      const res = carver.carve(block.subarray(0, got), pos, final);
      onBlock(res);
      yield* res.records;
      if (final) break;
    }
  } finally {
    reader.close();
  }
}
