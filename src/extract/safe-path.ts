import { safeComponent } from './safe-name.js';

/**
 * Paths from memory kept as directory trees in the output (`/tmp/a/b` → `tmp/a/b`), each component made safe by
 * `safeComponent`, so `..`, absolute paths and reserved names cannot escape or clash.
 */
export function safeRelativePath(p: string): string {
  const parts = p.split('/').filter((x) => x !== '');
  if (parts.length === 0) return '%2F';
  return parts.map(safeComponent).join('/');
}

/** Unique relative paths inside one output folder; a repeated (or case-only different) path gets `~N`. */
export class SafeNamer {
  private readonly used = new Set<string>();

  name(wanted: string, suffix = ''): string {
    const base = safeRelativePath(wanted);
    let cand = base + suffix;
    for (let n = 2; this.used.has(cand.toLowerCase()); n++) cand = `${base}~${n}${suffix}`;
    this.used.add(cand.toLowerCase());
    return cand;
  }
}
