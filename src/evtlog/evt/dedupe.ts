import type { EvtRecord } from './record.js';

/**
 * Drops repeated copies of the same record, keeping the first. A dump often holds one record several times (the
 * mapped view, cache pages, freed buffers of the event-log service); the copies agree on number, times, identity
 * and content. Records that share a number but differ in content (a number reused after the log was cleared) are
 * all kept.
 */
export function dedupeEvtRecords(records: Iterable<EvtRecord>): EvtRecord[] {
  const seen = new Set<string>();
  const out: EvtRecord[] = [];
  for (const r of records) {
    const key = evtRecordKey(r);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r);
  }
  return out;
}

/** Identity of a record's content (everything but where it was found). */
export function evtRecordKey(r: EvtRecord): string {
  return [
    r.recordNumber,
    r.timeGenerated,
    r.timeWritten,
    r.eventIdentifier,
    r.eventType,
    r.category,
    r.length,
    r.sourceName,
    r.computerName,
    r.sid ?? '',
    r.strings.length,
    ...r.strings,
    Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString('base64'),
  ].join('\u0000');
}
