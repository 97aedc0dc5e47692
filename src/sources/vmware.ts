import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { FormatError, MemdigError } from '../util/errors.js';
import { type ByteSource, FileReader } from './file-reader.js';
import { registerContainer } from './open.js';
import { SegmentedMemory, SegmentList } from './segmented.js';

/**
 * VMware snapshots and suspended VMs: the guest's RAM is in a `.vmem` file, but RAM above the PCI hole (above
 * 3 GiB on most configurations) is stored packed, so the `.vmem` is NOT contiguous physical memory. The `.vmss`
 * (suspend) or `.vmsn` (snapshot) beside it holds the layout: in its "memory" group, tags regionPPN[i] (first
 * guest page), regionPageNum[i] (first page in the .vmem) and regionSize[i] (pages). Layout facts from
 * Volatility 3's vmware layer.
 */

const FMT = 'VMware snapshot';
const MAGICS = [0xbed2bed0, 0xbad1bad1, 0xbed2bed2, 0xbed3bed3];
const PAGE = 4096;
const MAX_GROUPS = 4096;
const MAX_TAGS = 1 << 20;
const META_EXTS = ['.vmss', '.vmsn', '.VMSS', '.VMSN'];
const VMEM_EXTS = ['.vmem', '.VMEM'];

export interface VmwareTag {
  name: string;
  indices: number[];
  /** Small values (up to 8 bytes) as a number; null for long data. */
  value: number | null;
  /** Long data (flags 62/63): where it is in the metadata file and how long. */
  dataOffset: number;
  dataSize: number;
}

export interface VmwareMetadata {
  version: number;
  groups: { name: string; offset: number; size: number }[];
  /** Tags of the "memory" group. */
  memoryTags: VmwareTag[];
}

export function isVmwareMetadata(head: Uint8Array): boolean {
  if (head.length < 12) return false;
  const m = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(0, true);
  return MAGICS.includes(m);
}

/** Parses the group table and the "memory" group's tags of a .vmss/.vmsn. */
export function parseVmwareMetadata(meta: ByteSource): VmwareMetadata {
  const h = meta.bytes(0, 12);
  if (!isVmwareMetadata(h))
    throw new FormatError(FMT, 0, 'magic is not one of 0xbed2bed0, 0xbad1bad1, 0xbed2bed2, 0xbed3bed3');
  const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const version = h[0]! & 0xf;
  const groupCount = dv.getUint32(8, true);
  if (groupCount > MAX_GROUPS)
    throw new FormatError(FMT, 8, `${groupCount} groups is absurd (limit ${MAX_GROUPS})`);
  const table = meta.bytes(12, groupCount * 80);
  if (table.length < groupCount * 80) {
    throw new FormatError(FMT, 12, `group table (${groupCount} x 80 bytes) runs past the end of the file`);
  }
  const tv = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const groups: VmwareMetadata['groups'] = [];
  for (let i = 0; i < groupCount; i++) {
    const o = i * 80;
    const raw = table.subarray(o, o + 64);
    const z = raw.indexOf(0);
    const name = new TextDecoder('latin1').decode(z < 0 ? raw : raw.subarray(0, z));
    const u64 = (p: number) => tv.getUint32(p + 4, true) * 2 ** 32 + tv.getUint32(p, true);
    groups.push({ name, offset: u64(o + 64), size: u64(o + 72) });
  }
  const mem = groups.find((g) => g.name === 'memory');
  if (!mem) throw new FormatError(FMT, 12, `no "memory" group among ${groupCount} groups`);
  if (mem.offset >= meta.size) {
    throw new FormatError(
      FMT,
      12 + groups.indexOf(mem) * 80 + 64,
      `"memory" group offset 0x${mem.offset.toString(16)} is past the end of the file`,
    );
  }
  return { version, groups, memoryTags: parseTags(meta, mem.offset, version) };
}

function parseTags(meta: ByteSource, start: number, version: number): VmwareTag[] {
  const tags: VmwareTag[] = [];
  const buf = new Uint8Array(2 + 255 + 12 + 2 * 8 + 2);
  const dv = new DataView(buf.buffer);
  let off = start;
  for (;;) {
    const got = meta.read(off, buf, 0, buf.length);
    if (got < 2) throw new FormatError(FMT, off, 'file ends inside the "memory" group before its end marker');
    const flags = buf[0]!;
    const nameLen = buf[1]!;
    if (flags === 0 && nameLen === 0) return tags;
    if (tags.length >= MAX_TAGS)
      throw new FormatError(FMT, off, `more than ${MAX_TAGS} tags in the "memory" group`);
    const nIdx = (flags >> 6) & 3;
    let p = 2 + nameLen;
    const name = new TextDecoder('latin1').decode(buf.subarray(2, p));
    const indices: number[] = [];
    for (let i = 0; i < nIdx; i++, p += 4) indices.push(dv.getUint32(p, true));
    const dataLen = flags & 0x3f;
    if (p + 2 * 8 + 2 > got && (dataLen === 62 || dataLen === 63)) {
      throw new FormatError(FMT, off, `file ends inside tag "${name}"`);
    }
    if (dataLen === 62 || dataLen === 63) {
      // Long data: its size, then the in-memory size (each 4 bytes in version 0, else 8), 2 padding bytes, data.
      const w = version === 0 ? 4 : 8;
      const size =
        w === 4 ? dv.getUint32(p, true) : dv.getUint32(p + 4, true) * 2 ** 32 + dv.getUint32(p, true);
      const dataOffset = off + p + 2 * w + 2;
      if (dataOffset + size > meta.size) {
        throw new FormatError(FMT, off, `tag "${name}" has ${size} bytes of data, past the end of the file`);
      }
      tags.push({ name, indices, value: null, dataOffset, dataSize: size });
      off = dataOffset + size;
    } else {
      if (dataLen > 8)
        throw new FormatError(FMT, off, `tag "${name}" has a ${dataLen}-byte value, expected <= 8 or 62/63`);
      if (p + dataLen > got) throw new FormatError(FMT, off, `file ends inside tag "${name}"`);
      let value = 0;
      for (let i = dataLen - 1; i >= 0; i--) value = value * 256 + buf[p + i]!;
      tags.push({ name, indices, value, dataOffset: off + p, dataSize: dataLen });
      off += p + dataLen;
    }
  }
}

/** Physical runs from the region tags; null when the snapshot does not split memory into regions. */
function regionRuns(
  md: VmwareMetadata,
  dataSize: number,
  base: number,
  warnings: string[],
): SegmentList | null {
  const tag = (name: string, i?: number) =>
    md.memoryTags.find(
      (t) => t.name === name && (i === undefined ? t.indices.length === 0 : t.indices[0] === i),
    );
  const count = tag('regionsCount')?.value ?? 0;
  if (count === 0) return null;
  if (count > MAX_TAGS)
    throw new FormatError(FMT, tag('regionsCount')!.dataOffset, `regionsCount ${count} is absurd`);
  const segs = new SegmentList();
  for (let i = 0; i < count; i++) {
    const ppn = tag('regionPPN', i);
    const pageNum = tag('regionPageNum', i);
    const size = tag('regionSize', i);
    if (ppn?.value == null || pageNum?.value == null || size?.value == null) {
      throw new FormatError(
        FMT,
        tag('regionsCount')!.dataOffset,
        `region ${i} of ${count} lacks regionPPN/regionPageNum/regionSize`,
      );
    }
    const fileOff = base + pageNum.value * PAGE;
    const len = size.value * PAGE;
    const have = Math.max(0, Math.min(len, base + dataSize - fileOff));
    if (have < len) {
      warnings.push(
        `region ${i} (guest page 0x${ppn.value.toString(16)}, ${size.value} pages) needs memory-file bytes up to ` +
          `0x${(fileOff + len).toString(16)} but the memory data ends at 0x${(base + dataSize).toString(16)}`,
      );
    }
    segs.push(ppn.value * PAGE, have, fileOff);
  }
  return segs;
}

function sibling(path: string, exts: string[], accept: (p: string) => boolean): string | null {
  const stem = basename(path, extname(path));
  for (const e of exts) {
    const p = join(dirname(path), stem + e);
    if (p !== path && existsSync(p) && statSync(p).isFile() && accept(p)) return p;
  }
  return null;
}

function metadataMagicOk(p: string): boolean {
  try {
    const r = new FileReader(p, 1);
    try {
      return isVmwareMetadata(r.bytes(0, 12));
    } finally {
      r.close();
    }
  } catch {
    return false;
  }
}

/** Opens memory described by the metadata file `metaPath`, stored in `data` (a .vmem, or the metadata itself). */
function openWith(metaPath: string, data: ByteSource, dataIsMeta: boolean): SegmentedMemory {
  const meta = dataIsMeta ? data : new FileReader(metaPath);
  let md: VmwareMetadata;
  try {
    md = parseVmwareMetadata(meta);
  } finally {
    if (!dataIsMeta) meta.close();
  }
  const warnings: string[] = [];
  let base = 0;
  let size = data.size;
  if (dataIsMeta) {
    const m = md.memoryTags.find((t) => t.name === 'Memory' && t.value === null);
    if (!m) {
      throw new MemdigError(
        `${metaPath}: VMware metadata without its memory: put the .vmem with the same name beside it`,
      );
    }
    base = m.dataOffset;
    size = m.dataSize;
  }
  const segs =
    regionRuns(md, size, base, warnings) ?? SegmentList.from([{ phys: 0, length: size, fileOffset: base }]);
  return new SegmentedMemory(
    'vmware',
    data,
    segs,
    {
      path: data.path,
      metadata: metaPath,
      snapshotVersion: md.version,
      regions: md.memoryTags.find((t) => t.name === 'regionsCount')?.value ?? 0,
      memoryIn: dataIsMeta ? 'snapshot file' : '.vmem',
    },
    warnings,
  );
}

registerContainer({
  // The .vmss/.vmsn given directly: memory is in the sibling .vmem, or embedded ('Memory' tag) in older snapshots.
  name: 'vmware-metadata',
  matches: isVmwareMetadata,
  open: (file) => {
    const vmem = sibling(file.path, VMEM_EXTS, () => true);
    if (!vmem) return openWith(file.path, file, true);
    file.close();
    return openWith(file.path, new FileReader(vmem), false);
  },
});

registerContainer({
  // A raw-looking .vmem: only its sibling metadata tells the real layout. Checked last, by name then by magic.
  name: 'vmware-vmem',
  matches: (_h, file) => !!file.path && sibling(file.path, META_EXTS, metadataMagicOk) !== null,
  open: (file) => openWith(sibling(file.path, META_EXTS, metadataMagicOk)!, file, false),
});
