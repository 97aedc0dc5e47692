/**
 * Test builders for the symbol-server client: cabinets (stored, MSZIP, LZX) and a deliberately simple LZX encoder
 * (fixed code lengths, given matches, uncompressed blocks), so decoders are tested on data built here.
 */
import { deflateRawSync } from 'node:zlib';
import { Bytes } from '../pdb/fixture.js';

class BitWriter {
  private words: number[] = [];
  private cur = 0;
  private n = 0;
  bits(v: number, count: number): void {
    for (let i = count - 1; i >= 0; i--) {
      this.cur = (this.cur << 1) | ((v >>> i) & 1);
      if (++this.n === 16) this.flush();
    }
  }
  private flush(): void {
    this.words.push(this.cur & 0xffff);
    this.cur = 0;
    this.n = 0;
  }
  align(): void {
    if (this.n) this.bits(0, 16 - this.n);
  }
  /** Uncompressed-block padding: 1–16 bits, so a full word when already aligned. */
  padForBytes(): void {
    if (this.n) this.align();
    else this.bits(0, 16);
  }
  bytes(b: ArrayLike<number>): void {
    // Only called when aligned: stash raw bytes as-is after the words so far.
    const out = this.done();
    this.words = [];
    this.raw.push(out, Uint8Array.from(b as number[]));
  }
  raw: Uint8Array[] = [];
  done(): Uint8Array {
    const b = new Uint8Array(this.words.length * 2);
    this.words.forEach((w, i) => {
      b[i * 2] = w & 0xff;
      b[i * 2 + 1] = w >>> 8;
    });
    return b;
  }
  finish(): Uint8Array {
    this.align();
    const parts = [...this.raw, this.done()];
    const total = parts.reduce((a, p) => a + p.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

function canonical(lens: number[]): { code: number; len: number }[] {
  const count = new Array(17).fill(0);
  for (const l of lens) if (l) count[l]++;
  const next = new Array(17).fill(0);
  let code = 0;
  for (let len = 1; len <= 16; len++) {
    code = (code + count[len - 1]!) << 1;
    next[len] = code;
  }
  count[0] = 0;
  return lens.map((len) => ({ len, code: len ? next[len]++ : 0 }));
}

const POSITION_BASE: number[] = [];
const EXTRA: number[] = [];
for (let i = 0, j = 0; i < 51; i += 2) {
  EXTRA[i] = j;
  EXTRA[i + 1] = j;
  if (i !== 0 && j < 17) j++;
}
for (let i = 0, j = 0; i < 51; i++) {
  POSITION_BASE[i] = j;
  j += 1 << EXTRA[i]!;
}

/**
 * Lengths for one tree, sent as deltas against the previous block's (they persist across blocks) through a pretree
 * where symbols 0..15 all have 4 bits.
 */
function writeLengths(w: BitWriter, lens: number[], prev: number[]): void {
  for (let i = 0; i < 20; i++) w.bits(i < 16 ? 4 : 0, 4);
  const pre = canonical(Array.from({ length: 20 }, (_, i) => (i < 16 ? 4 : 0)));
  lens.forEach((l, i) => {
    const z = (prev[i]! - l + 17) % 17;
    w.bits(pre[z]!.code, 4);
    prev[i] = l;
  });
}

export type Op = { lit: number } | { len: number; off: number } | { raw: number[] };

/** Window 2^15: 30 position slots, 496 main symbols. */
export function encodeLzx(ops: Op[], opts: { e8FileSize?: number } = {}): Uint8Array {
  const w = new BitWriter();
  if (opts.e8FileSize) {
    w.bits(1, 1);
    w.bits(opts.e8FileSize >>> 16, 16);
    w.bits(opts.e8FileSize & 0xffff, 16);
  } else w.bits(0, 1);
  const mainLens = Array.from({ length: 496 }, (_, i) => (i < 256 ? 9 : i < 272 ? 8 : 9));
  const lengthLens = Array.from({ length: 249 }, (_, i) => (i < 128 ? 7 : 0));
  const main = canonical(mainLens);
  const length = canonical(lengthLens);
  let r0 = 1;
  const prevMain = new Array(256).fill(0);
  const prevMainHigh = new Array(240).fill(0);
  const prevLength = new Array(249).fill(0);
  // Group consecutive literal/match ops into one verbatim block; raw ops become uncompressed blocks.
  let i = 0;
  while (i < ops.length) {
    const op = ops[i]!;
    if ('raw' in op) {
      w.bits(3, 3);
      w.bits(op.raw.length >>> 8, 16);
      w.bits(op.raw.length & 0xff, 8);
      w.padForBytes();
      const r = [r0, 1, 1].flatMap((v) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]);
      w.bytes([...r, ...op.raw, ...(op.raw.length & 1 ? [0] : [])]);
      i++;
      continue;
    }
    let j = i;
    let size = 0;
    while (j < ops.length) {
      const o = ops[j]!;
      if ('raw' in o) break;
      size += 'lit' in o ? 1 : o.len;
      j++;
    }
    w.bits(1, 3);
    w.bits(size >>> 8, 16);
    w.bits(size & 0xff, 8);
    writeLengths(w, mainLens.slice(0, 256), prevMain);
    writeLengths(w, mainLens.slice(256), prevMainHigh);
    writeLengths(w, lengthLens, prevLength);
    for (; i < j; i++) {
      const o = ops[i]!;
      if ('lit' in o) {
        w.bits(main[o.lit]!.code, main[o.lit]!.len);
        continue;
      }
      if ('raw' in o) continue;
      const header = Math.min(o.len - 2, 7);
      let slot: number;
      if (o.off === r0) slot = 0;
      else {
        slot = 3;
        while (POSITION_BASE[slot + 1]! - 2 <= o.off) slot++;
      }
      const sym = 256 + slot * 8 + header;
      w.bits(main[sym]!.code, main[sym]!.len);
      if (header === 7) w.bits(length[o.len - 9]!.code, length[o.len - 9]!.len);
      if (slot >= 3) {
        w.bits(o.off - (POSITION_BASE[slot]! - 2), EXTRA[slot]!);
        r0 = o.off;
      }
    }
  }
  return w.finish();
}

export function expandOps(ops: Op[]): Uint8Array {
  const out: number[] = [];
  for (const o of ops) {
    if ('lit' in o) out.push(o.lit);
    else if ('raw' in o) out.push(...o.raw);
    else for (let k = 0; k < o.len; k++) out.push(out[out.length - o.off]!);
  }
  return Uint8Array.from(out);
}

/** A one-file cabinet; MSZIP blocks are raw deflate of 32 KiB chunks, each primed with the previous chunk. */
export function buildCab(name: string, data: Uint8Array, compression: 0 | 1 | 3 = 1): Uint8Array {
  const blocks: Uint8Array[] = [];
  if (compression === 3) {
    // One LZX stream for the folder (uncompressed blocks), cut into data blocks of 32 KiB output each.
    const stream = encodeLzx([{ raw: [...data] }]);
    const n = Math.max(1, Math.ceil(data.length / 32768));
    const per = Math.ceil(stream.length / n);
    for (let k = 0; k < n; k++) {
      const part = stream.subarray(k * per, (k + 1) * per);
      const out = Math.min(32768, data.length - k * 32768);
      blocks.push(new Bytes().u32(0).u16(part.length).u16(out).raw(part).done());
    }
  }
  for (let p = 0; (compression !== 3 && p < data.length) || p === 0; p += 32768) {
    const chunk = data.subarray(p, p + 32768);
    let body: Uint8Array = chunk;
    if (compression === 1) {
      const dict = p > 0 ? data.subarray(p - 32768, p) : undefined;
      body = new Bytes()
        .u8(0x43)
        .u8(0x4b)
        .raw(deflateRawSync(chunk, dict ? { dictionary: dict } : {}))
        .done();
    }
    blocks.push(new Bytes().u32(0).u16(body.length).u16(chunk.length).raw(body).done());
    if (data.length === 0) break;
  }
  const headerSize = 36 + 8;
  const fileEntry = new Bytes().u32(data.length).u32(0).u16(0).u16(0x5a21).u16(0).u16(0x20).cstr(name).done();
  const dataStart = headerSize + fileEntry.length;
  const total = dataStart + blocks.reduce((a, b) => a + b.length, 0);
  const h = new Bytes().raw(Buffer.from('MSCF')).u32(0).u32(total).u32(0).u32(headerSize).u32(0).u8(3).u8(1);
  h.u16(1).u16(1).u16(0).u16(0).u16(0);
  h.u32(dataStart)
    .u16(blocks.length)
    .u16(compression === 3 ? 0x1503 : compression);
  h.raw(fileEntry);
  for (const b of blocks) h.raw(b);
  return h.done();
}
