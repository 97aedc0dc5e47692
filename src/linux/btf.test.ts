import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatError } from '../util/errors.js';
import { Btf, BtfKind } from './btf.js';
import { BtfTypes } from './types.js';

/** Builds a BTF blob from type records (u32 words) and a string list. */
function blob(types: number[][], strings: string[]): { bytes: Uint8Array; off: (s: string) => number } {
  const strBytes: number[] = [0];
  const offs = new Map<string, number>();
  for (const s of strings) {
    offs.set(s, strBytes.length);
    for (const c of Buffer.from(s, 'latin1')) strBytes.push(c);
    strBytes.push(0);
  }
  const words = types.flat();
  const typeLen = words.length * 4;
  const b = new Uint8Array(24 + typeLen + strBytes.length);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, 0xeb9f, true);
  b[2] = 1;
  dv.setUint32(4, 24, true);
  dv.setUint32(8, 0, true);
  dv.setUint32(12, typeLen, true);
  dv.setUint32(16, typeLen, true);
  dv.setUint32(20, strBytes.length, true);
  words.forEach((w, i) => {
    dv.setUint32(24 + i * 4, w >>> 0, true);
  });
  b.set(strBytes, 24 + typeLen);
  return { bytes: b, off: (s) => offs.get(s)! };
}

const info = (kind: number, vlen = 0, kflag = false) => ((kflag ? 1 << 31 : 0) | (kind << 24) | vlen) >>> 0;

test('BTF: structs with anonymous unions, bitfields (kind_flag), typedefs, arrays, enums', () => {
  const names = [
    'int',
    'long',
    'inner',
    'outer',
    'a',
    'b',
    'c',
    'flags',
    'arr',
    'u_t',
    'E',
    'X',
    'Y',
    'E64',
    'Z',
    'fn',
  ];
  const o = blob([], names).off;
  const types = [
    /* 1 */ [o('int'), info(BtfKind.Int), 4, (1 << 24) | 32],
    /* 2 */ [o('long'), info(BtfKind.Int), 8, (1 << 24) | 64],
    /* 3 anon union { int a; long b; } */ [0, info(BtfKind.Union, 2), 8, o('a'), 1, 0, o('b'), 2, 0],
    /* 4 struct inner (kind_flag) { int c:3 @ bit 5; } */ [
      o('inner'),
      info(BtfKind.Struct, 1, true),
      4,
      o('c'),
      1,
      (3 << 24) | 5,
    ],
    /* 5 typedef u_t = struct inner */ [o('u_t'), info(BtfKind.Typedef), 4],
    /* 6 int[4] */ [0, info(BtfKind.Array), 0, 1, 1, 4],
    /* 7 struct outer { long flags; union {a,b} @64; u_t arr_t @128; int arr[4] @160 } */
    [o('outer'), info(BtfKind.Struct, 4), 40, o('flags'), 2, 0, 0, 3, 64, o('c'), 5, 128, o('arr'), 6, 160],
    /* 8 enum E { X = -1, Y = 7 } signed */ [o('E'), info(BtfKind.Enum, 2, true), 4, o('X'), -1, o('Y'), 7],
    /* 9 enum64 E64 { Z = 2^40 } */ [o('E64'), info(BtfKind.Enum64, 1), 8, o('Z'), 0, 0x100],
    /* 10 pointer to outer */ [0, info(BtfKind.Ptr), 7],
    /* 11 func proto int(long) */ [0, info(BtfKind.FuncProto, 1), 1, 0, 2],
    /* 12 func fn */ [o('fn'), info(BtfKind.Func, 1), 11],
    /* 13 const outer */ [0, info(BtfKind.Const), 7],
    /* 14 fwd union */ [o('inner'), info(BtfKind.Fwd, 0, true), 0],
    /* 15 decl tag */ [o('a'), info(BtfKind.DeclTag), 7, -1],
    /* 16 float */ [o('long'), info(BtfKind.Float), 8],
    /* 17 type tag */ [o('a'), info(BtfKind.TypeTag), 10],
    /* 18 var */ [o('a'), info(BtfKind.Var), 1, 1],
    /* 19 datasec */ [o('b'), info(BtfKind.Datasec, 1), 4, 18, 0, 4],
    /* 20 volatile, 21 restrict */ [0, info(BtfKind.Volatile), 1],
    [0, info(BtfKind.Restrict), 10],
  ];
  const { bytes } = blob(types, names);
  const btf = Btf.parse(bytes);
  assert.equal(btf.localCount, 21);
  const outer = btf.findByName('outer', BtfKind.Struct);
  assert.equal(outer.length, 1);
  assert.equal(btf.sizeOf(outer[0]!), 40);
  assert.equal(btf.sizeOf(6), 16);
  assert.equal(btf.sizeOf(10), 8);
  assert.equal(btf.typeName(13), 'const struct outer');
  assert.deepEqual(btf.type(4)!.members![0], { name: 'c', type: 1, bitOffset: 5, bitSize: 3 });
  assert.deepEqual(
    btf.type(8)!.enumValues!.map((v) => v.value),
    [-1, 7],
  );
  assert.equal(btf.type(9)!.enumValues![0]!.value, 2 ** 40);
  assert.equal(btf.type(11)!.params!.length, 1);
  assert.equal(btf.type(15)!.componentIdx, -1);
  assert.equal(btf.type(19)!.secinfo![0]!.size, 4);
  const ts = new BtfTypes(btf, 'test');
  // `b` lives in the anonymous union at byte 8; `c.c` is a bitfield 5 bits into the typedef'd struct at 16.
  assert.equal(ts.member('outer', 'b')!.offset, 8);
  assert.equal(ts.member('outer', 'c.c')!.bitOffset, 128 + 5);
  assert.equal(ts.member('outer', 'c.c')!.bitSize, 3);
  assert.equal(ts.member('outer', 'arr')!.size, 16);
  assert.equal(ts.member('outer', 'nope'), undefined);
  assert.equal(ts.structSize('outer'), 40);
  assert.equal(ts.enumValue('Y'), 7);
});

test('BTF: bad magic, unknown kinds and records past the end are format errors', () => {
  const { bytes } = blob([[0, info(BtfKind.Int), 4, 32]], []);
  const bad = bytes.slice();
  bad[0] = 0;
  assert.throws(() => Btf.parse(bad), FormatError);
  const { bytes: k } = blob([[0, info(25), 4]], []);
  assert.throws(() => Btf.parse(k), /unknown type kind 25/);
  const { bytes: s } = blob([[0, info(BtfKind.Struct, 1000), 4]], []);
  assert.throws(() => Btf.parse(s), /runs past/);
});
