import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Modules a compiled file imports statically (`import ... from`, `export ... from`, bare `import '...'`). */
function staticImports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const re = /^\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gms;
  return [...src.matchAll(re)].map((m) => (m[1] ?? m[2])!);
}

/** Everything `memdig` loads before it runs an action: the static import closure of the entry. */
function startupClosure(): { local: string[]; packages: Set<string> } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const todo = [join(dist, 'cli', 'main.js')];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const s of staticImports(f)) {
      if (s.startsWith('.')) todo.push(resolve(dirname(f), s));
      else if (!s.startsWith('node:')) packages.add(s);
    }
  }
  return { local: [...seen].map((f) => relative(dist, f)), packages };
}

// Every process pays for what registration loads: `memdig ps` must not parse the EVTX code, the forge, SQLite...
test('start-up loads only command registration: no analysis code, no native modules', () => {
  const { local, packages } = startupClosure();
  assert.deepEqual([...packages], ['commander']);
  const heavy = local.filter(
    (f) =>
      /^(windows|linux|evtlog|sources|translate|extract|symbols\/pdb)\//.test(f) ||
      /-action\.js$|^cli\/(windows|linux)-session\.js$/.test(f),
  );
  assert.deepEqual(heavy, [], 'modules that belong in an action, imported by a registration');
  assert.ok(local.length < 40, `${local.length} modules at start-up`);
});
