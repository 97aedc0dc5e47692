#!/usr/bin/env node
// Runs every compiled *.test.js under dist/ with Node's own test runner.
// Node 20's `--test` does not expand globs, so the file list is built here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

// The longest files start first: with two workers, a long file started last would leave one worker idle while it
// runs alone at the end.
const FIRST = ['symbols/corpus.test.js', 'linux/linux-dump.test.js', 'windows/forge-truth.test.js'];
const rank = (f) => {
  const i = FIRST.findIndex((x) => f.endsWith(x));
  return i < 0 ? FIRST.length : i;
};

const filter = process.argv.slice(2);
let files = collect('dist', [])
  .sort()
  .sort((a, b) => rank(a) - rank(b));
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files found under dist/ (did the build run?)');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
