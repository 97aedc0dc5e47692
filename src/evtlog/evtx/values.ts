import { VT } from './nodes.js';
import { filetimeToIso, systemtimeToIso } from './time.js';

/** Substitution and value-token data rendered as Event Viewer's XML shows it. */

const utf16 = new TextDecoder('utf-16le');
const latin1 = new TextDecoder('latin1');

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

/** UTF-16LE text without its trailing NULs (Windows stores most strings NUL-terminated). */
export function utf16At(b: Uint8Array, off: number, bytes: number): string {
  let end = off + (bytes & ~1);
  while (end - 2 >= off && b[end - 1] === 0 && b[end - 2] === 0) end -= 2;
  if (end <= off) return '';
  // Short strings (names, numbers as text) are cheaper to build directly than through TextDecoder's call overhead;
  // surrogates are left to the decoder so invalid pairs are replaced the same way everywhere.
  if (end - off <= 64) {
    let s = '';
    for (let i = off; i < end; i += 2) {
      const c = b[i]! | (b[i + 1]! << 8);
      if (c >= 0xd800 && c <= 0xdfff) return utf16.decode(b.subarray(off, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf16.decode(b.subarray(off, end));
}

export function hexUpper(b: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += HEX[b[off + i]!];
  return s;
}

export function guidAt(b: Uint8Array, dv: DataView, off: number): string {
  const d1 = dv.getUint32(off, true).toString(16).toUpperCase().padStart(8, '0');
  const d2 = dv
    .getUint16(off + 4, true)
    .toString(16)
    .toUpperCase()
    .padStart(4, '0');
  const d3 = dv
    .getUint16(off + 6, true)
    .toString(16)
    .toUpperCase()
    .padStart(4, '0');
  return `{${d1}-${d2}-${d3}-${hexUpper(b, off + 8, 2)}-${hexUpper(b, off + 10, 6)}}`;
}

export function sidAt(b: Uint8Array, dv: DataView, off: number, size: number): string | null {
  if (size < 8) return null;
  const rev = b[off]!;
  const n = b[off + 1]!;
  if (8 + 4 * n > size) return null;
  let auth = 0;
  for (let i = 0; i < 6; i++) auth = auth * 256 + b[off + 2 + i]!;
  let s = `S-${rev}-${auth}`;
  for (let i = 0; i < n; i++) s += `-${dv.getUint32(off + 8 + 4 * i, true)}`;
  return s;
}

function u64Dec(dv: DataView, off: number): string {
  const hi = dv.getUint32(off + 4, true);
  const lo = dv.getUint32(off, true);
  if (hi < 0x200000) return String(hi * 4294967296 + lo);
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}
function i64Dec(dv: DataView, off: number): string {
  const hi = dv.getInt32(off + 4, true);
  const lo = dv.getUint32(off, true);
  if (hi >= -0x200000 && hi < 0x200000) return String(hi * 4294967296 + lo);
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}
function hex64(dv: DataView, off: number): string {
  const hi = dv.getUint32(off + 4, true);
  const lo = dv.getUint32(off, true);
  return hi ? `0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')}` : `0x${lo.toString(16)}`;
}

/** Fixed element size of a scalar type, 0 for variable-size types. */
export function fixedSize(type: number): number {
  switch (type) {
    case VT.Int8:
    case VT.UInt8:
      return 1;
    case VT.Int16:
    case VT.UInt16:
      return 2;
    case VT.Int32:
    case VT.UInt32:
    case VT.Real32:
    case VT.Bool:
    case VT.HexInt32:
      return 4;
    case VT.Int64:
    case VT.UInt64:
    case VT.Real64:
    case VT.FileTime:
    case VT.HexInt64:
      return 8;
    case VT.Guid:
    case VT.SysTime:
      return 16;
    default:
      return 0;
  }
}

/**
 * Text of one scalar value. Returns null when the bytes cannot hold the type (the caller reports it and falls back
 * to hex).
 */
export function scalarText(
  b: Uint8Array,
  dv: DataView,
  type: number,
  off: number,
  size: number,
): string | null {
  const need = fixedSize(type);
  if (need && size < need) return null;
  switch (type) {
    case VT.Null:
      return '';
    case VT.String:
      return utf16At(b, off, size);
    case VT.AnsiString: {
      let end = off + size;
      while (end > off && b[end - 1] === 0) end--;
      return latin1.decode(b.subarray(off, end));
    }
    case VT.Int8:
      return String(dv.getInt8(off));
    case VT.UInt8:
      return String(b[off]);
    case VT.Int16:
      return String(dv.getInt16(off, true));
    case VT.UInt16:
      return String(dv.getUint16(off, true));
    case VT.Int32:
      return String(dv.getInt32(off, true));
    case VT.UInt32:
      return String(dv.getUint32(off, true));
    case VT.Int64:
      return i64Dec(dv, off);
    case VT.UInt64:
      return u64Dec(dv, off);
    case VT.Real32:
      return String(dv.getFloat32(off, true));
    case VT.Real64:
      return String(dv.getFloat64(off, true));
    case VT.Bool:
      return dv.getUint32(off, true) !== 0 ? 'true' : 'false';
    case VT.Binary:
      return hexUpper(b, off, size);
    case VT.Guid:
      return guidAt(b, dv, off);
    case VT.SizeT:
      // Event Viewer shows pointer-sized values (e.g. 4624's ProcessId) as unpadded hex: 0x24c.
      if (size === 4) return `0x${dv.getUint32(off, true).toString(16)}`;
      if (size === 8) return hex64(dv, off);
      return null;
    case VT.FileTime:
      return filetimeToIso(dv.getUint32(off, true), dv.getUint32(off + 4, true));
    case VT.SysTime:
      return systemtimeToIso(dv, off);
    case VT.Sid:
      return sidAt(b, dv, off, size);
    case VT.HexInt32:
      return `0x${dv.getUint32(off, true).toString(16)}`;
    case VT.HexInt64:
      return hex64(dv, off);
    case VT.EvtHandle:
      return size === 8 ? u64Dec(dv, off) : size === 4 ? String(dv.getUint32(off, true)) : null;
    case VT.EvtXml:
      return utf16At(b, off, size);
    default:
      return null;
  }
}

/**
 * Items of an array value (`type | 0x80`): strings are NUL-separated, fixed-size types are packed, SIDs follow each
 * other with their own lengths.
 */
export function arrayItems(
  b: Uint8Array,
  dv: DataView,
  type: number,
  off: number,
  size: number,
): string[] | null {
  const base = type & 0x7f;
  const out: string[] = [];
  const end = off + size;
  if (base === VT.String) {
    let s = off;
    for (let p = off; p + 1 < end; p += 2) {
      if (b[p] === 0 && b[p + 1] === 0) {
        out.push(utf16.decode(b.subarray(s, p)));
        s = p + 2;
      }
    }
    if (s + 1 < end) out.push(utf16.decode(b.subarray(s, s + ((end - s) & ~1))));
    return out;
  }
  if (base === VT.AnsiString) {
    let s = off;
    for (let p = off; p < end; p++) {
      if (b[p] === 0) {
        out.push(latin1.decode(b.subarray(s, p)));
        s = p + 1;
      }
    }
    if (s < end) out.push(latin1.decode(b.subarray(s, end)));
    return out;
  }
  if (base === VT.Sid) {
    let p = off;
    while (p + 8 <= end) {
      const len = 8 + 4 * b[p + 1]!;
      const s = sidAt(b, dv, p, Math.min(len, end - p));
      if (s === null) return null;
      out.push(s);
      p += len;
    }
    return out;
  }
  const el = base === VT.SizeT ? (size % 8 === 0 ? 8 : 4) : fixedSize(base);
  if (!el || size % el !== 0) return null;
  for (let p = off; p < end; p += el) {
    const s = scalarText(b, dv, base, p, el);
    if (s === null) return null;
    out.push(s);
  }
  return out;
}
