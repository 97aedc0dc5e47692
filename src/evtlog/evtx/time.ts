/**
 * Windows timestamps as ISO 8601 text without BigInt: a FILETIME (100 ns ticks since 1601) needs 57+ bits, more than a
 * double holds exactly, so it is divided by 10^7 in 16-bit limbs.
 */

const EPOCH_DIFF_S = 11_644_473_600; // seconds from 1601-01-01 to 1970-01-01

/** Splits a FILETIME (as two u32 halves) into whole seconds since 1601 and the 100 ns remainder. */
export function filetimeParts(lo: number, hi: number): [seconds: number, ticks: number] {
  const limbs = [hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff];
  let rem = 0;
  let q = 0;
  for (const l of limbs) {
    const cur = rem * 65536 + l;
    const d = Math.floor(cur / 10_000_000);
    rem = cur - d * 10_000_000;
    q = q * 65536 + d;
  }
  return [q, rem];
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

let lastLo = -1;
let lastHi = -1;
let lastIso = '';

/**
 * `YYYY-MM-DDTHH:MM:SS.fffffffZ` (7 fractional digits, as Event Viewer shows SystemTime). The last result is kept:
 * a record's header time and its TimeCreated are usually the same value.
 */
export function filetimeToIso(lo: number, hi: number): string {
  if (lo === lastLo && hi === lastHi) return lastIso;
  const s = filetimeToIsoUncached(lo, hi);
  lastLo = lo;
  lastHi = hi;
  lastIso = s;
  return s;
}

function filetimeToIsoUncached(lo: number, hi: number): string {
  const [s, ticks] = filetimeParts(lo, hi);
  const unix = s - EPOCH_DIFF_S;
  const d = new Date(unix * 1000);
  if (Number.isNaN(d.getTime()))
    return `filetime:0x${hi.toString(16).padStart(8, '0')}${lo.toString(16).padStart(8, '0')}`;
  const y = d.getUTCFullYear();
  const ys = y >= 0 && y <= 9999 ? String(y).padStart(4, '0') : String(y);
  return `${ys}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${String(ticks).padStart(7, '0')}Z`;
}

/** A SYSTEMTIME (8 u16: year, month, weekday, day, hour, minute, second, milliseconds) as ISO text. */
export function systemtimeToIso(dv: DataView, off: number): string {
  const y = dv.getUint16(off, true);
  const mo = dv.getUint16(off + 2, true);
  const day = dv.getUint16(off + 6, true);
  const h = dv.getUint16(off + 8, true);
  const mi = dv.getUint16(off + 10, true);
  const s = dv.getUint16(off + 12, true);
  const ms = dv.getUint16(off + 14, true);
  return `${String(y).padStart(4, '0')}-${pad2(mo)}-${pad2(day)}T${pad2(h)}:${pad2(mi)}:${pad2(s)}.${String(ms).padStart(3, '0')}Z`;
}
