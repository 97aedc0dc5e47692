#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { setQuiet } from '../output/progress.js';
import { ExitCode, MemdigError } from '../util/errors.js';
import { registerCommands } from './commands.js';

// `memdig ps dump | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const program = new Command();
program
  .name('memdig')
  .description('Recover memory-mapped and cached files (above all event logs) from memory dumps')
  .version('0.1.0')
  .option('-q, --quiet', 'no progress bars')
  .hook('preAction', (cmd) => setQuiet(Boolean(cmd.opts().quiet)))
  .exitOverride()
  .configureOutput({
    // One line, same prefix as every other memdig error, and where to look next.
    outputError: (s, write) => write(`memdig: ${s.trim().replace(/^error: /, '')} (see memdig --help)\n`),
  });
registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : ExitCode.Usage;
  } else if (e instanceof MemdigError) {
    process.stderr.write(`memdig: ${e.message}\n`);
    process.exitCode = e.exitCode;
  } else {
    const err = e as Error;
    process.stderr.write(`memdig: internal error: ${err?.message ?? String(e)}\n`);
    if (process.env.MEMDIG_DEBUG) process.stderr.write(`${err?.stack}\n`);
    else process.stderr.write('(set MEMDIG_DEBUG=1 for a stack trace, and please report it)\n');
    process.exitCode = ExitCode.Internal;
  }
}
