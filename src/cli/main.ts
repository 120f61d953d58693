import yargs, { type MiddlewareFunction } from 'yargs';
import { commands } from './commands.js';
import { demoCommand } from './demo.js';
import { UserError, EXIT_USER_ERROR } from '../util/errors.js';
import { printable } from '../util/text.js';
import { refuseRepeatedFlags } from './flags.js';

/** Runs the snnc CLI on the given arguments; returns the exit code instead of exiting (tests use this). */
export async function runCli(argv: string[]): Promise<number> {
  let exitCode = 0;
  const parser = yargs(argv)
    .scriptName('snnc')
    .usage('$0 <command> [options]\n\nANN → SNN toolchain: knowledge-distillation training, compilation to neuromorphic chips, cycle-level simulation.')
    .strict()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .help()
    .alias('h', 'help')
    // In-process callers (the demo, tests) must get an exit code back, not a process.exit() from --help.
    .exitProcess(false)
    .version()
    .fail((msg, err) => {
      if (err) throw err;
      // yargs spreads some messages over lines ("Invalid values:\n  Argument: …"); one line reads better.
      throw new UserError(msg.split('\n').map((l) => l.trim()).filter(Boolean).join(' '));
    });
  // A single-valued flag given twice is refused before any command runs (see refuseRepeatedFlags).
  // (yargs passes its instance as the middleware's second argument; @types/yargs does not declare it.)
  const refuseRepeats = (_args: unknown, y: { getOptions(): Parameters<typeof refuseRepeatedFlags>[1] }) => refuseRepeatedFlags(argv, y.getOptions());
  parser.middleware(refuseRepeats as unknown as MiddlewareFunction, true);
  for (const c of [...commands, demoCommand(runCli)]) parser.command(c);
  try {
    await parser.parseAsync();
  } catch (e) {
    exitCode = reportError(e);
  }
  return exitCode || (process.exitCode as number | undefined) || 0;
}

/** Prints an error as one line; user errors exit 2, internal errors 1. */
export function reportError(e: unknown): number {
  if (e instanceof UserError) {
    // One line, whatever the message quotes (JSON.parse and others embed the offending text, newlines included).
    // Control characters a file put into a name are escaped: the line must stay one line and inert.
    process.stderr.write(`snnc: error: ${printable(e.message.replace(/\s*\n\s*/g, ' '))}\n`);
    return EXIT_USER_ERROR;
  }
  const err = e as Error;
  process.stderr.write(`snnc: internal error: ${printable(String(err?.message ?? e).replace(/\s*\n\s*/g, ' '))}\n`);
  if (process.env.SNNC_DEBUG) process.stderr.write(`${err?.stack}\n`);
  return 1;
}

