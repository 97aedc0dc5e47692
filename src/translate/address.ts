/**
 * x64 virtual addresses as plain numbers: 4-level paging uses 48 bits and the upper 16 only repeat bit 47, so memdig
 * drops them (0xffff8000_00000000 → 0x8000_00000000) and every address fits a double exactly. These helpers convert
 * at the edges (parsing, printing); hot paths only see the numbers.
 */

export const VA48_LIMIT = 0x1000000000000;
const HALF = 0x800000000000;

/**
 * A 64-bit value given as halves → dropped-canonical number below 2^48, or -1 when the value is not a canonical
 * 48-bit address (bits 63:48 must all equal bit 47).
 */
export function canonicalToNumber(hi: number, lo: number): number {
  const top = hi >>> 16;
  const low = hi & 0xffff;
  if (top === 0) return low & 0x8000 ? -1 : low * 0x100000000 + (lo >>> 0);
  if (top === 0xffff) return low & 0x8000 ? low * 0x100000000 + (lo >>> 0) : -1;
  return -1;
}

/** BigInt → dropped-canonical number (-1 when not canonical). For parsing only, never on hot paths. */
export function fromBigInt(v: bigint): number {
  const u = BigInt.asUintN(64, v);
  return canonicalToNumber(Number(u >> 32n), Number(u & 0xffffffffn));
}

/** Dropped-canonical number → the full 64-bit canonical value. */
export function toBigInt(va: number): bigint {
  const b = BigInt(va);
  return va >= HALF ? b | 0xffff000000000000n : b;
}

/** Parses "0xffff8d3d00000000", "ffffffff80000000" or a decimal string into a dropped-canonical number (-1: bad). */
export function parseAddress(s: string): number {
  const t = s.trim();
  let v: bigint;
  try {
    v = /^0x/i.test(t)
      ? BigInt(t)
      : /^[0-9a-f]+$/i.test(t) && /[a-f]/i.test(t)
        ? BigInt(`0x${t}`)
        : BigInt(t);
  } catch {
    return -1;
  }
  if (v < 0n || v > 0xffffffffffffffffn) return -1;
  return fromBigInt(v);
}

/** Formats a dropped-canonical x64 address in its canonical 64-bit form (as the OS prints it). */
export function formatCanonical(va: number): string {
  if (va >= HALF && va < VA48_LIMIT) return `0xffff${va.toString(16).padStart(12, '0')}`;
  return `0x${va.toString(16)}`;
}

/** True when the dropped-canonical address lies in the upper (kernel) half. */
export function isHighHalf(va: number): boolean {
  return va >= HALF;
}

/**
 * LA57 hint: true when a 64-bit value (its high half `hi`) read as a kernel pointer is canonical for 57-bit (5-level) addresses but not
 * for 48-bit ones (bits 63:57 all ones, bits 56:47 not). A kernel pointer such as Linux `page_offset_base`
 * (0xff11000000000000 under 5-level paging) then says the tables have five levels even when CR4 is unknown.
 */
export function isLa57OnlyPointer(hi: number): boolean {
  const top7 = hi >>> 25;
  const mid = (hi >>> 15) & 0x3ff; // bits 56:47
  return top7 === 0x7f && mid !== 0x3ff;
}
