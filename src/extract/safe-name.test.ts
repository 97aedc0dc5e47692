import assert from 'node:assert/strict';
import { sep } from 'node:path';
import { test } from 'node:test';
import { OutputNames, safeBaseName, safeComponent } from './safe-name.js';

test('safe names: traversal, reserved characters, devices and collisions', () => {
  assert.equal(safeComponent('..'), '%2E%2E');
  assert.equal(safeComponent('../../etc/passwd'), '..%2F..%2Fetc%2Fpasswd');
  assert.equal(safeComponent('a:b*c?.evt'), 'a%3Ab%2Ac%3F.evt');
  assert.equal(safeComponent('CON'), '_CON');
  assert.equal(safeComponent('nul.txt'), '_nul.txt');
  assert.equal(safeComponent('x\u0000y'), 'x%00y');
  assert.equal(safeComponent(''), '_');
  assert.equal(safeComponent(`${'a'.repeat(300)}.evtx`).length, 180);
  assert.ok(safeComponent(`${'a'.repeat(300)}.evtx`).endsWith('.evtx'));
  assert.equal(safeBaseName('\\WINDOWS\\system32\\config\\SecEvent.Evt'), 'SecEvent.Evt');
  assert.equal(safeBaseName('/tmp/x/'), 'x');
  const n = new OutputNames('/out');
  assert.equal(n.take('SecEvent.Evt'), `${sep}out${sep}SecEvent.Evt`);
  assert.equal(n.take('secevent.evt'), `${sep}out${sep}secevent-2.evt`);
  assert.equal(n.take('..'), `${sep}out${sep}%2E%2E`);
});
