import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { convertPdb } from '../symbols/pdb/isf.js';
import { Pdb } from '../symbols/pdb/pdb.js';
import { encodeIsf } from '../symbols/pdb/write.js';
import { Cabinet } from '../symbols/symsrv/cab.js';
import { buildCab } from '../symbols/symsrv/fixture.js';
import { sharedPath } from '../testing/shared.js';

/** PDB → ISF conversion time for each corpus PDB (parse + convert, then JSON + xz encoding separately). */
export async function bench(): Promise<void> {
  const dir = sharedPath('corpus', 'pdb');
  if (!dir) {
    console.log('pdb: ../shared/corpus/pdb absent; skipped');
    return;
  }
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.pdb'))) {
    const path = join(dir, f);
    const size = statSync(path).size;
    const runs = 20;
    let best = Number.POSITIVE_INFINITY;
    let result: ReturnType<typeof convertPdb> | null = null;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const pdb = Pdb.open(path);
      result = convertPdb(pdb, { database: f });
      pdb.close();
      best = Math.min(best, performance.now() - t0);
    }
    const t1 = performance.now();
    const xzBytes = encodeIsf(result!.isf, 'x.json.xz').length;
    const tEnc = performance.now() - t1;
    const isf = result!.isf;
    console.log(
      `pdb ${f}: ${(size / 1024).toFixed(0)} KiB -> ${Object.keys(isf.user_types).length} types, ` +
        `${Object.keys(isf.symbols).length} symbols in ${best.toFixed(1)} ms (${(size / 1048576 / (best / 1000)).toFixed(1)} MB/s); ` +
        `json.xz ${(xzBytes / 1024).toFixed(0)} KiB in ${tEnc.toFixed(0)} ms`,
    );
  }
  // Cabinet expansion as the symbol-server client does it for `.pd_` answers (MSZIP built here from a corpus PDB).
  const sample = readFileSync(join(dir, 'breakpad__dump_syms_regtest64.pdb'));
  const cab = buildCab('x.pdb', sample, 1);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    new Cabinet(cab).extract();
    best = Math.min(best, performance.now() - t0);
  }
  console.log(
    `pdb cab MSZIP expand: ${(sample.length / 1048576 / (best / 1000)).toFixed(0)} MB/s (${(cab.length / 1024).toFixed(0)} KiB -> ${(sample.length / 1024).toFixed(0)} KiB)`,
  );
}
