import type { Command } from 'commander';
import { type FormatOptions, Output, withFormatOptions } from '../output/options.js';
import type { Artefact } from '../output/render.js';
import { MemdigError } from '../util/errors.js';
import { HandleReader, handleRow } from '../windows/handles.js';
import { windowsProcesses } from './windows-ps.js';
import { openWindows, osName, printWarnings, windowsCommand } from './windows-session.js';

export const WIN_HANDLES: Artefact = {
  name: 'handles',
  columns: [
    { key: 'pid', right: true, type: 'integer', indexed: true },
    { key: 'process' },
    { key: 'handle', right: true },
    { key: 'type', indexed: true },
    { key: 'granted_access', title: 'access' },
    { key: 'object' },
    { key: 'name', indexed: true },
  ],
};

interface HandlesOptions extends FormatOptions {
  pid?: number;
  type?: string;
  symbols?: string[];
}

export function handlesCommand(program: Command): void {
  withFormatOptions(
    windowsCommand(program, 'handles')
      .description("Windows: each process's open handles (handle table → object type and name)")
      .argument('<dump>', 'memory dump file')
      .option('--pid <n>', 'only this process', (v) => Number.parseInt(v, 10))
      .option('--type <name>', 'only handles of this object type (File, Key, Process, Section, ...)'),
  ).action(async (dump: string, o: HandlesOptions) => {
    const ctx = await openWindows(dump, o);
    if (!ctx)
      throw new MemdigError(`handles: ${dump} does not hold Windows (handle tables are Windows-only)`);
    const output = new Output(o, { path: dump, format: ctx.mem.format, os: osName(ctx) });
    try {
      const reader = new HandleReader(ctx);
      const w = output.sink(WIN_HANDLES);
      const type = o.type?.toLowerCase();
      for (const p of windowsProcesses(ctx)) {
        if (p.foundBy === 'stale') continue;
        if (o.pid !== undefined && p.pid !== o.pid) continue;
        for (const h of reader.handles(p)) {
          if (type && h.type?.toLowerCase() !== type) continue;
          w.add(handleRow(h));
        }
      }
      w.end();
      printWarnings(ctx);
    } finally {
      output.close();
      ctx.mem.close();
    }
  });
}
