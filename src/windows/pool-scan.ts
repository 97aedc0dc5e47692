import type { PhysicalMemory } from '../sources/source.js';

/** One pool allocation whose header carries a wanted tag. */
export interface PoolHit {
  /** Physical address of the _POOL_HEADER. */
  header: number;
  tag: string;
  /** Allocation size in bytes (BlockSize x pool alignment), header included. */
  size: number;
}

/** Pool tags as 4 bytes; the "protected" high bit of older tags (e.g. `Pro\xe3`) is kept as written. */
function tagBytes(tag: string): Buffer {
  return Buffer.from(tag, 'latin1');
}

/**
 * Scans physical memory for pool headers carrying one of `tags`, yielding each allocation once. The header must
 * sit at the pool alignment (8 bytes on x86, 16 on x64) and its BlockSize must cover at least `minSize` bytes and
 * stay inside its page (small-pool allocations never cross a page). Uses Buffer.indexOf on large blocks: the scan
 * runs at memory speed, and only tag hits cost any decoding.
 */
export function* scanPool(
  mem: PhysicalMemory,
  tags: string[],
  pointerSize: 4 | 8,
  minSize: number,
  blockSize = 1 << 22,
): Generator<PoolHit> {
  const align = pointerSize === 8 ? 16 : 8;
  const needles = tags.map(tagBytes);
  for (const block of mem.scan(blockSize)) {
    const buf = Buffer.from(block.bytes.buffer, block.bytes.byteOffset, block.bytes.byteLength);
    for (let t = 0; t < needles.length; t++) {
      const needle = needles[t]!;
      let i = buf.indexOf(needle, 4);
      while (i >= 0) {
        const hdr = i - 4;
        const pa = block.addr + hdr;
        if (pa % align === 0) {
          const size = blockSizeOf(buf, hdr, pointerSize) * align;
          const inPage = (pa % 4096) + size <= 4096;
          if (size >= minSize && inPage) yield { header: pa, tag: tags[t]!, size };
        }
        i = buf.indexOf(needle, i + 4);
      }
    }
  }
}

/** BlockSize field: x86 bits 0-8 of the u16 at +2; x64 the byte at +2. */
function blockSizeOf(b: Buffer, hdr: number, pointerSize: 4 | 8): number {
  return pointerSize === 8 ? b[hdr + 2]! : (b[hdr + 2]! | (b[hdr + 3]! << 8)) & 0x1ff;
}
