/** Canonical lower-case hex with 0x prefix; addresses are plain numbers below 2^53. */
export function hex(n: number, width = 0): string {
  const s = n.toString(16);
  return `0x${width > s.length ? s.padStart(width, '0') : s}`;
}

/** Sign-extends a 48-bit x64 virtual address given as a number to its canonical 64-bit hex form. */
export function canonicalHex(va: number): string {
  if (va >= 0x800000000000 && va < 0x1000000000000) {
    return `0xffff${va.toString(16).padStart(12, '0')}`;
  }
  return hex(va);
}
