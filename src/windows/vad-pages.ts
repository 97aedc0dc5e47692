import { classifyWindowsPte, newPteInfo, PageState, PteFlag, type PteInfo } from '../translate/index.js';
import type { VirtualSpace } from '../translate/types.js';
import type { WinContext } from './context.js';
import type { WinVad } from './vads.js';

const PAGE = 4096;

/**
 * One character per page of a VAD range:
 * V valid, T transition (still in RAM), P read through a prototype PTE (the PTE's or, for untouched views, the
 * VAD's FirstPrototypePte), F in a page file, Z demand-zero, S only in the mapped file on disk (subsection),
 * p prototype PTE unreadable, ? page table not in the dump, - not mapped.
 */
export const VAD_PAGE_LEGEND: Record<string, string> = {
  V: 'valid',
  T: 'transition',
  P: 'prototype-resolved',
  F: 'pagefile',
  Z: 'demand-zero',
  S: 'subsection',
  p: 'prototype-unresolved',
  '?': 'table-missing',
  '-': 'unmapped',
};

export interface VadPage {
  /** Legend character (see VAD_PAGE_LEGEND). */
  state: string;
  /** Physical address of the page's data, or -1 when nothing can be read. */
  phys: number;
}

/**
 * Resolves the pages of a VAD through the process's page tables. For mapped and image views, a page the process
 * has not touched (zero PTE, "use the VAD" prototype marker, missing page table) is looked up in the view's
 * prototype PTEs from FirstPrototypePte: that is where Windows itself finds it.
 */
export class VadPageResolver {
  private readonly info: PteInfo = newPteInfo();
  private readonly proto: PteInfo = newPteInfo();
  private readonly pteSize: number;

  constructor(
    private readonly ctx: WinContext,
    private readonly space: VirtualSpace,
  ) {
    this.pteSize = space.arch === 'x86' ? 4 : 8;
  }

  page(vad: WinVad, index: number, out: VadPage): void {
    const va = vad.start - (vad.start % PAGE) + index * PAGE;
    const i = this.info;
    this.space.translate(va, i);
    out.phys = -1;
    switch (i.state) {
      case PageState.Valid:
        out.state = i.flags & PteFlag.ViaPrototype ? 'P' : 'V';
        out.phys = i.phys - (i.phys % PAGE);
        return;
      case PageState.Transition:
        out.state = i.flags & PteFlag.ViaPrototype ? 'P' : 'T';
        out.phys = i.phys - (i.phys % PAGE);
        return;
      case PageState.PageFile:
        out.state = 'F';
        return;
      case PageState.DemandZero:
        out.state = 'Z';
        return;
      case PageState.Subsection:
        out.state = 'S';
        return;
      default:
        break;
    }
    out.state = i.state === PageState.Prototype ? 'p' : i.state === PageState.TableMissing ? '?' : '-';
    if (vad.kind !== 'private' && vad.firstPrototypePte) this.viaVad(vad, index, out);
  }

  /** The view's own prototype PTE for page `index`, bounded by LastContiguousPte. */
  private viaVad(vad: WinVad, index: number, out: VadPage): void {
    const pa = vad.firstPrototypePte + index * this.pteSize;
    if (vad.lastContiguousPte && pa > vad.lastContiguousPte) return;
    const k = this.ctx.kernel;
    const lo = k.readU32(pa);
    const hi = this.pteSize === 8 ? k.readU32(pa + 4) : 0;
    if (lo < 0 || hi < 0) return;
    const p = this.proto;
    classifyWindowsPte(this.space.arch, lo, hi, p, true);
    if (p.state === PageState.Valid || p.state === PageState.Transition) {
      out.state = 'P';
      out.phys = p.phys - (p.phys % PAGE);
    } else if (p.state === PageState.Subsection) out.state = 'S';
    else if (p.state === PageState.PageFile) out.state = 'F';
    else if (p.state === PageState.DemandZero) out.state = 'Z';
  }
}
