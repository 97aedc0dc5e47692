import type { PhysicalMemory } from '../sources/source.js';

/**
 * VMCOREINFO: the `KEY=value` text the kernel builds at boot for crash tools. It sits in the dump's ELF note when
 * QEMU/kdump exported it, and in plain RAM (`vmcoreinfo_data`, `vmcoreinfo_note`) in every dump of a kernel with
 * CONFIG_CRASH_CORE, so it is the cheapest anchor for KASLR and, from 6.0, for kallsyms.
 */
export class VmcoreInfo {
  readonly entries = new Map<string, string>();

  constructor(
    readonly text: string,
    /** Where it came from: 'ELF note', or 'RAM at 0x…'. */
    readonly foundVia: string,
  ) {
    for (const line of text.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) this.entries.set(line.slice(0, eq), line.slice(eq + 1).trim());
    }
  }

  get(key: string): string | undefined {
    return this.entries.get(key);
  }

  /** `SYMBOL(name)` as a 48-bit number (sign-extension bits dropped), or undefined. */
  symbol(name: string): number | undefined {
    const v = this.entries.get(`SYMBOL(${name})`);
    return v === undefined ? undefined : hexVa(v);
  }

  /** `NUMBER(name)` (decimal, may be negative), or undefined. */
  number(name: string): number | undefined {
    const v = this.entries.get(`NUMBER(${name})`);
    if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
    return Number(v);
  }

  offset(structMember: string): number | undefined {
    const v = this.entries.get(`OFFSET(${structMember})`);
    return v === undefined ? undefined : Number(v);
  }

  size(struct: string): number | undefined {
    const v = this.entries.get(`SIZE(${struct})`);
    return v === undefined ? undefined : Number(v);
  }

  get osRelease(): string | undefined {
    return this.entries.get('OSRELEASE');
  }

  /** KERNELOFFSET (hex, no prefix): the virtual KASLR slide of the kernel image. */
  get kernelOffset(): number | undefined {
    const v = this.entries.get('KERNELOFFSET');
    return v === undefined ? undefined : Number.parseInt(v, 16);
  }
}

/** Parses a 64-bit hex VA into a number below 2^48 (x64 canonical form without the sign-extension bits). */
export function hexVa(s: string): number {
  const h = s.replace(/^0x/i, '').padStart(16, '0');
  const hi = Number.parseInt(h.slice(0, 8), 16);
  const lo = Number.parseInt(h.slice(8), 16);
  return (hi & 0xffff) * 0x100000000 + lo;
}

const MAX_TEXT = 16 << 10;

/** Finds VMCOREINFO text in physical memory: `OSRELEASE=` at the start of a line, followed by `PAGESIZE=`. */
export function scanVmcoreInfo(mem: PhysicalMemory): VmcoreInfo | null {
  const needle = Buffer.from('OSRELEASE=');
  const block = 1 << 22;
  const buf = Buffer.alloc(block + 64);
  for (const r of mem.ranges) {
    for (let a = r.start; a < r.end; a += block) {
      const n = Math.min(block + 64, r.end - a);
      mem.read(a, buf, 0, n);
      const view = buf.subarray(0, n);
      let i = view.indexOf(needle);
      while (i >= 0 && i < block) {
        // The text starts the page (vmcoreinfo_data) or follows the note header: accept only at a line start.
        if (i === 0 || view[i - 1] === 0 || view[i - 1] === 0x0a) {
          const text = readCString(mem, a + i, MAX_TEXT);
          if (text.includes('\nPAGESIZE=') && /^OSRELEASE=[\x20-\x7e]+\n/.test(text)) {
            return new VmcoreInfo(text, `RAM at 0x${(a + i).toString(16)}`);
          }
        }
        i = view.indexOf(needle, i + 1);
      }
    }
  }
  return null;
}

function readCString(mem: PhysicalMemory, pa: number, max: number): string {
  const b = new Uint8Array(max);
  mem.read(pa, b, 0, max);
  let end = b.indexOf(0);
  if (end < 0) end = max;
  return Buffer.from(b.subarray(0, end)).toString('latin1');
}
