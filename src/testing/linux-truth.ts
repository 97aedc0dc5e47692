/** Ground-truth helpers for the Linux test dump: the guest's mapper.c file contents and page hash. */

/** FNV-1a-64 as mapper.c computes it (over the whole 4 KiB page), with 16-bit limbs (no BigInt). */
export function fnv1a64(b: Uint8Array): string {
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (let i = 0; i < b.length; i++) {
    h0 ^= b[i]!;
    // h * 0x100000001b3 = h * 0x1b3 + (h << 40)
    const t0 = h0 * 0x1b3;
    let t1 = h1 * 0x1b3;
    let t2 = h2 * 0x1b3 + (h0 << 8);
    let t3 = h3 * 0x1b3 + (h1 << 8);
    t1 += t0 >>> 16;
    t2 += t1 >>> 16;
    t3 += t2 >>> 16;
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  }
  return [h3, h2, h1, h0].map((x) => x.toString(16).padStart(4, '0')).join('');
}

/** mapper.c fill_pattern(): every 64-byte line names the file and its page offset. */
export function pattern(name: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let off = 0; off < size; off += 64) {
    const page = off - (off % 4096);
    let line = `MEMDIG-PAGE ${name} offset=${page} line=${String((off - page) / 64).padStart(2, '0')} `;
    if (line.length > 63) line = line.slice(0, 63);
    line = `${line.padEnd(63, '.')}\n`;
    out.set(Buffer.from(line, 'latin1').subarray(0, Math.min(64, size - off)), off);
  }
  return out;
}

/** mapper.c fill_log(). */
export function logText(name: string): Uint8Array {
  let s = '';
  const cap = 24 * 1024;
  for (let i = 0; s.length + 256 < cap; i++) {
    const mm = String(Math.floor(i / 60) % 60).padStart(2, '0');
    const ss = String(i % 60).padStart(2, '0');
    s += `2025-01-01T00:${mm}:${ss}Z memdig[${name}] event=${String(i).padStart(4, '0')} level=${i % 5 === 0 ? 'WARN' : 'INFO'} msg="MEMDIG-LOG ${name} entry ${i} of the test log"\n`;
  }
  return Buffer.from(s, 'latin1');
}
