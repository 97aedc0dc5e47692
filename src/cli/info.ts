import type { Command } from 'commander';
import { detectOs } from '../os/detect.js';
import { openPhysical } from '../sources/index.js';
import { hex } from '../util/hex.js';

export function infoCommand(program: Command): void {
  program
    .command('info')
    .description('Identify a dump: container format, physical ranges, and the operating system in it')
    .argument('<dump>', 'memory dump file')
    .action((dump: string) => {
      const mem = openPhysical(dump);
      try {
        const lines: string[] = [];
        const total = mem.ranges.reduce((a, r) => a + (r.end - r.start), 0);
        lines.push(`container:   ${mem.format}`);
        lines.push(
          `physical:    ${total} bytes present in ${mem.ranges.length} range(s), max address ${hex(mem.maxAddress)}`,
        );
        for (const r of mem.ranges.slice(0, 32)) lines.push(`  ${hex(r.start, 12)}-${hex(r.end, 12)}`);
        if (mem.ranges.length > 32) lines.push(`  ... ${mem.ranges.length - 32} more`);
        for (const [k, v] of Object.entries(mem.meta)) {
          lines.push(`${`${k}:`.padEnd(13)}${typeof v === 'number' ? hex(v) : String(v)}`);
        }
        const os = detectOs(mem);
        lines.push(`os:          ${os ? `${os.description}, found via ${os.foundVia}` : 'not recognised'}`);
        process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        mem.close();
      }
    });
}
