import type { FilePageMap } from '../extract/recovered-file.js';
import { ptr64At } from '../symbols/layout.js';
import { newPteInfo, PageState } from '../translate/types.js';
import { isKernelAddress, type WinContext } from './context.js';

const VIEW = 0x40000; // 256 KiB cache views (VACB_MAPPING_GRANULARITY)
const VACB_ARRAY = 128;
const MAX_VACBS = 1 << 16; // 16 GiB of cached file

export interface CacheResult {
  sharedCacheMap: number;
  fileSize: number;
  sectionSize: number;
  validDataLength: number;
  vacbs: number;
  resident: number;
}

/** Unsigned 64-bit size or offset; -1 when above 2^53 (absurd for a file). */
function u64(b: Uint8Array, o: number): number {
  const dv = new DataView(b.buffer, b.byteOffset);
  const hi = dv.getUint32(o + 4, true);
  return hi > 0x1fffff ? -1 : hi * 2 ** 32 + dv.getUint32(o, true);
}

/**
 * Reads the cache manager's views of a file (_SHARED_CACHE_MAP → VACBs → 256 KiB system-cache views) into `map`
 * at their file offsets. Each VACB must point back at this shared cache map, and its file offset must fall at a
 * view boundary, before its pages are taken.
 */
export function readCachePages(ctx: WinContext, scm: number, map: FilePageMap): CacheResult | null {
  const p = ctx.profile;
  const k = ctx.kernel;
  const ps = p.pointerSize;
  const S = p.struct('_SHARED_CACHE_MAP');
  const V = p.struct('_VACB');
  const warn = (m: string) => ctx.warnings.add(`shared cache map 0x${scm.toString(16)}: ${m}`);
  const hdr = new Uint8Array(S.size);
  if (k.read(scm, hdr, 0, S.size) < S.size) {
    warn('unreadable');
    return null;
  }
  const fileSize = u64(hdr, S.offsetOf('FileSize'));
  const sectionSize = u64(hdr, S.offsetOf('SectionSize'));
  const validDataLength = u64(hdr, S.offsetOf('ValidDataLength'));
  if (fileSize < 0 || sectionSize < 0 || sectionSize > MAX_VACBS * VIEW) {
    warn(`implausible sizes (FileSize ${fileSize}, SectionSize ${sectionSize})`);
    return null;
  }
  const result: CacheResult = {
    sharedCacheMap: scm,
    fileSize,
    sectionSize,
    validDataLength,
    vacbs: 0,
    resident: 0,
  };
  const initial = S.offsetOf('InitialVacbs');
  const vacbsPtr = p.readPointer(k, scm + S.offsetOf('Vacbs'));
  const views = Math.ceil(sectionSize / VIEW);
  const vacbList: number[] = [];
  const ptrAt = (b: Uint8Array, o: number) =>
    ps === 8 ? ptr64At(b, o) : new DataView(b.buffer, b.byteOffset).getUint32(o, true);
  if (!Number.isFinite(vacbsPtr) || vacbsPtr === 0 || vacbsPtr === scm + initial || sectionSize <= 4 * VIEW) {
    for (let i = 0; i < 4; i++) vacbList.push(ptrAt(hdr, initial + i * ps));
  } else if (sectionSize <= VACB_ARRAY * VIEW) {
    // Flat array of pointers, one per view (files up to 32 MiB).
    const arr = new Uint8Array(views * ps);
    k.read(vacbsPtr, arr, 0, arr.length);
    for (let i = 0; i < views; i++) vacbList.push(ptrAt(arr, i * ps));
  } else {
    collectTree(ctx, vacbsPtr, scm, V.offsetOf('SharedCacheMap'), vacbList, warn);
  }
  const vBase = V.offsetOf('BaseAddress');
  const vScm = V.offsetOf('SharedCacheMap');
  const vOff = V.offsetOf('Overlay');
  const vb = new Uint8Array(V.size);
  const info = newPteInfo();
  const seen = new Set<number>();
  for (const vacb of vacbList) {
    if (!vacb || !isKernelAddress(vacb, ps) || seen.has(vacb)) continue;
    seen.add(vacb);
    if (k.read(vacb, vb, 0, V.size) < V.size) continue;
    if (ptrAt(vb, vScm) !== scm) continue;
    const base = ptrAt(vb, vBase);
    const rawOff = u64(vb, vOff);
    if (!base || rawOff < 0) continue;
    // The low 16 bits of Overlay hold ActiveCount; the file offset is the rest.
    const fileOffset = rawOff - (rawOff % 0x10000);
    if (fileOffset % VIEW !== 0 || fileOffset >= sectionSize + VIEW) {
      warn(`VACB 0x${vacb.toString(16)} has file offset 0x${fileOffset.toString(16)} off the view grid`);
      continue;
    }
    result.vacbs++;
    for (let off = 0; off < VIEW && fileOffset + off < Math.max(sectionSize, fileSize); off += 4096) {
      k.translate(base + off, info);
      const st = info.state;
      if (
        (st === PageState.Valid || st === PageState.Transition) &&
        info.phys >= 0 &&
        info.phys < ctx.mem.maxAddress
      ) {
        result.resident++;
        map.set(fileOffset + off, {
          source: 'shared-cache-map',
          state: st === PageState.Valid ? 'valid' : 'transition',
          phys: info.phys - (info.phys % 4096),
        });
      } else {
        const state =
          st === PageState.PageFile
            ? 'pagefile'
            : st === PageState.DemandZero
              ? 'demand-zero'
              : st === PageState.TableMissing
                ? 'unreadable'
                : 'not-mapped';
        map.set(fileOffset + off, { source: 'shared-cache-map', state, phys: -1 });
      }
    }
  }
  return result;
}

/** Large files: a sparse tree of 128-pointer arrays; an entry pointing back at the SCM through +SharedCacheMap is a VACB. */
function collectTree(
  ctx: WinContext,
  root: number,
  scm: number,
  vacbScmOff: number,
  out: number[],
  warn: (m: string) => void,
): void {
  const p = ctx.profile;
  const k = ctx.kernel;
  const ps = p.pointerSize;
  const seen = new Set<number>();
  const stack: { addr: number; depth: number }[] = [{ addr: root, depth: 0 }];
  const arr = new Uint8Array(VACB_ARRAY * ps);
  while (stack.length) {
    const { addr, depth } = stack.pop()!;
    if (seen.has(addr) || depth > 8) continue;
    seen.add(addr);
    if (seen.size > 65536) {
      warn('VACB tree too large; rest ignored');
      return;
    }
    if (k.read(addr, arr, 0, arr.length) < arr.length) continue;
    for (let i = 0; i < VACB_ARRAY; i++) {
      const e = ps === 8 ? ptr64At(arr, i * 8) : new DataView(arr.buffer).getUint32(i * 4, true);
      if (!e || e < 0 || !isKernelAddress(e, ps)) continue;
      if (p.readPointer(k, e + vacbScmOff) === scm) out.push(e);
      else stack.push({ addr: e, depth: depth + 1 });
    }
    if (out.length > MAX_VACBS) return;
  }
}
