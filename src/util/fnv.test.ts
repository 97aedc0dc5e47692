import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fnv1a64Hex } from './fnv.js';

function reference(b: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  for (const x of b) h = ((h ^ BigInt(x)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

test('fnv1a64Hex matches the published vectors and a BigInt reference', () => {
  const enc = new TextEncoder();
  assert.equal(fnv1a64Hex(new Uint8Array(0)), 'cbf29ce484222325');
  assert.equal(fnv1a64Hex(enc.encode('a')), 'af63dc4c8601ec8c');
  assert.equal(fnv1a64Hex(enc.encode('foobar')), '85944171f73967e8');
  const page = new Uint8Array(4096);
  for (let i = 0; i < page.length; i++) page[i] = (i * 131 + 7) & 0xff;
  assert.equal(fnv1a64Hex(page), reference(page));
  assert.equal(fnv1a64Hex(page, 100, 50), reference(page.subarray(100, 150)));
});
