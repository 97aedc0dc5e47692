import { RowWriter } from '../output/render.js';
import { builtinIndex } from '../symbols/builtin.js';
import type { ResolvedType } from '../symbols/layout.js';
import { loadProfile, loadProfileFile } from '../symbols/load.js';
import type { KernelArch, Profile } from '../symbols/profile.js';
import { defaultSymbolDir } from '../symbols/symsrv/defaults.js';
import { MemdigError, Warnings } from '../util/errors.js';
import { hex } from '../util/hex.js';

export interface FormatOptions {
  json?: boolean;
  csv?: boolean;
}

function formatFrom(o: FormatOptions): 'table' | 'json' | 'csv' {
  return o.json ? 'json' : o.csv ? 'csv' : 'table';
}

export interface ShowOptions extends FormatOptions {
  isf?: string;
  pdb: string;
  guid?: string;
  age: string;
  arch?: string;
  build?: string;
  symbols?: string[];
}

function typeText(t: ResolvedType): string {
  switch (t.kind) {
    case 'pointer':
      return `*${t.target ? typeText(t.target) : 'void'}`;
    case 'array':
      return `${typeText(t.target!)}[${t.count}]`;
    case 'bitfield':
      return `${t.name}:${t.bitPos}+${t.bitLen}`;
    case 'function':
      return 'function';
    default:
      return t.name || t.kind;
  }
}

function pickProfile(o: ShowOptions, warnings: Warnings): Profile {
  if (o.isf) return loadProfileFile(o.isf, warnings);
  const arch = o.arch as KernelArch | undefined;
  if (arch && !['x86', 'pae', 'x64'].includes(arch)) throw new MemdigError(`--arch must be x86, pae or x64`);
  return loadProfile({
    pdbName: o.pdb,
    guid: o.guid ?? '0'.repeat(32),
    age: Number(o.age),
    arch: arch ?? 'x64',
    build: o.build ? Number(o.build) : undefined,
    symbolDirs: o.symbols,
    cacheDir: defaultSymbolDir(),
    warnings,
  });
}

export function listAction(o: FormatOptions): void {
  const w = new RowWriter(
    [
      { key: 'version' },
      { key: 'arch' },
      { key: 'os' },
      { key: 'pdb' },
      { key: 'guid_age', title: 'guid-age' },
      { key: 'symbols', right: true },
      { key: 'layout' },
    ],
    formatFrom(o),
  );
  for (const k of builtinIndex().kernels) {
    w.add({
      version: k.version,
      arch: k.arch,
      os: k.os,
      pdb: k.pdb,
      guid_age: `${k.guid}-${k.age}${k.syntheticGuid ? ' (synthetic)' : ''}`,
      symbols: Object.keys(k.symbols).length,
      layout: k.layout,
    });
  }
  w.end();
}

export function showAction(type: string, o: ShowOptions): void {
  const warnings = new Warnings();
  const p = pickProfile(o, warnings);
  for (const msg of warnings.items) process.stderr.write(`warning: ${msg}\n`);
  process.stderr.write(`table: ${p.info.source}${p.info.version ? ` (${p.info.version}, ${p.arch})` : ''}\n`);
  if (type === 'symbols') {
    const w = new RowWriter([{ key: 'name' }, { key: 'rva' }], formatFrom(o));
    for (const [name, s] of Object.entries(p.isf.symbols)) w.add({ name, rva: hex(s.address) });
    w.end();
    return;
  }
  const s = p.struct(type);
  process.stderr.write(`${s.kind} ${s.name}: size ${hex(s.size)}\n`);
  const w = new RowWriter(
    [{ key: 'offset', right: true }, { key: 'member' }, { key: 'type' }, { key: 'size', right: true }],
    formatFrom(o),
  );
  for (const m of s.memberNames) {
    const f = s.field(m);
    w.add({ offset: hex(f.offset), member: m, type: typeText(f.type), size: f.type.size });
  }
  w.end();
}
