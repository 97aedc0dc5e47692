import { registerOsDetector } from '../os/detect.js';
import { CrashDumpMemory } from '../sources/crashdump.js';
import { ElfMemory } from '../sources/elf.js';
import { findDtbCandidates } from './dtb-scan.js';

/**
 * Cheap Windows detection for `detectOs`: a Windows crash-dump header, or a page-table root with the self-map
 * Windows keeps (found by a bounded physical scan). ELF dumps carrying a Linux VMCOREINFO are left to Linux.
 */
registerOsDetector((mem) => {
  if (mem instanceof CrashDumpMemory) {
    return {
      os: 'windows',
      description: `Windows build ${mem.header.minorVersion}`,
      foundVia: 'crash dump header',
    };
  }
  if (mem instanceof ElfMemory && mem.vmcoreinfo()) return null;
  const c = findDtbCandidates(mem, 1)[0];
  return c ? { os: 'windows', description: `Windows (${c.mode})`, foundVia: c.method } : null;
});
