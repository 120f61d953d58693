/**
 * What the commands print. Tables and reports carry names read from files (layers, producers, datasets):
 * every control character in them is escaped on the way to the terminal (`\u001b`, `\r`…), so a model
 * cannot move the cursor, retitle the window or ring the bell, and a warning stays one line.
 */
import { printable, printableLines } from '../util/text.js';

/** Writes command output (tables, JSON) to stdout. */
export function out(text: string): void {
  process.stdout.write(printableLines(text));
}

/** One warning line on stderr. */
export function warn(message: string): void {
  process.stderr.write(`snnc: warning: ${printable(message)}\n`);
}

/** One note line on stderr. */
export function note(message: string): void {
  process.stderr.write(`snnc: note: ${printable(message)}\n`);
}
