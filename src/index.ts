/**
 * memdig's library API: the CLI is built on exactly these entry points.
 *
 *   import { openPhysical } from 'memdig';
 *   const mem = openPhysical('dump.raw');
 */

export { Output } from './output/options.js';
export type { Artefact, Column, Row } from './output/render.js';
export { CaseDatabase } from './output/sqlite.js';
export type { PhysicalMemory, PhysRange } from './sources/index.js';
export { openPhysical } from './sources/index.js';
export type { PageState, PteInfo, VirtualSpace } from './translate/types.js';
export { ExitCode, FormatError, MemdigError, Warnings } from './util/errors.js';
