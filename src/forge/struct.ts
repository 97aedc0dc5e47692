/**
 * A byte buffer for one structure, filled field by field from the layout. Values are JS numbers: integers below 2^53,
 * and virtual addresses in their 48-bit (x64) or 32-bit (x86) form — pointers are sign-extended to canonical form
 * when written, so 0xFFFFF80000000000 is passed as 0xF80000000000.
 */
import type { Layout } from './layout.js';

const TWO32 = 0x100000000;

export class StructBuf {
  readonly bytes: Uint8Array;
  readonly dv: DataView;

  constructor(
    readonly layout: Layout,
    readonly type: string,
    size?: number,
    /** Offset of this structure inside `bytes` when it is a view on a larger buffer. */
    readonly base = 0,
    bytes?: Uint8Array,
  ) {
    this.bytes = bytes ?? new Uint8Array(size ?? layout.size(type));
    this.dv = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  /** A view of another type at `offset` inside the same bytes (e.g. _MMVAD_SHORT at the start of _MMVAD). */
  view(type: string, offset = 0): StructBuf {
    return new StructBuf(this.layout, type, undefined, this.base + offset, this.bytes);
  }

  has(path: string): boolean {
    return this.layout.has(this.type, path);
  }

  off(path: string): number {
    return this.base + this.layout.off(this.type, path);
  }

  /** Sets an integer field or bit field; silently skips fields the layout lacks when `optional`. */
  set(path: string, value: number, optional = false): this {
    if (optional && !this.layout.has(this.type, path)) return this;
    const f = this.layout.field(this.type, path);
    const at = this.base + f.offset;
    if (f.bitLen > 0) {
      setBits(this.dv, at, f.size, f.bitPos, f.bitLen, value);
      return this;
    }
    writeInt(this.dv, at, f.size, value);
    return this;
  }

  /** Writes a virtual address into a pointer-sized field, canonical on x64. */
  ptr(path: string, va: number, optional = false): this {
    if (optional && !this.layout.has(this.type, path)) return this;
    writePtr(this.dv, this.base + this.layout.off(this.type, path), this.layout.ptrSize, va);
    return this;
  }

  /** Writes a 64-bit value given as two 32-bit halves. */
  u64(path: string, lo: number, hi: number, optional = false): this {
    if (optional && !this.layout.has(this.type, path)) return this;
    const at = this.base + this.layout.off(this.type, path);
    this.dv.setUint32(at, lo >>> 0, true);
    this.dv.setUint32(at + 4, hi >>> 0, true);
    return this;
  }

  /** Copies raw bytes at a field (fixed-size character arrays such as ImageFileName). */
  raw(path: string, data: Uint8Array, optional = false): this {
    if (optional && !this.layout.has(this.type, path)) return this;
    const f = this.layout.field(this.type, path);
    this.bytes.set(data.subarray(0, f.size || data.length), this.base + f.offset);
    return this;
  }

  /** A _LIST_ENTRY (or LIST_ENTRY64-like) pair at `path`: Flink, Blink. */
  list(path: string, flink: number, blink: number): this {
    const at = this.base + this.layout.off(this.type, path);
    writePtr(this.dv, at, this.layout.ptrSize, flink);
    writePtr(this.dv, at + this.layout.ptrSize, this.layout.ptrSize, blink);
    return this;
  }

  /** A _UNICODE_STRING {Length, MaximumLength, Buffer} at `path`. */
  ustr(path: string, byteLen: number, maxLen: number, buffer: number): this {
    const at = this.base + this.layout.off(this.type, path);
    this.dv.setUint16(at, byteLen, true);
    this.dv.setUint16(at + 2, maxLen, true);
    writePtr(this.dv, at + this.layout.ptrSize, this.layout.ptrSize, buffer);
    return this;
  }
}

export function writeInt(dv: DataView, at: number, size: number, value: number): void {
  switch (size) {
    case 1:
      dv.setUint8(at, value & 0xff);
      return;
    case 2:
      dv.setUint16(at, value & 0xffff, true);
      return;
    case 4:
      dv.setUint32(at, value >>> 0, true);
      return;
    case 8: {
      if (value < 0) {
        // Small negative numbers (e.g. -1 markers): two's complement.
        const v = -value;
        const lo = (TWO32 - (v % TWO32)) % TWO32;
        const hi = TWO32 - 1 - Math.floor((v - 1) / TWO32);
        dv.setUint32(at, lo >>> 0, true);
        dv.setUint32(at + 4, hi >>> 0, true);
        return;
      }
      dv.setUint32(at, (value % TWO32) >>> 0, true);
      dv.setUint32(at + 4, Math.floor(value / TWO32) >>> 0, true);
      return;
    }
    default:
      throw new Error(`cannot write a ${size}-byte integer`);
  }
}

/** Pointer write: on x64 addresses are held as 48-bit numbers and sign-extended from bit 47. */
export function writePtr(dv: DataView, at: number, ptrSize: number, va: number): void {
  if (ptrSize === 4) {
    dv.setUint32(at, va >>> 0, true);
    return;
  }
  const lo = (va % TWO32) >>> 0;
  let hi = Math.floor(va / TWO32) >>> 0;
  if (hi & 0x8000) hi = (hi | 0xffff0000) >>> 0;
  dv.setUint32(at, lo, true);
  dv.setUint32(at + 4, hi, true);
}

function setBits(dv: DataView, at: number, size: number, pos: number, len: number, value: number): void {
  // Work on 32-bit halves so 64-bit bit fields (x64 _MMVAD_FLAGS) need no BigInt.
  for (let i = 0; i < len; i++) {
    const bit = pos + i;
    const on = Math.floor(value / 2 ** i) % 2 === 1;
    const byte = at + (bit >> 3);
    if (byte >= at + size) break;
    const m = 1 << (bit & 7);
    const cur = dv.getUint8(byte);
    dv.setUint8(byte, on ? cur | m : cur & ~m);
  }
}

/** Canonical lower-case hex of a virtual address held as a 48-bit number (x64) or 32-bit (x86). */
export function canonHex(va: number, x64: boolean): string {
  if (!x64) return `0x${(va >>> 0).toString(16).padStart(8, '0')}`;
  const hi = Math.floor(va / TWO32);
  const lo = (va % TWO32) >>> 0;
  const full = hi & 0x8000 ? (hi | 0xffff0000) >>> 0 : hi;
  return `0x${full.toString(16).padStart(8, '0')}${lo.toString(16).padStart(8, '0')}`;
}
