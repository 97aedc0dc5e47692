export { ChunkContext } from './binxml.js';
export { type CarvedChunk, type CarvedRecord, type CarveResult, carveEvtx } from './carve.js';
export { type EvtxJson, toJson } from './json.js';
export * from './layout.js';
export {
  type ChunkInfo,
  type ChunkStatus,
  type EvtxLog,
  type EvtxOptions,
  type EvtxRecord,
  parseEvtx,
  parseEvtxFile,
} from './parser.js';
export { toXml, type XChild, type XElement } from './render.js';
export { type RepairReport, repairEvtx } from './repair.js';
export { eventStrings } from './strings.js';
