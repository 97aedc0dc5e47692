import { type FormatOptions, Output } from '../output/options.js';
import type { Artefact } from '../output/render.js';
import { MemdigError } from '../util/errors.js';
import { HandleReader, handleRow } from '../windows/handles.js';
import { windowsProcesses } from './windows-ps.js';
import { openWindows, osName, printWarnings } from './windows-session.js';

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

export interface HandlesOptions extends FormatOptions {
  pid?: number;
  type?: string;
  symbols?: string[];
}

export async function handlesAction(dump: string, o: HandlesOptions): Promise<void> {
  const ctx = await openWindows(dump, o);
  if (!ctx) throw new MemdigError(`handles: ${dump} does not hold Windows (handle tables are Windows-only)`);
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
}
