import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Column, RowWriter } from './render.js';

const cols: Column[] = [{ key: 'pid', right: true }, { key: 'name' }];
function run(format: 'table' | 'json' | 'csv', rows: Record<string, string | number>[]): string {
  let s = '';
  const w = new RowWriter(cols, format, { write: (x) => (s += x) });
  for (const r of rows) w.add(r);
  w.end();
  return s;
}

test('render: table aligns, json is one object per line, csv quotes', () => {
  const rows = [
    { pid: 4, name: 'System' },
    { pid: 1234, name: 'a,"b"' },
  ];
  assert.equal(run('table', rows), ' pid  name\n   4  System\n1234  a,"b"\n');
  const lines = run('json', rows)
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(lines, rows);
  assert.equal(run('csv', rows), 'pid,name\n4,System\n1234,"a,""b"""\n');
  assert.equal(run('csv', []), 'pid,name\n');
});
