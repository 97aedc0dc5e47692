import type { PhysicalMemory } from '../sources/source.js';
import { createSpace } from '../translate/index.js';
import { Warnings } from '../util/errors.js';
import { IsfTypes } from './isf-types.js';
import { LinuxKernel } from './kernel.js';

export interface OpenLinuxOptions {
  /** A Volatility 3 ISF (JSON, optionally .xz) for kernels without BTF in RAM. */
  isf?: string;
  warnings?: Warnings;
}

/**
 * The Linux kernel in a physical image, with x64 page-table translation wired in: the entry point for ps, maps,
 * files and extract, from the dump alone (BTF and kallsyms in RAM) or with an ISF.
 */
export function openLinuxKernel(mem: PhysicalMemory, opts: OpenLinuxOptions = {}): LinuxKernel {
  const warnings = opts.warnings ?? new Warnings();
  const types = opts.isf ? IsfTypes.read(opts.isf, warnings) : undefined;
  return new LinuxKernel(mem, {
    types,
    warnings,
    // 5-level kernels are refused by createSpace rather than mistranslated.
    spaceFactory: (dtb, la57) => createSpace(mem, 'x64', dtb, { os: 'linux', la57 }),
  });
}
