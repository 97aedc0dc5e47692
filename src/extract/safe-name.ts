/**
 * File names for output derived from names found in memory (attacker-controlled): no path traversal, no
 * absolute paths, no reserved characters or device names on any common filesystem, bounded length, and no two
 * outputs sharing a name. One `SafeNamer` per output directory.
 */

const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
const MAX_COMPONENT = 150;

/** Escapes one path component: %XX for reserved/control/non-ASCII-printable bytes, and for '%' itself. */
export function escapeComponent(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c === 0x7f || '<>:"/\\|?*%'.includes(ch)) {
      out += `%${c.toString(16).toUpperCase().padStart(2, '0')}`;
    } else out += ch;
  }
  if (out === '' || out === '.' || out === '..') out = out.replace(/\./g, '%2E') || '%00';
  // Windows strips trailing dots and spaces: escape them so names round-trip.
  out = out.replace(/[. ]+$/, (m) =>
    [...m].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join(''),
  );
  if (RESERVED.test(out)) out = `_${out}`;
  if (out.length > MAX_COMPONENT) {
    const h = hash32(out).toString(16).padStart(8, '0');
    out = `${out.slice(0, MAX_COMPONENT - 10)}~${h}`;
  }
  return out;
}

/** A path from memory (`/tmp/a/../b`) as a relative, escaped, single-level-per-component path. */
export function safeRelativePath(p: string): string {
  const parts = p.split('/').filter((x) => x !== '');
  if (parts.length === 0) return '%2F';
  return parts.map(escapeComponent).join('/');
}

export class SafeNamer {
  private readonly used = new Set<string>();

  /** A unique relative path for `wanted` (a path from memory); a suffix `~N` separates collisions. */
  name(wanted: string, suffix = ''): string {
    const base = safeRelativePath(wanted);
    let cand = base + suffix;
    for (let n = 2; this.used.has(cand.toLowerCase()); n++) cand = `${base}~${n}${suffix}`;
    this.used.add(cand.toLowerCase());
    return cand;
  }
}

function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
