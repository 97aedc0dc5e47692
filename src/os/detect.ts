import { ElfMemory } from '../sources/elf.js';
import type { PhysicalMemory } from '../sources/source.js';

export interface OsDetection {
  os: 'linux' | 'windows';
  /** "Linux 6.1.0-56-amd64" */
  description: string;
  /** "VMCOREINFO note", "VMCOREINFO in RAM at 0x…", "linux_banner at 0x…" */
  foundVia: string;
}

/** A detector for one OS family; cheap checks first (notes, headers), scans last. */
export type OsDetector = (mem: PhysicalMemory) => OsDetection | null;

const detectors: OsDetector[] = [];

/** Windows (crash-dump headers, KDBG scan) registers here when it lands. */
export function registerOsDetector(d: OsDetector): void {
  detectors.push(d);
}

/** Which OS the dump holds, or null. */
export function detectOs(mem: PhysicalMemory): OsDetection | null {
  return detectRegistered(mem) ?? detectLinux(mem);
}

/**
 * Only the registered (non-Linux) detectors: Linux commands ask this first and then run the full Linux discovery,
 * which finds VMCOREINFO itself, so a raw dump is not scanned twice.
 */
export function detectRegistered(mem: PhysicalMemory): OsDetection | null {
  for (const d of detectors) {
    const r = d(mem);
    if (r) return r;
  }
  return null;
}

const SCAN_BLOCK = 1 << 22;

/** Linux: a VMCOREINFO note, else VMCOREINFO text in RAM, else the `Linux version ` banner. */
export function detectLinux(mem: PhysicalMemory): OsDetection | null {
  if (mem instanceof ElfMemory) {
    const v = mem.vmcoreinfo();
    const rel = v ? /^OSRELEASE=(.+)$/m.exec(v)?.[1] : undefined;
    if (rel) return { os: 'linux', description: `Linux ${rel}`, foundVia: 'VMCOREINFO note' };
  }
  const vi = Buffer.from('OSRELEASE=');
  const banner = Buffer.from('Linux version ');
  const buf = Buffer.alloc(SCAN_BLOCK + 256);
  let bannerHit: OsDetection | null = null;
  for (const r of mem.ranges) {
    for (let a = r.start; a < r.end; a += SCAN_BLOCK) {
      const n = Math.min(SCAN_BLOCK + 256, r.end - a);
      mem.read(a, buf, 0, n);
      const view = buf.subarray(0, n);
      for (let i = view.indexOf(vi); i >= 0 && i < SCAN_BLOCK; i = view.indexOf(vi, i + 1)) {
        const text = view.subarray(i, Math.min(n, i + 256)).toString('latin1');
        const m = /^OSRELEASE=([\x21-\x7e]+)\n/.exec(text);
        if (m && (i === 0 || view[i - 1] === 0 || view[i - 1] === 0x0a) && text.includes('\nPAGESIZE=')) {
          return {
            os: 'linux',
            description: `Linux ${m[1]}`,
            foundVia: `VMCOREINFO in RAM at 0x${(a + i).toString(16)}`,
          };
        }
      }
      if (!bannerHit) {
        const i = view.indexOf(banner);
        if (i >= 0 && i < SCAN_BLOCK) {
          const m = /^Linux version ([\x21-\x7e]+) \(/.exec(view.subarray(i, i + 200).toString('latin1'));
          if (m)
            bannerHit = {
              os: 'linux',
              description: `Linux ${m[1]}`,
              foundVia: `linux_banner at 0x${(a + i).toString(16)}`,
            };
        }
      }
    }
  }
  return bannerHit;
}
