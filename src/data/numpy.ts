/**
 * Data sets in NumPy's formats, the way the Python SNN world saves them: `npz:FILE` (an `np.savez` archive with
 * arrays `x` and `y`) or `npy:X,Y` (two `np.save` files). `x` holds the samples, [N, ...sample shape], `y` the
 * integer labels, [N]. A sample may have a time axis: x of shape [N, T, ...input shape] is read as T steps of the
 * model's input when it has one axis more than the input (`fitToInput`). Values are used as stored (event counts,
 * spikes, currents): unlike IDX images, nothing is rescaled. Read with npyjs (.npy) and fflate (.npz archives).
 */
import { unzipSync, zipSync } from 'fflate';
import { dump as dumpNpy, parse as parseNpy, type NpyArray } from 'npyjs';
import { readFileSync, statSync } from 'node:fs';
import type { Dataset } from './dataset.js';
import { DataError } from './errors.js';

/** Largest array a data file may hold once decoded (values, not bytes): keeps a hostile header from exhausting memory. */
export const MAX_ARRAY_VALUES = 1 << 27;
/** Largest file read, and largest member of an archive once inflated. */
export const MAX_FILE_BYTES = 2 ** 31 - 1;

function readFile(path: string, what: string): Uint8Array {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new DataError(`${what} '${path}' is not a regular file`);
    size = st.size;
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`${what} '${path}' cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (size > MAX_FILE_BYTES) throw new DataError(`${what} '${path}' has ${size} bytes, more than the ${MAX_FILE_BYTES} snnc reads`);
  return new Uint8Array(readFileSync(path));
}

/** Parses one .npy payload into float values with its shape, refusing what snnc cannot use. */
export function decodeNpy(bytes: Uint8Array, origin: string): { shape: number[]; values: Float64Array | Float32Array } {
  if (bytes.length < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') {
    throw new DataError(`${origin} is not a NumPy .npy array (no \\x93NUMPY signature)`);
  }
  let arr: NpyArray;
  try {
    arr = parseNpy(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  } catch (e) {
    throw new DataError(`${origin} is not a readable .npy array: ${(e as Error).message}`);
  }
  const shape = arr.shape.map(Number);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new DataError(`${origin} has a bad shape [${shape}]`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count > MAX_ARRAY_VALUES) throw new DataError(`${origin} holds ${count} values, more than the ${MAX_ARRAY_VALUES} snnc reads`);
  if (arr.fortranOrder && shape.length > 1) throw new DataError(`${origin} is stored in Fortran order; save it with np.ascontiguousarray first`);
  const data = arr.data as unknown as ArrayLike<number | bigint>;
  if (data.length !== count) throw new DataError(`${origin} holds ${data.length} values for its shape [${shape}] (${count}): the file is truncated`);
  if (typeof arr.dtype === 'string' && /^(U|c)/.test(arr.dtype)) throw new DataError(`${origin} has dtype ${arr.dtype}; numbers (bool, int, uint, float) are needed`);
  const values = arr.data instanceof Float32Array ? arr.data : new Float64Array(count);
  if (values !== arr.data) for (let i = 0; i < count; i++) values[i] = Number(data[i]);
  for (let i = 0; i < count; i++) if (!Number.isFinite(values[i])) throw new DataError(`${origin} holds a non-finite value at index ${i}`);
  return { shape, values };
}

/** The members of an .npz archive, inflated only after their declared sizes were checked. */
function readNpz(path: string): Map<string, Uint8Array> {
  const bytes = readFile(path, 'npz file');
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) throw new DataError(`npz file '${path}' is not a ZIP archive (np.savez writes one)`);
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes, {
      filter: (f) => {
        // The largest array snnc decodes, as float64, plus a header: a member that claims more is not inflated.
        if (f.originalSize > MAX_ARRAY_VALUES * 8 + 4096) {
          throw new DataError(`npz file '${path}': member '${f.name}' inflates to ${f.originalSize} bytes, more than snnc reads`);
        }
        return f.name.endsWith('.npy');
      },
    });
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`npz file '${path}' is not a readable ZIP archive: ${(e as Error).message}`);
  }
  return new Map(Object.entries(members).map(([name, data]) => [name.replace(/\.npy$/, ''), data]));
}

/** Builds the data set from the decoded x and y arrays. */
function toDataset(name: string, x: ReturnType<typeof decodeNpy>, y: ReturnType<typeof decodeNpy>, what: { x: string; y: string }): Dataset {
  if (x.shape.length < 2) throw new DataError(`${what.x} has shape [${x.shape}]: expected [N, ...sample shape]`);
  if (y.shape.length !== 1) throw new DataError(`${what.y} has shape [${y.shape}]: expected one integer label per sample, [N]`);
  const count = x.shape[0];
  if (y.shape[0] !== count) throw new DataError(`x and y disagree: ${what.x} holds ${count} samples, ${what.y} ${y.shape[0]} labels`);
  if (count === 0) throw new DataError(`${what.x} holds no samples`);
  const dims = x.shape.slice(1);
  if (dims.some((d) => d === 0)) throw new DataError(`${what.x} has an empty sample shape [${dims}]`);
  const labels = new Uint8Array(count);
  let maxLabel = 0;
  for (let i = 0; i < count; i++) {
    const l = y.values[i];
    if (!(Number.isInteger(l) && l >= 0 && l <= 255)) throw new DataError(`${what.y} has label ${l} at index ${i}; labels must be integers from 0 to 255`);
    labels[i] = l;
    if (l > maxLabel) maxLabel = l;
  }
  const size = dims.reduce((a, b) => a * b, 1);
  return {
    name, shape: dims.length === 3 ? [dims[0], dims[1], dims[2]] : [size, 1, 1], dims, classes: maxLabel + 1, count,
    images: x.values instanceof Float32Array ? x.values : Float32Array.from(x.values), labels,
  };
}

/** `npz:FILE`: an archive holding arrays `x` and `y`. */
export function loadNpz(path: string): Dataset {
  const members = readNpz(path);
  const x = members.get('x'), y = members.get('y');
  if (!x || !y) throw new DataError(`npz file '${path}' needs arrays named x and y (np.savez(FILE, x=..., y=...)); it holds ${[...members.keys()].join(', ') || 'no arrays'}`);
  return toDataset(`npz:${path}`, decodeNpy(x, `'${path}' array x`), decodeNpy(y, `'${path}' array y`), { x: `'${path}' array x`, y: `'${path}' array y` });
}

/** `npy:X,Y`: two .npy files. */
export function loadNpyPair(xPath: string, yPath: string): Dataset {
  const x = decodeNpy(readFile(xPath, 'npy file'), `npy file '${xPath}'`);
  const y = decodeNpy(readFile(yPath, 'npy file'), `npy file '${yPath}'`);
  return toDataset(`npy:${xPath}`, x, y, { x: `'${xPath}'`, y: `'${yPath}'` });
}

/**
 * Fits a data set to a model's per-sample input shape: samples of that shape are static; samples with one axis
 * more, [T, ...input shape], are T steps of input (the data fixes T). Anything else is refused naming both shapes.
 */
export function fitToInput(ds: Dataset, input: readonly number[]): Dataset {
  const dims = ds.dims ?? ds.shape;
  const size = input.reduce((a, b) => a * b, 1);
  const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  if (ds.steps !== undefined) {
    if (ds.shape[0] * ds.shape[1] * ds.shape[2] !== size) throw new DataError(`data set '${ds.name}' has steps of ${ds.shape[0] * ds.shape[1] * ds.shape[2]} values, the model's input [${input}] takes ${size}`);
    return ds;
  }
  const flat = dims.reduce((a, b) => a * b, 1);
  if (same(dims, input) || (ds.dims === undefined && flat === size)) return ds;
  if (dims.length === input.length + 1 && same(dims.slice(1), input)) {
    return { ...ds, steps: dims[0], shape: input.length === 3 ? [input[0], input[1], input[2]] : [size, 1, 1], dims: [...input] };
  }
  if (flat === size) return ds;
  throw new DataError(`data set '${ds.name}' has samples of shape [${dims}], the model takes [${input}] (one axis more, [T, ${input.join(', ')}], is read as T steps over time)`);
}

/** An .npz archive (as np.savez writes: one .npy member per array) of float32 or int64 arrays. */
export function encodeNpz(arrays: Record<string, { data: Float32Array | BigInt64Array | Int32Array | Uint8Array; shape: number[] }>): Uint8Array {
  const members: Record<string, Uint8Array> = {};
  for (const [name, a] of Object.entries(arrays)) members[`${name}.npy`] = new Uint8Array(dumpNpy(a.data, a.shape));
  return zipSync(members, { level: 6 });
}
