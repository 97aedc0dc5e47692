import type { ChunkContext } from './binxml.js';
import {
  K_CDATA,
  K_CHARREF,
  K_ELEMENT,
  K_ENTITY,
  K_PI,
  K_SUBST,
  K_TEMPLATE,
  K_TEXT,
  type Node,
  type SubstValues,
  VT,
} from './nodes.js';
import { arrayItems, hexUpper, scalarText } from './values.js';

/** A record's XML after substitution: plain elements, attributes and text, ready for XML or JSON output. */
export interface XElement {
  name: string;
  attrs: [string, string][];
  children: XChild[];
  /** Content came from a value (text or a non-null substitution), even when that value is empty. */
  valued?: boolean;
}
export interface XPI {
  pi: string;
  data: string;
}
export type XChild = XElement | string | XPI;

const MAX_NEST = 32;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Instantiates parsed Binary XML with substitution values. Optional substitutions that are null are dropped, and an
 * attribute left with no value by them is omitted, as Windows renders it.
 */
export class Resolver {
  constructor(
    private readonly ctx: ChunkContext,
    private readonly warnings: string[],
  ) {}

  resolve(nodes: Node[], values: SubstValues | null, out: XChild[], depth = 0): void {
    if (depth > MAX_NEST) {
      this.warnings.push('template nesting too deep; content truncated');
      return;
    }
    for (const n of nodes) {
      switch (n.k) {
        case K_ELEMENT: {
          const el: XElement = { name: n.name, attrs: [], children: [], valued: false };
          for (const a of n.attrs) {
            // Common case first: one text or one scalar substitution, without building a child list.
            if (a.value.length === 1) {
              const v = a.value[0]!;
              if (v.k === K_TEXT) {
                el.attrs.push([a.name, v.text]);
                continue;
              }
              if (v.k === K_SUBST && values) {
                if (isNull(values, v.index)) {
                  if (!v.optional) el.attrs.push([a.name, '']);
                  continue;
                }
                const t = values.types[v.index]!;
                if (t !== VT.BinXml) {
                  el.attrs.push([
                    a.name,
                    valueText(this.ctx, t, values.offsets[v.index]!, values.sizes[v.index]!, this.warnings),
                  ]);
                  continue;
                }
              }
            }
            const parts: XChild[] = [];
            let onlyNullOptional = a.value.length > 0;
            for (const v of a.value) {
              if (v.k === K_SUBST && v.optional && values && isNull(values, v.index)) continue;
              onlyNullOptional = false;
            }
            if (onlyNullOptional) continue;
            this.resolve(a.value, values, parts, depth);
            el.attrs.push([a.name, textOf(parts)]);
          }
          const only = n.children.length === 1 ? n.children[0]! : null;
          if (only && only.k === K_SUBST && values && this.expandArray(el, only.index, values, out)) break;
          this.resolve(n.children, values, el.children, depth);
          for (const c of n.children) {
            if (c.k === K_ELEMENT || c.k === K_PI || c.k === K_TEMPLATE) continue;
            if (
              c.k !== K_SUBST ||
              (values && c.index < values.types.length && values.types[c.index] !== VT.Null)
            )
              el.valued = true;
          }
          out.push(el);
          break;
        }
        case K_TEXT:
        case K_CDATA:
          pushText(out, n.text);
          break;
        case K_CHARREF:
          pushText(out, String.fromCharCode(n.code));
          break;
        case K_ENTITY:
          pushText(out, ENTITIES[n.name] ?? `&${n.name};`);
          break;
        case K_PI:
          out.push({ pi: n.target, data: n.data });
          break;
        case K_SUBST:
          this.substitute(n.index, n.optional, values, out, depth);
          break;
        case K_TEMPLATE: {
          const t = n.template;
          const tn = t ? this.ctx.templateNodes(t) : null;
          if (!t || !tn) {
            this.warnings.push(
              t?.error
                ? `template at 0x${n.defOffset.toString(16)}: ${t.error}`
                : `template 0x${n.templateId.toString(16)} at 0x${n.defOffset.toString(16)} not found`,
            );
            out.push(rawValues(this.ctx, n.values));
            break;
          }
          this.resolve(tn, n.values, out, depth + 1);
          break;
        }
      }
    }
  }

  /**
   * An element whose whole content is one array value is repeated once per item (Windows renders a string array in
   * <Data> as several <Data> elements).
   */
  private expandArray(el: XElement, index: number, values: SubstValues, out: XChild[]): boolean {
    if (index >= values.types.length) return false;
    const type = values.types[index]!;
    if (!(type & 0x80)) return false;
    const items = arrayItems(this.ctx.bytes, this.ctx.dv, type, values.offsets[index]!, values.sizes[index]!);
    if (!items) return false;
    for (const item of items)
      out.push({ name: el.name, attrs: el.attrs, children: item ? [item] : [], valued: true });
    return true;
  }

  private substitute(
    index: number,
    optional: boolean,
    values: SubstValues | null,
    out: XChild[],
    depth: number,
  ) {
    if (!values || index >= values.types.length) {
      if (!optional) this.warnings.push(`substitution ${index} has no value`);
      return;
    }
    const type = values.types[index]!;
    const off = values.offsets[index]!;
    const size = values.sizes[index]!;
    if (type === VT.Null || (size === 0 && type !== VT.String)) {
      return;
    }
    if (type === VT.BinXml) {
      try {
        const { nodes } = this.ctx.parse(off, off + size, depth + 2);
        this.resolve(nodes, null, out, depth + 1);
      } catch (e) {
        this.warnings.push(`embedded BinXml value ${index}: ${(e as Error).message}`);
        pushText(out, hexUpper(this.ctx.bytes, off, size));
      }
      return;
    }
    pushText(out, valueText(this.ctx, type, off, size, this.warnings));
  }
}

export function valueText(
  ctx: ChunkContext,
  type: number,
  off: number,
  size: number,
  warnings: string[],
): string {
  const b = ctx.bytes;
  if (off + size > b.length) {
    warnings.push(`value at 0x${off.toString(16)} runs past the chunk`);
    return '';
  }
  if (type & 0x80) {
    const items = arrayItems(b, ctx.dv, type, off, size);
    if (items) return items.join(',');
  } else {
    const s = scalarText(b, ctx.dv, type, off, size);
    if (s !== null) return s;
  }
  warnings.push(`value type 0x${type.toString(16)} with ${size} bytes not decodable; shown as hex`);
  return hexUpper(b, off, size);
}

function isNull(values: SubstValues, i: number): boolean {
  if (i >= values.types.length) return true;
  const t = values.types[i]!;
  return t === VT.Null || (values.sizes[i] === 0 && t !== VT.String);
}

function pushText(out: XChild[], s: string): void {
  if (!s) return;
  const last = out.length - 1;
  if (last >= 0 && typeof out[last] === 'string') out[last] = (out[last] as string) + s;
  else out.push(s);
}

/** When a template is missing, the values are all there is: keep them so nothing is silently lost. */
function rawValues(ctx: ChunkContext, v: SubstValues): XElement {
  const el: XElement = { name: 'UnresolvedTemplate', attrs: [], children: [] };
  const w: string[] = [];
  for (let i = 0; i < v.types.length; i++) {
    const t = v.types[i]!;
    el.children.push({
      name: 'Value',
      attrs: [
        ['Index', String(i)],
        ['Type', `0x${t.toString(16)}`],
      ],
      children:
        t === VT.BinXml
          ? [hexUpper(ctx.bytes, v.offsets[i]!, v.sizes[i]!)]
          : [valueText(ctx, t, v.offsets[i]!, v.sizes[i]!, w)],
    });
  }
  return el;
}

export function textOf(children: XChild[]): string {
  let s = '';
  for (const c of children) {
    if (typeof c === 'string') s += c;
    else if ('name' in c) s += textOf(c.children);
  }
  return s;
}

export function escapeText(s: string): string {
  return /[&<>]/.test(s) ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : s;
}
export function escapeAttr(s: string): string {
  return /[&<>"]/.test(s)
    ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
    : s;
}

/** XML as Event Viewer's XML view shows it: two-space indent, elements with text kept on one line. */
export function toXml(children: XChild[], indent = ''): string {
  let s = '';
  for (const c of children) {
    if (typeof c === 'string') s += `${indent}${escapeText(c)}\n`;
    else if ('pi' in c) s += `${indent}<?${c.pi}${c.data ? ` ${c.data}` : ''}?>\n`;
    else s += elementXml(c, indent);
  }
  return s;
}

function elementXml(el: XElement, indent: string): string {
  let open = `${indent}<${el.name}`;
  for (const [k, v] of el.attrs) open += ` ${k}="${escapeAttr(v)}"`;
  if (el.children.length === 0) return `${open} />\n`;
  if (el.children.every((c) => typeof c === 'string')) {
    return `${open}>${escapeText(el.children.join(''))}</${el.name}>\n`;
  }
  return `${open}>\n${toXml(el.children, `${indent}  `)}${indent}</${el.name}>\n`;
}
