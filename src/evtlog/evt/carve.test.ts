import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { buildEvtRecord } from './build.js';
import { carveEvtRecords, EvtRecordCarver } from './carve.js';
import type { EvtRecord } from './record.js';

/** Random bytes with records planted at the given offsets (unaligned ones included). */
function planted(size: number, at: number[]): { bytes: Buffer; records: Buffer[] } {
  const bytes = randomBytes(size);
  const records = at.map((_, i) =>
    buildEvtRecord({
      recordNumber: 500 + i,
      source: `Src${i}`,
      computer: 'PC',
      sid: 'S-1-5-18',
      strings: ['a'.repeat(i * 7), 'b'],
      data: Uint8Array.of(i, 1, 2),
    }),
  );
  records.forEach((r, i) => {
    r.copy(bytes, at[i]!);
  });
  return { bytes, records };
}

const summary = (rs: EvtRecord[]) =>
  rs.map((r) => [r.offset, r.recordNumber, r.sourceName, r.strings[0]?.length]);

test('carve: finds planted records at their offsets, nothing else', () => {
  const at = [0, 1000, 1003, 4096 - 20, 50_001, 60_000];
  const { bytes } = planted(65_536, at);
  // Planted records must not overlap each other.
  const rs = carveEvtRecords(bytes, 0x10000000);
  assert.deepEqual(
    rs.map((r) => r.offset - 0x10000000),
    at.filter((_, i) => i !== 1), // 1003 overwrote the record at 1000
  );
  for (const r of rs) {
    assert.equal(r.recovered, true);
    assert.equal(r.sid, 'S-1-5-18');
    assert.equal(r.strings[1], 'b');
  }
});

test('carve: no records invented from random bytes or bare signatures', () => {
  const b = randomBytes(8 << 20);
  // Sprinkle signatures with random or plausible-but-wrong lengths.
  for (let o = 64; o + 8 < b.length; o += 4099) {
    b.writeUInt32LE(o % 3 === 0 ? 0x100 : b.readUInt32LE(o), o);
    b.write('LfLe', o + 4, 'latin1');
  }
  assert.deepEqual(carveEvtRecords(b), []);
  const c = new EvtRecordCarver();
  let n = 0;
  for (let o = 0; o < b.length; o += 65_536) n += c.push(b.subarray(o, o + 65_536), o).length;
  assert.equal(n, 0);
});

test('carve: streaming finds the same records across any block boundaries', () => {
  const at = [3, 700, 4090, 8190, 12_288 - 4, 20_000, 30_000 - 0x30];
  const { bytes } = planted(32_768, at);
  const whole = summary(carveEvtRecords(bytes));
  assert.equal(whole.length, at.length);
  for (const blockSize of [1, 5, 7, 8, 64, 333, 4096, 4099, 32_768]) {
    const c = new EvtRecordCarver();
    const got: EvtRecord[] = [];
    for (let o = 0; o < bytes.length; o += blockSize)
      got.push(...c.push(bytes.subarray(o, o + blockSize), o));
    c.finish();
    assert.deepEqual(summary(got), whole, `block size ${blockSize}`);
  }
  // Random block sizes, copied into one reused buffer as a file reader would.
  const scratch = Buffer.alloc(5000);
  for (let round = 0; round < 20; round++) {
    const c = new EvtRecordCarver();
    const got: EvtRecord[] = [];
    for (let o = 0; o < bytes.length; ) {
      const n = Math.min(1 + Math.floor(Math.random() * 5000), bytes.length - o);
      bytes.copy(scratch, 0, o, o + n);
      got.push(...c.push(scratch.subarray(0, n), o));
      o += n;
    }
    assert.deepEqual(summary(got), whole);
    for (const r of got) assert.equal(r.data[1], 1, 'data survives buffer reuse');
  }
});

test('carve: a gap in offsets drops the pending record instead of splicing unrelated bytes', () => {
  const { bytes } = planted(8192, [4000]);
  const c = new EvtRecordCarver();
  assert.deepEqual(c.push(bytes.subarray(0, 4050), 0), []);
  assert.deepEqual(c.push(bytes.subarray(4050), 4050 + 4096), []);
  assert.equal(c.dropped, 1);
});

test('carve: maxRecordSize bounds what is accepted', () => {
  const { bytes, records } = planted(4096, [100]);
  assert.equal(carveEvtRecords(bytes, 0, { maxRecordSize: records[0]!.length - 4 }).length, 0);
  assert.equal(carveEvtRecords(bytes, 0, { maxRecordSize: records[0]!.length }).length, 1);
});
