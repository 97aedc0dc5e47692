/**
 * One full-ISF load in a fresh process, as a CLI run does it: the table is opened, the first struct layout
 * resolved and the symbols an analysis reads first are looked up. Prints the phase times as JSON for
 * bench/symbols.ts. Run directly only (the bench runner imports every module here, and this one then does nothing).
 */
import { fileURLToPath } from 'node:url';

/** `node isf-load-child.js <table> <struct> <member> <symbol>...` */
async function main([path, struct, member, ...symbols]: string[]): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const { readIsfFile } = await import('../symbols/isf.js');
  const { builtinIndex, builtinIsf } = await import('../symbols/builtin.js');
  const { Profile } = await import('../symbols/profile.js');
  const t1 = performance.now();
  // `builtin:<build>:<arch>` names a built-in table (index and layout file are read here, as on first use).
  const b = /^builtin:(\d+):(\w+)$/.exec(path!);
  const kernel = b && builtinIndex().kernels.find((k) => k.build === Number(b[1]) && k.arch === b[2]);
  if (b && !kernel) throw new Error(`no built-in table for ${path}`);
  const doc = kernel ? builtinIsf(kernel) : readIsfFile(path!);
  const t2 = performance.now();
  const p = new Profile(doc, { source: path! });
  p.struct(struct!).offsetOf(member!);
  const t3 = performance.now();
  for (const s of symbols) if (p.symbol(s) === undefined) throw new Error(`no symbol ${s}`);
  const t4 = performance.now();
  const c = process.cpuUsage(c0);
  console.log(
    JSON.stringify({
      imports: t1 - t0,
      open: t2 - t1,
      firstStruct: t3 - t2,
      symbols: t4 - t3,
      load: t4 - t1,
      cpu: (c.user + c.system) / 1000,
    }),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
