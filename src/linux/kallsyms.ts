import type { PhysicalMemory } from '../sources/source.js';
import type { Warnings } from '../util/errors.js';

/**
 * The kernel's own symbol table (kallsyms), decoded from RAM: names are compressed with a 256-entry token table,
 * addresses are 32-bit offsets from a relative base. Its location comes from VMCOREINFO on 6.0+ kernels, or from a
 * signature scan for the token table otherwise. Requires CONFIG_KALLSYMS_ALL for data symbols (init_task…).
 */

export interface KallsymsTables {
  names: number;
  numSyms: number;
  tokenTable: number;
  tokenIndex: number;
  offsets: number;
  relativeBase: number;
}

/** Reads bytes at an address in whatever space the table addresses are in (virtual or physical). */
export type ByteReader = (addr: number, len: number) => Uint8Array;

export interface KernelSymbol {
  name: string;
  type: string;
  /** 48-bit form for kernel addresses; small absolute values (per-CPU offsets) stay as they are. */
  addr: number;
}

const MAX_SYMS = 4_000_000;

/**
 * Decoded symbols, held as one '\n'-separated string ("Tname" per line) plus numeric arrays: lookups search the
 * text, so no per-symbol objects exist unless a listing asks for them.
 */
export class Kallsyms {
  private readonly hits = new Map<string, KernelSymbol | null>();

  constructor(
    private readonly text: string,
    /** Start of each symbol's line in `text`. */
    private readonly lineStart: Uint32Array,
    private readonly addrs: Float64Array,
    readonly foundVia: string,
  ) {}

  get count(): number {
    return this.addrs.length;
  }

  /** The first symbol with this name (kallsyms order), as /proc/kallsyms would list it first. */
  get(name: string): KernelSymbol | undefined {
    const c = this.hits.get(name);
    if (c !== undefined) return c ?? undefined;
    let found: KernelSymbol | null = null;
    const needle = `${name}\n`;
    for (let i = this.text.indexOf(needle); i >= 0; i = this.text.indexOf(needle, i + 1)) {
      // A whole line: one type character, then the name.
      if (i >= 1 && (i === 1 || this.text.charCodeAt(i - 2) === 0x0a)) {
        const idx = this.indexAt(i - 1);
        found = { name, type: this.text[i - 1]!, addr: this.addrs[idx]! };
        break;
      }
    }
    this.hits.set(name, found);
    return found ?? undefined;
  }

  addr(name: string): number | undefined {
    return this.get(name)?.addr;
  }

  at(i: number): KernelSymbol {
    const s = this.lineStart[i]!;
    const e = i + 1 < this.lineStart.length ? this.lineStart[i + 1]! - 1 : this.text.length - 1;
    return { name: this.text.slice(s + 1, e), type: this.text[s]!, addr: this.addrs[i]! };
  }

  private indexAt(pos: number): number {
    const ls = this.lineStart;
    let lo = 0;
    let hi = ls.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (ls[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** Decodes every symbol from the tables. Throws nothing: returns null when the tables do not decode sanely. */
export function decodeKallsyms(
  read: ByteReader,
  t: KallsymsTables,
  foundVia: string,
  warnings?: Warnings,
): Kallsyms | null {
  if (t.numSyms <= 0 || t.numSyms > MAX_SYMS) return null;
  const tokens = readTokens(read, t.tokenTable, t.tokenIndex);
  if (!tokens) return null;
  // Names run up to the markers table; the token table is a safe upper bound in every layout before 6.4, and
  // in 6.4+ too (names, markers, seqs, token table). 64 bytes per symbol bounds it when tables are elsewhere.
  const span = t.tokenTable > t.names ? t.tokenTable - t.names : t.numSyms * 64;
  const names = read(t.names, Math.min(span, t.numSyms * 64));
  const offs = read(t.offsets, t.numSyms * 4);
  const odv = new DataView(offs.buffer, offs.byteOffset, offs.byteLength);
  const rb = read(t.relativeBase, 8);
  const rdv = new DataView(rb.buffer, rb.byteOffset, 8);
  const baseHi = rdv.getUint32(4, true);
  const base = (baseHi & 0xffff) * 0x100000000 + rdv.getUint32(0, true);
  let anyNegative = false;
  for (let i = 0; i < t.numSyms; i++) {
    if (odv.getInt32(i * 4, true) < 0) {
      anyNegative = true;
      break;
    }
  }
  // Expand every name into one byte buffer ('\n'-separated) and decode it once.
  const tokStart = new Uint32Array(257);
  const flat: number[] = [];
  for (let i = 0; i < 256; i++) {
    tokStart[i] = flat.length;
    for (let k = 0; k < tokens[i]!.length; k++) flat.push(tokens[i]!.charCodeAt(k) & 0xff);
  }
  tokStart[256] = flat.length;
  const tok = Uint8Array.from(flat);
  let outBuf = new Uint8Array(names.length * 4 + 1024);
  const lineStart = new Uint32Array(t.numSyms);
  let w = 0;
  let p = 0;
  for (let i = 0; i < t.numSyms; i++) {
    if (p >= names.length) {
      warnings?.add(`kallsyms: names table ends after ${i} of ${t.numSyms} symbols`);
      return null;
    }
    let len = names[p++]!;
    if (len & 0x80) {
      len = (len & 0x7f) | (names[p++]! << 7);
    }
    if (len === 0 || p + len > names.length) return null;
    lineStart[i] = w;
    if (w + len * 64 + 1 > outBuf.length) {
      const bigger = new Uint8Array(outBuf.length * 2 + len * 64);
      bigger.set(outBuf);
      outBuf = bigger;
    }
    for (let k = 0; k < len; k++) {
      const ti = names[p + k]!;
      for (let j = tokStart[ti]!, e = tokStart[ti + 1]!; j < e; j++) outBuf[w++] = tok[j]!;
    }
    outBuf[w++] = 0x0a;
    p += len;
  }
  // Every line ends with '\n' (the last too), so a lookup can anchor on it.
  const text = Buffer.from(outBuf.buffer, 0, w).toString('latin1');
  const addrs = new Float64Array(t.numSyms);
  for (let i = 0; i < t.numSyms; i++) {
    const off = odv.getInt32(i * 4, true);
    // CONFIG_KALLSYMS_ABSOLUTE_PERCPU (x86-64 SMP): non-negative offsets are absolute values (per-CPU symbols),
    // negative ones count down from the base. Without it every offset is unsigned from the base.
    addrs[i] = anyNegative ? (off >= 0 ? off : base - 1 - off) : base + (off >>> 0);
  }
  return new Kallsyms(text, lineStart, addrs, foundVia);
}

function readTokens(read: ByteReader, table: number, index: number): string[] | null {
  const idx = read(index, 512);
  const dv = new DataView(idx.buffer, idx.byteOffset, idx.byteLength);
  const last = dv.getUint16(510, true);
  const tt = read(table, last + 256);
  const tokens: string[] = [];
  for (let i = 0; i < 256; i++) {
    const o = dv.getUint16(i * 2, true);
    const e = tt.indexOf(0, o);
    if (e < 0) return null;
    tokens.push(Buffer.from(tt.buffer, tt.byteOffset + o, e - o).toString('latin1'));
  }
  return tokens;
}

/**
 * Finds the tables by signature in physical memory (kernels before 6.0, or without VMCOREINFO): the token table
 * holds single-character tokens "0".."9" in a row, the token index right after it points exactly at its strings,
 * and `num_syms` + `names` + `markers` are recognised by decoding. Returns physical table addresses.
 */
export function scanKallsyms(mem: PhysicalMemory): KallsymsTables | null {
  const read: ByteReader = (a, n) => {
    const b = new Uint8Array(n);
    mem.read(a, b, 0, n);
    return b;
  };
  const digits = Buffer.from('0\x001\x002\x003\x004\x005\x006\x007\x008\x009\x00', 'latin1');
  const block = 1 << 22;
  const buf = Buffer.alloc(block + 32);
  for (const r of mem.ranges) {
    for (let a = r.start; a < r.end; a += block) {
      const n = Math.min(block + 32, r.end - a);
      mem.read(a, buf, 0, n);
      const view = buf.subarray(0, n);
      for (let i = view.indexOf(digits); i >= 0 && i < block; i = view.indexOf(digits, i + 1)) {
        const hit = checkTokenTable(read, a + i);
        if (hit) {
          const t = findNames(read, hit.table, hit.index);
          if (t) return t;
        }
      }
    }
  }
  return null;
}

/** Given the PA of the "0" token, finds the token index after the table and verifies it. */
function checkTokenTable(read: ByteReader, zeroAt: number): { table: number; index: number } | null {
  const win = read(zeroAt, 4096 + 512);
  for (let q = (8 - (zeroAt % 8)) % 8; q + 512 <= win.length; q += 8) {
    const dv = new DataView(win.buffer, win.byteOffset + q, 512);
    if (dv.getUint16(0, true) !== 0) continue;
    const i48 = dv.getUint16(96, true);
    const table = zeroAt - i48;
    if (i48 === 0 || table + dv.getUint16(510, true) >= zeroAt + q) continue;
    const tt = read(table, zeroAt + q - table);
    let ok = true;
    for (let k = 0; k < 256 && ok; k++) {
      const o = dv.getUint16(k * 2, true);
      const e = tt.indexOf(0, o);
      if (e <= o) ok = false;
      else if (k < 255 && dv.getUint16(k * 2 + 2, true) !== e + 1) ok = false;
    }
    if (ok) return { table, index: zeroAt + q };
  }
  return null;
}

const BACK_LIMIT = 24 << 20;

/** Walks back from the token table to `num_syms`, recognised by names decoding onto a valid markers table. */
function findNames(read: ByteReader, tokenTable: number, tokenIndex: number): KallsymsTables | null {
  const start = Math.max(0, tokenTable - BACK_LIMIT);
  const region = read(start, tokenTable - start);
  const dv = new DataView(region.buffer, region.byteOffset, region.byteLength);
  for (let q = (tokenTable - start - 8) & ~7; q >= 8; q -= 8) {
    const num = dv.getUint32(q, true);
    if (num < 256 || num > MAX_SYMS || dv.getUint32(q + 4, true) !== 0) continue;
    const end = skipNames(region, q + 8, num);
    if (end < 0) continue;
    const m = (end + 7) & ~7;
    if (m + 8 > region.length || dv.getUint32(m, true) !== 0) continue;
    const m1 = dv.getUint32(m + 4, true);
    if (num > 256 && skipNames(region, q + 8, 256) - (q + 8) !== m1) continue;
    // Before 6.4 the relative base (the runtime _text, 2 MiB aligned) sits right before num_syms and the offsets
    // before it; from 6.4 both follow the token index.
    const rbHi = dv.getUint32(q - 4, true);
    const rbLo = dv.getUint32(q - 8, true);
    let offsets: number;
    let relativeBase: number;
    if (rbHi >>> 16 === 0xffff && rbLo % 0x200000 === 0) {
      relativeBase = start + q - 8;
      // The offsets table is 8-aligned and padded to 8 before the base.
      offsets = relativeBase - ((num * 4 + 7) & ~7);
    } else {
      offsets = (tokenIndex + 512 + 7) & ~7;
      relativeBase = (offsets + num * 4 + 7) & ~7;
    }
    return { names: start + q + 8, numSyms: num, tokenTable, tokenIndex, offsets, relativeBase };
  }
  return null;
}

/** Offset after `count` names starting at `p`, or -1 when they run off the buffer. */
function skipNames(b: Uint8Array, p: number, count: number): number {
  for (let i = 0; i < count; i++) {
    if (p >= b.length) return -1;
    let len = b[p++]!;
    if (len & 0x80) len = (len & 0x7f) | (b[p++]! << 7);
    if (len === 0) return -1;
    p += len;
  }
  return p <= b.length ? p : -1;
}
