import { findEvent } from './json.js';
import { textOf, type XChild, type XElement } from './render.js';

/**
 * The event's insertion strings in order, as a message formatter uses them (%1, %2, ...): the children of EventData,
 * or of the single element inside UserData. Elements whose value is null (or that only carry attributes) give no
 * string, as libevtx counts them.
 */
export function eventStrings(tree: XChild[]): string[] {
  const ev = findEvent(tree);
  if (!ev) return [];
  for (const c of ev.children) {
    if (typeof c === 'string' || !('name' in c)) continue;
    if (c.name === 'EventData') return elementTexts(c);
    if (c.name === 'UserData') {
      const inner = c.children.find((x): x is XElement => typeof x !== 'string' && 'name' in x);
      return inner ? elementTexts(inner) : [];
    }
  }
  return [];
}

function elementTexts(el: XElement): string[] {
  const out: string[] = [];
  for (const c of el.children) {
    if (typeof c !== 'string' && 'name' in c && (c.valued || c.children.length)) out.push(textOf(c.children));
  }
  return out;
}
