import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sharedPath } from '../../testing/shared.js';
import { Warnings } from '../../util/errors.js';
import { parseIsf } from '../isf.js';
import { type IsfTypeRef, pdbToIsf } from './isf.js';

/**
 * Cross-check against LLVM's independent PDB reader: every structure's size, every member's offset and the shape of
 * its type (bitfield position and width, pointer, array length, referenced struct/union/enum name) must agree with
 * `llvm-pdbutil dump -types` on the real PDBs of the shared corpus.
 */

function findPdbutil(): string | null {
  for (const name of ['llvm-pdbutil', ...[19, 18, 17, 16, 15, 14, 13].map((v) => `llvm-pdbutil-${v}`)]) {
    const r = spawnSync(name, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return name;
  }
  return null;
}

interface LlvmRecord {
  ti: number;
  leaf: string;
  name: string;
  lines: string[];
}

function parseDump(text: string): Map<number, LlvmRecord> {
  const out = new Map<number, LlvmRecord>();
  let cur: LlvmRecord | null = null;
  for (const line of text.split('\n')) {
    const m = /^\s+0x([0-9A-F]+) \| (LF_\w+) \[size = \d+\](?: `(.*)`)?$/.exec(line);
    if (m) {
      cur = { ti: Number.parseInt(m[1]!, 16), leaf: m[2]!, name: m[3] ?? '', lines: [] };
      out.set(cur.ti, cur);
    } else if (cur) cur.lines.push(line);
  }
  return out;
}

const hexOf = (s: string) => Number.parseInt(s, 16);
const body = (r: LlvmRecord) => r.lines.join('\n');
const isUdt = (leaf: string) => ['LF_STRUCTURE', 'LF_CLASS', 'LF_UNION', 'LF_INTERFACE'].includes(leaf);

/** Sizes of CodeView built-in types as LLVM documents them (low byte of the index), independent of the converter. */
const SIMPLE_SIZE: Record<number, number> = {
  3: 0, 8: 4, 16: 1, 32: 1, 104: 1, 105: 1, 112: 1, 113: 2, 122: 2, 123: 4, 124: 1,
  17: 2, 33: 2, 114: 2, 115: 2, 18: 4, 34: 4, 116: 4, 117: 4, 19: 8, 35: 8, 118: 8, 119: 8,
  48: 1, 64: 4, 65: 8, 66: 10,
}; // biome-ignore format: table

class Checker {
  readonly problems: string[] = [];
  structs = 0;
  members = 0;
  bitfields = 0;
  enums = 0;
  constructor(
    readonly recs: Map<number, LlvmRecord>,
    readonly ptrSize: number,
  ) {}

  /** The definition LLVM resolved a forward reference to ("forward ref (-> 0x109D)"). */
  resolve(ti: number): number {
    const r = this.recs.get(ti);
    const m = r && /forward ref \(-> 0x([0-9A-F]+)\)/.exec(body(r));
    return m ? hexOf(m[1]!) : ti;
  }

  isfName(ti: number): string {
    const r = this.recs.get(ti)!;
    const m = /^<(unnamed|anonymous)-tag>$/.exec(r.name);
    return m ? `__${m[1]}_${ti.toString(16)}` : r.name;
  }

  size(ti: number, depth = 0): number {
    assert.ok(depth < 100, `type chain too deep at 0x${ti.toString(16)}`);
    if (ti < 0x1000) return ti & 0xf00 ? ((ti & 0xf00) === 0x600 ? 8 : 4) : (SIMPLE_SIZE[ti & 0xff] ?? -1);
    const r = this.recs.get(this.resolve(ti))!;
    const b = body(r);
    if (isUdt(r.leaf)) return Number(/sizeof (\d+)/.exec(b)![1]);
    if (r.leaf === 'LF_POINTER') return /kind = ptr64/.test(b) ? 8 : 4;
    if (r.leaf === 'LF_ARRAY') return Number(/size: (\d+)/.exec(b)![1]);
    if (r.leaf === 'LF_MODIFIER') return this.size(hexOf(/referent = 0x([0-9A-F]+)/.exec(b)![1]!), depth + 1);
    if (r.leaf === 'LF_ENUM')
      return this.size(hexOf(/underlying type: 0x([0-9A-F]+)/.exec(b)![1]!), depth + 1);
    return -1;
  }

  checkType(where: string, ti: number, got: IsfTypeRef, depth = 0): void {
    const bad = (what: string): void => {
      this.problems.push(`${where}: ${what}, got ${JSON.stringify(got).slice(0, 200)}`);
    };
    if (ti < 0x1000) {
      const want = ti & 0xf00 ? 'pointer' : 'base';
      if (got.kind !== want) bad(`built-in 0x${ti.toString(16)} should be ${want}`);
      return;
    }
    const def = this.resolve(ti);
    const r = this.recs.get(def)!;
    const b = body(r);
    switch (r.leaf) {
      case 'LF_MODIFIER': {
        this.checkType(where, hexOf(/referent = 0x([0-9A-F]+)/.exec(b)![1]!), got, depth + 1);
        return;
      }
      case 'LF_POINTER':
        if (got.kind !== 'pointer') bad('should be a pointer');
        return;
      case 'LF_ARRAY': {
        if (got.kind !== 'array') {
          bad('should be an array');
          return;
        }
        const total = Number(/size: (\d+)/.exec(b)![1]);
        const elem = this.size(hexOf(/element type: 0x([0-9A-F]+)/.exec(b)![1]!));
        if (elem > 0 && got.count * elem !== total) bad(`array of ${total} bytes with ${elem}-byte elements`);
        return;
      }
      case 'LF_BITFIELD': {
        this.bitfields++;
        const m = /type = 0x([0-9A-F]+).*bit offset = (\d+), # bits = (\d+)/.exec(b)!;
        if (got.kind !== 'bitfield') {
          bad('should be a bitfield');
          return;
        }
        if (got.bit_position !== Number(m[2]) || got.bit_length !== Number(m[3])) {
          bad(`bitfield should be at bit ${m[2]} width ${m[3]}`);
        }
        this.checkType(`${where} (bitfield type)`, hexOf(m[1]!), got.type, depth + 1);
        return;
      }
      case 'LF_STRUCTURE':
      case 'LF_CLASS':
      case 'LF_INTERFACE':
      case 'LF_UNION':
      case 'LF_ENUM': {
        const kind = r.leaf === 'LF_UNION' ? 'union' : r.leaf === 'LF_ENUM' ? 'enum' : 'struct';
        if (got.kind !== kind || got.name !== this.isfName(def))
          bad(`should be ${kind} ${this.isfName(def)}`);
        return;
      }
      case 'LF_PROCEDURE':
      case 'LF_MFUNCTION':
        if (got.kind !== 'function') bad('should be a function');
        return;
      default:
        bad(`unexpected member type ${r.leaf}`);
    }
  }
}

const llvm = findPdbutil();
const corpus = sharedPath('corpus', 'pdb');
const skip = !corpus
  ? 'needs ../shared/corpus/pdb (absent: skipping real-data test)'
  : !llvm
    ? 'llvm-pdbutil not on PATH (apt-get install llvm): skipping the LLVM cross-check'
    : false;

test('struct layouts agree with llvm-pdbutil on every corpus PDB', { skip }, (t) => {
  const files = readdirSync(corpus!).filter((f) => f.endsWith('.pdb'));
  assert.ok(files.length > 0);
  for (const f of files) {
    const path = join(corpus!, f);
    const dump = spawnSync(llvm!, ['dump', '-types', path], { encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.equal(dump.status, 0, `${llvm} dump -types ${f}: ${dump.stderr}`);
    const recs = parseDump(dump.stdout);
    const { isf } = pdbToIsf(path);
    // The analysis side's validator must accept the table as written.
    const warnings = new Warnings();
    parseIsf(JSON.stringify(isf), f, warnings);
    assert.deepEqual(warnings.items.slice(0, 5), [], `${f}: memdig's ISF reader warns`);
    const c = new Checker(recs, isf.base_types.pointer!.size);
    const firstDef = new Map<string, number>();
    for (const r of recs.values()) {
      const b = body(r);
      if (!(isUdt(r.leaf) || r.leaf === 'LF_ENUM') || /forward ref/.test(b)) continue;
      const name = c.isfName(r.ti);
      if (!firstDef.has(`${r.leaf === 'LF_ENUM'}:${name}`))
        firstDef.set(`${r.leaf === 'LF_ENUM'}:${name}`, r.ti);
    }
    for (const [key, ti] of firstDef) {
      const r = recs.get(ti)!;
      const b = body(r);
      const name = key.slice(key.indexOf(':') + 1);
      const fl = /field list: (0x[0-9A-F]+|<no type>)/.exec(b)![1]!;
      const members = fl === '<no type>' ? [] : fieldLines(recs, hexOf(fl.slice(2)));
      if (r.leaf === 'LF_ENUM') {
        c.enums++;
        const e = isf.enums[name];
        if (!e) {
          c.problems.push(`enum ${name} missing`);
          continue;
        }
        for (const m of members) {
          const em = /- LF_ENUMERATE \[(.*) = (-?\d+)\]/.exec(m);
          if (em && e.constants[em[1]!] !== Number(em[2]))
            c.problems.push(`${name}.${em[1]} should be ${em[2]}`);
        }
        continue;
      }
      c.structs++;
      const u = isf.user_types[name];
      if (!u) {
        c.problems.push(`${r.leaf} ${name} (0x${ti.toString(16)}) missing`);
        continue;
      }
      const size = Number(/sizeof (\d+)/.exec(b)![1]);
      if (u.size !== size) c.problems.push(`${name}: size ${u.size}, llvm says ${size}`);
      if (u.kind !== (r.leaf === 'LF_UNION' ? 'union' : 'struct')) c.problems.push(`${name}: kind ${u.kind}`);
      for (const m of members) {
        const mm = /- LF_MEMBER \[name = `(.*)`, Type = 0x([0-9A-F]+).*, offset = (\d+), attrs/.exec(m);
        if (!mm) continue;
        c.members++;
        const field = u.fields[mm[1]!];
        if (!field) {
          c.problems.push(`${name}.${mm[1]} missing`);
          continue;
        }
        if (field.offset !== Number(mm[3]))
          c.problems.push(`${name}.${mm[1]}: offset ${field.offset}, llvm ${mm[3]}`);
        c.checkType(`${name}.${mm[1]}`, hexOf(mm[2]!), field.type);
      }
    }
    t.diagnostic(
      `${f}: ${c.structs} structs/unions, ${c.members} members, ${c.bitfields} bitfields, ${c.enums} enums checked; ${c.problems.length} disagreements`,
    );
    assert.deepEqual(c.problems.slice(0, 20), [], `${f} disagrees with llvm-pdbutil`);
  }
});

/** Member lines of a field list, following LF_INDEX continuations. */
function fieldLines(recs: Map<number, LlvmRecord>, ti: number): string[] {
  const out: string[] = [];
  const seen = new Set<number>();
  let cur: number | null = ti;
  while (cur !== null && !seen.has(cur)) {
    seen.add(cur);
    const r = recs.get(cur);
    if (!r) break;
    cur = null;
    for (const l of r.lines) {
      const idx = /- LF_INDEX \[continuation = 0x([0-9A-F]+)/.exec(l);
      if (idx) cur = hexOf(idx[1]!);
      else if (/^\s+- LF_/.test(l)) out.push(l);
    }
  }
  return out;
}

test('public symbol addresses agree with llvm-pdbutil (section VA + offset)', { skip }, (t) => {
  for (const f of readdirSync(corpus!).filter((x) => x.endsWith('.pdb'))) {
    const path = join(corpus!, f);
    const run = (what: string) => {
      const r = spawnSync(llvm!, ['dump', what, path], { encoding: 'utf8', maxBuffer: 1 << 28 });
      assert.equal(r.status, 0, `${llvm} dump ${what} ${f}: ${r.stderr}`);
      return r.stdout;
    };
    const vas = [...run('-section-headers').matchAll(/^\s+([0-9A-F]+) virtual address$/gm)].map((m) =>
      hexOf(m[1]!),
    );
    const { isf } = pdbToIsf(path);
    const byLinkage = new Map<string, number>();
    for (const [name, s] of Object.entries(isf.symbols)) byLinkage.set(s.linkage_name ?? name, s.address);
    let checked = 0;
    const problems: string[] = [];
    for (const m of run('-publics').matchAll(
      /S_PUB32 \[size = \d+\] `(.*)`\n\s+flags = .*addr = ([0-9]{4}):([0-9]+)/g,
    )) {
      const [, name, seg, off] = m;
      const va = vas[Number(seg) - 1];
      if (va === undefined) continue;
      const got = byLinkage.get(name!);
      if (got === undefined) continue; // another public with the same cleaned-up name won, as in Volatility
      checked++;
      if (got !== va + Number(off)) problems.push(`${name}: ${got}, llvm ${va + Number(off)}`);
    }
    t.diagnostic(`${f}: ${checked} public symbols checked, ${problems.length} disagreements`);
    assert.ok(checked > 0, `${f}: no public symbol compared`);
    assert.deepEqual(problems.slice(0, 20), []);
  }
});
