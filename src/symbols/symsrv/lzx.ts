import { FormatError } from '../../util/errors.js';

/**
 * LZX decompression as cabinets use it (window 2^15..2^21, 32 KiB output frames, optional E8 call translation),
 * written from the format description in [MS-PATCH]/[MS-CAB]. Everything is bounds-checked: a damaged stream fails
 * with a FormatError, never reads outside its input or loops without consuming it.
 */

const FMT = 'CAB/LZX';
const FRAME = 32768;
const NUM_CHARS = 256;
const PRETREE_SYMS = 20;
const LENGTH_SYMS = 249;
const ALIGNED_SYMS = 8;
const MIN_MATCH = 2;
const INVALID = 0xffff;

/** Extra offset bits per position slot, and each slot's base offset. */
const EXTRA_BITS = new Uint8Array(51);
const POSITION_BASE = new Uint32Array(51);
for (let i = 0, j = 0; i < 51; i += 2) {
  EXTRA_BITS[i] = j;
  if (i + 1 < 51) EXTRA_BITS[i + 1] = j;
  if (i !== 0 && j < 17) j++;
}
for (let i = 0, j = 0; i < 51; i++) {
  POSITION_BASE[i] = j;
  j += 1 << EXTRA_BITS[i]!;
}

function positionSlots(windowBits: number): number {
  if (windowBits === 21) return 50;
  if (windowBits === 20) return 42;
  return windowBits * 2;
}

/** Canonical Huffman decoding through one 16-bit lookup table: entry = (length << 10) | symbol. */
class Huffman {
  readonly lens: Uint8Array;
  private readonly table = new Uint16Array(1 << 16);
  empty = true;
  constructor(
    readonly size: number,
    readonly name: string,
  ) {
    this.lens = new Uint8Array(size + 32); // slack: runs in the length encoding may overshoot by a few entries
  }

  build(at: number, allowEmpty: boolean): void {
    const t = this.table;
    t.fill(INVALID);
    const count = new Uint16Array(17);
    for (let s = 0; s < this.size; s++) count[this.lens[s]!]!++;
    count[0] = 0;
    this.empty = count.every((c) => c === 0);
    if (this.empty) {
      if (allowEmpty) return;
      throw new FormatError(FMT, at, `${this.name} tree has no codes`);
    }
    const next = new Uint32Array(17);
    let code = 0;
    for (let len = 1; len <= 16; len++) {
      code = (code + count[len - 1]!) << 1;
      next[len] = code;
    }
    // Kraft check: an over-subscribed code cannot be decoded unambiguously.
    let space = 1 << 16;
    for (let len = 1; len <= 16; len++) space -= count[len]! << (16 - len);
    if (space < 0) throw new FormatError(FMT, at, `${this.name} tree is over-subscribed`);
    for (let s = 0; s < this.size; s++) {
      const len = this.lens[s]!;
      if (!len) continue;
      const c = next[len]!++;
      const start = c << (16 - len);
      const end = start + (1 << (16 - len));
      const v = (len << 10) | s;
      t.fill(v, start, end);
    }
  }

  decode(b: BitReader): number {
    b.ensure(16);
    const v = this.table[b.peek16()]!;
    if (v === INVALID) b.fail(`invalid ${this.name} code`);
    b.drop(v >>> 10);
    return v & 0x3ff;
  }
}

/** Bits are read most-significant first from little-endian 16-bit words. */
class BitReader {
  pos = 0;
  private buf = 0;
  private left = 0;
  /** Reading past the end yields zeros for a little while (decoders look ahead); too far is an error. */
  private overrun = 0;
  constructor(private readonly data: Uint8Array) {}

  fail(msg: string): never {
    throw new FormatError(FMT, this.pos, msg);
  }
  ensure(n: number): void {
    while (this.left < n) {
      let w = 0;
      if (this.pos + 1 < this.data.length) w = this.data[this.pos]! | (this.data[this.pos + 1]! << 8);
      else if (++this.overrun > 8) this.fail('compressed data ends early');
      this.pos += 2;
      this.buf = (this.buf | (w << (16 - this.left))) >>> 0;
      this.left += 16;
    }
  }
  peek16(): number {
    return this.buf >>> 16;
  }
  drop(n: number): void {
    this.buf = (this.buf << n) >>> 0;
    this.left -= n;
  }
  bits(n: number): number {
    if (n === 0) return 0;
    if (n > 16) return (this.bits(n - 16) << 16) | this.bits(16);
    this.ensure(n);
    const v = this.buf >>> (32 - n);
    this.drop(n);
    return v;
  }
  /** Drops buffered bits up to the next 16-bit boundary. */
  align16(): void {
    if (this.left > 0) this.ensure(16);
    this.drop(this.left & 15);
  }
  /**
   * For uncompressed blocks: 1–16 bits of padding to the next word. Buffered bits (fewer than 16 after the block
   * header) are dropped; with none buffered, a whole word is padding. Bytes then follow at `pos`.
   */
  toBytes(): void {
    if (this.left === 0) this.pos += 2;
    this.buf = 0;
    this.left = 0;
  }
  byte(): number {
    if (this.pos >= this.data.length) this.fail('compressed data ends early');
    return this.data[this.pos++]!;
  }
}

/**
 * Decompresses one cabinet folder: `input` is the concatenated payload of its data blocks, `outSize` the sum of
 * their uncompressed sizes.
 */
export function lzxDecompress(input: Uint8Array, windowBits: number, outSize: number): Uint8Array {
  if (windowBits < 15 || windowBits > 21) throw new FormatError(FMT, 0, `window of 2^${windowBits} bytes`);
  const wsize = 1 << windowBits;
  const window = new Uint8Array(wsize);
  const out = new Uint8Array(outSize);
  const b = new BitReader(input);
  const slots = positionSlots(windowBits);
  const main = new Huffman(NUM_CHARS + slots * 8, 'main');
  const length = new Huffman(LENGTH_SYMS, 'length');
  const aligned = new Huffman(ALIGNED_SYMS, 'aligned');
  const pre = new Huffman(PRETREE_SYMS, 'pretree');
  let r0 = 1;
  let r1 = 1;
  let r2 = 1;
  let blockType = 0;
  let blockLength = 0;
  let blockRemaining = 0;
  let intelStarted = false;
  let wpos = 0;

  const intelSize = b.bits(1) ? (b.bits(16) << 16) | b.bits(16) : 0;

  const readLengths = (h: Huffman, first: number, last: number) => {
    for (let i = 0; i < PRETREE_SYMS; i++) pre.lens[i] = b.bits(4);
    pre.build(b.pos, false);
    for (let x = first; x < last; ) {
      let z = pre.decode(b);
      if (z === 17 || z === 18) {
        let run = z === 17 ? b.bits(4) + 4 : b.bits(5) + 20;
        if (x + run > h.lens.length) b.fail(`${h.name} lengths overrun`);
        while (run--) h.lens[x++] = 0;
      } else if (z === 19) {
        let run = b.bits(1) + 4;
        z = pre.decode(b);
        if (z > 16) b.fail(`bad ${h.name} length code ${z}`);
        if (x + run > h.lens.length) b.fail(`${h.name} lengths overrun`);
        const v = (h.lens[x]! - z + 17) % 17;
        while (run--) h.lens[x++] = v;
      } else {
        h.lens[x] = (h.lens[x]! - z + 17) % 17;
        x++;
      }
    }
  };

  for (let outPos = 0, frame = 0; outPos < outSize; frame++) {
    const frameSize = Math.min(FRAME, outSize - outPos);
    const frameStart = wpos;
    let todo = frameSize;
    while (todo > 0) {
      if (blockRemaining === 0) {
        if (blockType === 3 && blockLength & 1) b.byte();
        blockType = b.bits(3);
        blockLength = (b.bits(16) << 8) | b.bits(8);
        blockRemaining = blockLength;
        if (blockLength === 0) b.fail('empty block');
        if (blockType === 2) {
          for (let i = 0; i < ALIGNED_SYMS; i++) aligned.lens[i] = b.bits(3);
          aligned.build(b.pos, false);
        }
        if (blockType === 1 || blockType === 2) {
          readLengths(main, 0, NUM_CHARS);
          readLengths(main, NUM_CHARS, main.size);
          main.build(b.pos, false);
          if (main.lens[0xe8]) intelStarted = true;
          readLengths(length, 0, LENGTH_SYMS);
          length.build(b.pos, true);
        } else if (blockType === 3) {
          intelStarted = true;
          b.toBytes();
          const rd = () => b.byte() | (b.byte() << 8) | (b.byte() << 16) | (b.byte() << 24);
          r0 = rd() >>> 0;
          r1 = rd() >>> 0;
          r2 = rd() >>> 0;
        } else {
          b.fail(`bad block type ${blockType}`);
        }
      }
      let run = Math.min(blockRemaining, todo);
      todo -= run;
      blockRemaining -= run;
      if (blockType === 3) {
        for (let i = 0; i < run; i++) window[wpos++] = b.byte();
        continue;
      }
      while (run > 0) {
        const sym = main.decode(b);
        if (sym < NUM_CHARS) {
          window[wpos++] = sym;
          run--;
          continue;
        }
        const el = sym - NUM_CHARS;
        let matchLength = el & 7;
        if (matchLength === 7) {
          if (length.empty) b.fail('length code needed but the length tree is empty');
          matchLength += length.decode(b);
        }
        matchLength += MIN_MATCH;
        const slot = el >>> 3;
        let offset: number;
        if (slot === 0) offset = r0;
        else if (slot === 1) {
          offset = r1;
          r1 = r0;
          r0 = offset;
        } else if (slot === 2) {
          offset = r2;
          r2 = r0;
          r0 = offset;
        } else {
          const extra = slot >= 36 ? 17 : EXTRA_BITS[slot]!;
          offset = POSITION_BASE[slot]! - 2;
          if (extra >= 3 && blockType === 2) {
            if (extra > 3) offset += b.bits(extra - 3) * 8;
            offset += aligned.decode(b);
          } else if (extra) {
            offset += b.bits(extra);
          }
          r2 = r1;
          r1 = r0;
          r0 = offset;
        }
        if (wpos + matchLength > wsize) b.fail('match runs over the window end');
        if (offset === 0 || offset > wsize) b.fail(`match offset ${offset} outside the window`);
        if (offset > outPos + (wpos - frameStart))
          b.fail(`match offset ${offset} before the start of the data`);
        let src = (wpos - offset + wsize) & (wsize - 1);
        for (let i = 0; i < matchLength; i++) {
          window[wpos++] = window[src]!;
          src = (src + 1) & (wsize - 1);
        }
        run -= matchLength;
      }
      if (run < 0) {
        if (-run > blockRemaining) b.fail('match runs past the end of its block');
        blockRemaining += run;
      }
    }
    if (wpos - frameStart !== frameSize)
      b.fail(`frame ${frame} decodes to ${wpos - frameStart} bytes, not ${frameSize}`);
    b.align16();
    const dst = out.subarray(outPos, outPos + frameSize);
    dst.set(window.subarray(frameStart, frameStart + frameSize));
    if (intelStarted && intelSize && frame < 32768 && frameSize > 10) e8Translate(dst, outPos, intelSize);
    outPos += frameSize;
    if (wpos === wsize) wpos = 0;
  }
  return out;
}

/** Undoes the compressor's x86 CALL (E8) absolute-address rewriting within one frame. */
function e8Translate(d: Uint8Array, base: number, fileSize: number): void {
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const end = d.length - 10;
  for (let i = 0; i < end; ) {
    if (d[i] !== 0xe8) {
      i++;
      continue;
    }
    const cur = base + i;
    const abs = dv.getInt32(i + 1, true);
    if (abs >= -cur && abs < fileSize) {
      const rel = abs >= 0 ? abs - cur : abs + fileSize;
      dv.setInt32(i + 1, rel | 0, true);
    }
    i += 5;
  }
}
