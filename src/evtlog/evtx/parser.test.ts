import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHUNK_SIZE, FILE_HEADER_SIZE } from './layout.js';
import { parseEvtx } from './parser.js';
import { synthChunk, synthEvents, synthFile } from './synth.js';
import { filetimeToIso } from './time.js';

test('synthetic log: records, template reuse, substitutions, XML and JSON', () => {
  const file = synthFile([synthChunk(synthEvents(1, 5)), synthChunk(synthEvents(6, 4))], 10);
  const log = parseEvtx(file, { xml: true });
  const recs = [...log];
  assert.equal(recs.length, 9);
  assert.deepEqual(
    recs.map((r) => r.recordId),
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.ok(log.header?.crcOk);
  assert.equal(log.header?.chunkCount, 2);
  assert.deepEqual(
    log.chunks.map((c) => [c.status, c.headerCrcOk, c.dataCrcOk, c.records]),
    [
      ['ok', true, true, 5],
      ['ok', true, true, 4],
    ],
  );
  for (const r of recs) assert.deepEqual(r.warnings, []);
  const r0 = recs[0]!;
  assert.equal(r0.written, '2024-01-02T03:04:05.0000000Z');
  assert.equal(r0.offset, FILE_HEADER_SIZE + 512);
  assert.equal(r0.json?.EventID, 4624);
  assert.equal(r0.json?.Provider, 'Memdig-Test');
  assert.equal(r0.json?.Computer, 'HOST-1');
  assert.equal(r0.json?.EventRecordID, 1);
  assert.equal(r0.json?.UserID, 'S-1-5-21-1-2-3-500');
  assert.equal(r0.json?.TimeCreated, '2024-01-02T03:04:05.0000000Z');
  assert.deepEqual(r0.json?.EventData, { Message: 'event 1 <&> "quoted"', Item: '' });
  assert.match(r0.xml!, /<Data Name="Message">event 1 &lt;&amp;&gt; "quoted"<\/Data>/);
  assert.match(r0.xml!, /<Security UserID="S-1-5-21-1-2-3-500" \/>/);
  // Optional null substitution: the attribute disappears, the element stays; a null array gives no <Data>.
  const r1 = recs[1]!;
  assert.match(r1.xml!, /<Security \/>/);
  assert.equal(r1.json?.UserID, null);
  // A string array fills one <Data> per item.
  assert.deepEqual(r1.json?.EventData, { Message: 'event 2 <&> "quoted"', Item: ['a', 'b'] });
  assert.equal((r1.xml!.match(/<Data Name="Item">/g) ?? []).length, 2);
  assert.match(r0.xml!, /<Data Name="Item" \/>/);
});

test('damaged chunks and stale CRCs are reported, never fatal', () => {
  const file = synthFile(
    [synthChunk(synthEvents(1, 3)), synthChunk(synthEvents(4, 3)), synthChunk(synthEvents(7, 3))],
    10,
  );
  file[FILE_HEADER_SIZE + CHUNK_SIZE] = 0x58; // chunk 1: bad magic
  file[FILE_HEADER_SIZE + 2 * CHUNK_SIZE + 600] ^= 0xff; // chunk 2: a record byte changed (data CRC stale)
  file[0] = 0; // no file header
  const log = parseEvtx(file);
  const recs = [...log];
  assert.equal(log.header, null);
  assert.deepEqual(
    log.chunks.map((c) => c.status),
    ['ok', 'bad-magic', 'ok'],
  );
  assert.equal(log.chunks[2]!.dataCrcOk, false);
  assert.equal(log.chunks[2]!.headerCrcOk, true);
  assert.ok(recs.length >= 5);
  assert.deepEqual(
    recs.slice(0, 3).map((r) => r.recordId),
    [1, 2, 3],
  );
  assert.ok(log.warnings.items.some((w) => w.includes('bad magic')));
});

test('FILETIME to ISO keeps all 100 ns digits without BigInt', () => {
  // 2016-07-08T18:12:51.6816408Z = 131124751716816408 ticks
  const t = 131124751716816408n;
  assert.equal(filetimeToIso(Number(t & 0xffffffffn), Number(t >> 32n)), '2016-07-08T18:12:51.6816408Z');
  assert.equal(filetimeToIso(0, 0), '1601-01-01T00:00:00.0000000Z');
});
