import { mkdirSync, renameSync, rmSync, writeFileSync, existsSync, readdirSync, statSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from './errors.js';

/** Why writing `path` failed, in words (the errno alone says little to a user). */
function writeFault(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOTDIR': return 'a folder on its path is a file';
    case 'EEXIST': return 'a folder on its path is a file';
    case 'EISDIR': return 'it is a folder';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EROFS': return 'the file system is read-only';
    case 'ENOSPC': return 'no space left on the device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'ENAMETOOLONG': return 'the name is too long';
    case 'ENOENT': return 'the file system does not let it be created there';
    default: return e.code ?? e.message;
  }
}

/** An output snnc cannot write: a user error naming the path (exit 2), not an internal one. */
export class OutputError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'OutputError';
  }
}

function asOutputError(path: string, e: unknown): Error {
  if (e instanceof UserError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (typeof code !== 'string') return e as Error;
  return new OutputError(`cannot write '${path}': ${writeFault(e as NodeJS.ErrnoException)}`);
}

/** The first folder on `path`'s way that exists as something else (a file), if any. */
function fileOnPath(path: string): string | undefined {
  let p = resolve(path);
  const chain: string[] = [];
  for (;;) {
    chain.unshift(p);
    const parent = dirname(p);
    if (parent === p) break;
    p = parent;
  }
  for (const c of chain) {
    try {
      if (!statSync(c).isDirectory()) return c;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Creates a folder (and its parents) for `output`; a failure is an OutputError naming the output. */
export function makeDir(dir: string, output = dir): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const blocker = code === 'EEXIST' || code === 'ENOTDIR' ? fileOnPath(dir) : undefined;
    if (blocker) throw new OutputError(`cannot write '${output}': '${blocker}' is a file, not a folder`);
    throw asOutputError(output, e);
  }
}

/** Writes a file atomically: a temporary file beside it, then a rename, so no reader sees half a file. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  makeDir(dirname(path), path);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw asOutputError(path, e);
  }
}

const MARKER = '.snnc-output';

/**
 * Checks that `dir` may receive outputs, without creating anything: a folder that exists, is not empty and
 * was not created by snnc (it has no marker file) is refused unless `force` is set.
 */
export function checkOutputDir(dir: string, force = false): void {
  if (!existsSync(dir)) return;
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new OutputError(`output '${dir}' exists and is not a folder`);
    entries = readdirSync(dir);
  } catch (e) {
    throw asOutputError(dir, e);
  }
  if (entries.length > 0 && !entries.includes(MARKER) && !force) {
    throw new OutputError(`output folder '${dir}' is not empty and was not created by snnc; use --force to write into it`);
  }
}

/** Checks an output folder (checkOutputDir), creates it and marks it as snnc's. */
export function prepareOutputDir(dir: string, force = false): void {
  checkOutputDir(dir, force);
  makeDir(dir, dir);
  try {
    writeFileSync(join(dir, MARKER), 'written by snnc\n');
  } catch (e) {
    throw asOutputError(dir, e);
  }
}

/**
 * Runs `work` with `dir` prepared as an output folder. When `work` fails and the folder did not exist
 * before, it is removed again: a failed command leaves no folder behind (one that existed keeps what it
 * held, since every file is written atomically).
 */
export function withOutputDir<T>(dir: string, force: boolean, work: () => T): T {
  const existed = existsSync(dir);
  prepareOutputDir(dir, force);
  const undo = () => { if (!existed) rmSync(dir, { recursive: true, force: true }); };
  let result: T;
  try {
    result = work();
  } catch (e) {
    undo();
    throw e;
  }
  if (result instanceof Promise) return result.catch((e: unknown) => { undo(); throw e; }) as T;
  return result;
}

/**
 * What a path will be once written: the real path of the file, or of its nearest existing folder joined
 * with the rest (so `out/../m.onnx`, a symbolic link to the model and the model itself compare equal).
 */
export function physicalPath(path: string): string {
  let p = resolve(path);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(p), ...rest.reverse());
    } catch {
      const parent = dirname(p);
      if (parent === p) return join(p, ...rest.reverse());
      rest.push(basename(p));
      p = parent;
    }
  }
}

/** Device and inode of an existing file (hard links to one file share them). */
function inode(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * The output-path guard every command runs before writing: refuses an output that resolves (after symbolic
 * links, `..` and hard links) to one of the command's inputs or to another of its outputs. `inputs` are
 * the files the command reads; `outputs` the files it will write, each with the flag that named it.
 */
export function guardOutputs(inputs: (string | undefined)[], outputs: [flag: string, path: string | undefined][]): void {
  const ins = inputs.filter((p): p is string => p !== undefined).map((p) => ({ p, real: physicalPath(p), ino: inode(p) }));
  const outs = outputs.filter((o): o is [string, string] => o[1] !== undefined).map(([flag, p]) => ({ flag, p, real: physicalPath(p), ino: inode(p) }));
  const same = (a: { real: string; ino?: string }, b: { real: string; ino?: string }) => a.real === b.real || (a.ino !== undefined && a.ino === b.ino);
  for (const o of outs) {
    const hit = ins.find((i) => same(i, o));
    if (hit) throw new OutputError(`${o.flag} '${o.p}' is the input '${hit.p}': snnc will not overwrite its own input; choose another output`);
  }
  for (let i = 0; i < outs.length; i++) {
    for (let j = i + 1; j < outs.length; j++) {
      if (same(outs[i], outs[j])) throw new OutputError(`${outs[i].flag} '${outs[i].p}' and ${outs[j].flag} '${outs[j].p}' name the same file; give each output its own path`);
    }
  }
}
