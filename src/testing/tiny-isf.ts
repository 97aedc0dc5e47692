/** A small Volatility 3 table for symbol-layer tests, with the descriptor shorthands used to edit it. */
import type { IsfDocument } from '../symbols/isf.js';

const base = (size: number, signed: boolean, kind = 'int') => ({ kind, size, signed, endian: 'little' });
export const B = (name: string) => ({ kind: 'base', name });
export const S = (name: string) => ({ kind: 'struct', name });
export const P = (subtype: object) => ({ kind: 'pointer', subtype });
export const BF = (name: string, pos: number, len: number) => ({
  kind: 'bitfield',
  bit_position: pos,
  bit_length: len,
  type: B(name),
});

/** A small x64 table in Volatility 3's schema, shaped like the real kernel types it imitates. */
export function tinyIsf(): IsfDocument {
  return {
    metadata: {
      format: '6.2.0',
      windows: {
        pdb: {
          database: 'ntkrnlmp.pdb',
          GUID: '0123456789ABCDEF0123456789ABCDEF',
          age: 1,
          machine_type: 34404,
        },
      },
    },
    base_types: {
      char: base(1, true, 'char'),
      'unsigned char': base(1, false, 'char'),
      short: base(2, true),
      'unsigned short': base(2, false),
      long: base(4, true),
      'unsigned long': base(4, false),
      'long long': base(8, true),
      'unsigned long long': base(8, false),
      pointer: base(8, false),
      wchar: base(2, true),
      void: base(0, true, 'void'),
      double: base(8, true, 'float'),
    },
    enums: { _MODE: { base: 'long', size: 4, constants: { KernelMode: 0, UserMode: 1 } } },
    symbols: { PsActiveProcessHead: { address: 0x1000 } },
    user_types: {
      _LIST_ENTRY: {
        kind: 'struct',
        size: 16,
        fields: {
          Flink: { offset: 0, type: P(S('_LIST_ENTRY')) },
          Blink: { offset: 8, type: P(S('_LIST_ENTRY')) },
        },
      },
      _UNICODE_STRING: {
        kind: 'struct',
        size: 16,
        fields: {
          Length: { offset: 0, type: B('unsigned short') },
          MaximumLength: { offset: 2, type: B('unsigned short') },
          Buffer: { offset: 8, type: P(B('wchar')) },
        },
      },
      _FLAGS: {
        kind: 'union',
        size: 8,
        fields: {
          Value: { offset: 0, type: B('unsigned long long') },
          Low: { offset: 0, type: BF('unsigned long long', 0, 3) },
          Straddle: { offset: 0, type: BF('unsigned long long', 30, 6) },
          High: { offset: 0, type: BF('unsigned long long', 52, 3) },
          Top: { offset: 0, type: BF('unsigned long long', 63, 1) },
          Signed: { offset: 0, type: BF('long', 4, 4) },
        },
      },
      _THING: {
        kind: 'struct',
        size: 0x60,
        fields: {
          Id: { offset: 0, type: B('unsigned long long') },
          Links: { offset: 8, type: S('_LIST_ENTRY') },
          Name: { offset: 0x18, type: { kind: 'array', count: 8, subtype: B('unsigned char') } },
          Mode: { offset: 0x20, type: { kind: 'enum', name: '_MODE' } },
          Small: { offset: 0x24, type: B('short') },
          Byte: { offset: 0x26, type: B('char') },
          Self: { offset: 0x28, type: P(S('_THING')) },
          u: { offset: 0x30, type: S('_FLAGS') },
          Arr: { offset: 0x38, type: { kind: 'array', count: 2, subtype: P(B('void')) } },
          Str: { offset: 0x48, type: S('_UNICODE_STRING') },
          Fn: { offset: 0x58, type: P({ kind: 'function' }) },
        },
      },
    },
  } as unknown as IsfDocument;
}
