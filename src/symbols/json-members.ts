/**
 * Helpers for reading members of a JSON document found by the one-pass scan in isf-scan.ts: decoding a member
 * name from its bytes, and looking members up by name through the hashes the scan computed.
 */
import { CHILD_FIELDS, JsonScanError } from './isf-scan.js';

/**
 * The same bytes as a plain Uint8Array: one array type keeps the scanning loops monomorphic (a Buffer is a
 * subclass with its own map).
 */
export function plainBytes(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype
    ? b
    : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The decoded name whose bytes, without the quotes, are `b[start, end)` (`text` is the same bytes as a Buffer). */
export function decodeName(b: Uint8Array, text: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    // Escapes, non-ASCII and control characters (which JSON forbids raw) take the exact route.
    if (c === 0x5c || c >= 0x80 || c < 0x20) {
      try {
        return JSON.parse(text.toString('utf8', start - 1, end + 1)) as string;
      } catch (e) {
        throw new JsonScanError(start - 1, `bad member name (${(e as Error).message})`);
      }
    }
  }
  return text.toString('latin1', start, end);
}

/** FNV-1a over `b[start, end)`, as isf-scan.ts computes it for member names. */
export function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * Finds members of one object by name in an open-addressing table over the scan's child records (name range,
 * value range, hash). Only valid when no name holds an escape: raw bytes are compared.
 */
export class JsonKeyIndex {
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(
    private readonly b: Uint8Array,
    private readonly records: Int32Array,
    private readonly first: number,
    readonly count: number,
  ) {
    let size = 16;
    while (size < count * 2) size *= 2;
    this.mask = size - 1;
    this.slots = new Int32Array(size).fill(-1);
    for (let m = 0; m < count; m++) {
      let slot = records[(first + m) * CHILD_FIELDS + 4]! & this.mask;
      while (this.slots[slot] !== -1) slot = (slot + 1) & this.mask;
      this.slots[slot] = m;
    }
  }

  /** Value range of the member named by these UTF-8 bytes; the last one when the name repeats (as JSON.parse). */
  find(name: Uint8Array): { start: number; end: number } | null {
    const b = this.b;
    const r = this.records;
    const h = hashBytes(name, 0, name.length);
    let best = -1;
    for (let slot = h & this.mask; this.slots[slot] !== -1; slot = (slot + 1) & this.mask) {
      const m = this.slots[slot]!;
      const at = (this.first + m) * CHILD_FIELDS;
      const ks = r[at]!;
      if (r[at + 4]! >>> 0 !== h || r[at + 1]! - ks !== name.length || m <= best) continue;
      let same = true;
      for (let i = 0; i < name.length && same; i++) same = b[ks + i] === name[i];
      if (same) best = m;
    }
    if (best < 0) return null;
    const at = (this.first + best) * CHILD_FIELDS;
    return { start: r[at + 2]!, end: r[at + 3]! };
  }
}
