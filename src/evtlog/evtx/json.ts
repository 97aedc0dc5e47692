import { textOf, type XChild, type XElement } from './render.js';

/** Flat view of a record: the System fields analysts filter on, and the payload as nested objects. */
export interface EvtxJson {
  EventID: number | null;
  Provider: string | null;
  Channel: string | null;
  Computer: string | null;
  TimeCreated: string | null;
  EventRecordID: number | null;
  Level: number | null;
  Task: number | null;
  Opcode: number | null;
  Keywords: string | null;
  UserID: string | null;
  ProcessID: number | null;
  ThreadID: number | null;
  [extra: string]: unknown;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

function child(el: XElement | undefined, name: string): XElement | undefined {
  if (!el) return undefined;
  for (const c of el.children) if (typeof c !== 'string' && 'name' in c && c.name === name) return c;
  return undefined;
}
function attr(el: XElement | undefined, name: string): string | null {
  if (!el) return null;
  for (const [k, v] of el.attrs) if (k === name) return v;
  return null;
}
function num(s: string | null | undefined): number | null {
  if (s === null || s === undefined || s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

export function findEvent(children: XChild[]): XElement | undefined {
  for (const c of children) if (typeof c !== 'string' && 'name' in c) return c;
  return undefined;
}

export function toJson(children: XChild[]): EvtxJson {
  const ev = findEvent(children);
  const sys = child(ev, 'System');
  const text = (name: string) => {
    const e = child(sys, name);
    return e ? textOf(e.children) : null;
  };
  const provider = child(sys, 'Provider');
  const eventId = child(sys, 'EventID');
  const exec = child(sys, 'Execution');
  const corr = child(sys, 'Correlation');
  const j: EvtxJson = {
    EventID: eventId ? num(textOf(eventId.children)) : null,
    Provider: attr(provider, 'Name'),
    Channel: text('Channel'),
    Computer: text('Computer'),
    TimeCreated: attr(child(sys, 'TimeCreated'), 'SystemTime'),
    EventRecordID: num(text('EventRecordID')),
    Level: num(text('Level')),
    Task: num(text('Task')),
    Opcode: num(text('Opcode')),
    Keywords: text('Keywords'),
    UserID: attr(child(sys, 'Security'), 'UserID'),
    ProcessID: num(attr(exec, 'ProcessID')),
    ThreadID: num(attr(exec, 'ThreadID')),
  };
  const optional: [string, string | null][] = [
    ['ProviderGuid', attr(provider, 'Guid')],
    ['EventSourceName', attr(provider, 'EventSourceName')],
    ['Qualifiers', attr(eventId, 'Qualifiers')],
    ['Version', text('Version')],
    ['ActivityID', attr(corr, 'ActivityID')],
    ['RelatedActivityID', attr(corr, 'RelatedActivityID')],
  ];
  for (const [k, v] of optional) if (v !== null) j[k] = v;
  if (!ev) return j;
  for (const c of ev.children) {
    if (typeof c === 'string' || !('name' in c) || c.name === 'System') continue;
    j[c.name] = c.name === 'EventData' ? eventData(c) : elementJson(c);
  }
  return j;
}

/** EventData: named <Data> become keys; unnamed ones become a `Data` array (classic-provider events). */
function eventData(el: XElement): JsonValue {
  const o: { [k: string]: JsonValue } = {};
  const unnamed: JsonValue[] = [];
  for (const c of el.children) {
    if (typeof c === 'string') {
      if (c.trim()) unnamed.push(c);
      continue;
    }
    if (!('name' in c)) continue;
    const n = c.name === 'Data' ? attr(c, 'Name') : c.name;
    const v = c.children.some((x) => typeof x !== 'string') ? elementJson(c) : textOf(c.children);
    if (n === null) unnamed.push(v);
    else addKey(o, n, v);
  }
  if (unnamed.length) addKey(o, 'Data', unnamed.length === 1 ? unnamed[0]! : unnamed);
  return o;
}

function addKey(o: { [k: string]: JsonValue }, k: string, v: JsonValue): void {
  if (!(k in o)) o[k] = v;
  else {
    const cur = o[k]!;
    if (Array.isArray(cur)) cur.push(v);
    else o[k] = [cur, v];
  }
}

/** Generic element: text-only without attributes becomes a string; otherwise an object (attributes as `@name`). */
export function elementJson(el: XElement): JsonValue {
  const attrs = el.attrs.filter(([k]) => k !== 'xmlns' && !k.startsWith('xmlns:'));
  const elems = el.children.filter((c): c is XElement => typeof c !== 'string' && 'name' in c);
  const txt = el.children
    .filter((c): c is string => typeof c === 'string')
    .join('')
    .trim();
  if (!attrs.length && !elems.length) return txt;
  const o: { [k: string]: JsonValue } = {};
  for (const [k, v] of attrs) o[`@${k}`] = v;
  for (const c of elems) addKey(o, c.name, elementJson(c));
  if (txt) o['#text'] = txt;
  return o;
}
