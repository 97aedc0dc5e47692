import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newPteInfo, PageState } from './types.js';
import { classifyWindowsPte, DEFAULT_WINDOWS_LAYOUT, windowsPteLayout } from './windows-pte.js';

test('Windows PTE layout by build: page-file number moves at 17134, file-backed PTEs from 22621 on x64', () => {
  assert.deepEqual(windowsPteLayout('x64', 7601), {
    pageFileLowBit: 1,
    invalidPteMaskHi: 0,
    fileBackedPtes: false,
  });
  assert.equal(windowsPteLayout('x64', 19041).pageFileLowBit, 12);
  assert.equal(windowsPteLayout('x64', 19041).fileBackedPtes, false);
  assert.equal(windowsPteLayout('x64', 22621).fileBackedPtes, true);
  assert.equal(windowsPteLayout('pae', 22621).fileBackedPtes, false);
  assert.equal(windowsPteLayout('x64', undefined).pageFileLowBit, 1);
});

test('Windows 11 22H2+ file-backed process PTEs read as file-only pages, not as prototype or page-file PTEs', () => {
  const win11 = windowsPteLayout('x64', 22621);
  const out = newPteInfo();
  const state = (hi: number, lo: number, layout = win11, inPrototypeArray = false) =>
    classifyWindowsPte('x64', lo, hi, out, inPrototypeArray, layout);
  // 0xFFFF8A01_23456780 (the pattern with the prototype bit, 10, set) and 0xFFFF8A01_23456000 (bits 10, 11 clear).
  assert.equal(state(0xffff8a01, 0x23456780), PageState.Subsection);
  assert.equal(out.subsection, -1);
  assert.equal(state(0xffff8a01, 0x23456000), PageState.Subsection);
  // Earlier builds: the same bits are a prototype pointer and a page-file entry, as before.
  assert.equal(state(0xffff8a01, 0x23456780, DEFAULT_WINDOWS_LAYOUT), PageState.Prototype);
  assert.equal(state(0xffff8a01, 0x23456000, DEFAULT_WINDOWS_LAYOUT), PageState.PageFile);
  // Not the pattern: a low nibble set, or a user-half high word; a transition PTE stays one.
  assert.equal(state(0xffff8a01, 0x23456002), PageState.PageFile);
  assert.equal(state(0x00007a01, 0x23456000), PageState.PageFile);
  assert.equal(state(0xffff8a01, 0x23456800), PageState.Transition);
  // Inside a prototype-PTE array the prototype format is a subsection PTE with its address, as before.
  assert.equal(state(0xffff8a01, 0x23456780, win11, true), PageState.Subsection);
  assert.notEqual(out.subsection, -1);
  // The "look in the VAD" marker is not the pattern (its low bits hold the prototype bit and protection).
  assert.equal(state(0xffffffff, 0x00000420), PageState.Prototype);
});
