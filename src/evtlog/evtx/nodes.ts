/**
 * Parsed Binary XML, kept close to the token stream so a template is decoded once per chunk and instantiated per
 * record by substitution. `k` discriminates the node kind.
 */

export const K_ELEMENT = 0;
export const K_TEXT = 1;
export const K_SUBST = 2;
export const K_CHARREF = 3;
export const K_ENTITY = 4;
export const K_CDATA = 5;
export const K_PI = 6;
export const K_TEMPLATE = 7;

export interface ElementNode {
  k: typeof K_ELEMENT;
  name: string;
  attrs: AttrNode[];
  children: Node[];
}
export interface AttrNode {
  name: string;
  value: Node[];
}
export interface TextNode {
  k: typeof K_TEXT;
  text: string;
}
export interface SubstNode {
  k: typeof K_SUBST;
  index: number;
  type: number;
  optional: boolean;
}
export interface CharRefNode {
  k: typeof K_CHARREF;
  code: number;
}
export interface EntityNode {
  k: typeof K_ENTITY;
  name: string;
}
export interface CDataNode {
  k: typeof K_CDATA;
  text: string;
}
export interface PINode {
  k: typeof K_PI;
  target: string;
  data: string;
}

/** A template definition: its body is parsed on first use and shared by every record of the chunk. */
export interface Template {
  /** Chunk-relative offset of the definition (the key records use to refer to it). */
  offset: number;
  /** u32 identifier records give in the instance (the definition GUID's first four bytes). */
  id: number;
  guid: string;
  /** Body range inside the chunk bytes. */
  start: number;
  end: number;
  nodes: Node[] | null;
  error: string | null;
  /** (index, declared type) of every substitution in the body, to check a record's values fit this template. */
  substs?: Uint16Array;
}

/** One record's substitution array: value types, offsets and sizes into the chunk bytes. */
export interface SubstValues {
  // Plain arrays: small typed arrays are far costlier to allocate, and there is one set per record.
  types: number[];
  offsets: number[];
  sizes: number[];
}

export interface TemplateNode {
  k: typeof K_TEMPLATE;
  templateId: number;
  defOffset: number;
  template: Template | null;
  values: SubstValues;
}

export type Node =
  | ElementNode
  | TextNode
  | SubstNode
  | CharRefNode
  | EntityNode
  | CDataNode
  | PINode
  | TemplateNode;

/** Substitution value types (MS-EVEN6 / libyal). Arrays are `type | 0x80`. */
export const VT = {
  Null: 0x00,
  String: 0x01,
  AnsiString: 0x02,
  Int8: 0x03,
  UInt8: 0x04,
  Int16: 0x05,
  UInt16: 0x06,
  Int32: 0x07,
  UInt32: 0x08,
  Int64: 0x09,
  UInt64: 0x0a,
  Real32: 0x0b,
  Real64: 0x0c,
  Bool: 0x0d,
  Binary: 0x0e,
  Guid: 0x0f,
  SizeT: 0x10,
  FileTime: 0x11,
  SysTime: 0x12,
  Sid: 0x13,
  HexInt32: 0x14,
  HexInt64: 0x15,
  EvtHandle: 0x20,
  BinXml: 0x21,
  EvtXml: 0x23,
} as const;
