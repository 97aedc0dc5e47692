/**
 * memdig's library API: the CLI is built on exactly these entry points. See README.md ("Library API") for an
 * example that opens a dump, lists processes and writes them to a case database.
 */

// Registers the Windows detector with detectOs (the CLI does the same).
import './windows/detect.js';

// Event logs: parsers and carvers, usable on their own on a file or a byte range.
export { carveEvtRecords, EvtRecordCarver } from './evtlog/evt/carve.js';
export { type EvtLog, parseEvt, readEvtFile } from './evtlog/evt/parse.js';
export type { EvtRecord } from './evtlog/evt/record.js';
export { type CarveResult, carveEvtx, EvtxCarver } from './evtlog/evtx/carve.js';
export { type EvtxLog, type EvtxRecord, parseEvtx, parseEvtxFile } from './evtlog/evtx/parser.js';
export { repairEvtx } from './evtlog/evtx/repair.js';
// File recovery.
export { extractAnonArea, extractCachedFile, extractProcessView } from './extract/linux-files.js';
export { OutputNames } from './extract/safe-name.js';
// Linux.
export { LinuxKernel } from './linux/kernel.js';
export { type LinuxVma, listVmas } from './linux/maps.js';
export { type OpenLinuxOptions, openLinuxKernel } from './linux/open.js';
export { type CachedFile, listCachedFiles } from './linux/pagecache.js';
export { type FoundTask, mergeTasks, scanTasks } from './linux/taskmerge.js';
export { type LinuxTask, listTasks } from './linux/tasks.js';
export { type ScannedTask, TaskScanner } from './linux/taskscan.js';
// Operating system detection.
export { detectOs, type OsDetection } from './os/detect.js';
// Output: the same rows the CLI writes, in any format, or into a SQLite case database.
export { type FormatOptions, Output } from './output/options.js';
export type { Artefact, Column, OutputFormat, Row, RowSink } from './output/render.js';
export { RowWriter } from './output/render.js';
export { CaseDatabase, type DumpRecord } from './output/sqlite.js';
// Dumps: physical memory containers and minidumps.
export type { PhysicalMemory, PhysRange } from './sources/index.js';
export { type OpenedDump, openDump, openPhysical } from './sources/index.js';
export type { PageState, PteInfo, VirtualSpace } from './translate/types.js';
export { ExitCode, FormatError, MemdigError, Warnings } from './util/errors.js';
// Windows.
export type { WinContext } from './windows/context.js';
export { type ExtractedFile, extractFileObject } from './windows/extract-files.js';
export { FileObjectReader, scanFileObjects, type WinFileObject } from './windows/file-object.js';
export { identifyWindows, identifyWindowsAsync } from './windows/identify.js';
export { listProcesses, mergeProcesses, scanProcesses, type WinProcess } from './windows/processes.js';
export { VadReader, type WinVad } from './windows/vads.js';
