import { crc32 } from '../util/crc32.js';
import type { EvtRecord } from './evt/record.js';
import { eventTypeName, posixToIso } from './evt/record.js';
import type { EvtxRecord } from './evtx/parser.js';

/**
 * One event-log record in a form common to both formats, for output (JSON Lines / CSV) and for de-duplication of
 * records seen several times (in an extracted log, in its cached pages, in freed memory).
 */
export interface LogRecordRow {
  /** Log file name (`SysEvent.Evt`, `System.evtx`), or the channel / `unattributed` for carved records. */
  log: string;
  /** `file`: parsed from an extracted log; `carved`: found in physical memory outside every extracted log. */
  source: 'file' | 'carved';
  format: 'evt' | 'evtx';
  record_id: number;
  time_written: string | null;
  time_created: string | null;
  event_id: number | null;
  level: string | null;
  provider: string | null;
  computer: string | null;
  channel: string | null;
  data: string;
  /** File offset (source file) or physical address (carved), hex. */
  offset: string;
  /** False when some of the record's bytes lie on pages that were not in memory (zero-filled in the output). */
  complete: boolean;
}

export const LOG_RECORD_COLUMNS = [
  'log',
  'source',
  'format',
  'record_id',
  'time_written',
  'time_created',
  'event_id',
  'level',
  'provider',
  'computer',
  'channel',
  'data',
  'offset',
  'complete',
] as const;

/** EVT identity: the same record number, write time and source is the same record. */
export function evtKey(r: EvtRecord): string {
  return `${r.recordNumber}:${r.timeWritten}:${r.sourceName}`;
}

/** EVTX identity: record id, write time and a CRC of the record's body (ids restart when a log is cleared). */
export function evtxKey(r: EvtxRecord, bytes: Uint8Array, at: number): string {
  const end = Math.min(bytes.length, at + r.size - 4);
  return `${r.recordId}:${r.written}:${crc32(bytes.subarray(Math.min(at + 24, end), end))}`;
}

/**
 * An EVTX record whose id is 0 or whose write time is outside 1990..2100 is framing that matched by chance (a
 * record magic at a page end followed by an unrelated page), not a record.
 */
export function plausibleEvtx(r: EvtxRecord): boolean {
  if (!(r.recordId > 0) || !r.written) return false;
  const y = Number(r.written.slice(0, 4));
  return y >= 1990 && y <= 2100;
}

export function evtRow(
  r: EvtRecord,
  log: string,
  source: 'file' | 'carved',
  complete: boolean,
): LogRecordRow {
  return {
    log,
    source,
    format: 'evt',
    record_id: r.recordNumber,
    time_written: posixToIso(r.timeWritten),
    time_created: posixToIso(r.timeGenerated),
    event_id: r.eventId,
    level: eventTypeName(r.eventType),
    provider: r.sourceName,
    computer: r.computerName,
    channel: null,
    data: r.strings.join(' | '),
    offset: `0x${r.offset.toString(16)}`,
    complete: complete && r.complete,
  };
}

const SYSTEM_KEYS = new Set([
  'EventID',
  'Provider',
  'Channel',
  'Computer',
  'TimeCreated',
  'EventRecordID',
  'Level',
  'Task',
  'Opcode',
  'Keywords',
  'UserID',
  'ProcessID',
  'ThreadID',
]);

export function evtxRow(
  r: EvtxRecord,
  log: string,
  source: 'file' | 'carved',
  complete: boolean,
): LogRecordRow {
  const j = r.json;
  const data: Record<string, unknown> = {};
  if (j) for (const [k, v] of Object.entries(j)) if (!SYSTEM_KEYS.has(k)) data[k] = v;
  return {
    log,
    source,
    format: 'evtx',
    record_id: r.recordId,
    time_written: r.written,
    time_created: j?.TimeCreated ?? null,
    event_id: j?.EventID ?? null,
    level: j?.Level === null || j?.Level === undefined ? null : String(j.Level),
    provider: j?.Provider ?? null,
    computer: j?.Computer ?? null,
    channel: j?.Channel ?? null,
    data: Object.keys(data).length ? JSON.stringify(data) : '',
    offset: `0x${r.offset.toString(16)}`,
    complete: complete && j !== null && r.warnings.length === 0,
  };
}

/**
 * Which byte ranges of a recovered file are real (resident pages); the rest was zero-filled. Built from the
 * extraction's page runs.
 */
export class ResidentRanges {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  constructor(runs: readonly { offset: number; length: number; resident: boolean }[]) {
    for (const r of [...runs].sort((a, b) => a.offset - b.offset)) {
      if (!r.resident || r.length <= 0) continue;
      const n = this.ends.length;
      if (n && this.ends[n - 1]! >= r.offset)
        this.ends[n - 1] = Math.max(this.ends[n - 1]!, r.offset + r.length);
      else {
        this.starts.push(r.offset);
        this.ends.push(r.offset + r.length);
      }
    }
  }

  /** Whether every byte of [start, end) is resident. */
  covers(start: number, end: number): boolean {
    if (end <= start) return true;
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! <= start) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi >= 0 && this.ends[hi]! >= end;
  }
}
