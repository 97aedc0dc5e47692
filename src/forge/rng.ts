/**
 * Seeded pseudo-random numbers for the builder. Every random choice (page placement, timestamps, noise) comes from
 * one of these so that the same scenario and seed give byte-identical images.
 */
export class Rng {
  private s: number;
  private readonly seed: number;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    // splitmix-style scramble so that nearby seeds give unrelated streams.
    let x = (seed ^ 0x9e3779b9) >>> 0;
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
    this.s = (x ^ (x >>> 16)) >>> 0 || 1;
  }

  /** Uniform u32 (mulberry32). */
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Integer in [0, n) for n up to 2^53. */
  int(n: number): number {
    if (n <= 0x100000000) return Math.floor((this.u32() / 0x100000000) * n);
    return Math.floor(((this.u32() * 0x100000000 + this.u32()) / 2 ** 64) * n);
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  fill(dst: Uint8Array): void {
    let i = 0;
    for (; i + 4 <= dst.length; i += 4) {
      const v = this.u32();
      dst[i] = v & 0xff;
      dst[i + 1] = (v >>> 8) & 0xff;
      dst[i + 2] = (v >>> 16) & 0xff;
      dst[i + 3] = v >>> 24;
    }
    for (; i < dst.length; i++) dst[i] = this.u32() & 0xff;
  }

  /** An independent stream derived from this one and a label, so adding draws in one area leaves others unchanged. */
  fork(label: string): Rng {
    let h = this.seed ^ 0x811c9dc5;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
    return new Rng(h);
  }
}
