import { closeSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { UserError } from '../util/errors.js';
import { DataType, int64, type Int64Like, type TensorProto } from './proto.js';

/** A constant tensor during import: dims with the batch dimension kept, values as doubles. */
export interface ConstTensor {
  dims: number[];
  data: Float64Array;
}

/** A file that is not a usable ONNX model: names the node, op type and opset when there is one. */
export class OnnxError extends UserError {
  constructor(message: string) {
    // Names come from the file: keep the message on one line and of readable length whatever they hold.
    // eslint-disable-next-line no-control-regex
    const clean = message.replace(/[\u0000-\u001f\u007f]/g, '?');
    super(clean.length > 600 ? `${clean.slice(0, 600)}…` : clean);
    this.name = 'OnnxError';
  }
}

/** Upper bound on the elements of one initializer (1 GiB of float32). */
export const MAX_TENSOR_ELEMENTS = 1 << 28;

const ELEMENT_BYTES: Record<number, number> = {
  [DataType.FLOAT]: 4, [DataType.DOUBLE]: 8, [DataType.FLOAT16]: 2, [DataType.INT64]: 8, [DataType.INT32]: 4,
  [DataType.INT16]: 2, [DataType.UINT16]: 2, [DataType.INT8]: 1, [DataType.UINT8]: 1, [DataType.BOOL]: 1,
  [DataType.UINT32]: 4, [DataType.UINT64]: 8,
};

const TYPE_NAMES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
};

export function typeName(code: number): string {
  return TYPE_NAMES[code] ?? `type ${code}`;
}

/** Checks dims and returns the element count, before anything is allocated. */
export function checkedDims(rawDims: readonly Int64Like[] | null | undefined, what: string): { dims: number[]; size: number } {
  const dims = (rawDims ?? []).map(int64);
  if (dims.length > 8) throw new OnnxError(`${what} has ${dims.length} dimensions (at most 8 are supported)`);
  let size = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new OnnxError(`${what} has an invalid dimension ${d}`);
    size *= d;
  }
  if (size > MAX_TENSOR_ELEMENTS) throw new OnnxError(`${what} has shape [${dims}] = ${size} elements, more than the limit ${MAX_TENSOR_ELEMENTS}`);
  return { dims, size };
}

/** Where external tensor data may be read from; absent when the model came from bytes without a folder. */
export interface ExternalDataContext {
  baseDir?: string;
}

/**
 * Decodes an initializer or a Constant's tensor: raw_data (little-endian) or the typed repeated fields,
 * for float32, float16, float64, int64, int32 (and the small integer types stored in int32_data). The
 * element count implied by dims is checked against the bytes present before any array is allocated.
 */
export function decodeTensor(t: TensorProto, what: string, ext: ExternalDataContext = {}): ConstTensor {
  const type = t.dataType ?? 0;
  const { dims, size } = checkedDims(t.dims, what);
  const elementBytes = ELEMENT_BYTES[type];
  if (elementBytes === undefined) throw new OnnxError(`${what} has data type ${typeName(type)}, which is not supported`);

  let raw: Uint8Array | undefined;
  if (t.dataLocation === 1) raw = readExternal(t, what, size * elementBytes, ext);
  else if (t.rawData && t.rawData.length > 0) raw = t.rawData;

  if (raw) {
    if (raw.length !== size * elementBytes) {
      throw new OnnxError(`${what}: shape [${dims}] needs ${size * elementBytes} bytes of ${typeName(type)}, raw data has ${raw.length}`);
    }
    return { dims, data: decodeRaw(raw, type, size) };
  }

  const field = typedField(t, type);
  if (field.length !== size) {
    throw new OnnxError(`${what}: shape [${dims}] needs ${size} values of ${typeName(type)}, the tensor holds ${field.length}`);
  }
  const data = new Float64Array(size);
  if (type === DataType.FLOAT16) for (let i = 0; i < size; i++) data[i] = halfToFloat((field[i] as number) & 0xffff);
  else if (type === DataType.INT64 || type === DataType.UINT64) for (let i = 0; i < size; i++) data[i] = int64(field[i] as Int64Like);
  else for (let i = 0; i < size; i++) data[i] = field[i] as number;
  return { dims, data };
}

function typedField(t: TensorProto, type: number): readonly unknown[] {
  switch (type) {
    case DataType.FLOAT: return t.floatData ?? [];
    case DataType.DOUBLE: return t.doubleData ?? [];
    case DataType.INT64: return t.int64Data ?? [];
    case DataType.UINT32: case DataType.UINT64: return t.uint64Data ?? [];
    // ONNX stores float16, int32 and the smaller integer types in int32_data.
    default: return t.int32Data ?? [];
  }
}

function decodeRaw(raw: Uint8Array, type: number, size: number): Float64Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const data = new Float64Array(size);
  switch (type) {
    case DataType.FLOAT: for (let i = 0; i < size; i++) data[i] = view.getFloat32(i * 4, true); break;
    case DataType.DOUBLE: for (let i = 0; i < size; i++) data[i] = view.getFloat64(i * 8, true); break;
    case DataType.FLOAT16: for (let i = 0; i < size; i++) data[i] = halfToFloat(view.getUint16(i * 2, true)); break;
    case DataType.INT64: for (let i = 0; i < size; i++) data[i] = Number(view.getBigInt64(i * 8, true)); break;
    case DataType.UINT64: for (let i = 0; i < size; i++) data[i] = Number(view.getBigUint64(i * 8, true)); break;
    case DataType.INT32: for (let i = 0; i < size; i++) data[i] = view.getInt32(i * 4, true); break;
    case DataType.UINT32: for (let i = 0; i < size; i++) data[i] = view.getUint32(i * 4, true); break;
    case DataType.INT16: for (let i = 0; i < size; i++) data[i] = view.getInt16(i * 2, true); break;
    case DataType.UINT16: for (let i = 0; i < size; i++) data[i] = view.getUint16(i * 2, true); break;
    case DataType.INT8: for (let i = 0; i < size; i++) data[i] = view.getInt8(i); break;
    case DataType.UINT8: case DataType.BOOL: for (let i = 0; i < size; i++) data[i] = view.getUint8(i); break;
  }
  return data;
}

/** IEEE 754 binary16 → number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * Reads external tensor data. The location must stay inside the model's folder: absolute paths and `..`
 * segments are refused outright, and the resolved real path (after symlinks) must still be inside.
 */
function readExternal(t: TensorProto, what: string, needed: number, ext: ExternalDataContext): Uint8Array {
  const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (!location) throw new OnnxError(`${what} is stored externally but names no location`);
  if (ext.baseDir === undefined) throw new OnnxError(`${what} is stored in external file '${location}', but the model was not loaded from a folder`);
  if (isAbsolute(location) || /^[a-zA-Z]:/.test(location) || location.includes('\0')) {
    throw new OnnxError(`${what}: external data location '${location}' is absolute; it must be relative to the model's folder`);
  }
  if (location.split(/[\\/]/).includes('..')) {
    throw new OnnxError(`${what}: external data location '${location}' escapes the model's folder ('..' is not allowed)`);
  }
  const offset = entries.has('offset') ? Number(entries.get('offset')) : 0;
  const length = entries.has('length') ? Number(entries.get('length')) : needed;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new OnnxError(`${what}: external data offset '${entries.get('offset')}' is invalid`);
  if (length !== needed) throw new OnnxError(`${what}: external data length ${entries.get('length')} does not match the ${needed} bytes its shape needs`);
  let base: string;
  let file: string;
  try {
    base = realpathSync(ext.baseDir);
    file = realpathSync(join(base, location));
  } catch {
    throw new OnnxError(`${what}: external data file '${location}' not found next to the model`);
  }
  const rel = relative(base, file);
  if (rel === '' || rel.startsWith('..' + sep) || rel === '..' || isAbsolute(rel)) {
    throw new OnnxError(`${what}: external data file '${location}' resolves outside the model's folder`);
  }
  const fd = openSync(file, 'r');
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new OnnxError(`${what}: external data '${location}' is not a regular file`);
    if (offset + needed > stat.size) {
      throw new OnnxError(`${what}: external data '${location}' has ${stat.size} bytes, ${needed} are needed from offset ${offset}`);
    }
    const buf = new Uint8Array(needed);
    let read = 0;
    while (read < needed) {
      const n = readSync(fd, buf, read, needed - read, offset + read);
      if (n <= 0) throw new OnnxError(`${what}: external data '${location}' ended early`);
      read += n;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}
