/** Symbol tables and typed structure access: the API the OS-analysis layers use. */
export { type BuiltinKernel, builtinIndex, builtinIsf, findBuiltin, nearestBuiltin } from './builtin.js';
export { type IsfDocument, openIsf, parseIsf, readIsfFile, validateIsf } from './isf.js';
export { KDBG_OWNER_TAG } from './kdbg.js';
export { Accessor, bytesReadable, type FieldLayout, type Readable, StructLayout } from './layout.js';
export { type ListWalk, type ListWalkOptions, walkList } from './list.js';
export {
  findExactProfile,
  type LoadProfileOptions,
  loadProfile,
  loadProfileFile,
  nearestProfile,
} from './load.js';
export { formatGuid, kernelExportedGlobals, type PdbInfo, PeImage, parseRsds } from './pe.js';
export { type KernelArch, Profile, readPointer, type TableOrigin } from './profile.js';
export { type ResolveProfileOptions, resolveProfile, type SymbolFetchOptions } from './resolve.js';
export { findTable, readTable, type TableLocation } from './symdirs.js';
export { OBJECT_INFO_MASK, OBJECT_TYPE_NAMES, POOL_TAGS, USED_SYMBOLS, USED_TYPES } from './used.js';
export { StructView } from './view.js';
