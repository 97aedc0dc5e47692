import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildEvt } from './evt-writer.js';
import { buildEvtx, crc32 } from './evtx-writer.js';
import { Rng } from './rng.js';

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('generated EVT: header, records with matching length copies, EOF record', () => {
  const b = buildEvt({ records: 20, maxSize: 0x4000, computer: 'PC', source: 'Src' }, new Rng(1));
  const dv = new DataView(b.buffer);
  assert.equal(dv.getUint32(4, true), 0x654c664c);
  let off = dv.getUint32(0x10, true);
  let n = 0;
  while (dv.getUint32(off + 4, true) === 0x654c664c) {
    const len = dv.getUint32(off, true);
    assert.equal(dv.getUint32(off + len - 4, true), len);
    assert.equal(dv.getUint32(off + 8, true), n + 1);
    off += len;
    n++;
  }
  assert.equal(n, 20);
  assert.equal(off, dv.getUint32(0x14, true));
  assert.equal(dv.getUint32(off + 4, true), 0x11111111);
});

test('generated EVTX: file and chunk header CRCs, record framing', () => {
  const b = buildEvtx({ chunks: 2, computer: 'PC', channel: 'System' }, new Rng(2));
  const dv = new DataView(b.buffer);
  assert.equal(new TextDecoder().decode(b.subarray(0, 7)), 'ElfFile');
  assert.equal(dv.getUint32(124, true), crc32(b, 0, 120));
  for (let c = 0; c < 2; c++) {
    const base = 0x1000 + c * 0x10000;
    assert.equal(new TextDecoder().decode(b.subarray(base, base + 7)), 'ElfChnk');
    assert.equal(
      dv.getUint32(base + 124, true),
      crc32(b, base + 128, base + 512, crc32(b, base, base + 120)),
    );
    const free = dv.getUint32(base + 48, true);
    assert.equal(dv.getUint32(base + 52, true), crc32(b, base + 512, base + free));
    let off = 512;
    while (off < free) {
      assert.equal(dv.getUint32(base + off, true), 0x2a2a);
      const size = dv.getUint32(base + off + 4, true);
      assert.equal(dv.getUint32(base + off + size - 4, true), size);
      off += size;
    }
    assert.equal(off, free);
  }
});
