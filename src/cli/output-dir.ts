import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ExitCode, MemdigError } from '../util/errors.js';

/**
 * Creates the -o folder or says why it cannot. The last level is made without `recursive`: Node's recursive
 * mkdir can spin forever under pseudo file systems such as /proc.
 */
export function makeOutputDir(dir: string): void {
  const abs = resolve(dir);
  try {
    if (existsSync(abs)) {
      if (!statSync(abs).isDirectory()) throw new Error('it exists and is not a folder');
      return;
    }
    const parent = dirname(abs);
    if (!existsSync(parent)) mkdirSync(parent, { recursive: true });
    mkdirSync(abs);
  } catch (e) {
    throw new MemdigError(
      `-o ${dir}: cannot create the output folder (${(e as Error).message}); choose another folder`,
      ExitCode.Usage,
    );
  }
}
