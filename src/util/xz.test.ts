import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { xz } from '@napi-rs/lzma';
import { useSystemXz, XzError, xzDeclaredSize, xzDecompress } from './xz.js';

const hasXz = spawnSync('xz', ['--version']).status === 0;

function sample(n: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = 7;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = i % 97 < 50 ? 0x41 + (i % 26) : x >>> 24;
  }
  return b;
}

function leftovers(): string[] {
  return readdirSync(tmpdir()).filter((f) => f.startsWith(`memdig-xz-${process.pid}-`));
}

for (const system of hasXz ? [true, false] : [false]) {
  const name = system ? 'system xz' : 'bundled decoder';
  test(`xz (${name}): round trip, declared size, damage and size limits`, () => {
    useSystemXz(system);
    try {
      const data = sample(300_000);
      const packed = xz.compressSync(data);
      assert.equal(xzDeclaredSize(packed), data.length);
      assert.deepEqual(new Uint8Array(xzDecompress(packed, 't', 1 << 20)), data);
      // A small file that says it holds more than the limit is refused before decoding.
      assert.throws(() => xzDecompress(packed, 'big', 1000), /declares 300000 bytes, more than the 1000/);
      assert.throws(
        () => xzDecompress(packed.subarray(0, packed.length - 40), 'cut', 1 << 20),
        (e: unknown) => e instanceof XzError && /cut: xz stream is damaged or truncated/.test(e.message),
      );
      // The bundled encoder writes no data check, so damage a CRC-protected block header.
      const flipped = Uint8Array.from(packed);
      flipped[14] = flipped[14]! ^ 0xff;
      assert.throws(() => xzDecompress(flipped, 'flip', 1 << 20), XzError);
      assert.deepEqual(leftovers(), [], 'no temporary files left behind');
    } finally {
      useSystemXz(true);
    }
  });
}

test('xz: declared size is null for what is not one plain stream', () => {
  const one = xz.compressSync(sample(1000));
  assert.equal(xzDeclaredSize(one), 1000);
  const two = new Uint8Array(one.length * 2);
  two.set(one);
  two.set(one, one.length);
  assert.equal(xzDeclaredSize(two), null, 'two streams: the last index does not describe the whole file');
  const padded = new Uint8Array(one.length + 4);
  padded.set(one);
  assert.equal(xzDeclaredSize(padded), null);
  assert.equal(xzDeclaredSize(new Uint8Array(40)), null);
});

test('xz: without a writable temp folder the bundled decoder takes over', () => {
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = '/nonexistent/memdig-no-tmp';
  useSystemXz(true);
  try {
    const data = sample(50_000);
    assert.deepEqual(new Uint8Array(xzDecompress(xz.compressSync(data), 'no-tmp', 1 << 20)), data);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    useSystemXz(true);
  }
});
