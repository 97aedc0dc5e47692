/**
 * Finds the members of a JSON object in UTF-8 bytes without parsing their values, so that a large document can be
 * indexed in one pass and each value handed to JSON.parse only when it is needed. The scan checks the structure
 * it relies on (quotes, colons, commas, balanced brackets); the full syntax of a value is checked when it is
 * parsed. Strings are skipped with a native byte search, so most of a symbol table is never touched by JS code.
 */

export interface JsonMember {
  key: string;
  /** Byte range of the member's value. */
  start: number;
  end: number;
}

export class JsonScanError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = 'JsonScanError';
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * The same bytes as a plain Uint8Array: Buffer's own indexOf goes through encoding checks on every call, and one
 * array type keeps the scanning loops monomorphic.
 */
export function plainBytes(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype
    ? b
    : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export function skipWs(b: Uint8Array, i: number): number {
  while (i < b.length && isWs(b[i]!)) i++;
  return i;
}

/** Index just past the string whose opening quote is at `i`. */
function skipString(b: Uint8Array, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = b.indexOf(QUOTE, from);
    if (q < 0) throw new JsonScanError(i, 'unterminated string');
    // The quote is escaped when an odd number of backslashes precede it.
    let k = q - 1;
    while (k > i && b[k] === BACKSLASH) k--;
    if (((q - 1 - k) & 1) === 0) return q + 1;
    from = q + 1;
  }
}

/** Index just past the value that starts at `i`. */
export function skipValue(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c === QUOTE) return skipString(b, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < b.length; j++) {
      const d = b[j]!;
      if (d === QUOTE) j = skipString(b, j) - 1;
      else if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        if (--depth === 0) return j + 1;
      }
    }
    throw new JsonScanError(i, 'unterminated object or array');
  }
  let j = i;
  while (j < b.length) {
    const d = b[j]!;
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isWs(d)) break;
    j++;
  }
  if (j === i) throw new JsonScanError(i, 'expected a value');
  return j;
}

function decodeKey(b: Uint8Array, text: Buffer, start: number, end: number): string {
  for (let i = start + 1; i < end - 1; i++) {
    const c = b[i]!;
    // Escapes, non-ASCII and control characters (which JSON forbids raw) take the exact route.
    if (c === BACKSLASH || c >= 0x80 || c < 0x20) {
      try {
        return JSON.parse(text.toString('utf8', start, end)) as string;
      } catch (e) {
        throw new JsonScanError(start, `bad member name (${(e as Error).message})`);
      }
    }
  }
  return text.toString('latin1', start + 1, end - 1);
}

/**
 * Calls `visit` with the byte ranges of each member of the object whose `{` is at `open` (name with its quotes,
 * value); returns the index just past the `}`.
 */
export function scanMembers(
  b: Uint8Array,
  open: number,
  visit: (keyStart: number, keyEnd: number, start: number, end: number) => void,
): number {
  if (b[open] !== OPEN_BRACE) throw new JsonScanError(open, "expected '{'");
  let j = skipWs(b, open + 1);
  if (b[j] === CLOSE_BRACE) return j + 1;
  for (;;) {
    if (b[j] !== QUOTE) throw new JsonScanError(j, 'expected a member name');
    const keyStart = j;
    const keyEnd = skipString(b, j);
    j = skipWs(b, keyEnd);
    if (b[j] !== COLON) throw new JsonScanError(j, "expected ':'");
    const start = skipWs(b, j + 1);
    if (start >= b.length) throw new JsonScanError(start, 'expected a value');
    const end = skipValue(b, start);
    visit(keyStart, keyEnd, start, end);
    j = skipWs(b, end);
    if (b[j] === COMMA) {
      j = skipWs(b, j + 1);
      continue;
    }
    if (b[j] === CLOSE_BRACE) return j + 1;
    throw new JsonScanError(j, "expected ',' or '}'");
  }
}

/** The members of the object whose `{` is at `open`, names decoded, and the index just past its `}`. */
export function objectMembers(bytes: Uint8Array, open: number): { members: JsonMember[]; end: number } {
  const b = plainBytes(bytes);
  const text = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const members: JsonMember[] = [];
  const end = scanMembers(b, open, (ks, ke, start, end) => {
    members.push({ key: decodeKey(b, text, ks, ke), start, end });
  });
  return { members, end };
}

/** FNV-1a over `b[start, end)`. */
function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * Finds members of a large object by name without decoding every name: one scan records where each member lies
 * and hashes its raw name bytes into an open-addressing table. Valid when no name holds an escape (`escaped` says
 * whether one does; then the caller must decode names instead).
 */
export class JsonKeyIndex {
  readonly count: number;
  readonly escaped: boolean;
  private readonly ranges: Int32Array;
  private readonly slots: Int32Array;
  private readonly mask: number;

  private readonly b: Uint8Array;

  constructor(bytes: Uint8Array, open: number) {
    const b = plainBytes(bytes);
    this.b = b;
    const r: number[] = [];
    let escaped = false;
    scanMembers(b, open, (ks, ke, start, end) => {
      r.push(ks + 1, ke - 1, start, end);
      if (!escaped) for (let i = ks + 1; i < ke - 1; i++) if (b[i] === BACKSLASH) escaped = true;
    });
    this.escaped = escaped;
    this.ranges = Int32Array.from(r);
    this.count = r.length / 4;
    let size = 16;
    while (size < this.count * 2) size *= 2;
    this.mask = size - 1;
    this.slots = new Int32Array(size).fill(-1);
    for (let m = 0; m < this.count; m++) {
      let slot = hashBytes(b, r[m * 4]!, r[m * 4 + 1]!) & this.mask;
      while (this.slots[slot] !== -1) slot = (slot + 1) & this.mask;
      this.slots[slot] = m;
    }
  }

  /** Value range of the member named by these UTF-8 bytes; the last one when the name repeats (as JSON.parse). */
  find(nameBytes: Uint8Array): { start: number; end: number } | null {
    const b = this.b;
    const name = plainBytes(nameBytes);
    const r = this.ranges;
    let best = -1;
    for (let slot = hashBytes(name, 0, name.length) & this.mask; this.slots[slot] !== -1; ) {
      const m = this.slots[slot]!;
      const ks = r[m * 4]!;
      if (r[m * 4 + 1]! - ks === name.length && m > best) {
        let same = true;
        for (let i = 0; i < name.length && same; i++) same = b[ks + i] === name[i];
        if (same) best = m;
      }
      slot = (slot + 1) & this.mask;
    }
    return best < 0 ? null : { start: r[best * 4 + 2]!, end: r[best * 4 + 3]! };
  }
}
