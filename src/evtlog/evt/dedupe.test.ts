import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildEvtRecord } from './build.js';
import { carveEvtRecords } from './carve.js';
import { dedupeEvtRecords } from './dedupe.js';

test('dedupe: identical copies collapse to the first, same number with other content stays', () => {
  const a = buildEvtRecord({ recordNumber: 5, strings: ['one'] });
  const b = buildEvtRecord({ recordNumber: 6, strings: ['two'] });
  const a2 = buildEvtRecord({ recordNumber: 5, strings: ['other content'] });
  const bytes = Buffer.concat([a, Buffer.alloc(100), b, a, Buffer.alloc(12), a2, b]);
  const carved = carveEvtRecords(bytes, 0x1000);
  assert.equal(carved.length, 5);
  const u = dedupeEvtRecords(carved);
  assert.deepEqual(
    u.map((r) => [r.recordNumber, r.strings[0], r.offset]),
    [
      [5, 'one', 0x1000],
      [6, 'two', 0x1000 + a.length + 100],
      [5, 'other content', 0x1000 + a.length + 100 + b.length + a.length + 12],
    ],
  );
});
