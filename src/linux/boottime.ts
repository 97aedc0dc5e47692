import type { LinuxKernel } from './kernel.js';

const Y2000_NS = 946684800e9;
const Y2200_NS = 7258118400e9;

/**
 * Wall-clock time of boot in ns since the epoch, as the kernel's getboottime64() computes it:
 * `timekeeper.offs_real − timekeeper.offs_boot`. `tk_core` is an anonymous struct whose timekeeper follows a
 * 4-byte seqcount (so at +8); the result is accepted only if it lands between 2000 and 2200. -1 when unknown.
 */
export function bootTimeNs(k: LinuxKernel): number {
  const tk = k.optSym('tk_core');
  const real = k.types.member('timekeeper', 'offs_real');
  const boot = k.types.member('timekeeper', 'offs_boot');
  if (tk === undefined || !real || !boot) return -1;
  for (const at of [8, 16, 64]) {
    const t = k.kmem.s64(tk + at + real.offset) - k.kmem.s64(tk + at + boot.offset);
    if (t > Y2000_NS && t < Y2200_NS) return t;
  }
  return -1;
}
