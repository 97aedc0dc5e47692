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

function decodeKey(b: Buffer, start: number, end: number): string {
  for (let i = start + 1; i < end - 1; i++) {
    const c = b[i]!;
    // Escapes, non-ASCII and control characters (which JSON forbids raw) take the exact route.
    if (c === BACKSLASH || c >= 0x80 || c < 0x20) {
      try {
        return JSON.parse(b.toString('utf8', start, end)) as string;
      } catch (e) {
        throw new JsonScanError(start, `bad member name (${(e as Error).message})`);
      }
    }
  }
  return b.toString('latin1', start + 1, end - 1);
}

/** The members of the object whose `{` is at `open`, and the index just past its `}`. */
export function objectMembers(bytes: Uint8Array, open: number): { members: JsonMember[]; end: number } {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b[open] !== OPEN_BRACE) throw new JsonScanError(open, "expected '{'");
  const members: JsonMember[] = [];
  let j = skipWs(b, open + 1);
  if (b[j] === CLOSE_BRACE) return { members, end: j + 1 };
  for (;;) {
    if (b[j] !== QUOTE) throw new JsonScanError(j, 'expected a member name');
    const keyEnd = skipString(b, j);
    const key = decodeKey(b, j, keyEnd);
    j = skipWs(b, keyEnd);
    if (b[j] !== COLON) throw new JsonScanError(j, "expected ':'");
    const start = skipWs(b, j + 1);
    if (start >= b.length) throw new JsonScanError(start, 'expected a value');
    const end = skipValue(b, start);
    members.push({ key, start, end });
    j = skipWs(b, end);
    if (b[j] === COMMA) {
      j = skipWs(b, j + 1);
      continue;
    }
    if (b[j] === CLOSE_BRACE) return { members, end: j + 1 };
    throw new JsonScanError(j, "expected ',' or '}'");
  }
}
