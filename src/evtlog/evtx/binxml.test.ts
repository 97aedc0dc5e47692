import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkContext } from './binxml.js';
import { VT } from './nodes.js';
import { Resolver, toXml, type XChild } from './render.js';
import { W } from './synth.js';

/** Writes `build` at chunk offset 512 of a blank chunk and renders the stream. */
function render(build: (w: W) => void): { xml: string; tree: XChild[]; warnings: string[] } {
  const w = new W(512);
  build(w);
  const chunk = new Uint8Array(65536);
  chunk.set(w.b, 512);
  const ctx = new ChunkContext(chunk);
  const warnings: string[] = [];
  const tree: XChild[] = [];
  const { nodes } = ctx.parse(512, 512 + w.b.length, 0);
  new Resolver(ctx, warnings).resolve(nodes, null, tree);
  return { xml: toXml(tree), tree, warnings };
}

test('tokens: attributes, CDATA, character and entity references, processing instructions', () => {
  const { xml, warnings } = render((w) => {
    w.bytes([0x0f, 0x01, 0x01, 0x00]);
    w.pi('xml-stylesheet', 'href="a.xsl"');
    w.open('Root', true);
    w.attr('a', true);
    w.text('x&y"');
    w.attr('b', false);
    w.text('2');
    w.u8(0x02);
    w.cdata('c<d');
    w.charRef(0x41);
    w.entityRef('amp');
    w.open('Empty', false);
    w.u8(0x03);
    w.u8(0x04);
    w.u8(0x00);
  });
  assert.deepEqual(warnings, []);
  assert.equal(
    xml,
    '<?xml-stylesheet href="a.xsl"?>\n<Root a="x&amp;y&quot;" b="2">\n  c&lt;dA&amp;\n  <Empty />\n</Root>\n',
  );
});

test('substitution value types render as Event Viewer shows them', () => {
  const le = (n: number, size: number) =>
    Array.from({ length: size }, (_, i) => Math.floor(n / 256 ** i) % 256);
  const utf16 = (s: string) => [...s].flatMap((c) => [c.charCodeAt(0), 0]);
  const nested = new W(0);
  const values: [number, number[], string][] = [
    [VT.Int8, [0xff], '-1'],
    [VT.UInt8, [200], '200'],
    [VT.Int16, [0xfe, 0xff], '-2'],
    [VT.UInt16, le(65000, 2), '65000'],
    [VT.Int32, [0xfd, 0xff, 0xff, 0xff], '-3'],
    [VT.UInt32, le(4_000_000_000, 4), '4000000000'],
    [VT.Int64, [0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], '-5'],
    [VT.UInt64, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], '18446744073709551615'],
    [VT.Real32, [0, 0, 0xc0, 0x3f], '1.5'],
    [VT.Real64, [0, 0, 0, 0, 0, 0, 2, 0x40], '2.25'],
    [VT.Bool, [1, 0, 0, 0], 'true'],
    [VT.Binary, [0xde, 0xad], 'DEAD'],
    [
      VT.Guid,
      [0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0x78, 0x56, 0x9a, 0xbc, 1, 2, 3, 4, 5, 6],
      '{12345678-1234-5678-9ABC-010203040506}',
    ],
    [VT.SizeT, le(0x1234, 8), '0x1234'],
    [VT.FileTime, [0, 0, 0, 0, 0, 0, 0, 0], '1601-01-01T00:00:00.0000000Z'],
    [VT.SysTime, [0xe8, 7, 1, 0, 2, 0, 2, 0, 3, 0, 4, 0, 5, 0, 0xa6, 2], '2024-01-02T03:04:05.678Z'],
    [VT.Sid, [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0], 'S-1-5-18'],
    [VT.HexInt32, le(0x1f, 4), '0x1f'],
    [VT.HexInt64, [1, 0, 0, 0, 1, 0, 0, 0], '0x100000001'],
    [VT.AnsiString, [0x68, 0x69, 0], 'hi'],
    [VT.String, utf16('plain'), 'plain'],
  ];
  // Nested Binary XML value: its own fragment with an element (names inline, positions relative to the chunk).
  const { xml, warnings } = render((w) => {
    w.bytes([0x0f, 0x01, 0x01, 0x00]);
    w.u8(0x0c);
    w.u8(0x01);
    w.u32(7);
    w.u32(w.pos + 4);
    w.u32(0);
    w.bytes(new Array(16).fill(0));
    const body = new W(w.pos + 4);
    body.bytes([0x0f, 0x01, 0x01, 0x00]);
    body.open('Values', false);
    body.u8(0x02);
    values.forEach(([t], i) => {
      body.open('V', false);
      body.u8(0x02);
      body.subst(i, t);
      body.u8(0x04);
    });
    body.open('Nested', false);
    body.u8(0x02);
    body.subst(values.length, VT.BinXml);
    body.u8(0x04);
    body.open('Arr', false);
    body.u8(0x02);
    body.subst(values.length + 1, VT.String | 0x80);
    body.u8(0x04);
    body.open('Nums', false);
    body.u8(0x02);
    body.subst(values.length + 2, VT.UInt32 | 0x80);
    body.u8(0x04);
    body.u8(0x04);
    body.u8(0x00);
    w.u32(body.b.length);
    w.bytes(body.b);
    const count = values.length + 3;
    w.u32(count);
    // Nested value bytes are written last; their chunk position is known once the descriptors are laid out.
    const sizes = values.map(([, v]) => v.length);
    const arr = utf16('a\0b\0');
    const nums = [...le(1, 4), ...le(2, 4)];
    const nestedStart = w.pos + 4 * count + sizes.reduce((a, b) => a + b, 0);
    const n = new W(nestedStart);
    n.bytes([0x0f, 0x01, 0x01, 0x00]);
    n.open('Inner', false);
    n.u8(0x02);
    n.text('deep');
    n.u8(0x04);
    n.u8(0x00);
    nested.b.push(...n.b);
    for (const [t, v] of values) {
      w.u16(v.length);
      w.u8(t);
      w.u8(0);
    }
    w.u16(nested.b.length);
    w.u8(VT.BinXml);
    w.u8(0);
    w.u16(arr.length);
    w.u8(VT.String | 0x80);
    w.u8(0);
    w.u16(nums.length);
    w.u8(VT.UInt32 | 0x80);
    w.u8(0);
    for (const [, v] of values) w.bytes(v);
    w.bytes(nested.b);
    w.bytes(arr);
    w.bytes(nums);
    w.u8(0x00);
  });
  assert.deepEqual(warnings, []);
  const got = [...xml.matchAll(/<V>([^<]*)<\/V>/g)].map((m) => m[1]);
  assert.deepEqual(
    got,
    values.map(([, , s]) => s),
  );
  assert.match(xml, /<Nested>\n\s+<Inner>deep<\/Inner>\n\s+<\/Nested>/);
  assert.match(xml, /<Arr>a<\/Arr>\n\s+<Arr>b<\/Arr>/);
  assert.match(xml, /<Nums>1<\/Nums>\n\s+<Nums>2<\/Nums>/);
});

test('hostile input: unknown token and runaway sizes are errors, not hangs', () => {
  assert.throws(
    () =>
      render((w) => {
        w.bytes([0x0f, 0x01, 0x01, 0x00, 0x1f]);
      }),
    /unknown token 0x1f/,
  );
  assert.throws(
    () =>
      render((w) => {
        w.bytes([0x0f, 0x01, 0x01, 0x00, 0x0c, 0x01]);
        w.u32(1);
        w.u32(0x40);
        w.u32(0xffffffff);
      }),
    /implausible substitution count|substitution array/,
  );
});
