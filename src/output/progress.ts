import { createRequire } from 'node:module';
import type cliProgressModule from 'cli-progress';

// Loaded on the first bar only: a piped or quiet run never pays for it.
const load = createRequire(import.meta.url);

export interface Progress {
  /** Sets the amount done so far (same unit as the total). */
  update(done: number): void;
  stop(): void;
}

let quiet = false;

/** `--quiet` turns every progress bar off. */
export function setQuiet(q: boolean): void {
  quiet = q;
}

const none: Progress = { update() {}, stop() {} };

/**
 * A progress bar on stderr for long work (scans, extraction, carving). Shown only when stderr is a terminal, so CI
 * logs and redirected output stay clean.
 */
export function progress(label: string, total: number, unit: 'bytes' | 'items' = 'items'): Progress {
  if (quiet || !process.stderr.isTTY || total <= 0) return none;
  const cliProgress = load('cli-progress') as typeof cliProgressModule;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% {value_h}/{total_h} eta {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      fps: 5,
      formatValue: (v, _o, type) =>
        (type === 'value' || type === 'total') && unit === 'bytes'
          ? `${(v / 2 ** 20).toFixed(0)}MiB`
          : String(v),
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { value_h: '0', total_h: String(total) });
  let last = 0;
  return {
    update(done: number) {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      bar.update(done, {
        value_h: unit === 'bytes' ? `${(done / 2 ** 20).toFixed(0)}MiB` : String(done),
        total_h: unit === 'bytes' ? `${(total / 2 ** 20).toFixed(0)}MiB` : String(total),
      });
    },
    stop() {
      bar.stop();
    },
  };
}
