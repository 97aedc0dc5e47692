import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { carveEvtx } from '../evtlog/evtx/carve.js';
import type { EvtxRecord } from '../evtlog/evtx/parser.js';
import { parseEvtx } from '../evtlog/evtx/parser.js';
import { repairEvtx } from '../evtlog/evtx/repair.js';
import { type FormatOptions, Output, withFormatOptions } from '../output/options.js';
import type { Column, Row } from '../output/render.js';
import { MemdigError } from '../util/errors.js';

const COLUMNS: Column[] = [
  { key: 'record_id', right: true, type: 'integer', indexed: true },
  { key: 'time_created', bodyfile: 'crtime', indexed: true },
  { key: 'event_id', right: true, type: 'integer', indexed: true },
  { key: 'level', right: true },
  { key: 'provider' },
  { key: 'channel' },
  { key: 'computer' },
  { key: 'chunk', right: true },
  { key: 'offset', right: true },
  { key: 'data', format: (v) => (v === null || v === undefined ? '-' : String(v).slice(0, 120)) },
];

interface EvtxCliOptions extends FormatOptions {
  xml?: boolean;
  carve?: boolean;
  repair?: string;
  warnings?: boolean;
}

function row(r: EvtxRecord): Row {
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

export function evtxCommand(program: Command): void {
  withFormatOptions(
    program
      .command('evtx')
      .description(
        'Parse a Vista+ .evtx event log (or carve EVTX chunks and records out of any file with --carve)',
      )
      .argument('<file>', '.evtx file, or any file to carve with --carve')
      .option('--xml', 'print each record as Event Viewer XML')
      .option(
        '--carve',
        'scan the whole file for EVTX chunks and orphan records instead of reading it as a log',
      )
      .option(
        '--repair <out>',
        'write a repaired copy (fresh header, chunks in order, CRCs recomputed) and exit',
      )
      .option('--warnings', 'print every warning to stderr (default: a summary)'),
  ).action((file: string, o: EvtxCliOptions) => {
    // `memdig evtx big.evtx | head` must end quietly when the reader goes away.
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new MemdigError(`cannot read ${file}: ${(e as Error).message}`);
    }
    if (o.repair) {
      const { bytes: fixed, report } = repairEvtx(bytes);
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
    if (o.carve) {
      const res = carveEvtx(bytes, 0, { xml: o.xml });
      records = res.records;
      warnings.push(...res.warnings);
      summary = () =>
        `carved ${res.chunks.length} chunk(s), ${res.records.length} record(s) (${res.orphans} orphan, ${res.incomplete} incomplete, ${res.duplicates} duplicate(s) dropped)`;
    } else {
      const log = parseEvtx(bytes, { xml: o.xml });
      records = log;
      summary = () => {
        warnings.push(...log.warnings.items);
        const bad = log.chunks.filter((c) => c.headerCrcOk === false || c.dataCrcOk === false).length;
        const skipped = log.chunks.filter(
          (c) => c.status === 'bad-magic' || c.status === 'bad-header',
        ).length;
        return `${log.chunks.length} chunk(s): ${skipped} skipped, ${bad} with CRC mismatches; ${log.warnings.count} warning(s)`;
      };
    }
    if (o.xml) {
      for (const r of records) process.stdout.write(r.xml ?? '');
    } else {
      const output = new Output(o, { path: file, format: 'evtx' });
      try {
        output.write(
          {
            name: 'evtx_records',
            columns: COLUMNS,
            bodyName: (r) => `[evtx] ${r.provider} event ${r.event_id} record ${r.record_id}`,
          },
          Array.from(records, row),
        );
      } finally {
        output.close();
      }
    }
    process.stderr.write(`${summary()}\n`);
    if (o.warnings) for (const m of warnings) process.stderr.write(`warning: ${m}\n`);
  });
}
