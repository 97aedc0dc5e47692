import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { buildEofRecord, buildEvtLog, buildEvtRecord } from './build.js';
import { parseEvt } from './parse.js';
import { posixToIso } from './record.js';

const rec = (n: number, extra: Partial<Parameters<typeof buildEvtRecord>[0]> = {}) =>
  buildEvtRecord({ recordNumber: n, strings: [`message ${n}`, 'second'], ...extra });

test('evt: clean log, every field', () => {
  const data = Uint8Array.of(1, 2, 3, 4, 5);
  const { file, offsets } = buildEvtLog({
    size: 0x1000,
    records: [
      rec(1, {
        eventIdentifier: 0xc0001b58,
        eventType: 1,
        category: 7,
        source: 'Service Control Manager',
        computer: 'WKS-XP',
        sid: 'S-1-5-21-1004336348-1177238915-682003330-500',
        data,
        timeGenerated: 1311748907,
        timeWritten: 1311748909,
      }),
      rec(2),
      rec(3, { strings: [] }),
    ],
    flags: 0x8,
  });
  const log = parseEvt(file);
  assert.equal(log.mode, 'ring');
  assert.deepEqual(log.warnings.items, []);
  assert.equal(log.header?.currentRecordNumber, 4);
  assert.equal(log.header?.oldestRecordNumber, 1);
  assert.equal(log.header?.archive, true);
  assert.equal(log.header?.dirty, false);
  assert.equal(log.eof?.offset, log.header?.endOffset);
  assert.deepEqual(
    log.records.map((r) => [r.recordNumber, r.offset]),
    offsets.map((o, i) => [i + 1, o]),
  );
  const r = log.records[0]!;
  assert.equal(r.eventIdentifier, 0xc0001b58);
  assert.equal(r.eventId, 7000);
  assert.equal(r.severity, 3);
  assert.equal(r.facility, 0);
  assert.equal(r.eventType, 1);
  assert.equal(r.category, 7);
  assert.equal(r.sourceName, 'Service Control Manager');
  assert.equal(r.computerName, 'WKS-XP');
  assert.equal(r.sid, 'S-1-5-21-1004336348-1177238915-682003330-500');
  assert.deepEqual(r.strings, ['message 1', 'second']);
  assert.deepEqual([...r.data], [...data]);
  assert.equal(posixToIso(r.timeGenerated), '2011-07-27T06:41:47Z');
  assert.equal(r.timeWritten - r.timeGenerated, 2);
  assert.equal(log.records[2]!.strings.length, 0);
  assert.equal(log.recovered.length, 0);
});

test('evt: wrap-around, a record split at the end of the file continues after the header', () => {
  // 12 records of 0x80..0xa0 bytes in a 0x400-byte ring starting late: several wrap, one is split.
  const records = Array.from({ length: 12 }, (_, i) =>
    rec(100 + i, { strings: ['x'.repeat(8 + (i % 3) * 8)] }),
  );
  const start = 0x30 + 0x300;
  const { file, offsets } = buildEvtLog({
    size: 0x400,
    startOffset: start,
    records: records.slice(0, 3),
    firstNumber: 100,
  });
  const split = offsets.findIndex((o, i) => o + records[i]!.length > 0x400);
  assert.ok(split >= 0, 'the layout splits one record');
  const log = parseEvt(file);
  assert.deepEqual(log.warnings.items, []);
  assert.deepEqual(
    log.records.map((r) => r.recordNumber),
    [100, 101, 102],
  );
  const s = log.records[split]!;
  assert.equal(s.wrapped, true);
  assert.equal(s.offset, offsets[split]);
  assert.deepEqual(s.strings, [`${'x'.repeat(8 + (split % 3) * 8)}`]);
});

test('evt: ring tail filled with 0x27 dwords is skipped', () => {
  const a = rec(1);
  const b = rec(2);
  const size = 0x30 + 0x200;
  const file = Buffer.alloc(size);
  // Oldest record near the end, then 0x27 fill too small for the next one, which starts after the header.
  const p0 = size - a.length - 0x10;
  a.copy(file, p0);
  for (let p = p0 + a.length; p < size; p += 4) file.writeUInt32LE(0x27, p);
  b.copy(file, 0x30);
  const eofAt = 0x30 + b.length;
  buildEofRecord(p0, eofAt, 3, 1).copy(file, eofAt);
  const log = parseEvt(patchHeader(file, p0, eofAt, 3, 1, 0x2));
  assert.deepEqual(log.warnings.items, []);
  assert.deepEqual(
    log.records.map((r) => r.recordNumber),
    [1, 2],
  );
  assert.equal(log.header?.wrapped, true);
});

function patchHeader(
  file: Buffer,
  start: number,
  end: number,
  cur: number,
  oldest: number,
  flags: number,
): Buffer {
  const v = [0x30, 0x654c664c, 1, 1, start, end, cur, oldest, file.length, flags, 0, 0x30];
  v.forEach((x, i) => {
    file.writeUInt32LE(x >>> 0, i * 4);
  });
  return file;
}

test('evt: dirty header (never flushed) is overridden by the end-of-file record', () => {
  const { file } = buildEvtLog({
    size: 0x10000,
    records: [rec(1), rec(2), rec(3), rec(4), rec(5)],
    flags: 1,
    staleHeader: { startOffset: 0x30, endOffset: 0x30, currentRecordNumber: 1, oldestRecordNumber: 0 },
  });
  const log = parseEvt(file);
  assert.equal(log.header?.dirty, true);
  assert.equal(log.records.length, 5);
  assert.ok(log.warnings.items.some((w) => w.includes('stale')));
});

test('evt: dirty header and no end-of-file record: walk while records are valid', () => {
  const { file, eofOffset } = buildEvtLog({
    size: 0x2000,
    records: [rec(1), rec(2), rec(3)],
    flags: 1,
    staleHeader: { endOffset: 0x30 },
  });
  file.fill(0, eofOffset, eofOffset + 0x28);
  const log = parseEvt(file);
  assert.deepEqual(
    log.records.map((r) => r.recordNumber),
    [1, 2, 3],
  );
  assert.ok(log.warnings.items.some((w) => w.includes('no end-of-file record')));
});

test('evt: truncated record (zero length copy) is decoded best effort and the walk goes on', () => {
  const r2 = rec(2, { strings: ['a fairly long first string', 'second string'] });
  const { file, offsets } = buildEvtLog({ size: 0x1000, records: [rec(1), r2, rec(3)] });
  // Zero the tail of record 2 (from the middle of its second string) including its length copy.
  file.fill(0, offsets[1]! + r2.length - 24, offsets[1]! + r2.length);
  const log = parseEvt(file);
  assert.deepEqual(
    log.records.map((r) => [r.recordNumber, r.complete]),
    [
      [1, true],
      [2, false],
      [3, true],
    ],
  );
  assert.equal(log.records[1]!.strings[0], 'a fairly long first string');
  assert.ok(log.warnings.items.some((w) => w.includes('record 2')));
});

test('evt: absurd lengths and offsets are warnings, never crashes or runaway loops', () => {
  const { file, offsets } = buildEvtLog({ size: 0x1000, records: [rec(1), rec(2), rec(3), rec(4)] });
  file.writeUInt32LE(0xfffffff0, offsets[1]!); // record 2: absurd length
  file.writeUInt32LE(0x7fffff00, offsets[2]! + 0x24); // record 3: strings offset far outside
  const log = parseEvt(file);
  assert.deepEqual(
    log.records.map((r) => r.recordNumber),
    [1, 3, 4],
  );
  assert.deepEqual(log.records[1]!.strings, []);
  assert.ok(log.records[1]!.problems.some((p) => p.includes('strings offset')));
  assert.ok(log.warnings.items.some((w) => w.includes('implausible record length')));

  // Header offsets pointing anywhere, including beyond the file.
  const bad = Buffer.from(file);
  bad.writeUInt32LE(0xfffffff0, 0x10);
  bad.writeUInt32LE(0x12345678, 0x14);
  bad.writeUInt32LE(1, 0x24);
  bad.fill(0, offsets[3]! + rec(4).length); // no EOF record
  const log2 = parseEvt(bad);
  assert.equal(log2.mode, 'scan');
  assert.deepEqual(
    log2.records.map((r) => r.recordNumber),
    [1, 3, 4],
  );
});

test('evt: a record in slack after the end-of-file record is recovered', () => {
  const { file, eofOffset } = buildEvtLog({ size: 0x1000, records: [rec(10), rec(11)], firstNumber: 10 });
  const old = rec(3, { source: 'OldSource' });
  const at = eofOffset + 0x28 + 0x40;
  old.copy(file, at);
  const log = parseEvt(file);
  assert.equal(log.records.length, 2);
  assert.equal(log.recovered.length, 1);
  assert.equal(log.recovered[0]!.offset, at);
  assert.equal(log.recovered[0]!.recovered, true);
  assert.equal(log.recovered[0]!.sourceName, 'OldSource');
  assert.equal(parseEvt(file, { recovered: false }).recovered.length, 0);
});

test('evt: headerless bytes (missing first page) are scanned', () => {
  const { file, offsets } = buildEvtLog({ size: 0x2000, records: [rec(1), rec(2), rec(3)] });
  file.fill(0, 0, offsets[1]!);
  const log = parseEvt(file);
  assert.equal(log.header, null);
  // The EOF record still gives the start offset (record 1's place, now zeros): the walk resynchronises.
  assert.deepEqual(
    log.records.map((r) => r.recordNumber),
    [2, 3],
  );
});

test('evt: random bytes give no records and no exception', () => {
  for (let i = 0; i < 20; i++) {
    const b = randomBytes(4096 + i * 100);
    const log = parseEvt(b);
    assert.equal(log.records.length + log.recovered.length, 0);
  }
  // Random bytes behind a valid header: still nothing invented.
  const b = randomBytes(0x4000);
  patchHeader(b, 0x30, 0x2000, 5, 1, 0);
  const log = parseEvt(b);
  assert.equal(log.records.length + log.recovered.length, 0);
  assert.ok(log.warnings.count > 0);
  for (const n of [0, 10, 0x2f, 0x30]) parseEvt(b.subarray(0, n));
});

test('evt: a record whose first bytes are split at the end of the ring (only its length fits)', () => {
  const a = rec(1);
  const b = rec(2, { strings: ['split right after its length'] });
  const size = 0x30 + 0x400;
  const file = Buffer.alloc(size);
  const p0 = size - a.length - 4;
  a.copy(file, p0);
  b.copy(file, size - 4, 0, 4);
  b.copy(file, 0x30, 4);
  const eofAt = 0x30 + b.length - 4;
  buildEofRecord(p0, eofAt, 3, 1).copy(file, eofAt);
  const log = parseEvt(patchHeader(file, p0, eofAt, 3, 1, 0x2));
  assert.deepEqual(log.warnings.items, []);
  assert.deepEqual(
    log.records.map((r) => [r.recordNumber, r.wrapped, r.strings[0]]),
    [
      [1, false, 'message 1'],
      [2, true, 'split right after its length'],
    ],
  );
});

test('evt: a missing (zero-filled) page inside the live ring costs only the records on it', () => {
  const records = Array.from({ length: 200 }, (_, i) => rec(i + 1));
  const { file, offsets } = buildEvtLog({ size: 0x8000, records });
  file.fill(0, 0x2000, 0x3000);
  const log = parseEvt(file);
  // A record running into the page keeps its readable head (its length copy reads 0: truncated, as libevt
  // describes); records starting on the page are lost.
  const spans = offsets.map((o, i) => ({ s: o, e: o + records[i]!.length, n: i + 1 }));
  const lost = spans.filter(({ s }) => s >= 0x2000 && s < 0x3000).map(({ n }) => n);
  const cut = spans.filter(({ s, e }) => s < 0x2000 && e > 0x2000).map(({ n }) => n);
  assert.ok(lost.length > 0);
  assert.deepEqual(
    log.records.map((r) => [r.recordNumber, r.complete]),
    spans.filter(({ n }) => !lost.includes(n)).map(({ n }) => [n, !cut.includes(n)]),
  );
  assert.ok(log.warnings.items.some((w) => w.includes('resynchronising')));
  assert.equal(log.recovered.length, 0);
});

test('evt: fuzzed logs never throw, hang or invent more records than fit', () => {
  const records = Array.from({ length: 40 }, (_, i) => rec(i + 1, { sid: i % 2 ? 'S-1-5-18' : undefined }));
  const { file } = buildEvtLog({ size: 0x1000, startOffset: 0x800, records: records.slice(0, 20), flags: 3 });
  const nasty = [
    0, 0x27, 0x28, 0x30, 0x38, 0x40, 0xfff, 0x1000, 0x7fffffff, 0xffffffff, 0x654c664c, 0x11111111,
  ];
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  for (let round = 0; round < 300; round++) {
    const b = Buffer.from(file);
    for (let k = 0; k < 1 + rnd(6); k++) {
      const at = rnd(b.length - 4) & ~3;
      b.writeUInt32LE(rnd(2) ? nasty[rnd(nasty.length)]! : (rnd(0x10000) * 0x10000 + rnd(0x10000)) >>> 0, at);
    }
    const log = parseEvt(b);
    assert.ok(log.records.length + log.recovered.length <= b.length / 0x40);
  }
});

test('evt: a headerless fragment (records from offset 0, out of order) is scanned in record-number order', () => {
  const frag = Buffer.concat([rec(7), rec(5), Buffer.alloc(16), rec(6)]);
  const log = parseEvt(frag);
  assert.equal(log.mode, 'scan');
  assert.deepEqual(
    log.records.map((r) => [r.recordNumber, r.offset]),
    [
      [5, rec(7).length],
      [6, rec(7).length + rec(5).length + 16],
      [7, 0],
    ],
  );
});

test('evt: records overlapping bytes the source did not have are flagged', () => {
  const records = Array.from({ length: 60 }, (_, i) => rec(i + 1));
  const { file, offsets } = buildEvtLog({ size: 0x4000, records });
  const log = parseEvt(file, { missing: [{ offset: 0x1000, length: 0x1000 }] });
  const expected = offsets
    .map((o, i) => [o, o + records[i]!.length, i + 1] as const)
    .filter(([s, e]) => s < 0x2000 && e > 0x1000)
    .map(([, , n]) => n);
  assert.ok(expected.length > 0);
  assert.deepEqual(
    log.records.filter((r) => r.missingBytes).map((r) => r.recordNumber),
    expected,
  );
  assert.ok(log.warnings.items.some((w) => w.includes('missing from the source')));
});
