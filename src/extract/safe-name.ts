import { resolve, sep } from 'node:path';

const RESERVED = /[<>:"/\\|?*\x00-\x1f\x7f]/g;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;
const MAX_COMPONENT = 180;

/**
 * Turns a name taken from memory (attacker-influenced) into one safe file-name component: reserved and control
 * characters are %-escaped, dot-only names and device names are defused, length is capped keeping the extension.
 */
export function safeComponent(name: string): string {
  let s = name.replace(RESERVED, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
  if (/^\.+$/.test(s) || s === '') s = s.replace(/\./g, '%2E') || '_';
  if (WINDOWS_DEVICE.test(s)) s = `_${s}`;
  if (s.endsWith('.') || s.endsWith(' ')) s = `${s.slice(0, -1)}_`;
  if (s.length > MAX_COMPONENT) {
    const dot = s.lastIndexOf('.');
    const ext = dot > 0 && s.length - dot <= 16 ? s.slice(dot) : '';
    s = s.slice(0, MAX_COMPONENT - ext.length) + ext;
  }
  return s;
}

/** The last component of a Windows or POSIX path from memory, made safe. */
export function safeBaseName(path: string): string {
  const parts = path.split(/[\\/]/).filter((p) => p !== '');
  return safeComponent(parts[parts.length - 1] ?? 'unnamed');
}

/**
 * Hands out unique, safe paths inside one output folder: the same name twice gets `-2`, `-3` ... before the
 * extension, and every result is checked to stay inside the folder.
 */
export class OutputNames {
  private readonly used = new Set<string>();
  private readonly root: string;

  constructor(dir: string) {
    this.root = resolve(dir);
  }

  /** A fresh path for `name` (one component; made safe here). */
  take(name: string): string {
    const safe = safeComponent(name);
    const dot = safe.lastIndexOf('.');
    const stem = dot > 0 ? safe.slice(0, dot) : safe;
    const ext = dot > 0 ? safe.slice(dot) : '';
    let candidate = safe;
    for (let i = 2; this.used.has(candidate.toLowerCase()); i++) candidate = `${stem}-${i}${ext}`;
    this.used.add(candidate.toLowerCase());
    const full = resolve(this.root, candidate);
    if (!full.startsWith(this.root + sep)) throw new Error(`unsafe output name ${JSON.stringify(name)}`);
    return full;
  }
}
