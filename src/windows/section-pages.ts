import type { FilePageMap } from '../extract/recovered-file.js';
import type { Accessor } from '../symbols/layout.js';
import { classifyWindowsPte } from '../translate/index.js';
import { newPteInfo, PageState } from '../translate/types.js';
import { isKernelAddress, type WinContext } from './context.js';

const MAX_SUBSECTIONS = 4096;
const MAX_PTES_PER_SUBSECTION = 1 << 22; // 16 GiB of file per subsection: far beyond any real mapping

/** Result of reading one control area's prototype PTEs into a page map. */
export interface SectionResult {
  controlArea: number;
  image: boolean;
  subsections: number;
  ptes: number;
  resident: number;
  /** Size implied by the segment (SizeOfSegment), or -1. */
  segmentSize: number;
}

const STATE_NAMES: Record<number, string> = {
  [PageState.Valid]: 'valid',
  [PageState.Transition]: 'transition',
  [PageState.Prototype]: 'prototype',
  [PageState.DemandZero]: 'demand-zero',
  [PageState.PageFile]: 'pagefile',
  [PageState.Unmapped]: 'unmapped',
  [PageState.TableMissing]: 'unreadable',
};

/** Offsets of the control-area family, resolved once per profile. */
class SectionLayout {
  readonly caSize: number;
  readonly caSegment: number;
  readonly caImage: Accessor;
  readonly ssControlArea: number;
  readonly ssBase: number;
  readonly ssPtes: number;
  readonly ssNext: number;
  readonly ssStartingSector: number;
  readonly ssFullSectors: number;
  readonly ssEndOffset: Accessor | null;
  readonly segControlArea: number;
  readonly segSize: number;

  constructor(ctx: WinContext) {
    const p = ctx.profile;
    const ca = p.struct('_CONTROL_AREA');
    const ss = p.struct('_SUBSECTION');
    const seg = p.struct('_SEGMENT');
    this.caSize = ca.size;
    this.caSegment = ca.offsetOf('Segment');
    this.caImage = ca.accessor('u.Flags.Image');
    this.ssControlArea = ss.offsetOf('ControlArea');
    this.ssBase = ss.offsetOf('SubsectionBase');
    this.ssPtes = ss.offsetOf('PtesInSubsection');
    this.ssNext = ss.offsetOf('NextSubsection');
    this.ssStartingSector = ss.offsetOf('StartingSector');
    this.ssFullSectors = ss.offsetOf('NumberOfFullSectors');
    this.ssEndOffset = ss.tryAccessor('u.SubsectionFlags.SectorEndOffset');
    this.segControlArea = seg.offsetOf('ControlArea');
    this.segSize = seg.offsetOf('SizeOfSegment');
  }
}

const layouts = new WeakMap<WinContext, SectionLayout>();

function layoutOf(ctx: WinContext): SectionLayout {
  let l = layouts.get(ctx);
  if (!l) {
    l = new SectionLayout(ctx);
    layouts.set(ctx, l);
  }
  return l;
}

/**
 * Reads a data or image section's pages (control area → subsections → prototype PTE arrays, read through the
 * kernel's address space) into `map` at their file offsets. Valid and transition PTEs give resident pages; every
 * other state is recorded as why the page is missing. Hostile chains (cycles, absurd counts) end with a warning.
 */
export function readSectionPages(
  ctx: WinContext,
  controlArea: number,
  source: 'data-section' | 'image-section',
  map: FilePageMap,
): SectionResult | null {
  const L = layoutOf(ctx);
  const p = ctx.profile;
  const k = ctx.kernel;
  const ps = p.pointerSize;
  const warn = (m: string) => ctx.warnings.add(`control area 0x${controlArea.toString(16)}: ${m}`);
  const segment = p.readPointer(k, controlArea + L.caSegment);
  if (!Number.isFinite(segment) || !isKernelAddress(segment, ps)) {
    warn('segment pointer unreadable');
    return null;
  }
  const back = p.readPointer(k, segment + L.segControlArea);
  if (back !== controlArea) {
    warn(`segment 0x${segment.toString(16)} does not point back at it`);
    return null;
  }
  const sizeBuf = new Uint8Array(8);
  const segmentSize =
    k.read(segment + L.segSize, sizeBuf, 0, 8) === 8
      ? new DataView(sizeBuf.buffer).getUint32(4, true) * 2 ** 32 +
        new DataView(sizeBuf.buffer).getUint32(0, true)
      : -1;
  const image = L.caImage.read(k, controlArea) === 1;
  const unit = image ? 0x200 : 0x1000;
  const pteSize = p.arch === 'x86' ? 4 : 8;
  const info = newPteInfo();
  const pteBuf = new Uint8Array(8 * 512);
  const pdv = new DataView(pteBuf.buffer);
  const result: SectionResult = { controlArea, image, subsections: 0, ptes: 0, resident: 0, segmentSize };
  const seen = new Set<number>();
  let ss = controlArea + L.caSize;
  let lastSector = -1;
  while (ss !== 0) {
    if (seen.has(ss)) {
      warn(`subsection chain loops at 0x${ss.toString(16)}`);
      break;
    }
    if (seen.size >= MAX_SUBSECTIONS) {
      warn(`more than ${MAX_SUBSECTIONS} subsections; rest ignored`);
      break;
    }
    seen.add(ss);
    if (p.readPointer(k, ss + L.ssControlArea) !== controlArea) break;
    const base = p.readPointer(k, ss + L.ssBase);
    const count = Math.max(0, k.readU32(ss + L.ssPtes));
    const sector = Math.max(0, k.readU32(ss + L.ssStartingSector));
    const next = p.readPointer(k, ss + L.ssNext);
    result.subsections++;
    if (count > MAX_PTES_PER_SUBSECTION) {
      warn(`subsection 0x${ss.toString(16)} claims ${count} PTEs; skipped`);
    } else if (Number.isFinite(base) && isKernelAddress(base, ps) && count > 0) {
      if (sector < lastSector) warn(`subsection 0x${ss.toString(16)} starts before the previous one`);
      lastSector = sector;
      const fileBase = sector * unit;
      // An image section can be larger in memory than on disk (.bss, VirtualSize > SizeOfRawData): its pages past
      // the raw data are zero-filled, not file bytes, and their "file offsets" would fall on the next section.
      let filePages = count;
      if (image) {
        const full = k.readU32(ss + L.ssFullSectors);
        const end = L.ssEndOffset ? L.ssEndOffset.read(k, ss) : 0;
        if (full >= 0 && Number.isFinite(end))
          filePages = Math.min(count, Math.ceil((full * unit + end) / 4096));
      }
      for (let i = 0; i < filePages; i += 512) {
        const n = Math.min(512, filePages - i);
        const got = k.read(base + i * pteSize, pteBuf, 0, n * pteSize);
        for (let j = 0; j < n; j++) {
          const off = fileBase + (i + j) * 4096;
          result.ptes++;
          // Past the readable prefix the read zero-filled holes: a PTE there is only real if its page is present
          // (entries are aligned, so their first 4 bytes tell for the whole entry).
          if ((j + 1) * pteSize > got && k.readU32(base + (i + j) * pteSize) < 0) {
            map.set(off, { source, state: 'unreadable', phys: -1 });
            continue;
          }
          const lo = pdv.getUint32(j * pteSize, true);
          const hi = pteSize === 8 ? pdv.getUint32(j * pteSize + 4, true) : 0;
          const st = classifyWindowsPte(p.arch, lo, hi, info, true);
          if (st === PageState.Valid || st === PageState.Transition) {
            if (info.phys >= 0 && info.phys < ctx.mem.maxAddress) {
              result.resident++;
              map.set(off, { source, state: STATE_NAMES[st]!, phys: info.phys });
            } else map.set(off, { source, state: 'beyond-image', phys: -1 });
          } else
            map.set(off, {
              source,
              state: st === PageState.Prototype ? 'file-only' : (STATE_NAMES[st] ?? 'unknown'),
              phys: -1,
            });
        }
      }
    }
    ss = Number.isFinite(next) ? next : 0;
  }
  return result;
}
