import { FormatError } from '../../util/errors.js';

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/** Names are nearly always ASCII: build those directly, which is far cheaper than a TextDecoder call each. */
function decodeName(buf: Uint8Array, s: number, e: number): string {
  if (e - s > 256) return utf8.decode(buf.subarray(s, e));
  let out = '';
  for (let i = s; i < e; i++) {
    const c = buf[i]!;
    if (c >= 0x80) return utf8.decode(buf.subarray(s, e));
    out += String.fromCharCode(c);
  }
  return out;
}

/**
 * A bounds-checked little-endian reader over one record or stream. `base` is the offset of `buf` within the stream
 * it came from, so errors point at stream offsets a person can look up with a hex viewer.
 */
export class Cursor {
  readonly dv: DataView;
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    readonly what: string,
    start = 0,
    readonly end = buf.length,
    readonly base = 0,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(msg: string, at = this.pos): never {
    throw new FormatError('PDB', this.base + at, `${this.what}: ${msg}`);
  }

  need(n: number): void {
    if (this.pos + n > this.end) this.fail(`needs ${n} more bytes, record ends after ${this.remaining}`);
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  i16(): number {
    this.need(2);
    const v = this.dv.getInt16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  /** 64-bit values as a JS number: exact up to 2^53, which covers every size and offset a PDB holds. */
  u64(): number {
    const lo = this.u32();
    const hi = this.u32();
    return hi * 2 ** 32 + lo;
  }
  i64(): number {
    const lo = this.u32();
    const hi = this.i32();
    return hi * 2 ** 32 + lo;
  }

  /** NUL-terminated name (the record's end stands in for a missing NUL, as MSVC sometimes omits it at the end). */
  cstring(): string {
    let e = this.pos;
    while (e < this.end && this.buf[e] !== 0) e++;
    const s = decodeName(this.buf, this.pos, e);
    this.pos = e < this.end ? e + 1 : e;
    return s;
  }

  /** Length-prefixed name of the pre-VC7 `_ST` records. */
  pascal(): string {
    const n = this.u8();
    this.need(n);
    const s = latin1.decode(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }

  name(pascal: boolean): string {
    return pascal ? this.pascal() : this.cstring();
  }

  /**
   * A CodeView numeric leaf: a value below 0x8000 is itself; above, a leaf kind says how the value follows.
   * Reals and strings are skipped and read as 0: they never appear where a size, offset or enum value is expected.
   */
  numeric(): number {
    const at = this.pos;
    const leaf = this.u16();
    if (leaf < 0x8000) return leaf;
    switch (leaf) {
      case 0x8000: // LF_CHAR
        this.need(1);
        return this.dv.getInt8(this.pos++);
      case 0x8001: // LF_SHORT
        return this.i16();
      case 0x8002: // LF_USHORT
        return this.u16();
      case 0x8003: // LF_LONG
        return this.i32();
      case 0x8004: // LF_ULONG
        return this.u32();
      case 0x8009: // LF_QUADWORD
        return this.i64();
      case 0x800a: // LF_UQUADWORD
        return this.u64();
      case 0x8005: // LF_REAL32
        this.skip(4);
        return 0;
      case 0x8006: // LF_REAL64
      case 0x800c: // LF_COMPLEX32
        this.skip(8);
        return 0;
      case 0x8007: // LF_REAL80
        this.skip(10);
        return 0;
      case 0x8008: // LF_REAL128
      case 0x800d: // LF_COMPLEX64
      case 0x8017: // LF_OCTWORD
      case 0x8018: // LF_UOCTWORD
      case 0x8019: // LF_DECIMAL
        this.skip(16);
        return 0;
      case 0x800b: // LF_REAL48
        this.skip(6);
        return 0;
      case 0x800e: // LF_COMPLEX80
        this.skip(20);
        return 0;
      case 0x800f: // LF_COMPLEX128
        this.skip(32);
        return 0;
      case 0x801a: // LF_DATE
        this.skip(8);
        return 0;
      case 0x801c: // LF_REAL16
        this.skip(2);
        return 0;
      case 0x8010: // LF_VARSTRING
        this.skip(this.u16());
        return 0;
      case 0x801b: // LF_UTF8STRING
        this.cstring();
        return 0;
      default:
        return this.fail(`unknown numeric leaf 0x${leaf.toString(16)}`, at);
    }
  }
}
