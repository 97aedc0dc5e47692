import { FormatError, Warnings } from '../../util/errors.js';
import {
  type DbiStream,
  Omap,
  type PdbInfo,
  readDbi,
  readPdbInfo,
  readSectionHeaders,
  type SectionHeader,
} from './dbi.js';
import { type ByteSource, bufferSource, fileSource, Msf } from './msf.js';
import { type ProcRef, parseRecord, readSymbolRecords, type SymbolRecord } from './symbols.js';
import { TypeStream } from './tpi.js';

const STREAM_INFO = 1;
const STREAM_TPI = 2;
const STREAM_DBI = 3;

/**
 * A PDB opened from a file or a buffer: its identity (GUID, age, machine), the type stream, section headers, and
 * the symbols that carry an address. Usable on its own, with no dump in sight.
 */
export class Pdb {
  readonly msf: Msf;
  readonly info: PdbInfo;
  readonly dbi: DbiStream | null;
  readonly types: TypeStream;
  readonly sections: SectionHeader[];
  readonly warnings = new Warnings(1000);
  private readonly omap: Omap | null;

  constructor(src: ByteSource) {
    this.msf = new Msf(src);
    try {
      this.info = readPdbInfo(this.msf.stream(STREAM_INFO, 'PDB info stream'));
      this.types = new TypeStream(this.msf.stream(STREAM_TPI, 'TPI stream'));
      // A PDB with only types (some toolchains' type-server PDBs) has an empty DBI stream.
      const dbiBytes = this.msf.has(STREAM_DBI)
        ? this.msf.stream(STREAM_DBI, 'DBI stream')
        : new Uint8Array(0);
      this.dbi = dbiBytes.length > 0 ? readDbi(dbiBytes) : null;
      let omap: Omap | null = null;
      let sections: SectionHeader[] = [];
      const d = this.dbi;
      if (d && d.sectionHeaderOrigStream >= 0 && d.omapFromSrcStream >= 0) {
        sections = readSectionHeaders(
          this.optionalStream(d.sectionHeaderOrigStream, 'original section headers'),
        );
        omap = new Omap(this.optionalStream(d.omapFromSrcStream, 'OMAP from source'));
      } else if (d && d.sectionHeaderStream >= 0) {
        sections = readSectionHeaders(this.optionalStream(d.sectionHeaderStream, 'section headers'));
      }
      this.sections = sections;
      this.omap = omap && omap.size > 0 ? omap : null;
    } catch (e) {
      this.msf.close();
      throw e;
    }
  }

  static open(path: string): Pdb {
    return new Pdb(fileSource(path));
  }

  static fromBytes(buf: Uint8Array): Pdb {
    return new Pdb(bufferSource(buf));
  }

  /** Age as the symbol server and the PE's RSDS record use it (the DBI copy; the info stream's when there is none). */
  get age(): number {
    return this.dbi?.age ?? this.info.age;
  }

  get machine(): number {
    return this.dbi?.machine ?? 0;
  }

  /** Image-relative address of segment:offset (segments are 1-based section numbers), or null if out of range. */
  rva(segment: number, offset: number): number | null {
    const s = this.sections[segment - 1];
    if (!s) return null;
    const a = s.virtualAddress + offset;
    return this.omap ? this.omap.map(a) : a;
  }

  /**
   * Every addressable symbol: publics and global data from the symbol record stream, plus the procedures that the
   * global stream's S_PROCREF records point to inside module streams (they carry the function's type).
   */
  symbols(): SymbolRecord[] {
    const d = this.dbi;
    if (!d || d.symRecordStream < 0) return [];
    const refs: ProcRef[] = [];
    const out = readSymbolRecords(
      this.optionalStream(d.symRecordStream, 'symbol records'),
      'symbol records',
      this.warnings,
      refs,
    );
    const modCache = new Map<number, Uint8Array>();
    for (const ref of refs) {
      const mod = d.modules[ref.module - 1];
      if (!mod || mod.symStream < 0 || !this.msf.has(mod.symStream)) {
        this.warnings.add(`procedure reference ${ref.name}: module ${ref.module} has no symbol stream`);
        continue;
      }
      let data = modCache.get(mod.symStream);
      if (!data) {
        data = this.msf.stream(mod.symStream, `module ${ref.module} symbols`);
        modCache.set(mod.symStream, data);
      }
      if (ref.offset + 4 > data.length) {
        this.warnings.add(
          `procedure reference ${ref.name}: offset 0x${ref.offset.toString(16)} is past its module`,
        );
        continue;
      }
      const len = data[ref.offset]! | (data[ref.offset + 1]! << 8);
      const kind = data[ref.offset + 2]! | (data[ref.offset + 3]! << 8);
      const end = ref.offset + 2 + len;
      if (end > data.length) continue;
      try {
        const r = parseRecord(data, kind, ref.offset, end, `module ${ref.module}`);
        if (r && r.kind === 'proc') out.push({ ...r, name: ref.name, global: ref.global });
      } catch (e) {
        this.warnings.add((e as Error).message);
      }
    }
    return out;
  }

  close(): void {
    this.msf.close();
  }

  private optionalStream(index: number, what: string): Uint8Array {
    if (!this.msf.has(index)) {
      throw new FormatError('PDB', 0, `${what}: stream ${index} named by the DBI stream does not exist`);
    }
    return this.msf.stream(index, what);
  }
}
