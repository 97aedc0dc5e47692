import { detectOs } from '../os/detect.js';
import { type Minidump, memTypeName, openDump, type PhysicalMemory } from '../sources/index.js';
import { ExitCode, Warnings } from '../util/errors.js';
import { canonicalHex, hex } from '../util/hex.js';
import '../windows/detect.js';
import { identifyWindowsAsync } from '../windows/identify.js';
import { symbolResolveOptions } from './windows-session.js';

const MAX_LISTED = 32;

export async function infoAction(dump: string, o: object): Promise<void> {
  const d = openDump(dump);
  const lines: string[] = [];
  let warnings: readonly string[];
  if (d.kind === 'physical') {
    try {
      const more = await physicalInfo(d.memory, lines, o);
      warnings = [...(d.memory.warnings ?? []), ...more];
    } finally {
      d.memory.close();
    }
  } else {
    try {
      minidumpInfo(d.minidump, lines);
      warnings = d.minidump.warnings.items;
    } finally {
      d.minidump.close();
    }
  }
  for (const w of warnings) lines.push(`warning:     ${w}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (warnings.length) process.exitCode = ExitCode.Partial;
}

function field(k: string, v: unknown): string {
  return `${`${k}: `.padEnd(13)}${typeof v === 'number' ? hex(v) : String(v)}`;
}

/** Container facts, then the OS; for Windows, every identification finding and how it was found. */
async function physicalInfo(mem: PhysicalMemory, lines: string[], o: object): Promise<string[]> {
  const total = mem.ranges.reduce((a, r) => a + (r.end - r.start), 0);
  lines.push(field('container', mem.format));
  lines.push(
    field(
      'physical',
      `${total} bytes present in ${mem.ranges.length} range(s), max address ${hex(mem.maxAddress)}`,
    ),
  );
  for (const r of mem.ranges.slice(0, MAX_LISTED)) lines.push(`  ${hex(r.start, 12)}-${hex(r.end, 12)}`);
  if (mem.ranges.length > MAX_LISTED) lines.push(`  ... ${mem.ranges.length - MAX_LISTED} more`);
  for (const [k, v] of Object.entries(mem.meta)) lines.push(field(k, v));
  const os = detectOs(mem);
  lines.push(field('os', os ? `${os.description}, found via ${os.foundVia}` : 'not recognised'));
  // Container facts alone are a partial answer: a script must be able to tell it from an identified OS.
  if (!os) return ['no Windows or Linux kernel recognised: container facts only'];
  if (os.os !== 'windows') return [];
  const warnings = new Warnings();
  try {
    const ctx = await identifyWindowsAsync(mem, symbolResolveOptions(o, warnings));
    for (const f of ctx.findings)
      lines.push(field(f.key === 'os' ? 'windows' : f.key, `${f.value}  (${f.how})`));
  } catch (e) {
    warnings.add(`Windows identification failed: ${(e as Error).message}`);
  }
  return warnings.items;
}

function minidumpInfo(m: Minidump, lines: string[]): void {
  const si = m.systemInfo;
  const va = m.pointerSize === 8 ? canonicalHex : hex;
  lines.push(field('container', 'minidump (one process: user-mode memory, modules, threads)'));
  if (m.source.path) lines.push(field('path', m.source.path));
  if (si) {
    const csd = si.csdVersion ? ` ${si.csdVersion}` : '';
    lines.push(
      field('os', `${si.platformName} ${si.majorVersion}.${si.minorVersion}.${si.buildNumber}${csd}`),
    );
    lines.push(
      field(
        'arch',
        `${si.archName}, ${m.pointerSize * 8}-bit pointers, ${si.numberOfProcessors} processor(s)`,
      ),
    );
  } else lines.push(field('os', 'unknown (no SystemInfo stream)'));
  lines.push(field('written', new Date(m.timeDateStamp * 1000).toISOString()));
  if (m.miscInfo?.processId != null) {
    const created = m.miscInfo.processCreateTime ? `, created ${m.miscInfo.processCreateTime}` : '';
    lines.push(field('process', `pid ${m.miscInfo.processId}${created}`));
  }
  lines.push(field('streams', `${m.streams.length}: ${m.streams.map((s) => s.name).join(', ')}`));
  const first = m.modules[0];
  lines.push(
    field('modules', `${m.modules.length}${first ? ` (main: ${first.name} at ${va(first.base)})` : ''}`),
  );
  if (m.unloadedModules.length) lines.push(field('unloaded', String(m.unloadedModules.length)));
  lines.push(field('threads', String(m.threads.length)));
  if (m.handles.length) {
    const files = m.handles.filter((h) => h.typeName === 'File');
    const named = files.filter((h) => h.objectName).length;
    lines.push(field('handles', `${m.handles.length} (${files.length} File, ${named} with a name)`));
  }
  if (m.exception) {
    const e = m.exception;
    lines.push(field('exception', `${hex(e.code)} at ${va(e.address)} in thread ${e.threadId}`));
  }
  const mem = m.memory();
  lines.push(
    field(
      'memory',
      `${mem.capturedBytes} bytes captured in ${m.memoryRanges.length} range(s), ${mem.ranges.length} after merging`,
    ),
  );
  for (const r of mem.ranges.slice(0, MAX_LISTED)) lines.push(`  ${va(r.start)}-${va(r.end)}`);
  if (mem.ranges.length > MAX_LISTED) lines.push(`  ... ${mem.ranges.length - MAX_LISTED} more`);
  if (m.memoryInfo.length) {
    const counts = new Map<string, number>();
    for (const r of m.memoryInfo) {
      const t = memTypeName(r.type) || 'free/reserved';
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    const parts = [...counts].map(([k, v]) => `${v} ${k}`).join(', ');
    lines.push(field('regions', `${m.memoryInfo.length} (${parts})`));
  }
}
