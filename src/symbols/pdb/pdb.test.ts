import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatError, Warnings } from '../../util/errors.js';
import { type IsfDocument, parseIsf } from '../isf.js';
import { Bytes, buildMsf, buildPdb, dbiStream, gdata32, infoStream, pub32, typeRecord } from './fixture.js';
import { convertPdb, stripName } from './isf.js';
import { Pdb } from './pdb.js';

// Type records for a small 64-bit PDB; indices start at 0x1000.
const member = (b: Bytes, type: number, offset: number, name: string) =>
  b.u16(0x150d).u16(3).u32(type).u16(offset).cstr(name).pad4();
const fieldList = (fill: (b: Bytes) => void) => {
  const b = new Bytes();
  fill(b);
  return typeRecord(0x1203, b.done());
};
const struct = (leaf: number, props: number, fields: number, size: number, name: string, unique?: string) => {
  const b = new Bytes()
    .u16(2)
    .u16(props | (unique ? 0x200 : 0))
    .u32(fields)
    .u32(0)
    .u32(0)
    .u16(size)
    .cstr(name);
  if (unique) b.cstr(unique);
  return typeRecord(leaf, b.done());
};

function sampleTypes(): Uint8Array[] {
  return [
    /* 0x1000 */ struct(0x1505, 0x80, 0, 0, '_LIST_ENTRY', '.?AU_LIST_ENTRY@@'),
    /* 0x1001 */ typeRecord(0x1002, new Bytes().u32(0x1000).u32(0x1000c).done()), // 64-bit pointer to fwd ref
    /* 0x1002 */ fieldList((b) => {
      member(b, 0x1001, 0, 'Flink');
      member(b, 0x1001, 8, 'Blink');
    }),
    /* 0x1003 */ struct(0x1505, 0, 0x1002, 16, '_LIST_ENTRY', '.?AU_LIST_ENTRY@@'),
    /* 0x1004 */ typeRecord(0x1205, new Bytes().u32(0x22).u8(3).u8(5).done()), // unsigned long : 3 at bit 5
    /* 0x1005 */ typeRecord(0x1503, new Bytes().u32(0x20).u32(0x23).u16(10).cstr('').done()), // unsigned char[10]
    /* 0x1006 */ fieldList((b) => {
      b.u16(0x1502).u16(3).u16(1).cstr('Red').pad4();
      b.u16(0x1502).u16(3).u16(0x8004).u32(0xfffffffe).cstr('Big').pad4(); // LF_ULONG value
    }),
    /* 0x1007 */ typeRecord(0x1507, new Bytes().u16(2).u16(0).u32(0x74).u32(0x1006).cstr('COLOR').done()),
    // Second half of a long field list, reached through LF_INDEX from 0x1009.
    /* 0x1008 */ fieldList((b) => {
      member(b, 0x1004, 40, 'Bits');
      member(b, 0x1007, 44, 'Color');
      member(b, 0x0603, 48, 'Context'); // simple pointer-to-void, 64-bit mode
      member(b, 0x0474, 56, 'Narrow'); // 32-bit pointer to int inside a 64-bit PDB
    }),
    /* 0x1009 */ fieldList((b) => {
      member(b, 0x1003, 0, 'Links');
      member(b, 0x1005, 16, 'Name');
      member(b, 0x100c, 32, 'u');
      b.u16(0x1404).u16(0).u32(0x1008);
    }),
    /* 0x100a */ struct(0x1505, 0, 0x1009, 64, '_THING'),
    /* 0x100b */ fieldList((b) => {
      member(b, 0x74, 0, 'AsInt');
      member(b, 0x41, 0, 'AsDouble');
    }),
    /* 0x100c */ typeRecord(
      0x1506,
      new Bytes().u16(2).u16(0).u32(0x100b).u16(8).cstr('<unnamed-tag>').done(),
    ),
    // A pre-VC7 `_ST` structure with a length-prefixed name.
    /* 0x100d */ fieldList((b) => {
      b.u16(0x1405).u16(3).u32(0x75).u16(0).pascal('Old').pad4();
    }),
    /* 0x100e */ typeRecord(
      0x1005,
      new Bytes().u16(1).u16(0).u32(0x100d).u32(0).u32(0).u16(4).pascal('OLDSTRUCT').done(),
    ),
    /* 0x100f */ typeRecord(0x1001, new Bytes().u32(0x100a).u16(1).done()), // const _THING
  ];
}

function samplePdb(): Uint8Array {
  return buildPdb({
    types: sampleTypes(),
    age: 7,
    symbols: [
      pub32('_KiServiceTable', 1, 0x10),
      pub32('?Foo@@YAXXZ', 1, 0x20),
      gdata32('gThing', 0x100f, 1, 0x40),
    ],
    sections: [{ name: '.text', va: 0x1000, size: 0x1000 }],
  });
}

test('synthetic PDB converts to Volatility ISF with resolved forward refs, bitfields and continuations', () => {
  const pdb = Pdb.fromBytes(samplePdb());
  const { isf } = convertPdb(pdb, { database: 'sample.pdb' });
  pdb.close();
  assert.deepEqual(isf.metadata.windows.pdb, {
    GUID: '0403020106050807090A0B0C0D0E0F10',
    age: 7,
    database: 'sample.pdb',
    machine_type: 0x8664,
  });
  assert.equal(isf.metadata.format, '6.2.0');
  assert.equal(isf.base_types.pointer!.size, 8);
  const le = isf.user_types._LIST_ENTRY!;
  assert.equal(le.size, 16);
  assert.deepEqual(le.fields.Blink, {
    offset: 8,
    type: { kind: 'pointer', subtype: { kind: 'struct', name: '_LIST_ENTRY' } },
  });
  const t = isf.user_types._THING!;
  assert.equal(t.size, 64);
  assert.deepEqual(Object.keys(t.fields).sort(), [
    'Bits',
    'Color',
    'Context',
    'Links',
    'Name',
    'Narrow',
    'u',
  ]);
  assert.deepEqual(t.fields.Bits, {
    offset: 40,
    type: { kind: 'bitfield', bit_position: 5, bit_length: 3, type: { kind: 'base', name: 'unsigned long' } },
  });
  assert.deepEqual(t.fields.Name!.type, {
    kind: 'array',
    count: 10,
    subtype: { kind: 'base', name: 'unsigned char' },
  });
  assert.deepEqual(t.fields.Color!.type, { kind: 'enum', name: 'COLOR' });
  assert.deepEqual(t.fields.u!.type, { kind: 'union', name: '__unnamed_100c' });
  assert.deepEqual(t.fields.Context!.type, { kind: 'pointer', subtype: { kind: 'base', name: 'void' } });
  assert.deepEqual(t.fields.Narrow!.type, {
    kind: 'pointer',
    base: 'pointer32',
    subtype: { kind: 'base', name: 'int' },
  });
  assert.equal(isf.base_types.pointer32!.size, 4);
  assert.equal(isf.user_types.__unnamed_100c!.kind, 'union');
  assert.deepEqual(isf.enums.COLOR, { size: 4, base: 'int', constants: { Red: 1, Big: 0xfffffffe } });
  assert.deepEqual(isf.user_types.OLDSTRUCT, {
    kind: 'struct',
    size: 4,
    fields: { Old: { offset: 0, type: { kind: 'base', name: 'unsigned int' } } },
  });
  assert.deepEqual(isf.symbols.KiServiceTable, { address: 0x1010, linkage_name: '_KiServiceTable' });
  assert.deepEqual(isf.symbols['?Foo@@YAXXZ'], { address: 0x1020 });
  assert.deepEqual(isf.symbols.gThing, { address: 0x1040, type: { kind: 'struct', name: '_THING' } });
  for (const b of Object.values(isf.base_types)) assert.equal(b.endian, 'little');
});

test('symbol names are cleaned up as Volatility does', () => {
  assert.equal(stripName('_PsActiveProcessHead'), 'PsActiveProcessHead');
  assert.equal(stripName('@KiSwapContext@8'), 'KiSwapContext');
  assert.equal(stripName('_NtClose@4'), 'NtClose');
  assert.equal(stripName('?x@@3HA'), '?x@@3HA');
  assert.equal(stripName('plain'), 'plain');
});

/** Runs `f`, requiring a FormatError (never another exception) within a time bound. */
function expectFormatError(f: () => unknown, match?: RegExp): void {
  const t0 = performance.now();
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof FormatError, `expected FormatError, got ${(e as Error).stack}`);
    if (match) assert.match(e.message, match);
    return true;
  });
  assert.ok(performance.now() - t0 < 2000, 'took too long');
}

function convertBytes(b: Uint8Array) {
  const pdb = Pdb.fromBytes(b);
  try {
    return convertPdb(pdb);
  } finally {
    pdb.close();
  }
}

test('bad input: truncation, magic, block indices, sizes', () => {
  const good = samplePdb();
  expectFormatError(() => convertBytes(good.subarray(0, 40)), /superblock/);
  expectFormatError(() => convertBytes(good.subarray(0, good.length / 2)), /truncated|outside|ends/);
  const badMagic = good.slice();
  badMagic[3] = 0x41;
  expectFormatError(() => convertBytes(badMagic), /magic/);
  const badBlockSize = good.slice();
  new DataView(badBlockSize.buffer).setUint32(32, 513, true);
  expectFormatError(() => convertBytes(badBlockSize), /block size/);
  const hugeDir = good.slice();
  new DataView(hugeDir.buffer).setUint32(44, 0x7fffffff, true);
  expectFormatError(() => convertBytes(hugeDir), /directory size/);
  const badMap = good.slice();
  new DataView(badMap.buffer).setUint32(52, 99999, true);
  expectFormatError(() => convertBytes(badMap), /block map/);
  // A stream whose size claims more blocks than the file has.
  const hugeStream = buildMsf([new Uint8Array(10)]);
  const dirBlock = new DataView(hugeStream.buffer).getUint32(3 * 512, true);
  new DataView(hugeStream.buffer).setUint32(dirBlock * 512 + 4, 0x40000000, true);
  expectFormatError(() => new Pdb({ size: hugeStream.length, read: rd(hugeStream) }), /needs more blocks/);
  // A stream block index pointing past the end.
  const outOfRange = buildMsf([new Uint8Array(10)]);
  new DataView(outOfRange.buffer).setUint32(dirBlock * 512 + 8, 5000, true);
  expectFormatError(() => new Pdb({ size: outOfRange.length, read: rd(outOfRange) }), /outside/);
  // The directory repeating one of its own blocks.
  const big = buildMsf(
    [new Uint8Array(0), new Uint8Array(0), ...Array.from({ length: 200 }, () => null)],
    512,
  );
  const dv = new DataView(big.buffer);
  dv.setUint32(3 * 512 + 4, dv.getUint32(3 * 512, true), true);
  expectFormatError(() => new Pdb({ size: big.length, read: rd(big) }), /repeats/);
});

function rd(buf: Uint8Array) {
  return (pos: number, dst: Uint8Array, off: number, len: number) => {
    const n = Math.max(0, Math.min(len, buf.length - pos));
    dst.set(buf.subarray(pos, pos + n), off);
    return n;
  };
}

test('bad input: stream indices named by the DBI stream that do not exist', () => {
  const pdb = buildMsf([
    new Uint8Array(0),
    infoStream(
      Array.from({ length: 16 }, () => 0),
      1,
    ),
    buildPdbTpi(sampleTypes()),
    dbiStream({ machine: 0x8664, age: 1, symRecordStream: 77, sectionHeaderStream: 0xffff }),
  ]);
  expectFormatError(() => convertBytes(pdb), /stream 77/);
});

function buildPdbTpi(types: Uint8Array[]): Uint8Array {
  // Reuse the full builder and pull its TPI stream back out, so the header logic lives in one place.
  const p = Pdb.fromBytes(buildPdb({ types }));
  const s = p.msf.stream(2);
  p.close();
  return s;
}

test('bad input: cyclic type references and field-list loops fail fast', () => {
  // 0x1000 is a modifier of itself; a member of that type cannot be described.
  const selfModifier = [
    typeRecord(0x1001, new Bytes().u32(0x1000).u16(1).done()),
    fieldList((b) => member(b, 0x1000, 0, 'x')),
    struct(0x1505, 0, 0x1001, 4, 'LOOP'),
  ];
  expectFormatError(() => convertBytes(buildPdb({ types: selfModifier })), /cyclic/);
  // Pointer chains that loop: 0x1000 -> 0x1001 -> 0x1000.
  const pointerLoop = [
    typeRecord(0x1002, new Bytes().u32(0x1001).u32(0x1000c).done()),
    typeRecord(0x1002, new Bytes().u32(0x1000).u32(0x1000c).done()),
    fieldList((b) => member(b, 0x1000, 0, 'p')),
    struct(0x1505, 0, 0x1002, 8, 'PLOOP'),
  ];
  expectFormatError(() => convertBytes(buildPdb({ types: pointerLoop })), /cyclic/);
  // An array whose element is itself.
  const arrayLoop = [
    typeRecord(0x1503, new Bytes().u32(0x1000).u32(0x23).u16(8).cstr('').done()),
    fieldList((b) => member(b, 0x1000, 0, 'a')),
    struct(0x1505, 0, 0x1001, 8, 'ALOOP'),
  ];
  expectFormatError(() => convertBytes(buildPdb({ types: arrayLoop })), /cyclic/);
  // A field list continuing into itself.
  const indexLoop = [
    fieldList((b) => {
      member(b, 0x74, 0, 'x');
      b.u16(0x1404).u16(0).u32(0x1000);
    }),
    struct(0x1505, 0, 0x1000, 4, 'ILOOP'),
  ];
  expectFormatError(() => convertBytes(buildPdb({ types: indexLoop })), /loops/);
  // References to types past the end of the stream.
  const dangling = [fieldList((b) => member(b, 0x9999, 0, 'x')), struct(0x1505, 0, 0x1000, 4, 'DANGLING')];
  expectFormatError(() => convertBytes(buildPdb({ types: dangling })), /missing type 0x9999/);
});

test('bad input: absurd type-stream header values', () => {
  const good = buildPdb({ types: sampleTypes() });
  const p = Pdb.fromBytes(good);
  const tpi = p.msf.stream(2);
  p.close();
  for (const [off, v, re] of [
    [8, 0x10, /type index range/],
    [12, 0x0fffffff, /type records cannot fit|type index range/],
    [16, 0x7fffffff, /run past/],
    [4, 3, /header size/],
  ] as const) {
    const t = tpi.slice();
    new DataView(t.buffer).setUint32(off, v, true);
    const file = buildMsf([new Uint8Array(0), infoOf(good), t]);
    expectFormatError(() => convertBytes(file), re);
  }
});

function infoOf(file: Uint8Array): Uint8Array {
  const p = Pdb.fromBytes(file);
  const s = p.msf.stream(1);
  p.close();
  return s;
}

test('random corruption yields results or FormatError, never a crash or a hang', () => {
  const good = samplePdb();
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  let failed = 0;
  const t0 = performance.now();
  for (let i = 0; i < 300; i++) {
    const b = good.slice();
    for (let k = 0; k < 1 + (i % 8); k++) b[512 * 3 + (rand() % (b.length - 512 * 3))] = rand() & 0xff;
    try {
      convertBytes(b);
    } catch (e) {
      assert.ok(e instanceof FormatError, `iteration ${i}: ${(e as Error).stack}`);
      failed++;
    }
  }
  assert.ok(performance.now() - t0 < 5000);
  assert.ok(failed < 300);
});

test("converted tables pass memdig's own ISF validation (the reader the analysis uses)", () => {
  const pdb = Pdb.fromBytes(samplePdb());
  const { isf } = convertPdb(pdb, { database: 'sample.pdb' });
  pdb.close();
  const asRead: IsfDocument = isf;
  const warnings = new Warnings();
  const back = parseIsf(JSON.stringify(asRead), 'sample.json', warnings);
  assert.equal(back.user_types._THING!.size, 64);
  assert.deepEqual(warnings.items, []);
});
