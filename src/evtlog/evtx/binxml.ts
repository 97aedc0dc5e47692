import {
  type AttrNode,
  type ElementNode,
  K_CDATA,
  K_CHARREF,
  K_ELEMENT,
  K_ENTITY,
  K_PI,
  K_SUBST,
  K_TEMPLATE,
  K_TEXT,
  type Node,
  type PINode,
  type SubstValues,
  type Template,
  type TemplateNode,
} from './nodes.js';
import { guidAt, scalarText, utf16At } from './values.js';

/** Binary XML tokens (libyal EVTX format; MS-EVEN6 BinXml). 0x40 on some tokens means "more data / has attributes". */
export const TOK = {
  EndOfStream: 0x00,
  OpenStartElement: 0x01,
  CloseStartElement: 0x02,
  CloseEmptyElement: 0x03,
  EndElement: 0x04,
  Value: 0x05,
  Attribute: 0x06,
  CData: 0x07,
  CharRef: 0x08,
  EntityRef: 0x09,
  PITarget: 0x0a,
  PIData: 0x0b,
  TemplateInstance: 0x0c,
  NormalSubstitution: 0x0d,
  OptionalSubstitution: 0x0e,
  FragmentHeader: 0x0f,
} as const;

/** Nesting bounds: hostile input must not recurse or loop without limit. */
const MAX_DEPTH = 64;
const MAX_SUBSTITUTIONS = 4096;

export class BinXmlError extends Error {
  constructor(
    readonly offset: number,
    what: string,
  ) {
    super(`binxml at chunk offset 0x${offset.toString(16)}: ${what}`);
  }
}

/**
 * Where names and templates are looked up: Binary XML refers to them by offset from the chunk start, so `bytes` is the
 * chunk (or, when carving an orphan record, the bytes where its chunk must have started).
 */
export class ChunkContext {
  readonly dv: DataView;
  readonly names = new Map<number, string>();
  readonly templates = new Map<number, Template>();
  /** Templates from elsewhere (other chunks), consulted when a record refers to a definition this chunk lacks. */
  fallback: ((id: number, offset: number, count: number) => Template | null) | null = null;
  /**
   * Set for an orphan record copied out of its lost chunk: only bytes in [trustedStart, trustedEnd) are real, so a
   * name or template outside them cannot be read here.
   */
  trustedStart = 0;
  trustedEnd = Number.MAX_SAFE_INTEGER;

  constructor(readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** A name structure: u32 next, u16 hash, u16 character count, UTF-16 characters, NUL. */
  nameAt(off: number): string {
    const cached = this.names.get(off);
    if (cached !== undefined) return cached;
    const b = this.bytes;
    if (off + 8 > b.length) throw new BinXmlError(off, 'name offset beyond the chunk');
    if (off < this.trustedStart || off >= this.trustedEnd)
      throw new BinXmlError(off, 'name lies outside the record');
    const n = this.dv.getUint16(off + 6, true);
    if (off + 8 + 2 * n > b.length)
      throw new BinXmlError(off, `name of ${n} characters runs beyond the chunk`);
    const s = utf16At(b, off + 8, 2 * n);
    this.names.set(off, s);
    return s;
  }

  /** Size on disk of a name structure (to step over names stored inline). */
  nameSize(off: number): number {
    return 10 + 2 * this.dv.getUint16(off + 6, true);
  }

  /** A template definition: u32 next, 16-byte GUID, u32 body size, body. */
  templateAt(off: number, id: number): Template {
    let t = this.templates.get(off);
    if (t) return t;
    const b = this.bytes;
    if (off + 24 > b.length) throw new BinXmlError(off, 'template definition beyond the chunk');
    if (off < this.trustedStart || off >= this.trustedEnd)
      throw new BinXmlError(off, 'template definition lies outside the record');
    const size = this.dv.getUint32(off + 20, true);
    if (off + 24 + size > b.length)
      throw new BinXmlError(off, `template body of ${size} bytes runs beyond the chunk`);
    t = {
      offset: off,
      id,
      guid: guidAt(b, this.dv, off + 4),
      start: off + 24,
      end: off + 24 + size,
      nodes: null,
      error: null,
    };
    this.templates.set(off, t);
    return t;
  }

  /** Parses a template's body once; later instances reuse the node tree. */
  templateNodes(t: Template): Node[] | null {
    if (t.nodes || t.error) return t.nodes;
    try {
      t.nodes = this.parse(t.start, t.end, 1).nodes;
    } catch (e) {
      t.error = (e as Error).message;
    }
    return t.nodes;
  }

  /**
   * Parses a Binary XML stream in [pos, end) up to its EndOfStream. Throws BinXmlError on a token that cannot be
   * read; the caller decides what to salvage.
   */
  parse(pos: number, end: number, depth: number): { nodes: Node[]; end: number } {
    if (depth > MAX_DEPTH) throw new BinXmlError(pos, 'Binary XML nested too deeply');
    const b = this.bytes;
    const dv = this.dv;
    if (end > b.length) end = b.length;
    const root: Node[] = [];
    const stack: ElementNode[] = [];
    let attr: AttrNode | null = null;
    let lastPI: PINode | null = null;
    const target = (): Node[] =>
      attr ? attr.value : stack.length ? stack[stack.length - 1]!.children : root;
    while (pos < end) {
      const tok = b[pos]!;
      switch (tok & 0xbf) {
        case TOK.EndOfStream:
          return { nodes: root, end: pos + 1 };
        case TOK.OpenStartElement: {
          // Some writers omit the u16 dependency identifier; an inline name right after the header tells which layout
          // this is.
          let p = pos + 1;
          if (p + 10 > end) throw new BinXmlError(pos, 'truncated element start');
          const withDep = dv.getUint32(p + 6, true);
          const noDep = dv.getUint32(p + 4, true);
          if (withDep !== p + 10 && (noDep === p + 8 || withDep >= b.length)) p += 4;
          else p += 6;
          const nameOff = dv.getUint32(p, true);
          p += 4;
          const name = this.nameAt(nameOff);
          if (nameOff === p) p += this.nameSize(nameOff);
          if (tok & 0x40) p += 4; // attribute list size
          const el: ElementNode = { k: K_ELEMENT, name, attrs: [], children: [] };
          attr = null;
          target().push(el);
          stack.push(el);
          pos = p;
          break;
        }
        case TOK.CloseStartElement:
          attr = null;
          pos++;
          break;
        case TOK.CloseEmptyElement:
          attr = null;
          if (!stack.length) throw new BinXmlError(pos, 'close of an element that was not opened');
          stack.pop();
          pos++;
          break;
        case TOK.EndElement:
          attr = null;
          if (!stack.length) throw new BinXmlError(pos, 'end of an element that was not opened');
          stack.pop();
          pos++;
          break;
        case TOK.Attribute: {
          const el = stack[stack.length - 1];
          if (!el) throw new BinXmlError(pos, 'attribute outside an element');
          let p = pos + 1;
          const nameOff = dv.getUint32(p, true);
          p += 4;
          const name = this.nameAt(nameOff);
          if (nameOff === p) p += this.nameSize(nameOff);
          attr = { name, value: [] };
          el.attrs.push(attr);
          pos = p;
          break;
        }
        case TOK.Value: {
          const type = b[pos + 1]!;
          let p = pos + 2;
          let text: string;
          if (type === 0x01) {
            const n = dv.getUint16(p, true);
            text = utf16At(b, p + 2, 2 * n);
            p += 2 + 2 * n;
          } else {
            // Value tokens with other types carry a u16 byte count in practice only for strings; anything else is
            // read at its fixed size.
            const sz = type === 0x02 ? dv.getUint16(p, true) : 0;
            if (type === 0x02) p += 2;
            const s = scalarText(b, dv, type, p, sz || 8);
            if (s === null) throw new BinXmlError(pos, `unsupported value token type 0x${type.toString(16)}`);
            text = s;
            p += sz || fixedSizeForValue(type);
          }
          if (p > end) throw new BinXmlError(pos, 'value runs past the end of the stream');
          target().push({ k: K_TEXT, text });
          pos = p;
          break;
        }
        case TOK.CData: {
          const n = dv.getUint16(pos + 1, true);
          target().push({ k: K_CDATA, text: utf16At(b, pos + 3, 2 * n) });
          pos += 3 + 2 * n;
          break;
        }
        case TOK.CharRef:
          target().push({ k: K_CHARREF, code: dv.getUint16(pos + 1, true) });
          pos += 3;
          break;
        case TOK.EntityRef: {
          let p = pos + 1;
          const nameOff = dv.getUint32(p, true);
          p += 4;
          const name = this.nameAt(nameOff);
          if (nameOff === p) p += this.nameSize(nameOff);
          target().push({ k: K_ENTITY, name });
          pos = p;
          break;
        }
        case TOK.PITarget: {
          let p = pos + 1;
          const nameOff = dv.getUint32(p, true);
          p += 4;
          const name = this.nameAt(nameOff);
          if (nameOff === p) p += this.nameSize(nameOff);
          lastPI = { k: K_PI, target: name, data: '' };
          target().push(lastPI);
          pos = p;
          break;
        }
        case TOK.PIData: {
          const n = dv.getUint16(pos + 1, true);
          const data = utf16At(b, pos + 3, 2 * n);
          if (lastPI) lastPI.data = data;
          pos += 3 + 2 * n;
          break;
        }
        case TOK.TemplateInstance: {
          const node = this.templateInstance(pos, end);
          target().push(node.node);
          pos = node.end;
          break;
        }
        case TOK.NormalSubstitution:
        case TOK.OptionalSubstitution:
          target().push({
            k: K_SUBST,
            index: dv.getUint16(pos + 1, true),
            type: b[pos + 3]!,
            optional: (tok & 0xbf) === TOK.OptionalSubstitution,
          });
          pos += 4;
          break;
        case TOK.FragmentHeader:
          pos += 4;
          break;
        default:
          throw new BinXmlError(pos, `unknown token 0x${tok.toString(16)}`);
      }
    }
    // Ran to the end of the range without EndOfStream: tolerated when every element was closed.
    if (stack.length) throw new BinXmlError(pos, `stream ended with ${stack.length} element(s) still open`);
    return { nodes: root, end: pos };
  }

  /** TemplateInstance: u8 unknown, u32 template id, u32 definition offset, [inline definition], substitution array. */
  private templateInstance(pos: number, end: number): { node: TemplateNode; end: number } {
    const dv = this.dv;
    if (pos + 10 > end) throw new BinXmlError(pos, 'truncated template instance');
    const templateId = dv.getUint32(pos + 2, true);
    const defOffset = dv.getUint32(pos + 6, true);
    let p = pos + 10;
    let template: Template | null = null;
    if (defOffset === p) {
      template = this.templateAt(defOffset, templateId);
      p = template.end;
    } else if (defOffset + 24 <= this.bytes.length) {
      try {
        template = this.templateAt(defOffset, templateId);
      } catch {
        template = null;
      }
    }
    if (p + 4 > end) throw new BinXmlError(p, 'substitution array missing');
    const count = dv.getUint32(p, true);
    p += 4;
    if (count > MAX_SUBSTITUTIONS || p + 4 * count > end)
      throw new BinXmlError(p - 4, `implausible substitution count ${count}`);
    const types: number[] = new Array(count);
    const offsets: number[] = new Array(count);
    const sizes: number[] = new Array(count);
    let v = p + 4 * count;
    for (let i = 0; i < count; i++) {
      const size = dv.getUint16(p + 4 * i, true);
      types[i] = this.bytes[p + 4 * i + 2]!;
      offsets[i] = v;
      sizes[i] = size;
      v += size;
    }
    if (v > end) throw new BinXmlError(p, `substitution values run ${v - end} bytes past the record`);
    const values: SubstValues = { types, offsets, sizes };
    // A definition found by offset alone (not inline) may belong to another generation of the chunk (slack space,
    // carving): it must declare the value types this record carries.
    if (template && defOffset !== pos + 10 && !this.fits(template, values)) {
      if (this.fallback) template = null;
      else this.mismatches++;
    }
    if (!template && this.fallback) {
      const t = this.fallback(templateId, defOffset, count);
      template = t && this.fits(t, values) ? t : null;
    }
    return { node: { k: K_TEMPLATE, templateId, defOffset, template, values }, end: v };
  }

  /** Records whose values did not match the declared types of the template they name (see `fits`). */
  mismatches = 0;

  /** True when every substitution of `t` has a value of its declared type (or null) in `v`. */
  fits(t: Template, v: SubstValues): boolean {
    if (!this.templateNodes(t)) return false;
    t.substs ??= collectSubsts(t.nodes!);
    const s = t.substs;
    for (let i = 0; i < s.length; i += 2) {
      const idx = s[i]!;
      if (idx >= v.types.length) return false;
      const vt = v.types[idx]!;
      const dt = s[i + 1]!;
      // Writers widen integers (a UInt8 field written as UInt16): only a change of kind disqualifies.
      if (vt !== dt && vt !== 0 && !(isInteger(vt) && isInteger(dt))) return false;
    }
    return true;
  }
}

function fixedSizeForValue(type: number): number {
  switch (type) {
    case 0x03:
    case 0x04:
      return 1;
    case 0x05:
    case 0x06:
      return 2;
    case 0x07:
    case 0x08:
    case 0x0b:
    case 0x0d:
    case 0x14:
      return 4;
    case 0x0f:
    case 0x12:
      return 16;
    default:
      return 8;
  }
}

function collectSubsts(nodes: Node[]): Uint16Array {
  const out: number[] = [];
  const walk = (ns: Node[]) => {
    for (const n of ns) {
      if (n.k === K_SUBST) out.push(n.index, n.type);
      else if (n.k === K_ELEMENT) {
        for (const a of n.attrs) walk(a.value);
        walk(n.children);
      }
    }
  };
  walk(nodes);
  return Uint16Array.from(out);
}

function isInteger(t: number): boolean {
  return (t >= 0x03 && t <= 0x0a) || t === 0x0d || t === 0x10 || t === 0x14 || t === 0x15;
}
