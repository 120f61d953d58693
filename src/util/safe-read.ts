import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { UserError } from './errors.js';

/**
 * The one way snnc reads a file it was given (models, targets, artifacts, vectors, checkpoints, data,
 * report inputs): the path is opened once (symbolic links followed), the opened file must be a regular
 * file no larger than the cap its kind allows, and exactly its bytes are read. Folders, devices
 * (`/dev/zero`), named pipes (which would block forever), sockets, dangling or looping links and oversized
 * files are refused with one line naming the file and the fault, before anything is allocated from them.
 */
export interface SafeReadOptions {
  /** What the file is, for messages: 'target file', 'mapped artifact', 'checkpoint'… */
  what: string;
  /** Largest size accepted, in bytes. */
  maxBytes: number;
  /** Builds the error thrown (a UserError subclass of the caller's module); default UserError. */
  error?: (message: string) => Error;
}

/** Caps by kind of file, in one place (each is far above what a real file of the kind needs). */
export const READ_LIMITS = {
  /** JSON documents: V8 cannot hold a string much beyond 512 MiB. */
  json: 512 * 2 ** 20,
  /** A target description (the shipped ones are under 16 KB). */
  target: 16 * 2 ** 20,
  /** ONNX models: protobuf cannot exceed 2 GiB. */
  onnx: 2 ** 31 - 1,
  /** Raw (possibly gzipped) data files. */
  data: 2 ** 30,
} as const;

const fail = (opts: SafeReadOptions, message: string): never => {
  throw (opts.error ?? ((m: string) => new UserError(m)))(message);
};

function kindOf(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return 'a folder, not a file';
  if (st.isFIFO()) return 'a named pipe (FIFO), not a regular file';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device, not a regular file';
  if (st.isSocket()) return 'a socket, not a regular file';
  return 'not a regular file';
}

/** Why opening `path` failed, in words. */
function openFault(path: string, e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT': {
      try {
        if (lstatSync(path).isSymbolicLink()) return `is a symbolic link to '${readlinkSync(path)}', which does not exist`;
      } catch { /* not there at all */ }
      return 'does not exist';
    }
    case 'ELOOP': return 'is a symbolic link that loops';
    case 'EACCES': case 'EPERM': return 'cannot be read (permission denied)';
    case 'ENOTDIR': return 'does not exist (a folder on its path is a file)';
    case 'ENAMETOOLONG': return 'has a name too long for the file system';
    case 'ENXIO': return 'is a socket or device that cannot be opened';
    default: return `cannot be read (${e.code ?? e.message})`;
  }
}

/** Checks that `path` names a regular file within the size cap, without reading it; returns its size. */
export function checkRegularFile(path: string, opts: SafeReadOptions): number {
  return withOpenFile(path, opts, (_fd, size) => size);
}

/** Opens `path` as `checkRegularFile` does and hands the open descriptor and the size to `use` (closed after). */
export function withOpenFile<T>(path: string, opts: SafeReadOptions, use: (fd: number, size: number) => T): T {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading must not wait for a writer (it is refused just below).
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return fail(opts, `${opts.what} '${path}' ${openFault(path, e as NodeJS.ErrnoException)}`);
  }
  try {
    const st = fstatSync(fd);
    const kind = kindOf(st);
    if (kind) fail(opts, `${opts.what} '${path}' is ${kind}`);
    if (st.size > opts.maxBytes) fail(opts, `${opts.what} '${path}' has ${st.size.toLocaleString('en-US')} bytes, more than the ${opts.maxBytes.toLocaleString('en-US')} a ${opts.what} may have`);
    return use(fd, st.size);
  } finally {
    closeSync(fd);
  }
}

/** Reads at most the first `length` bytes of a regular file; returns them with the file's whole size. */
export function readRegularFilePrefix(path: string, opts: SafeReadOptions, length: number): { bytes: Buffer; size: number } {
  return withOpenFile(path, opts, (fd, size) => {
    const want = Math.min(size, length);
    const buf = Buffer.allocUnsafe(want);
    let read = 0;
    while (read < want) {
      let n: number;
      try {
        n = readSync(fd, buf, read, want - read, read);
      } catch (e) {
        return fail(opts, `${opts.what} '${path}' cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      if (n === 0) return fail(opts, `${opts.what} '${path}' shrank while it was read`);
      read += n;
    }
    return { bytes: buf, size };
  });
}

/** Reads a regular file whole (see the module comment). */
export function readRegularFile(path: string, opts: SafeReadOptions): Buffer {
  return readRegularFilePrefix(path, opts, Infinity).bytes;
}

/** Reads a regular file as UTF-8 text. */
export function readTextFile(path: string, opts: SafeReadOptions): string {
  return readRegularFile(path, opts).toString('utf8');
}

/**
 * Reads and parses a JSON file. Numbers JSON cannot represent (`1e999` parses as Infinity) are refused
 * with the field named: snnc would otherwise compute with them and write `null` where they were.
 */
export function readJsonFile(path: string, opts: SafeReadOptions): unknown {
  const text = readTextFile(path, opts);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return fail(opts, `${opts.what} '${path}' is not valid JSON: ${(e as Error).message}`);
  }
  const bad = firstNonFinite(data);
  if (bad) fail(opts, `${opts.what} '${path}': ${bad.field} is ${bad.text}, not a finite number`);
  return data;
}

/** The first number in parsed JSON that is not finite, with its field path (iterative: any depth). */
export function firstNonFinite(data: unknown): { field: string; text: string } | undefined {
  const stack: [unknown, string][] = [[data, '']];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return { field: path || '(top level)', text: String(v) };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`]);
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      for (let i = entries.length - 1; i >= 0; i--) stack.push([entries[i][1], path ? `${path}.${entries[i][0]}` : entries[i][0]]);
    }
  }
  return undefined;
}
