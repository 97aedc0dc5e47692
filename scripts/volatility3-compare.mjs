#!/usr/bin/env node
/**
 * Cross-check memdig against Volatility 3 on one Windows image: process lists, VAD ranges, handles, file objects,
 * and the dumped file contents page by page. Not part of the test suite: it needs a Volatility 3 source checkout
 * (run with the system python3) and takes a minute per image.
 *
 *   node scripts/volatility3-compare.mjs IMAGE --vol VOL3_DIR [--symbols DIR] [--cache DIR] [--work DIR]
 *        [--python python3] [--json OUT.json]
 *
 * The key claim it tests: wherever Volatility 3 recovers a file page, memdig recovers the same bytes, and memdig
 * recovers at least as many pages. Volatility writes unrecovered pages as zeros, so a Volatility page counts as
 * recovered when it is not all zeros (an all-zero page both tools hold counts as equal).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PAGE = 4096;
const here = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const o = {
    image: null,
    vol: null,
    symbols: null,
    cache: null,
    work: null,
    python: existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3',
    json: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const take = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--vol') o.vol = take();
    else if (a === '--symbols') o.symbols = take();
    else if (a === '--cache') o.cache = take();
    else if (a === '--work') o.work = take();
    else if (a === '--python') o.python = take();
    else if (a === '--json') o.json = take();
    else if (a === '-h' || a === '--help') o.help = true;
    else if (!o.image) o.image = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
if (opts.help || !opts.image || !opts.vol) {
  console.log(
    'usage: node scripts/volatility3-compare.mjs IMAGE --vol VOL3_DIR [--symbols DIR] [--cache DIR] [--work DIR] [--python python3] [--json OUT]',
  );
  process.exit(opts.help ? 0 : 2);
}
const image = resolve(opts.image);
const volPy = join(resolve(opts.vol), 'vol.py');
if (!existsSync(volPy)) throw new Error(`no vol.py in ${opts.vol}`);
const memdigMain = resolve(here, '../dist/cli/main.js');
if (!existsSync(memdigMain)) throw new Error('run `npm run build` first (dist/cli/main.js missing)');
const work = resolve(opts.work ?? `${image}.v3cmp`);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const cache = resolve(opts.cache ?? join(work, 'vol-cache'));
mkdirSync(cache, { recursive: true }); // Volatility fails (and later deletes tables) when the cache folder is missing
const symbols = resolve(opts.symbols ?? resolve(here, '../../shared/corpus/isf'));

function run(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '', seconds };
}

// Volatility always gets --offline: an online lookup that fails deletes the symbol table it was looking for.
function vol(plugin, args = [], outDir = null) {
  const a = [volPy, '--offline', '-q', '--cache-path', cache, '-s', symbols, '-f', image, '-r', 'json'];
  if (outDir) a.push('-o', outDir);
  const r = run(opts.python, [...a, plugin, ...args]);
  let rows = [];
  if (r.ok) {
    const start = r.stdout.indexOf('[');
    rows = start >= 0 ? JSON.parse(r.stdout.slice(start)) : [];
  }
  return { ...r, rows, error: r.ok ? null : lastLine(r.stderr) };
}

function memdig(args) {
  const r = run(process.execPath, [memdigMain, '-q', ...args]);
  const rows = r.ok
    ? r.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
    : [];
  return { ...r, rows, error: r.ok ? null : lastLine(r.stderr) };
}

function lastLine(s) {
  const lines = s.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

/** Multiset difference: counts of keys in both, only in a, only in b, with examples. */
function compareKeys(a, b) {
  const count = (xs) => {
    const m = new Map();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return m;
  };
  const ma = count(a);
  const mb = count(b);
  let both = 0;
  const onlyA = [];
  const onlyB = [];
  for (const [k, n] of ma) {
    const m = mb.get(k) ?? 0;
    both += Math.min(n, m);
    for (let i = m; i < n; i++) onlyA.push(k);
  }
  for (const [k, n] of mb) for (let i = ma.get(k) ?? 0; i < n; i++) onlyB.push(k);
  return { vol: a.length, memdig: b.length, both, onlyVol: onlyA, onlyMemdig: onlyB };
}

const iso = (t) => (t ? new Date(t).toISOString() : '-');
const hex = (n) => `0x${n.toString(16)}`;
/** 48-bit form of a (possibly canonical) kernel address, as Volatility prints most offsets. */
const low48 = (s) => {
  const v = BigInt(s);
  return `0x${(v & 0xffffffffffffn).toString(16)}`;
};

const report = { image, steps: [], timings: [] };
function step(name, volRun, mdRun, result) {
  report.steps.push({ name, ...result, volError: volRun?.error ?? null, memdigError: mdRun?.error ?? null });
  report.timings.push({ name, vol: volRun?.seconds ?? null, memdig: mdRun?.seconds ?? null });
}

// --- processes ---------------------------------------------------------------------------------------------------
const procKey = (pid, ppid, name, create, exit) =>
  `${pid}/${ppid}/${name}/${iso(create)}/${exit ? iso(exit) : '-'}`;
const mdPs = memdig(['ps', image, '--json']);
vol('windows.pslist'); // untimed warm-up: a new cache folder makes Volatility index every symbol table first
const vPslist = vol('windows.pslist');
step(
  'pslist',
  vPslist,
  mdPs,
  compareKeys(
    vPslist.rows.map((r) => procKey(r.PID, r.PPID, r.ImageFileName, r.CreateTime, r.ExitTime)),
    mdPs.rows
      .filter((r) => r.found_by === 'both' || r.found_by === 'list')
      .map((r) => procKey(r.pid, r.ppid, r.name, r.create_time, r.exit_time)),
  ),
);
const vPsscan = vol('windows.psscan');
step(
  'psscan',
  vPsscan,
  { seconds: mdPs.seconds, error: mdPs.error },
  compareKeys(
    vPsscan.rows.map((r) => procKey(r.PID, r.PPID, r.ImageFileName, r.CreateTime, r.ExitTime)),
    mdPs.rows.map((r) => procKey(r.pid, r.ppid, r.name, r.create_time, r.exit_time)),
  ),
);

// --- VADs --------------------------------------------------------------------------------------------------------
const mdVads = memdig(['vads', image, '--json']);
const vVads = vol('windows.vadinfo');
const vadKey = (pid, start, end, file) => `${pid} ${hex(start)}-${hex(end)} ${file ?? ''}`;
step(
  'vadinfo',
  vVads,
  mdVads,
  compareKeys(
    vVads.rows.map((r) => vadKey(r.PID, r['Start VPN'], r['End VPN'], r.File)),
    mdVads.rows.map((r) => vadKey(r.pid, Number(r.start), Number(r.end), r.file)),
  ),
);

// --- handles (when this memdig has the command) ------------------------------------------------------------------
const hasHandles = run(process.execPath, [memdigMain, 'handles', '--help']).ok;
if (hasHandles) {
  const mdH = memdig(['handles', image, '--json']);
  const vH = vol('windows.handles');
  const hKey = (pid, value, type) => `${pid} ${hex(Number(value))} ${type}`;
  step(
    'handles',
    vH,
    mdH,
    compareKeys(
      vH.rows.map((r) => hKey(r.PID, r.HandleValue, r.Type)),
      mdH.rows.map((r) => hKey(r.pid, r.handle ?? r.value ?? r.handle_value, r.type)),
    ),
  );
  // Names separately: Volatility leaves key names empty where a key control block has no hive.
  const named = vH.rows.filter((r) => r.Name);
  step(
    'handles (named)',
    null,
    null,
    compareKeys(
      // Volatility names a process handle "name Pid N", memdig "name(N)".
      named.map(
        (r) => `${r.PID} ${hex(Number(r.HandleValue))} ${r.Name.replace(/^(.*) Pid (\d+)$/, '$1($2)')}`,
      ),
      mdH.rows
        .filter((r) =>
          named.some((v) => v.PID === r.pid && Number(v.HandleValue) === Number(r.handle ?? r.value)),
        )
        .map((r) => `${r.pid} ${hex(Number(r.handle ?? r.value))} ${r.name}`),
    ),
  );
}

// --- file objects --------------------------------------------------------------------------------------------------
const mdFiles = memdig(['files', image, '--all', '--json']);
const vFiles = vol('windows.filescan');
step(
  'filescan',
  vFiles,
  mdFiles,
  compareKeys(
    vFiles.rows.map((r) => r.Name),
    mdFiles.rows.map((r) => r.name),
  ),
);

// --- dumped files, page by page -------------------------------------------------------------------------------------
const mdOut = join(work, 'memdig');
const volOut = join(work, 'vol');
mkdirSync(volOut, { recursive: true });
const mdExtract = memdig(['extract', image, '--all', '-o', mdOut, '--json']);
let vDump = vol('windows.dumpfiles', [], volOut);
let dumpMode = 'all processes';
if (!vDump.ok) {
  // One unreadable device name aborts the whole run; fall back to one run per process.
  dumpMode = `per process (whole run failed: ${vDump.error})`;
  let seconds = vDump.seconds;
  const errors = [];
  for (const p of vPslist.rows) {
    const r = vol('windows.dumpfiles', ['--pid', String(p.PID)], volOut);
    seconds += r.seconds;
    if (!r.ok) errors.push(`${p.PID}: ${r.error}`);
  }
  vDump = { ok: errors.length === 0, seconds, error: errors.length ? errors.join('; ') : null };
}

const mdManifests = [];
for (const f of existsSync(mdOut) ? readdirSync(mdOut) : []) {
  if (!f.endsWith('.json') || f === 'extract-summary.json') continue;
  const m = JSON.parse(readFileSync(join(mdOut, f), 'utf8'));
  if (m.format !== 'memdig-extracted-file/1') continue;
  m.dataPath = join(mdOut, f.slice(0, -'.json'.length));
  mdManifests.push(m);
}
const KIND_VIEW = { DataSectionObject: 'data', SharedCacheMap: 'data', ImageSectionObject: 'image' };
const zero = new Uint8Array(PAGE);
const isZero = (b) => Buffer.compare(b, zero) === 0;

/** memdig's pages for one manifest: offset → resident? (page-granular). */
function residentMap(m) {
  const res = new Map();
  for (const run of m.pages ?? []) {
    for (let o = run.offset; o < run.offset + run.length; o += PAGE) res.set(o, !!run.resident);
  }
  return res;
}

const perFile = [];
const totals = {
  equal: 0,
  different: 0,
  onlyVol: 0,
  onlyMemdig: 0,
  zeroBoth: 0,
  unmatchedVolFiles: 0,
  volDistinct: 0,
  memdigResident: 0,
};
const volFiles = readdirSync(volOut).filter((f) => f.startsWith('file.'));
const seenMd = new Map(); // memdig file → union of offsets Volatility recovered
for (const f of volFiles.sort()) {
  const m =
    /^file\.(0x[0-9a-f]+)\.(0x[0-9a-f]+)\.(DataSectionObject|ImageSectionObject|SharedCacheMap)\.(.+)\.(dat|img|vacb)(?:-\d+)?$/.exec(
      f,
    );
  if (!m) continue;
  const [, fo, , kind, name] = m;
  const view = KIND_VIEW[kind];
  let md = mdManifests.find((x) => x.view === view && x.file_object && low48(x.file_object) === fo);
  let matchedBy = 'file object';
  if (!md) {
    // The same section reached through another file object (a handle's object vs. the section's FilePointer).
    md = mdManifests.find((x) => x.view === view && basename(x.name.replaceAll('\\', '/')) === name);
    matchedBy = 'name';
  }
  const vb = readFileSync(join(volOut, f));
  const row = {
    vol: f,
    kind,
    memdig: md ? basename(md.dataPath) : null,
    matchedBy,
    equal: 0,
    different: 0,
    onlyVol: 0,
  };
  row.zeroBoth = 0;
  row.diffOffsets = [];
  if (!md) {
    totals.unmatchedVolFiles++;
    for (let o = 0; o < vb.length; o += PAGE) if (!isZero(vb.subarray(o, o + PAGE))) row.onlyVol++;
    totals.onlyVol += row.onlyVol;
    perFile.push(row);
    continue;
  }
  const mb = readFileSync(md.dataPath);
  const res = residentMap(md);
  let union = seenMd.get(md);
  if (!union) {
    union = new Set();
    seenMd.set(md, union);
  }
  for (let o = 0; o < vb.length; o += PAGE) {
    const vp = Buffer.alloc(PAGE);
    vb.copy(vp, 0, o, Math.min(o + PAGE, vb.length));
    const volHas = !isZero(vp);
    const mdHas = res.get(o) === true;
    if (!volHas) {
      if (mdHas && isZero(mb.subarray(o, o + PAGE))) row.zeroBoth++;
      continue;
    }
    union.add(o);
    if (!mdHas) {
      row.onlyVol++;
      continue;
    }
    const mp = Buffer.alloc(PAGE);
    mb.copy(mp, 0, o, Math.min(o + PAGE, mb.length));
    if (Buffer.compare(vp, mp) === 0) row.equal++;
    else {
      row.different++;
      row.diffOffsets.push(hex(o));
    }
  }
  for (const k of ['equal', 'different', 'onlyVol', 'zeroBoth']) totals[k] += row[k];
  perFile.push(row);
}
// Pages only memdig has: memdig's resident pages no Volatility output (of any kind) holds for that file.
const mdOnly = [];
for (const md of mdManifests) {
  const union = seenMd.get(md) ?? new Set();
  const mb = existsSync(md.dataPath) ? readFileSync(md.dataPath) : Buffer.alloc(0);
  let n = 0;
  let resident = 0;
  for (const [o, r] of residentMap(md)) {
    if (!r) continue;
    resident++;
    if (!union.has(o) && !isZero(mb.subarray(o, o + PAGE))) n++;
  }
  totals.onlyMemdig += n;
  totals.volDistinct += union.size;
  totals.memdigResident += resident;
  mdOnly.push({
    memdig: basename(md.dataPath),
    view: md.view,
    resident,
    onlyMemdig: n,
    volOutputs: seenMd.has(md),
  });
}
report.steps.push({
  name: 'dumpfiles',
  mode: dumpMode,
  volFiles: volFiles.length,
  totals,
  perFile,
  memdigFiles: mdOnly,
  volError: vDump.error,
  memdigError: mdExtract.error,
});
report.timings.push({ name: 'dumpfiles / extract', vol: vDump.seconds, memdig: mdExtract.seconds });

// --- print ---------------------------------------------------------------------------------------------------------
console.log(`image: ${image}`);
console.log(
  '\n| step | Volatility 3 | memdig | both | only Volatility | only memdig |\n| --- | --- | --- | --- | --- | --- |',
);
for (const s of report.steps) {
  if (s.name === 'dumpfiles') continue;
  console.log(
    `| ${s.name} | ${s.vol} | ${s.memdig} | ${s.both} | ${s.onlyVol.length} | ${s.onlyMemdig.length} |`,
  );
}
for (const s of report.steps) {
  if (s.name === 'dumpfiles') continue;
  for (const k of s.onlyVol.slice(0, 8)) console.log(`  ${s.name} only Volatility: ${k}`);
  for (const k of s.onlyMemdig.slice(0, 8)) console.log(`  ${s.name} only memdig: ${k}`);
  if (s.volError) console.log(`  ${s.name} Volatility error: ${s.volError}`);
  if (s.memdigError) console.log(`  ${s.name} memdig error: ${s.memdigError}`);
}
const d = report.steps.find((s) => s.name === 'dumpfiles');
console.log(`\ndumpfiles (${d.mode}): ${d.volFiles} Volatility files, ${d.memdigFiles.length} memdig files`);
console.log(
  `distinct file pages recovered: Volatility ${totals.volDistinct}, memdig ${totals.memdigResident} (resident)`,
);
console.log(
  `pages equal: ${totals.equal}, different: ${totals.different}, only Volatility: ${totals.onlyVol}, only memdig: ${totals.onlyMemdig} (all-zero pages both hold: ${totals.zeroBoth}; Volatility files with no memdig match: ${totals.unmatchedVolFiles})`,
);
console.log(
  '\n| Volatility file | memdig file (matched by) | equal | different | only Volatility |\n| --- | --- | --- | --- | --- |',
);
for (const r of perFile) {
  const diffs = r.diffOffsets.length ? ` (${r.diffOffsets.slice(0, 4).join(', ')})` : '';
  console.log(
    `| ${r.vol} | ${r.memdig ?? '-'} (${r.matchedBy}) | ${r.equal} | ${r.different}${diffs} | ${r.onlyVol} |`,
  );
}
console.log(
  '\n| memdig file | view | resident pages | only memdig | Volatility output? |\n| --- | --- | --- | --- | --- |',
);
for (const r of mdOnly.sort((a, b) => a.memdig.localeCompare(b.memdig)))
  console.log(
    `| ${r.memdig} | ${r.view} | ${r.resident} | ${r.onlyMemdig} | ${r.volOutputs ? 'yes' : 'no'} |`,
  );
console.log('\n| step | Volatility 3 s | memdig s | ratio |\n| --- | --- | --- | --- |');
for (const t of report.timings) {
  const ratio = t.vol != null && t.memdig ? `${(t.vol / t.memdig).toFixed(1)}×` : '-';
  console.log(`| ${t.name} | ${t.vol?.toFixed(2) ?? '-'} | ${t.memdig?.toFixed(2) ?? '-'} | ${ratio} |`);
}
if (opts.json) writeFileSync(opts.json, `${JSON.stringify(report, null, 1)}\n`);
process.exitCode = totals.different || totals.onlyVol ? 1 : 0;
