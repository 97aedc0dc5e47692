import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadLayout } from './layout.js';
import { PROFILES } from './profiles.js';

// The builder writes these tables only when the layout knows where they live. Without ObpInfoMaskToOffset Volatility 3
// cannot read any device name and windows.dumpfiles aborts on the first file object; without
// ObpCaptureHandleInformationEx it cannot decode Windows 8+ handle entries. The built-in tables must keep both.
test('x64 forge layouts carry the symbols Volatility 3 needs to read the images', () => {
  for (const id of ['win7-sp1-x64', 'win10-19041-x64'] as const) {
    const layout = loadLayout(PROFILES[id].layout);
    for (const name of ['ObpInfoMaskToOffset', 'ObpCaptureHandleInformationEx', 'ObTypeIndexTable']) {
      assert.equal(typeof layout.sym(name), 'number', `${id}: ${name}`);
    }
  }
});
