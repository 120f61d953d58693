/**
 * HDF5 through h5wasm (the HDF5 C library compiled to WebAssembly; it reads the host file system in Node).
 * h5wasm itself does not throw on a missing or non-HDF5 file (it returns a file id of -1 and fails later with
 * "name not defined!"), prints the HDF5 error stack to stderr, returns int64 as BigInt, and hands back
 * undecoded bytes for a filter it lacks (LZF, h5py's default). So every file is checked here first: it exists,
 * is not empty, carries the HDF5 signature (else: what it is instead, e.g. a ZIP), and every dataset's
 * filters and declared size are checked before anything is read. Errors become one-line UserErrors.
 */
import { mkdirSync, readSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import * as h5 from 'h5wasm/node';
import { UserError } from '../util/errors.js';
import { READ_LIMITS, withOpenFile } from '../util/safe-read.js';

await h5.ready;
// Errors as exceptions with the HDF5 error stack in the message, instead of printed to stderr.
h5.Module.activate_throwing_error_handler();

/** The eight bytes every HDF5 file starts with (at offset 0, or after a user block of 512·2^k bytes). */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
/** Filters HDF5 decodes by itself (deflate, shuffle, fletcher32, szip, nbit, scale-offset); any other is refused. */
const BUILT_IN_FILTERS: ReadonlyMap<number, string> = new Map([[1, 'deflate'], [2, 'shuffle'], [3, 'fletcher32'], [4, 'szip'], [5, 'nbit'], [6, 'scaleoffset']]);
/** Largest file read (NIR graphs of real chips are megabytes). */
export const MAX_HDF5_FILE_BYTES = 2 ** 31;
/** Largest number of values in one dataset, checked against its declared shape before reading it. */
export const MAX_DATASET_VALUES = 1 << 26;
/** Largest number of values read from one file in all. */
export const MAX_FILE_VALUES = 1 << 27;

/** The format a file's first bytes show. */
export type FileSignature = 'hdf5' | 'zip' | 'gzip' | 'json' | 'empty' | 'other';

/** Reads up to `length` bytes at `offset` of an open file. */
function readAt(fd: number, offset: number, length: number): Uint8Array {
  const buf = new Uint8Array(length);
  const n = readSync(fd, buf, 0, length, offset);
  return buf.subarray(0, n);
}

const startsWith = (bytes: Uint8Array, sig: readonly number[]) => sig.every((b, i) => bytes[i] === b);

/** What a file is, from its first bytes (and, for HDF5, the user-block offsets 512, 1024, …). */
export function sniffFile(path: string, what = 'model'): { signature: FileSignature; size: number; head: Uint8Array } {
  // The one checked open of src/util/safe-read.ts: a missing file, a folder, a FIFO or a device is refused by name.
  return withOpenFile(path, { what, maxBytes: READ_LIMITS.onnx }, (fd, size) => {
    if (size === 0) return { signature: 'empty' as const, size, head: new Uint8Array(0) };
    const head = readAt(fd, 0, 64);
    const is = (signature: FileSignature) => ({ signature, size, head });
    if (startsWith(head, HDF5_SIGNATURE)) return is('hdf5');
    for (let offset = 512; offset + 8 <= size && offset <= 1 << 30; offset *= 2) {
      if (startsWith(readAt(fd, offset, 8), HDF5_SIGNATURE)) return is('hdf5');
    }
    if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) return is('zip');
    if (startsWith(head, [0x1f, 0x8b])) return is('gzip');
    if (Buffer.from(head).toString('utf8').trimStart().startsWith('{')) return is('json');
    return is('other');
  });
}

/** Why a file that is not HDF5 cannot be read as NIR. */
function notHdf5(path: string, signature: FileSignature): string {
  switch (signature) {
    case 'empty': return `'${path}' is empty`;
    case 'zip': return `'${path}' is a ZIP archive (a PyTorch torch.save checkpoint, for one), not an HDF5 NIR file: export the network with the framework's NIR exporter (nir.write)`;
    case 'gzip': return `'${path}' is gzip-compressed, not an HDF5 NIR file: decompress it first`;
    case 'json': return `'${path}' is JSON, not an HDF5 NIR file`;
    default: return `'${path}' is not an HDF5 file (no HDF5 signature): a NIR file is HDF5, as nir.write writes it`;
  }
}

/** The last description of an HDF5 error stack ("#006: … H5F__super_read(): truncated file: eof = …"). */
function hdf5Reason(e: unknown): string {
  const text = String((e as Error)?.message ?? e);
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => /^#\d+:/.test(l));
  const last = lines.length > 0 ? lines[lines.length - 1].replace(/^#\d+:.*?\(\):\s*/, '') : text.split('\n')[0];
  return last.length > 200 ? `${last.slice(0, 200)}…` : last;
}

/** Runs an h5wasm call; an HDF5 or WebAssembly failure becomes a UserError naming the file and the object. */
function call<T>(path: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof UserError) throw e;
    const reason = hdf5Reason(e);
    const truncated = /truncated file: eof = (\d+).*stored_eof = (\d+)/.exec(reason);
    if (truncated) throw new UserError(`'${path}' is truncated: it has ${truncated[1]} bytes, its HDF5 superblock says ${truncated[2]}`);
    throw new UserError(`'${path}': cannot read ${what}: ${reason}`);
  }
}

/** A dataset's values: numbers (int64 converted, float16/32/64, any integer width) or strings. */
export type H5Value =
  | { kind: 'number'; shape: number[]; data: Float64Array; dtype: string }
  | { kind: 'string'; shape: number[]; data: string[] };

/** A group's members: datasets and groups, by name (HDF5's link order: by name). */
export interface H5Group {
  path: string;
  datasets: Map<string, H5Value>;
  groups: Map<string, H5Group>;
}

/** Deepest group nesting read (hard links can make a group its own ancestor). */
const MAX_DEPTH = 64;
/** Most objects (groups and datasets) read from one file. */
const MAX_OBJECTS = 200_000;

/**
 * Reads a whole HDF5 file into plain data: every group and dataset, with each dataset's filters and size checked
 * before it is read. Throws UserError (one line) for anything that is not a readable HDF5 file.
 */
export function readHdf5(path: string): H5Group {
  const { signature, size } = sniffFile(path, 'NIR file');
  if (signature !== 'hdf5') throw new UserError(notHdf5(path, signature));
  if (size > MAX_HDF5_FILE_BYTES) throw new UserError(`'${path}' has ${size} bytes, more than snnc reads (${MAX_HDF5_FILE_BYTES})`);
  const file = call(path, 'the file', () => new h5.File(path, 'r'));
  if (file.file_id < 0n) throw new UserError(`'${path}': HDF5 could not open the file`);
  let values = 0;
  let objects = 0;
  const readGroup = (group: h5.Group, depth: number): H5Group => {
    if (depth > MAX_DEPTH) throw new UserError(`'${path}': groups nest deeper than ${MAX_DEPTH} at '${group.path}' (a group that contains itself?)`);
    const out: H5Group = { path: group.path, datasets: new Map(), groups: new Map() };
    const names = call(path, `group '${group.path}'`, () => group.keys());
    for (const name of names) {
      if (++objects > MAX_OBJECTS) throw new UserError(`'${path}' holds more than ${MAX_OBJECTS} objects`);
      const child = call(path, `'${group.path}/${name}'`, () => group.get(name));
      if (child instanceof h5.Group) out.groups.set(name, readGroup(child, depth + 1));
      else if (child instanceof h5.Dataset) {
        const value = readDataset(path, child, values);
        values += value.data.length;
        out.datasets.set(name, value);
      }
      // Links to elsewhere, named datatypes: not part of a NIR graph.
    }
    return out;
  };
  try {
    return readGroup(file, 0);
  } finally {
    try { file.close(); } catch { /* already failed */ }
  }
}

function readDataset(path: string, ds: h5.Dataset, valuesSoFar: number): H5Value {
  const where = `dataset '${ds.path}'`;
  const meta = call(path, where, () => ds.metadata);
  const filters = call(path, where, () => ds.filters);
  for (const f of filters) {
    if (!BUILT_IN_FILTERS.has(f.id)) {
      const name = f.id === 32000 ? 'LZF (h5py\'s compression)' : `'${f.name || 'unnamed'}' (id ${f.id})`;
      throw new UserError(`'${path}': ${where} is compressed with the ${name} filter, which snnc cannot decode: write the file without compression (h5py: compression=None) or with gzip`);
    }
  }
  const shape = (meta.shape ?? []).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count > MAX_DATASET_VALUES) throw new UserError(`'${path}': ${where} declares shape [${shape}] (${count} values), more than snnc reads (${MAX_DATASET_VALUES})`);
  if (valuesSoFar + count > MAX_FILE_VALUES) throw new UserError(`'${path}' holds more than ${MAX_FILE_VALUES} values in all`);
  const STRING = h5.Module.H5T_class_t.H5T_STRING.value;
  const INTEGER = h5.Module.H5T_class_t.H5T_INTEGER.value;
  const FLOAT = h5.Module.H5T_class_t.H5T_FLOAT.value;
  if (meta.type === STRING) {
    const raw = call(path, where, () => ds.value) as unknown;
    const data = (Array.isArray(raw) ? raw : [raw]).map((s) => String(s));
    return { kind: 'string', shape, data };
  }
  if (meta.type !== INTEGER && meta.type !== FLOAT) throw new UserError(`'${path}': ${where} holds a ${ds.dtype === 'unknown' ? 'compound or opaque' : JSON.stringify(ds.dtype)} type, not numbers or strings`);
  const raw = call(path, where, () => ds.value) as unknown;
  const dtype = String(ds.dtype);
  const data = new Float64Array(count);
  if (typeof raw === 'number' || typeof raw === 'bigint') {
    data[0] = toNumber(path, where, raw);
  } else if (ArrayBuffer.isView(raw)) {
    const arr = raw as unknown as ArrayLike<number | bigint>;
    if (arr.length !== count) throw new UserError(`'${path}': ${where} holds ${arr.length} values for shape [${shape}]`);
    for (let i = 0; i < count; i++) data[i] = toNumber(path, where, arr[i]);
  } else {
    throw new UserError(`'${path}': ${where} could not be read as numbers`);
  }
  return { kind: 'number', shape, data, dtype };
}

function toNumber(path: string, where: string, v: number | bigint): number {
  if (typeof v === 'number') return v;
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new UserError(`'${path}': ${where} holds the integer ${v}, beyond what a float represents exactly`);
  return Number(v);
}

/** What a writer puts into a file: groups of datasets. */
export type H5Data =
  | { kind: 'string'; value: string | string[]; shape?: number[] }
  | { kind: 'float32' | 'float64'; value: ArrayLike<number>; shape: number[] }
  | { kind: 'int64'; value: readonly number[]; shape: number[] };

export interface H5Tree { datasets: [string, H5Data][]; groups: [string, H5Tree][] }

/**
 * Writes a tree of groups and datasets as a new HDF5 file (strings as variable-length UTF-8, as h5py's
 * string_dtype() writes them), into a temporary file beside `path` that is renamed when complete.
 */
export function writeHdf5(path: string, tree: H5Tree): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const file = call(tmp, 'the file for writing', () => new h5.File(tmp, 'w'));
  if (file.file_id < 0n) throw new UserError(`cannot create '${path}'`);
  const writeGroup = (group: h5.Group, t: H5Tree) => {
    for (const [name, d] of t.datasets) {
      call(tmp, `dataset '${group.path}/${name}'`, () => {
        if (d.kind === 'string') group.create_dataset({ name, data: d.value, shape: d.shape ?? (Array.isArray(d.value) ? [d.value.length] : []), dtype: 'S' });
        else if (d.kind === 'int64') group.create_dataset({ name, data: BigInt64Array.from(d.value, (v) => BigInt(v)), shape: d.shape, dtype: '<q' });
        else group.create_dataset({ name, data: d.kind === 'float32' ? Float32Array.from(d.value) : Float64Array.from(d.value), shape: d.shape, dtype: d.kind === 'float32' ? '<f' : '<d' });
      });
    }
    for (const [name, sub] of t.groups) {
      const g = call(tmp, `group '${group.path}/${name}'`, () => group.create_group(name));
      writeGroup(g, sub);
    }
  };
  try {
    writeGroup(file, tree);
    file.close();
    renameSync(tmp, path);
  } catch (e) {
    try { file.close(); } catch { /* closed */ }
    rmSync(tmp, { force: true });
    throw e;
  }
}
