import type { PhysicalMemory } from '../sources/source.js';

/**
 * Finding the kernel's page-table root (DTB) in a raw physical image with no profile: the x64 low stub first, then
 * the self-referencing entries every Windows kernel keeps in its top-level table. Candidates only: the caller
 * validates each one by translating known addresses (KUSER_SHARED_DATA) before trusting it.
 */

export type PagingMode = 'x86' | 'pae' | 'x64';

export interface DtbCandidate {
  mode: PagingMode;
  dtb: number;
  /** How it was found, for `memdig info`. */
  method: string;
  /** x64 low stub: the kernel entry point (LmTarget), a hint for the kernel base search. */
  kernelHint?: number;
  /** x64 low stub: CR4 (LA57 = bit 12 says 5-level paging). */
  cr4?: number;
  /** x64 self-map index (0x1ED before Windows 10 1607, random after). */
  selfRefIndex?: number;
}

const PAGE = 4096;

/** Reads a page into `buf`; false when any of it is absent. */
function page(mem: PhysicalMemory, pa: number, buf: Uint8Array): boolean {
  return mem.read(pa, buf, 0, PAGE) === PAGE;
}

/** x64 `_PROCESSOR_START_BLOCK` in the first MiB (real hardware; often absent in VMs). */
export function findLowStub(mem: PhysicalMemory): DtbCandidate | null {
  const buf = new Uint8Array(PAGE);
  const dv = new DataView(buf.buffer);
  for (let pa = 0x1000; pa < 0xa0000; pa += PAGE) {
    if (!page(mem, pa, buf)) continue;
    // Jmp opcode E9, CompletionFlag = 1 (the QWORD masked with 0xFFFFFFFFFFFF00FF == 0x00000001000600E9).
    if (buf[0] !== 0xe9 || dv.getUint16(2, true) !== 0x0006 || dv.getUint32(4, true) !== 1) continue;
    const lmLo = dv.getUint32(0x70, true);
    const lmHi = dv.getUint32(0x74, true);
    // LmTarget & 0xFFFFF80000000003 == 0xFFFFF80000000000: a kernel address in the top 8 TiB, 4-byte aligned.
    if ((lmHi & 0xfffff800) >>> 0 !== 0xfffff800 || (lmLo & 3) !== 0) continue;
    const cr3Lo = dv.getUint32(0xa0, true);
    const cr3Hi = dv.getUint32(0xa4, true);
    if ((cr3Lo & 0xfff) !== 0 || cr3Hi > 0xff) continue;
    const dtb = cr3Hi * 2 ** 32 + cr3Lo;
    if (dtb === 0) continue;
    const cr4 = dv.getUint32(0xa8, true);
    return {
      mode: 'x64',
      dtb,
      method: `x64 low stub (_PROCESSOR_START_BLOCK) at physical 0x${pa.toString(16)}`,
      kernelHint: (lmHi & 0xffff) * 2 ** 32 + lmLo,
      cr4,
    };
  }
  return null;
}

/** The scan windows, most likely first: recent Windows puts its DTB near 0x1a0000, older ones within 16 MiB. */
function scanWindows(mem: PhysicalMemory): [number, number][] {
  const w: [number, number][] = [
    [0x150000, 0x2a0000],
    [0x650000, 0x6f0000],
    [0, 0x1000000],
    [0x1000000, mem.maxAddress],
  ];
  return w
    .filter(([s, e]) => s < Math.min(e, mem.maxAddress))
    .map(([s, e]) => [s, Math.min(e, mem.maxAddress)]);
}

/** x64 PML4 self-map: exactly one entry in the kernel half pointing back at the page itself. */
export function isX64Pml4(buf: Uint8Array, pa: number, maxPa: number): number {
  const dv = new DataView(buf.buffer, buf.byteOffset, PAGE);
  let selfIndex = -1;
  let kernelPresent = 0;
  let zeros = 0;
  for (let i = 0x100; i < 0x200; i++) {
    const lo = dv.getUint32(i * 8, true);
    const hi = dv.getUint32(i * 8 + 4, true);
    if (lo === 0 && hi === 0) {
      zeros++;
      continue;
    }
    if ((lo & 1) === 0) continue;
    const target = (hi & 0xfffff) * 2 ** 32 + (lo & 0xfffff000) - 0;
    // A self-map entry is present + writable + supervisor with no large-page bit.
    if (target === pa && (lo & 0x83) === 0x03) {
      if (selfIndex >= 0) return -1;
      selfIndex = i;
    } else if ((lo & 0x80) !== 0) return -1; // PS in a PML4 entry is reserved: not a PML4.
    if (target >= maxPa && target !== pa) return -1;
    kernelPresent++;
  }
  if (selfIndex < 0 || kernelPresent < 2 || zeros < 0x40) return -1;
  // The user half must look like a table too: no large-page bits, targets inside the image.
  for (let i = 0; i < 0x100; i++) {
    const lo = dv.getUint32(i * 8, true);
    if ((lo & 1) === 0) continue;
    if ((lo & 0x80) !== 0) return -1;
    const hi = dv.getUint32(i * 8 + 4, true);
    if ((hi & 0xfffff) * 2 ** 32 + (lo & 0xfffff000) >= maxPa) return -1;
  }
  return selfIndex;
}

/** x86 non-PAE page directory: PDE 0x300 maps the directory itself (page tables at 0xC0000000). */
export function isX86PageDirectory(buf: Uint8Array, pa: number, maxPa: number): boolean {
  const dv = new DataView(buf.buffer, buf.byteOffset, PAGE);
  const self = dv.getUint32(0x300 * 4, true);
  if ((self & 0xfffff003) >>> 0 !== pa + 3) return false;
  let kernel = 0;
  for (let i = 0x200; i < 0x400; i++) {
    const e = dv.getUint32(i * 4, true);
    if ((e & 1) === 0) continue;
    // Large (4 MiB) pages are fine in the kernel half; targets must be inside the image.
    const target = (e & 0x80) !== 0 ? (e & 0xffc00000) >>> 0 : (e & 0xfffff000) >>> 0;
    if (target >= maxPa) return false;
    if (i !== 0x300) kernel++;
  }
  return kernel >= 2;
}

/**
 * x86 PAE: the fourth page directory (covering 0xC0000000-) maps the four page directories at 0xC0600000, so its
 * entries 0..3 point at PD0..PD3 and entry 3 at itself. The PDPT (the DTB) holds the same four pointers.
 */
export function paeDirectories(buf: Uint8Array, pa: number, maxPa: number): number[] | null {
  const dv = new DataView(buf.buffer, buf.byteOffset, PAGE);
  const pds: number[] = [];
  for (let i = 0; i < 4; i++) {
    const lo = dv.getUint32(i * 8, true);
    const hi = dv.getUint32(i * 8 + 4, true);
    if ((lo & 0x81) !== 0x01 || hi > 0xfffff) return null;
    const t = (hi & 0xfffff) * 2 ** 32 + (lo & 0xfffff000);
    if (t >= maxPa) return null;
    pds.push(t);
  }
  if (pds[3] !== pa || new Set(pds).size !== 4) return null;
  return pds;
}

/** Looks for a PDPT holding exactly these four directories: first the 0x4000 below PD0 (Windows' layout), then 16 MiB. */
function findPdpt(mem: PhysicalMemory, pds: number[]): number {
  const want = (buf: Uint8Array, off: number) => {
    const dv = new DataView(buf.buffer, buf.byteOffset);
    for (let i = 0; i < 4; i++) {
      const lo = dv.getUint32(off + i * 8, true);
      const hi = dv.getUint32(off + i * 8 + 4, true);
      if ((lo & 1) !== 1 || (hi & 0xfffff) * 2 ** 32 + (lo & 0xfffff000) !== pds[i]) return false;
    }
    return true;
  };
  const buf = new Uint8Array(PAGE);
  const near = [pds[0]! - 0x1000, pds[0]! - 0x4000, pds[0]! + 0x4000];
  for (const p of near) {
    if (p < 0 || !page(mem, p, buf)) continue;
    for (let off = 0; off < PAGE; off += 32) if (want(buf, off)) return p + off;
  }
  const limit = Math.min(mem.maxAddress, 0x1000000);
  for (let p = 0; p < limit; p += PAGE) {
    if (!page(mem, p, buf)) continue;
    for (let off = 0; off < PAGE; off += 32) if (want(buf, off)) return p + off;
  }
  return -1;
}

/**
 * Every DTB candidate in scan order (low stub, then self-map scans over the likely windows), at most `max`.
 * Bounded: each page is read once per window, so a scan costs one pass over at most the whole image.
 */
export function findDtbCandidates(mem: PhysicalMemory, max = 16): DtbCandidate[] {
  const out: DtbCandidate[] = [];
  const stub = findLowStub(mem);
  if (stub) out.push(stub);
  const scanned: [number, number][] = [];
  const buf = new Uint8Array(PAGE);
  const maxPa = mem.maxAddress;
  for (const [start, end] of scanWindows(mem)) {
    for (let pa = start; pa < end && out.length < max; pa += PAGE) {
      if (scanned.some(([s, e]) => pa >= s && pa < e)) continue;
      if (!page(mem, pa, buf)) continue;
      // One page can pass two tests: an x86 directory's PDE 0x300 is where an x64 PML4's entry 0x180 would be.
      // Keep every reading; validation (KUSER_SHARED_DATA, the kernel image) picks the real one.
      if (isX86PageDirectory(buf, pa, maxPa)) {
        out.push({
          mode: 'x86',
          dtb: pa,
          method: 'x86 page directory self-map at PDE 0x300 (physical scan)',
        });
      }
      const idx = isX64Pml4(buf, pa, maxPa);
      if (idx >= 0) {
        out.push({
          mode: 'x64',
          dtb: pa,
          method: `x64 PML4 self-map at index 0x${idx.toString(16)} (physical scan)`,
          selfRefIndex: idx,
        });
      }
      const pds = paeDirectories(buf, pa, maxPa);
      if (pds) {
        const pdpt = findPdpt(mem, pds);
        if (pdpt >= 0) {
          out.push({
            mode: 'pae',
            dtb: pdpt,
            method: 'x86 PAE page-directory self-map at 0xC0600000 (physical scan)',
          });
        }
      }
    }
    scanned.push([start, end]);
    if (out.length > (stub ? 1 : 0)) break;
  }
  return out;
}
