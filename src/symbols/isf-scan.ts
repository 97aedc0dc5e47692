/**
 * One pass over an ISF's JSON bytes that finds where everything memdig may need lies, without parsing it: the
 * top-level members (metadata, base_types, user_types, ...) and the members of each of them that is an object
 * (each user type, each symbol). Values are parsed later, with JSON.parse, one at a time.
 *
 * The pass is a single loop with its state in locals, because that is what the JIT makes fast soonest: a CLI run
 * loads a table once, so the scan runs cold. It checks the structure it records (names, colons, commas, braces)
 * strictly; deeper values are only bracket-matched here and checked in full when they are parsed. Names of
 * second-level members are hashed as they go by (FNV-1a over the raw bytes) so that a symbol can be looked up
 * without decoding 35,000 names.
 */

export interface ScannedMember {
  /** Where the name lies, inside its quotes (the caller decodes it: no callback runs inside the scan loop). */
  keyStart: number;
  keyEnd: number;
  start: number;
  end: number;
  /** Range of this member's own members in `IsfScan.children` (records of CHILD_FIELDS ints), when an object. */
  firstChild: number;
  childCount: number;
  /** Some child name holds an escape or a control character: names must be decoded, not matched as bytes. */
  childEscapes: boolean;
}

export interface IsfScan {
  top: ScannedMember[];
  /** Per child: name start and end (inside the quotes), value start and end, FNV-1a hash of the name bytes. */
  children: Int32Array;
}

export const CHILD_FIELDS = 5;

/** Bad structure where the scan looked; `offset` is where in the bytes. */
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

// Parser states at the two indexed levels.
const KEY_OR_CLOSE = 0;
const KEY = 1;
const COLON_NEXT = 2;
const VALUE = 3;
const SCALAR = 4;
const COMMA_OR_CLOSE = 5;
const DONE = 6;

/**
 * A small document that takes every branch of the scan. Scanning it a few times first gives the JIT type feedback for all
 * of them, so the optimised loop it builds during the first large table does not fall back to the interpreter at
 * the first escape or scalar it meets (each such fallback cost ~40 ms of recompiling on a 6 MB table).
 */
const WARM_UP = new TextEncoder().encode(
  '{ "a\\"": {"b\\n": {"x": [1, "y\\u0041", {}], "z": true}, "c": 1 , "d": "e", "f": [2]},\n' +
    '\t"g": "h", "i": 3, "j": [{"k": null}], "l": {}}',
);
const WARM_UP_CALLS = 400;
let warm = false;

/**
 * Runs the scan over the warm-up document until V8 decides to optimise it. Called before a table is decompressed,
 * the optimising compiler then works on its background thread while the main thread waits for `xz`, and the real
 * scan starts in optimised code (~40 ms for a 6 MB table instead of ~90 interpreted and recompiled).
 */
export function warmUpIsfScan(): void {
  if (warm) return;
  warm = true;
  // Feedback is only recorded once V8 has allocated it (after a function's first calls); the call count after
  // that is what makes the function hot enough to be compiled.
  for (let k = 0; k < WARM_UP_CALLS; k++) scanLoop(WARM_UP, 1);
}

export function scanIsfJson(b: Uint8Array): IsfScan {
  if (b.length >= 1 << 20) warmUpIsfScan();
  return scanLoop(b, 4096);
}

/** `capacity`: child records to allocate at first (the warm-up starts at 1 so the growth path is taken too). */
function scanLoop(b: Uint8Array, capacity: number): IsfScan {
  const n = b.length;
  const top: ScannedMember[] = [];
  let children = new Int32Array(CHILD_FIELDS * capacity);
  let nc = 0;

  let i = 0;
  while (i < n && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  if (b[i] !== OPEN_BRACE) throw new JsonScanError(i, "expected '{'");
  i++;
  // depth: 1 inside the top object, 2 inside one of its object values. Deeper containers are skipped as a whole
  // ("deep" mode) until the depth comes back to `deepBase`.
  let depth = 1;
  let st = KEY_OR_CLOSE;
  let deep = false;
  let deepBase = 0;
  let inString = false;
  let stringIsKey = false;
  let keyEscaped = false;
  let hash = 0;
  // The member being read at each level.
  let k1s = 0;
  let k1e = 0;
  let v1s = 0;
  let cur: ScannedMember | null = null;
  let k2s = 0;
  let k2e = 0;
  let v2s = 0;
  let h2 = 0;

  // Everything below stays in this one loop (no inner functions touching these locals), so the JIT can keep
  // the state in registers.
  for (; i < n; i++) {
    const c = b[i]!;
    let ended = -1;
    let closing = false;
    if (inString) {
      if (c === QUOTE) {
        inString = false;
        if (stringIsKey) {
          if (depth === 1) k1e = i + 1;
          else {
            k2e = i + 1;
            h2 = hash >>> 0;
            if (keyEscaped) cur!.childEscapes = true;
          }
          st = COLON_NEXT;
          continue;
        }
        if (deep) continue;
        ended = i + 1; // a string value at an indexed level
      } else {
        if (c === BACKSLASH) {
          i++;
          keyEscaped = true;
        } else if (stringIsKey) {
          if (c < 0x20) keyEscaped = true;
          if (depth === 2) hash = Math.imul(hash ^ c, 0x01000193);
        }
        continue;
      }
    } else if (deep) {
      if (c === QUOTE) {
        inString = true;
        stringIsKey = false;
        continue;
      }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth++;
        continue;
      }
      if (c !== CLOSE_BRACE && c !== CLOSE_BRACKET) continue;
      if (--depth !== deepBase) continue;
      deep = false;
      ended = i + 1;
    } else {
      const ws = c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
      if (ws && st !== SCALAR) continue;
      switch (st) {
        case KEY_OR_CLOSE:
        case KEY:
          if (c === QUOTE) {
            inString = true;
            stringIsKey = true;
            keyEscaped = false;
            hash = 0x811c9dc5;
            if (depth === 1) k1s = i;
            else k2s = i;
          } else if (c === CLOSE_BRACE && st === KEY_OR_CLOSE) closing = true;
          else
            throw new JsonScanError(
              i,
              st === KEY ? 'expected a member name' : "expected a member name or '}'",
            );
          break;
        case COLON_NEXT:
          if (c !== COLON) throw new JsonScanError(i, "expected ':'");
          st = VALUE;
          break;
        case VALUE:
          if (depth === 1) v1s = i;
          else v2s = i;
          if (c === QUOTE) {
            inString = true;
            stringIsKey = false;
          } else if (c === OPEN_BRACE && depth === 1) {
            // A top-level member holding an object: its members are indexed too.
            cur = {
              keyStart: k1s + 1,
              keyEnd: k1e - 1,
              start: i,
              end: 0,
              firstChild: nc / CHILD_FIELDS,
              childCount: 0,
              childEscapes: false,
            };
            depth = 2;
            st = KEY_OR_CLOSE;
          } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
            deep = true;
            deepBase = depth;
            depth++;
          } else if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c === COLON) {
            throw new JsonScanError(i, 'expected a value');
          } else st = SCALAR;
          break;
        case SCALAR:
          if (ws || c === COMMA || c === CLOSE_BRACE) {
            ended = i;
            i--; // the delimiter is read again after the value
          } else if (
            c === QUOTE ||
            c === OPEN_BRACE ||
            c === OPEN_BRACKET ||
            c === CLOSE_BRACKET ||
            c === COLON
          ) {
            throw new JsonScanError(i, 'malformed value');
          }
          break;
        case COMMA_OR_CLOSE:
          if (c === COMMA) st = KEY;
          else if (c === CLOSE_BRACE) closing = true;
          else throw new JsonScanError(i, "expected ',' or '}'");
          break;
        default:
          throw new JsonScanError(i, 'data after the top-level object');
      }
      if (closing) {
        if (depth === 1) {
          st = DONE;
          depth = 0;
          continue;
        }
        // The end of a top-level member's object value.
        depth = 1;
        cur!.end = i + 1;
        cur!.childCount = nc / CHILD_FIELDS - cur!.firstChild;
        top.push(cur!);
        cur = null;
        st = COMMA_OR_CLOSE;
        continue;
      }
    }
    if (ended < 0) continue;
    if (depth === 1) {
      top.push({
        keyStart: k1s + 1,
        keyEnd: k1e - 1,
        start: v1s,
        end: ended,
        firstChild: 0,
        childCount: 0,
        childEscapes: false,
      });
    } else {
      if (nc + CHILD_FIELDS > children.length) {
        const bigger = new Int32Array(children.length * 2);
        bigger.set(children);
        children = bigger;
      }
      children[nc] = k2s + 1;
      children[nc + 1] = k2e - 1;
      children[nc + 2] = v2s;
      children[nc + 3] = ended;
      children[nc + 4] = h2;
      nc += CHILD_FIELDS;
    }
    st = COMMA_OR_CLOSE;
  }
  if (st !== DONE) throw new JsonScanError(n, inString ? 'unterminated string' : 'unexpected end of input');
  return { top, children: children.subarray(0, nc) };
}
