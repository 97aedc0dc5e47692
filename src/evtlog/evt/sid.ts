/**
 * Renders a binary Windows SID as S-R-A-S1-S2…: revision byte, sub-authority count, 48-bit big-endian identifier
 * authority, then little-endian u32 sub-authorities. Returns null when the bytes cannot be a SID.
 */
export function sidToString(b: Uint8Array, off: number, len: number): string | null {
  if (len < 8 || off < 0 || off + len > b.length) return null;
  const rev = b[off]!;
  const count = b[off + 1]!;
  if (count > 15 || 8 + count * 4 > len) return null;
  let auth = 0;
  for (let i = 2; i < 8; i++) auth = auth * 256 + b[off + i]!;
  let s = `S-${rev}-${auth >= 2 ** 32 ? `0x${auth.toString(16)}` : auth}`;
  for (let i = 0; i < count; i++) {
    const p = off + 8 + i * 4;
    s += `-${(b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0}`;
  }
  return s;
}
