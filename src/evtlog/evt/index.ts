export { buildEofRecord, buildEvtHeader, buildEvtLog, buildEvtRecord, type EvtRecordSpec } from './build.js';
export { carveEvtRecords, type EvtCarveOptions, EvtRecordCarver } from './carve.js';
export {
  type EvtEofRecord,
  type EvtHeader,
  HeaderFlags,
  parseEofRecordAt,
  parseEvtHeader,
} from './format.js';
export { type EvtLog, type EvtParseOptions, parseEvt, readEvtFile } from './parse.js';
export { type EvtRecord, eventTypeName, posixToIso } from './record.js';
export { sidToString } from './sid.js';
