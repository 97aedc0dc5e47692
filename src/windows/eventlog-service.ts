import type { WinContext } from './context.js';
import { FileObjectReader, scanFileObjects, type WinFileObject } from './file-object.js';
import { HandleReader } from './handles.js';
import type { WinProcess } from './processes.js';
import { VadReader, type WinVad } from './vads.js';

/**
 * Finding the Event Log service and its log files. The service process is recognised by what it maps, not by its
 * name alone (any process can be called services.exe or svchost.exe): on XP/2003 the EventLog service runs inside
 * services.exe and maps every classic .evt file whole; from Vista on it is wevtsvc.dll inside one svchost.exe that
 * maps the header and current chunk of each .evtx (the rest of each file is read through the cache manager).
 */

export interface EventLogService {
  process: WinProcess;
  /** Human-readable evidence, strongest first. */
  reasons: string[];
  score: number;
  /** Log files this process maps. */
  mappedLogs: string[];
}

/** A log file to extract, and every way it was reached. */
export interface LogFileCandidate {
  fileObject: WinFileObject;
  name: string;
  /** 'evt' or 'evtx', from the name. */
  kind: 'evt' | 'evtx';
  /** How it was found: `vad <pid>`, `pool-scan`, later `handle <pid>`. */
  foundBy: string[];
  /** Processes mapping or holding it (name and pid). */
  processes: string[];
}

const LOG_NAME = /\.(evtx?)$/i;
/** Where Windows keeps its logs: classic logs in system32\config, XML logs in system32\winevt\Logs. */
const LOG_DIR = /\\(winevt\\logs|system32\\config)\\[^\\]+$/i;

export function logKind(name: string | null): 'evt' | 'evtx' | null {
  const m = name ? LOG_NAME.exec(name) : null;
  if (!m) return null;
  return m[1]!.toLowerCase() === 'evtx' ? 'evtx' : 'evt';
}

/** A name that is an event log where Windows keeps them (not a copy a user left in a download folder). */
export function isSystemLogName(name: string | null): boolean {
  return !!name && logKind(name) !== null && LOG_DIR.test(name);
}

function base(name: string | null): string {
  return (name ?? '').split('\\').pop()!.toLowerCase();
}

/**
 * Ranks processes as Event Log service hosts from their VADs (walked once per process, kept in `vadsOf`).
 * Returns candidates with a positive score, best first.
 */
export function rankEventLogHosts(
  processes: readonly WinProcess[],
  vadsOf: (p: WinProcess) => readonly WinVad[],
): EventLogService[] {
  const out: EventLogService[] = [];
  for (const p of processes) {
    const vads = vadsOf(p);
    const evt = new Set<string>();
    const evtx = new Set<string>();
    let wevtsvc = false;
    for (const v of vads) {
      if (v.kind === 'image' && base(v.fileName) === 'wevtsvc.dll') wevtsvc = true;
      // A copy of a log mapped from elsewhere (an analyst's viewer, a collection tool) says nothing of the service.
      if (v.kind !== 'mapped' || !isSystemLogName(v.fileName)) continue;
      const k = logKind(v.fileName);
      if (k === 'evt') evt.add(v.fileName!);
      else if (k === 'evtx') evtx.add(v.fileName!);
    }
    const reasons: string[] = [];
    let score = 0;
    const exe = p.name.toLowerCase();
    if (evt.size) {
      score += 10 + evt.size;
      reasons.push(`maps ${evt.size} classic event log${evt.size > 1 ? 's' : ''} (.evt)`);
      if (exe === 'services.exe') {
        score += 5;
        reasons.push('is services.exe, the XP/2003 EventLog host');
      }
    }
    if (wevtsvc) {
      score += 20;
      reasons.push('has wevtsvc.dll (the Vista+ EventLog service) mapped');
    }
    if (evtx.size) {
      score += 10 + evtx.size;
      reasons.push(`maps ${evtx.size} .evtx log${evtx.size > 1 ? 's' : ''}`);
    }
    if (score > 0 && exe === 'svchost.exe' && (wevtsvc || evtx.size)) {
      score += 2;
      reasons.push('is a svchost.exe, the Vista+ EventLog host');
      if (p.commandLine && /-s\s+eventlog\b/i.test(p.commandLine)) {
        score += 3;
        reasons.push('command line names the EventLog service (-s EventLog)');
      }
    }
    if (score > 0) out.push({ process: p, reasons, score, mappedLogs: [...evt, ...evtx] });
  }
  return out.sort((a, b) => b.score - a.score);
}

/**
 * Gathers the log files from several sources, one entry per file (same section object pointers = same file):
 * the VADs of the given processes and the pool scan of file objects. A handle walk is a third source: pass its
 * file objects to `add` with `handle <pid>`.
 */
export class LogFileCollector {
  private readonly byKey = new Map<string, LogFileCandidate>();
  readonly reader: FileObjectReader;

  constructor(private readonly ctx: WinContext) {
    this.reader = new FileObjectReader(ctx);
  }

  add(fo: WinFileObject, foundBy: string, proc?: WinProcess): void {
    const kind = logKind(fo.name);
    if (!kind || !isSystemLogName(fo.name)) return;
    if (!fo.dataSectionObject && !fo.sharedCacheMap) return;
    const key = fo.sectionObjectPointer ? `sop:${fo.sectionObjectPointer}` : `fo:${fo.addr}:${fo.physical}`;
    let c = this.byKey.get(key);
    if (!c) {
      c = { fileObject: fo, name: fo.name!, kind, foundBy: [], processes: [] };
      this.byKey.set(key, c);
    } else if (!c.fileObject.sharedCacheMap && fo.sharedCacheMap) {
      // Keep the object that reaches the most pages (a stale copy may have lost its cache map).
      c.fileObject = fo;
    }
    if (!c.foundBy.includes(foundBy)) c.foundBy.push(foundBy);
    const who = proc ? `${proc.name} (${proc.pid})` : null;
    if (who && !c.processes.includes(who)) c.processes.push(who);
  }

  /** Source 1: files mapped by a process's VADs. */
  addFromVads(proc: WinProcess, vads: readonly WinVad[]): void {
    for (const v of vads) {
      if (v.kind !== 'mapped' || !v.fileObject || !logKind(v.fileName)) continue;
      const fo = this.reader.read(v.fileObject);
      if (fo) this.add(fo, `vad ${proc.pid}`, proc);
    }
  }

  /** Source 3: the File handles of a process (Vista+ opens its .evtx logs and reads them through the cache). */
  addFromHandles(proc: WinProcess, handles: HandleReader | null): void {
    if (!handles) return;
    for (const e of handles.entries(proc)) {
      if (handles.typeOf(e.header) !== 'File') continue;
      const fo = this.reader.read(e.header + handles.bodyOffset);
      if (fo) this.add(fo, `handle ${proc.pid}`, proc);
    }
  }

  /** Source 2: file objects found by the pool scan (closed handles, deleted files, cache-only logs). */
  addFromPoolScan(): void {
    for (const fo of scanFileObjects(this.ctx, this.reader)) this.add(fo, 'pool-scan');
  }

  get files(): LogFileCandidate[] {
    return [...this.byKey.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

/** Walks VADs of every process once; returns the ranked service hosts and the collected log files. */
export function findEventLogs(
  ctx: WinContext,
  processes: readonly WinProcess[],
): { hosts: EventLogService[]; logs: LogFileCandidate[]; collector: LogFileCollector } {
  const vr = new VadReader(ctx);
  const cache = new Map<WinProcess, WinVad[]>();
  const vadsOf = (p: WinProcess): WinVad[] => {
    let v = cache.get(p);
    if (!v) {
      try {
        v = vr.walk(p);
      } catch (e) {
        ctx.warnings.add(`VADs of ${p.name} (${p.pid}): ${(e as Error).message}`);
        v = [];
      }
      cache.set(p, v);
    }
    return v;
  };
  const hosts = rankEventLogHosts(processes, vadsOf);
  const collector = new LogFileCollector(ctx);
  let handles: HandleReader | null = null;
  try {
    handles = new HandleReader(ctx);
  } catch (e) {
    ctx.warnings.add(`handle tables cannot be read: ${(e as Error).message}`);
  }
  for (const h of hosts) {
    collector.addFromVads(h.process, vadsOf(h.process));
    collector.addFromHandles(h.process, handles);
  }
  collector.addFromPoolScan();
  return { hosts, logs: collector.files, collector };
}
