import { mkdirSync, renameSync, rmSync, writeFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { UserError } from './errors.js';

/** Writes a file atomically: a temporary file beside it, then a rename, so no reader sees half a file. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

const MARKER = '.snnc-output';

/**
 * Prepares an output folder. A folder that exists, is not empty and was not created by snnc (it has no
 * marker file) is refused unless `force` is set.
 */
export function prepareOutputDir(dir: string, force = false): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UserError(`output '${dir}' exists and is not a folder`);
    const entries = readdirSync(dir);
    if (entries.length > 0 && !entries.includes(MARKER) && !force) {
      throw new UserError(`output folder '${dir}' is not empty and was not created by snnc; use --force to write into it`);
    }
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MARKER), 'written by snnc\n');
}
