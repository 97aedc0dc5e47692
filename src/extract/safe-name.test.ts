import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeComponent, SafeNamer, safeRelativePath } from './safe-name.js';

test('path traversal and absolute paths become harmless relative names', () => {
  assert.equal(safeRelativePath('/etc/passwd'), 'etc/passwd');
  assert.equal(safeRelativePath('/a/../../b'), 'a/%2E%2E/%2E%2E/b');
  assert.equal(safeRelativePath('..'), '%2E%2E');
  assert.equal(safeRelativePath(''), '%2F');
});

test('reserved characters, control bytes and device names are escaped', () => {
  assert.equal(escapeComponent('a:b*c?'), 'a%3Ab%2Ac%3F');
  assert.equal(escapeComponent('x\ny'), 'x%0Ay');
  assert.equal(escapeComponent('100%'), '100%25');
  assert.equal(escapeComponent('CON'), '_CON');
  assert.equal(escapeComponent('nul.txt'), '_nul.txt');
  assert.equal(escapeComponent('trail. '), 'trail%2E%20');
  assert.ok(escapeComponent('x'.repeat(1000)).length <= 150);
});

test('collisions (also case-only) get distinct names', () => {
  const n = new SafeNamer();
  assert.equal(n.name('/tmp/a'), 'tmp/a');
  assert.equal(n.name('/tmp/a'), 'tmp/a~2');
  assert.equal(n.name('/TMP/A'), 'TMP/A~3');
  assert.equal(n.name('/tmp/a', '.json'), 'tmp/a.json');
});
