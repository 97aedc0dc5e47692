import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SafeNamer, safeRelativePath } from './safe-path.js';

test('paths from memory stay relative and inside the output folder', () => {
  assert.equal(safeRelativePath('/etc/passwd'), 'etc/passwd');
  assert.equal(safeRelativePath('/a/../../b'), 'a/%2E%2E/%2E%2E/b');
  assert.equal(safeRelativePath('..'), '%2E%2E');
  assert.equal(safeRelativePath(''), '%2F');
  assert.equal(safeRelativePath('/x/CON/a:b'), 'x/_CON/a%3Ab');
});

test('collisions (also case-only) get distinct names', () => {
  const n = new SafeNamer();
  assert.equal(n.name('/tmp/a'), 'tmp/a');
  assert.equal(n.name('/tmp/a'), 'tmp/a~2');
  assert.equal(n.name('/TMP/A'), 'TMP/A~3');
  assert.equal(n.name('/tmp/a', '.json'), 'tmp/a.json');
});
