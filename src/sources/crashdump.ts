import { FormatError, MemdigError } from '../util/errors.js';
import {
  type CrashDumpHeader,
  crashDumpFacts,
  DumpType,
  isCrashDump,
  maxRuns,
  parseCrashDumpHeader,
} from './crashdump-header.js';
import type { ByteSource } from './file-reader.js';
import { registerContainer } from './open.js';
import { SegmentedMemory, SegmentList } from './segmented.js';

const PAGE = 4096;
const FMT = 'Windows crash dump';
/** 2^52 bytes of physical address space = 2^40 page frames: any larger count is corruption. */
const MAX_PFN = 2 ** 40;
const SDMP = 0x504d4453;
const FDMP = 0x504d4446;
const DUMP = 0x504d5544;

/**
 * Windows kernel crash dumps as physical memory: full dumps (PHYSICAL_MEMORY_DESCRIPTOR runs stored one after
 * another after the header) and bitmap dumps (a summary header whose bitmap has one bit per page frame; the pages
 * whose bit is set are stored in frame order from the summary's first-page offset).
 */
export class CrashDumpMemory extends SegmentedMemory {
  constructor(
    file: ByteSource,
    segs: SegmentList,
    readonly header: CrashDumpHeader,
    extra: Record<string, unknown>,
    warnings: string[],
  ) {
    super(
      header.bits === 64 ? 'crashdump64' : 'crashdump32',
      file,
      segs,
      { path: file.path, ...crashDumpFacts(header), ...extra },
      warnings,
    );
  }
}

export function openCrashDump(file: ByteSource): CrashDumpMemory {
  const head = file.bytes(0, 0x2000);
  const h = parseCrashDumpHeader(head);
  const warnings: string[] = [];
  const typeOff = h.bits === 64 ? 0xf98 : 0xf88;
  switch (h.dumpType) {
    case DumpType.Full:
      return new CrashDumpMemory(file, fullDumpRuns(file, h, warnings), h, {}, warnings);
    case DumpType.Kernel:
    case DumpType.BitmapFull:
    case DumpType.BitmapKernel: {
      const { segs, facts } = bitmapRuns(file, h, warnings);
      return new CrashDumpMemory(file, segs, h, facts, warnings);
    }
    case DumpType.HeaderOnly:
    case DumpType.Triage:
      throw new MemdigError(
        `${FMT}: ${file.path || 'input'} is a ${h.dumpTypeName}: it holds no physical memory ` +
          `(only the header, ${h.dumpType === DumpType.Triage ? 'stacks and a few pages' : 'nothing else'}); ` +
          'memdig needs a complete, kernel, bitmap or raw memory dump',
      );
    case DumpType.KernelMemory:
    case DumpType.KernelAndUserMemory:
    case DumpType.CompleteMemory:
      throw new MemdigError(
        `${FMT}: ${file.path || 'input'} is a ${h.dumpTypeName} (the RDMP layout of recent Windows versions): not supported yet; ` +
          'convert it or take a complete (DumpType 1) or bitmap (DumpType 5) dump',
      );
    default:
      throw new FormatError(FMT, typeOff, `DumpType ${h.dumpType}, expected 1 (full) or 2, 5, 6 (bitmap)`);
  }
}

function fullDumpRuns(file: ByteSource, h: CrashDumpHeader, warnings: string[]): SegmentList {
  const descOff = h.bits === 64 ? 0x88 : 0x64;
  const pm = h.physicalMemory;
  if (!pm) throw new FormatError(FMT, descOff, 'full dump without a PHYSICAL_MEMORY_DESCRIPTOR');
  const declared = pm.numberOfRuns;
  if (declared > maxRuns(h.bits)) {
    throw new FormatError(
      FMT,
      descOff,
      `NumberOfRuns ${declared} does not fit in the 700-byte descriptor (at most ${maxRuns(h.bits)})`,
    );
  }
  const runSize = h.bits === 64 ? 16 : 8;
  const runsOff = descOff + (h.bits === 64 ? 16 : 8);
  const segs = new SegmentList();
  let fileOff = h.headerSize;
  let pages = 0;
  let clipped = false;
  pm.runs.forEach((r, i) => {
    if (r.basePage + r.pageCount > MAX_PFN || r.pageCount > MAX_PFN) {
      throw new FormatError(
        FMT,
        runsOff + i * runSize,
        `run ${i} (BasePage 0x${r.basePage.toString(16)}, PageCount 0x${r.pageCount.toString(16)}) ` +
          'lies beyond 2^52 bytes of physical memory',
      );
    }
    const len = r.pageCount * PAGE;
    const have = Math.max(0, Math.min(len, file.size - fileOff));
    if (have < len) clipped = true;
    segs.push(r.basePage * PAGE, have, fileOff);
    fileOff += len;
    pages += r.pageCount;
  });
  if (pages !== pm.numberOfPages) {
    warnings.push(`runs hold ${pages} pages but NumberOfPages says ${pm.numberOfPages}`);
  }
  if (clipped) {
    warnings.push(
      `file is ${file.size} bytes but its runs need ${fileOff}: truncated dump, ` +
        `${Math.max(0, fileOff - Math.max(file.size, h.headerSize))} bytes of memory are missing`,
    );
  }
  if (segs.count === 0)
    throw new FormatError(FMT, h.headerSize, 'no page of memory present (empty or truncated)');
  return segs;
}

/** Bitmap dumps: the bitmap is scanned a word at a time and set bits become runs (never one object per page). */
function bitmapRuns(
  file: ByteSource,
  h: CrashDumpHeader,
  warnings: string[],
): { segs: SegmentList; facts: Record<string, unknown> } {
  const at = h.headerSize;
  const s = file.bytes(at, 0x38);
  if (s.length < 0x38) throw new FormatError(FMT, at, 'file ends inside the summary (bitmap) dump header');
  const dv = new DataView(s.buffer, s.byteOffset, s.byteLength);
  const sig = dv.getUint32(0, true);
  const valid = dv.getUint32(4, true);
  if ((sig !== SDMP && sig !== FDMP) || valid !== DUMP) {
    throw new FormatError(
      FMT,
      at,
      `summary header signature 0x${sig.toString(16)}/0x${valid.toString(16)}, expected 'SDMP' or 'FDMP' + 'DUMP'`,
    );
  }
  const u64 = (o: number) => dv.getUint32(o + 4, true) * 2 ** 32 + dv.getUint32(o, true);
  const firstPage = u64(0x20);
  const presentDeclared = u64(0x28);
  const bits = u64(0x30);
  const bitmapOff = at + 0x38;
  const bitmapBytes = Math.ceil(bits / 8);
  if (bits > MAX_PFN) {
    throw new FormatError(FMT, at + 0x30, `bitmap of ${bits} pages is absurd (more than 2^52 bytes)`);
  }
  if (firstPage < bitmapOff + bitmapBytes || firstPage % PAGE !== 0) {
    throw new FormatError(
      FMT,
      at + 0x20,
      `first page offset 0x${firstPage.toString(16)} must be page-aligned and after the ` +
        `${bitmapBytes}-byte bitmap ending at 0x${(bitmapOff + bitmapBytes).toString(16)}`,
    );
  }
  if (bitmapOff + bitmapBytes > file.size) {
    throw new FormatError(
      FMT,
      file.size,
      `file ends inside the page bitmap (needs 0x${(bitmapOff + bitmapBytes).toString(16)} bytes): truncated`,
    );
  }
  const segs = new SegmentList();
  const chunk = new Uint8Array(1 << 20);
  const cv = new DataView(chunk.buffer);
  let fileOff = firstPage;
  let runStart = -1;
  let set = 0;
  const close = (pfnEnd: number) => {
    const len = (pfnEnd - runStart) * PAGE;
    segs.push(runStart * PAGE, len, fileOff);
    fileOff += len;
    runStart = -1;
  };
  for (let done = 0; done < bitmapBytes; done += chunk.length) {
    const n = Math.min(chunk.length, bitmapBytes - done);
    file.read(bitmapOff + done, chunk, 0, n);
    if (n < chunk.length) chunk.fill(0, n, (n + 3) & ~3);
    const base = done * 8;
    for (let w = 0; w < n; w += 4) {
      let word = cv.getUint32(w, true);
      const pfn0 = base + w * 8;
      // Bits past the declared bitmap length in the last word are not pages.
      if (pfn0 + 32 > bits) word &= bits - pfn0 >= 32 ? 0xffffffff : (2 ** (bits - pfn0) - 1) >>> 0;
      if (word === 0) {
        if (runStart >= 0) close(pfn0);
      } else if (word === 0xffffffff) {
        if (runStart < 0) runStart = pfn0;
        set += 32;
      } else {
        for (let b = 0; b < 32; b++) {
          if ((word >>> b) & 1) {
            if (runStart < 0) runStart = pfn0 + b;
            set++;
          } else if (runStart >= 0) close(pfn0 + b);
        }
      }
    }
  }
  if (runStart >= 0) close(Math.min(bits, bitmapBytes * 8));
  if (set !== presentDeclared) {
    warnings.push(`bitmap has ${set} pages set but the summary header declares ${presentDeclared}`);
  }
  const needed = firstPage + set * PAGE;
  const segsOut = needed > file.size ? clipToFile(segs, file.size, warnings, needed) : segs;
  if (segsOut.count === 0)
    throw new FormatError(FMT, firstPage, 'no page of memory present (empty or truncated)');
  return {
    segs: segsOut,
    facts: {
      summary: `${sig === FDMP ? 'FDMP' : 'SDMP'}, ${set} of ${bits} pages present, first page at 0x${firstPage.toString(16)}`,
    },
  };
}

function clipToFile(segs: SegmentList, size: number, warnings: string[], needed: number): SegmentList {
  const out = new SegmentList();
  for (let i = 0; i < segs.count; i++) {
    const off = segs.fileOffset[i]!;
    const have = Math.min(segs.length[i]!, size - off);
    if (have <= 0) break;
    out.push(segs.phys[i]!, have, off);
  }
  warnings.push(`file is ${size} bytes but its pages need ${needed}: truncated dump, the rest is missing`);
  return out;
}

registerContainer({ name: 'crashdump', matches: (h) => isCrashDump(h), open: openCrashDump });
