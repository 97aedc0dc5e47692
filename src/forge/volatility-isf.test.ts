import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { forgeImage, presetScenario } from './index.js';
import { writeVolatilityIsf } from './volatility-isf.js';

test('forge writes a Volatility 3 symbol table for XP images, with the image kernel globals as symbols', () => {
  const dir = mkdtempSync(join(tmpdir(), 'memdig-volisf-'));
  const m = forgeImage(presetScenario('xp-eventlog'), join(dir, 'xp.raw'), { writeManifest: false });
  const { path } = writeVolatilityIsf(m, join(dir, 'symbols'));
  assert.equal(
    path,
    join(dir, 'symbols', 'windows', 'ntoskrnl.pdb', '8592B6763F34476B9BB560395A383F96-2.json'),
  );
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  const base = Number.parseInt(m.kernel.base, 16);
  for (const name of ['PsActiveProcessHead', 'PsLoadedModuleList', 'KdDebuggerDataBlock']) {
    assert.equal(doc.symbols[name].address, Number.parseInt(m.kernel.symbols[name]!, 16) - base, name);
  }
  assert.equal(doc.metadata.windows.pdb.GUID, '8592B6763F34476B9BB560395A383F96');
  assert.ok(doc.user_types._EPROCESS);
});
