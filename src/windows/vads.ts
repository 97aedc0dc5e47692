import { type Accessor, ptr64At, type StructLayout, u32At } from '../symbols/layout.js';
import { isKernelAddress, type WinContext } from './context.js';
import type { WinProcess } from './processes.js';

export type VadKind = 'private' | 'mapped' | 'image';

export interface WinVad {
  /** Kernel address of the VAD node. */
  node: number;
  /** First and last byte of the range (inclusive end, as Windows tools print it). */
  start: number;
  end: number;
  /** Pool tag of the allocation holding the node: 'VadS', 'Vad ', 'Vadl', ... */
  tag: string;
  kind: VadKind;
  vadType: number;
  protection: number;
  protectionName: string;
  privateMemory: boolean;
  commitCharge: number;
  controlArea: number;
  subsection: number;
  firstPrototypePte: number;
  lastContiguousPte: number;
  fileObject: number;
  fileName: string | null;
}

const PROTECTION = [
  'NOACCESS',
  'READONLY',
  'EXECUTE',
  'EXECUTE_READ',
  'READWRITE',
  'WRITECOPY',
  'EXECUTE_READWRITE',
  'EXECUTE_WRITECOPY',
];

/** The 5-bit MM protection index as a PAGE_* style name (+8 NOCACHE, +16 GUARD, +24 WRITECOMBINE). */
export function protectionName(p: number): string {
  const base = PROTECTION[p & 7]!;
  const mod = p >> 3;
  return mod === 0 ? base : `${base}|${['', 'NOCACHE', 'GUARD', 'WRITECOMBINE'][mod]}`;
}

const MAX_VADS = 0x20000;
const IMAGE_MAP = 2;

/** Compiled accessors for VAD nodes of this build's form; resolved once. */
export class VadReader {
  private readonly short: StructLayout;
  private readonly long: StructLayout;
  private readonly left: number;
  private readonly right: number;
  private readonly startVpn: Accessor;
  private readonly endVpn: Accessor;
  private readonly startHigh: Accessor | null;
  private readonly endHigh: Accessor | null;
  private readonly vadType: Accessor | null;
  private readonly imageMap: Accessor | null;
  private readonly protection: Accessor;
  private readonly privateMemory: Accessor;
  private readonly commit: Accessor | null;
  private readonly controlArea: Accessor | null;
  private readonly subsection: Accessor | null;
  private readonly firstProto: Accessor | null;
  private readonly lastProto: Accessor | null;
  private readonly ssControlArea: number;
  private readonly caFilePointer: number;
  private readonly foFileName: number;
  private readonly ps: 4 | 8;
  private readonly buf: Uint8Array;
  /** How the tree is rooted in _EPROCESS.VadRoot. */
  readonly rootForm: 'pointer' | 'avl-table' | 'rtl-avl-tree';
  private readonly vadRootOff: number;
  private readonly avlRootRight: number;

  constructor(private readonly ctx: WinContext) {
    const p = ctx.profile;
    this.ps = p.pointerSize;
    this.short = p.struct('_MMVAD_SHORT');
    this.long = p.struct('_MMVAD');
    const s = this.short;
    if (s.has('VadNode')) {
      this.left = s.offsetOf('VadNode.Left');
      this.right = s.offsetOf('VadNode.Right');
    } else {
      this.left = s.offsetOf('LeftChild');
      this.right = s.offsetOf('RightChild');
    }
    this.startVpn = s.accessor('StartingVpn');
    this.endVpn = s.accessor('EndingVpn');
    this.startHigh = s.tryAccessor('StartingVpnHigh');
    this.endHigh = s.tryAccessor('EndingVpnHigh');
    this.vadType = s.tryAccessor('u.VadFlags.VadType');
    this.imageMap = s.tryAccessor('u.VadFlags.ImageMap');
    this.protection = s.accessor('u.VadFlags.Protection');
    this.privateMemory = s.accessor('u.VadFlags.PrivateMemory');
    this.commit = s.tryAccessor('u.VadFlags.CommitCharge') ?? s.tryAccessor('u1.VadFlags1.CommitCharge');
    const l = this.long;
    this.controlArea = l.tryAccessor('ControlArea');
    this.subsection = l.tryAccessor('Subsection');
    this.firstProto = l.tryAccessor('FirstPrototypePte');
    this.lastProto = l.tryAccessor('LastContiguousPte');
    this.ssControlArea = p.hasStruct('_SUBSECTION') ? p.struct('_SUBSECTION').offsetOf('ControlArea') : 0;
    this.caFilePointer = p.struct('_CONTROL_AREA').offsetOf('FilePointer');
    this.foFileName = p.struct('_FILE_OBJECT').offsetOf('FileName');
    this.buf = new Uint8Array(Math.max(l.size, s.size));
    const e = p.struct('_EPROCESS');
    const vr = e.field('VadRoot');
    this.vadRootOff = vr.offset;
    if (vr.type.kind === 'pointer') {
      this.rootForm = 'pointer';
      this.avlRootRight = 0;
    } else if (vr.type.name === '_RTL_AVL_TREE') {
      this.rootForm = 'rtl-avl-tree';
      this.avlRootRight = p.struct('_RTL_AVL_TREE').offsetOf('Root');
    } else {
      // _MM_AVL_TABLE: BalancedRoot is a sentinel whose RightChild is the real root.
      this.rootForm = 'avl-table';
      const t = p.struct(vr.type.name!);
      this.avlRootRight = t.has('BalancedRoot.RightChild')
        ? t.offsetOf('BalancedRoot.RightChild')
        : t.offsetOf('BalancedRoot') + this.right;
    }
  }

  /** Kernel address of the tree's root node for a process, or 0. */
  root(proc: WinProcess): number {
    if (proc.eprocess < 0) return 0;
    const field = proc.eprocess + this.vadRootOff;
    const at = this.rootForm === 'pointer' ? field : field + this.avlRootRight;
    const v = this.ctx.profile.readPointer(this.ctx.kernel, at);
    return Number.isFinite(v) ? v : 0;
  }

  private ptr(off: number): number {
    return this.ps === 4 ? u32At(this.buf, off) : ptr64At(this.buf, off);
  }

  /** Every VAD of a process in address order; loops, bad pointers and absurd sizes become warnings. */
  walk(proc: WinProcess): WinVad[] {
    const out: WinVad[] = [];
    const root = this.root(proc);
    if (root === 0) return out;
    const seen = new Set<number>();
    const stack: number[] = [root];
    const k = this.ctx.kernel;
    const tagBuf = new Uint8Array(4);
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node === 0) continue;
      if (seen.has(node)) {
        this.ctx.warnings.add(`pid ${proc.pid}: VAD tree loops back to node 0x${node.toString(16)}`);
        continue;
      }
      if (seen.size >= MAX_VADS) {
        this.ctx.warnings.add(`pid ${proc.pid}: more than ${MAX_VADS} VADs; rest ignored`);
        break;
      }
      seen.add(node);
      if (!isKernelAddress(node, this.ps)) {
        this.ctx.warnings.add(
          `pid ${proc.pid}: VAD node pointer 0x${node.toString(16)} is not a kernel address`,
        );
        continue;
      }
      const shortSize = this.short.size;
      if (k.read(node, this.buf, 0, shortSize) < shortSize) {
        this.ctx.warnings.add(`pid ${proc.pid}: VAD node 0x${node.toString(16)} is unreadable`);
        continue;
      }
      const left = this.ptr(this.left);
      const right = this.ptr(this.right);
      const tagAt = node - (this.ps === 8 ? 0xc : 4);
      const tag = k.read(tagAt, tagBuf, 0, 4) === 4 ? String.fromCharCode(...tagBuf) : '';
      const vad = this.decode(node, tag, proc);
      if (vad) out.push(vad);
      if (right) stack.push(right);
      if (left) stack.push(left);
    }
    out.sort((a, b) => a.start - b.start);
    return out;
  }

  private decode(node: number, tag: string, proc: WinProcess): WinVad | null {
    const b = this.buf;
    const sv = this.startVpn.get(b, 0) + (this.startHigh ? this.startHigh.get(b, 0) * 2 ** 32 : 0);
    const ev = this.endVpn.get(b, 0) + (this.endHigh ? this.endHigh.get(b, 0) * 2 ** 32 : 0);
    if (ev < sv) {
      this.ctx.warnings.add(`pid ${proc.pid}: VAD 0x${node.toString(16)} ends before it starts`);
      return null;
    }
    const vadType = this.vadType ? this.vadType.get(b, 0) : this.imageMap?.get(b, 0) ? IMAGE_MAP : 0;
    const protection = this.protection.get(b, 0);
    const privateMemory = this.privateMemory.get(b, 0) !== 0;
    const isLongTag = tag === 'Vad ' || tag === 'Vadl' || tag === 'Vadm' || tag === 'VadL';
    let controlArea = 0;
    let subsection = 0;
    let firstProto = 0;
    let lastProto = 0;
    if (!privateMemory && (isLongTag || tag === '')) {
      const k = this.ctx.kernel;
      if (k.read(node, b, 0, this.long.size) === this.long.size) {
        firstProto = this.firstProto ? this.firstProto.get(b, 0) : 0;
        lastProto = this.lastProto ? this.lastProto.get(b, 0) : 0;
        if (this.controlArea) controlArea = this.controlArea.get(b, 0);
        else if (this.subsection) {
          subsection = this.subsection.get(b, 0);
          if (subsection) {
            const ca = this.ctx.profile.readPointer(k, subsection + this.ssControlArea);
            controlArea = Number.isFinite(ca) ? ca : 0;
          }
        }
      }
    }
    let fileObject = 0;
    let fileName: string | null = null;
    if (controlArea && isKernelAddress(controlArea, this.ps)) {
      const fp = this.ctx.profile.readPointer(this.ctx.kernel, controlArea + this.caFilePointer);
      // Vista+ keep an _EX_FAST_REF: the low 3 (x86) or 4 (x64) bits are a reference count.
      fileObject = Number.isFinite(fp) ? fp - (fp % (this.ps === 8 ? 16 : 8)) : 0;
      if (fileObject && isKernelAddress(fileObject, this.ps)) {
        fileName = this.ctx.profile.readUnicodeString(this.ctx.kernel, fileObject + this.foFileName);
      } else fileObject = 0;
    }
    const kind: VadKind =
      vadType === IMAGE_MAP ? 'image' : !privateMemory && controlArea ? 'mapped' : 'private';
    return {
      node,
      start: sv * 4096,
      end: ev * 4096 + 4095,
      tag,
      kind,
      vadType,
      protection,
      protectionName: protectionName(protection),
      privateMemory,
      commitCharge: this.commit ? this.commit.get(b, 0) : 0,
      controlArea,
      subsection,
      firstPrototypePte: firstProto,
      lastContiguousPte: lastProto,
      fileObject,
      fileName,
    };
  }
}
