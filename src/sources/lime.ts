import { FormatError } from '../util/errors.js';
import type { ByteSource } from './file-reader.js';
import { registerContainer } from './open.js';
import { SegmentedMemory, SegmentList } from './segmented.js';

/** LiME range header: magic 'EMiL' (0x4C694D45 little-endian), version 1, s_addr, e_addr (inclusive), reserved. */
const LIME_MAGIC = 0x4c694d45;
const HEADER = 32;
const MAX_RANGES = 1 << 20;
/** Physical addresses beyond 2^52 exceed every x86-64 implementation: such a header is corrupt. */
const MAX_PHYS = 2 ** 52;

/** LiME (Linux Memory Extractor) dumps: a header before each captured physical range, ranges in any number. */
export function openLime(file: ByteSource): SegmentedMemory {
  const fmt = 'LiME';
  const segs = new SegmentList();
  const warnings: string[] = [];
  const h = new Uint8Array(HEADER);
  const dv = new DataView(h.buffer);
  let off = 0;
  let ranges = 0;
  while (off < file.size) {
    const got = file.read(off, h, 0, HEADER);
    if (got < HEADER) {
      warnings.push(
        `file ends ${got} bytes into a range header at offset 0x${off.toString(16)} (truncated dump)`,
      );
      break;
    }
    const magic = dv.getUint32(0, true);
    if (magic !== LIME_MAGIC) {
      throw new FormatError(
        fmt,
        off,
        `range header magic 0x${magic.toString(16)}, expected 0x4c694d45 ('EMiL')`,
      );
    }
    const version = dv.getUint32(4, true);
    if (version === 2) {
      // AVML (Microsoft's Linux acquisition tool) reuses LiME's header with version 2 for Snappy-compressed ranges.
      throw new FormatError(
        fmt,
        off + 4,
        'header version 2: an AVML compressed image (not supported yet; ' +
          'convert it with `avml-convert` to LiME or raw)',
      );
    }
    if (version !== 1) throw new FormatError(fmt, off + 4, `header version ${version}, expected 1`);
    const start = dv.getUint32(12, true) * 2 ** 32 + dv.getUint32(8, true);
    const end = dv.getUint32(20, true) * 2 ** 32 + dv.getUint32(16, true);
    if (end < start || end >= MAX_PHYS) {
      throw new FormatError(
        fmt,
        off + 8,
        `range 0x${start.toString(16)}-0x${end.toString(16)} is invalid (expected start <= end < 2^52)`,
      );
    }
    if (++ranges > MAX_RANGES) throw new FormatError(fmt, off, `more than ${MAX_RANGES} ranges`);
    const len = end - start + 1;
    const data = off + HEADER;
    const have = Math.min(len, file.size - data);
    if (have < len) {
      warnings.push(
        `range 0x${start.toString(16)}-0x${end.toString(16)} at offset 0x${off.toString(16)} is cut short: ` +
          `${have} of ${len} bytes present (truncated dump)`,
      );
    }
    segs.push(start, have, data);
    off = data + len;
  }
  if (ranges === 0) throw new FormatError(fmt, 0, 'no range header');
  return new SegmentedMemory('lime', file, segs, { path: file.path, limeRanges: ranges }, warnings);
}

registerContainer({
  name: 'lime',
  matches: (h) =>
    h.length >= HEADER &&
    h[0] === 0x45 &&
    h[1] === 0x4d &&
    h[2] === 0x69 &&
    h[3] === 0x4c &&
    (h[4] === 1 || h[4] === 2),
  open: openLime,
});
