export {
  canonicalToNumber,
  formatCanonical,
  fromBigInt,
  isHighHalf,
  isLa57OnlyPointer,
  parseAddress,
  toBigInt,
  VA48_LIMIT,
} from './address.js';
export { archFromCr4, assertFourLevelPaging, cr3FromHalves, createSpace, dtbFromCr3 } from './create.js';
export { classifyLinuxPte } from './linux-pte.js';
export { PagedSpace } from './space.js';
export type { PagingArch, PteInfo, SpaceOptions, VirtualSpace } from './types.js';
export { newPteInfo, PageState, PageStateName, PteFlag } from './types.js';
export {
  classifyWindowsPte,
  PROTO_USE_VAD,
  prototypeAddress,
  type WindowsPteLayout,
  windowsPteLayout,
} from './windows-pte.js';
