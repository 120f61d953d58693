import { constants, gunzipSync } from 'node:zlib';
import { DataError } from './errors.js';
import { READ_LIMITS, readRegularFile, readRegularFilePrefix } from '../util/safe-read.js';

/**
 * The largest file (compressed or not) and the largest decompressed stream accepted: a cap that keeps a
 * hostile file or gzip stream from exhausting memory before any header can be checked.
 */
export const MAX_DATA_FILE_BYTES = READ_LIMITS.data;

/**
 * The most sample values decoded to float32 at once (1 GiB of floats): CIFAR-10's training split is 154 M.
 * A data set beyond it is refused with the limit named, before it is decoded; a run that uses fewer
 * samples (--samples, --train-limit) decodes only those.
 */
export const MAX_DECODED_VALUES = 2 ** 28;

/** Deflate expands at most about 1032:1: a header claiming more than that from a gzip file is a lie. */
const DEFLATE_MAX_RATIO = 1032;

const dataOpts = { what: 'data file', maxBytes: MAX_DATA_FILE_BYTES, error: (m: string) => new DataError(m) };

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

function gunzipError(path: string, e: unknown): DataError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ERR_BUFFER_TOO_LARGE') return new DataError(`data file '${path}' decompresses to more than ${MAX_DATA_FILE_BYTES} bytes`);
  return new DataError(`data file '${path}' is not valid gzip (${(e as Error).message})`);
}

/** Reads a data file whole, transparently gunzipping it when it starts with the gzip magic (1f 8b). */
export function readMaybeGzip(path: string): Uint8Array {
  const raw = readRegularFile(path, dataOpts);
  if (!isGzip(raw)) return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  try {
    return new Uint8Array(gunzipSync(raw, { maxOutputLength: MAX_DATA_FILE_BYTES }));
  } catch (e) {
    throw gunzipError(path, e);
  }
}

/**
 * The first `wanted` bytes of a gzip stream (fewer if it holds fewer), decompressing no more than that plus
 * 64 KiB: growing prefixes of the compressed bytes are inflated with Z_SYNC_FLUSH (which accepts a cut
 * stream), so a small file that expands to gigabytes costs what is used, not what it claims.
 */
function gunzipPrefix(raw: Uint8Array, wanted: number, path: string): Uint8Array {
  const cap = wanted + (1 << 16);
  const attempt = (k: number): Buffer | null => {
    try {
      return gunzipSync(raw.subarray(0, k), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: cap });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return null;
      throw gunzipError(path, e);
    }
  };
  let lo = 0;
  let k = Math.min(raw.length, Math.max(1 << 16, Math.ceil(wanted / DEFLATE_MAX_RATIO)));
  for (;;) {
    const out = attempt(k);
    if (out === null) break;
    if (out.length >= wanted || k === raw.length) return out.subarray(0, Math.min(wanted, out.length));
    lo = k;
    k = Math.min(raw.length, k * 2);
  }
  // Prefix `lo` gives too little, prefix `k` too much: bisect to a prefix that gives enough but not too much.
  let hi = k;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const out = attempt(mid);
    if (out === null) hi = mid;
    else if (out.length >= wanted) return out.subarray(0, wanted);
    else lo = mid;
  }
  throw new DataError(`data file '${path}' is not valid gzip (one compressed byte expands beyond ${cap} bytes)`);
}

/** A data file opened for prefix reads: plain bytes read from the file, or a gzip stream inflated on demand. */
interface DataSource {
  path: string;
  gzip: boolean;
  /** Size on disk. */
  size: number;
  /** The first `n` bytes of the (decompressed) content, or fewer when it is shorter. */
  prefix(n: number): Uint8Array;
  /** The whole (decompressed) content, refusing more than `n` bytes. */
  exactly(n: number): Uint8Array;
}

function openDataSource(path: string): DataSource {
  const head = readRegularFilePrefix(path, dataOpts, 2);
  if (!isGzip(head.bytes)) {
    return {
      path, gzip: false, size: head.size,
      prefix: (n) => readRegularFilePrefix(path, dataOpts, n).bytes,
      exactly: (n) => readRegularFilePrefix(path, dataOpts, n).bytes,
    };
  }
  const raw = readRegularFile(path, dataOpts);
  return {
    path, gzip: true, size: raw.length,
    prefix: (n) => gunzipPrefix(raw, n, path),
    exactly: (n) => {
      try {
        return gunzipSync(raw, { maxOutputLength: Math.min(n + 1, MAX_DATA_FILE_BYTES) });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' && n + 1 <= MAX_DATA_FILE_BYTES) return gunzipPrefix(raw, n + 1, path);
        throw gunzipError(path, e);
      }
    },
  };
}

/** A parsed IDX file of unsigned bytes. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** IDX type code of unsigned bytes, the only element type image and label files use. */
const IDX_UBYTE = 0x08;
const IDX_TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'short', 0x0c: 'int', 0x0d: 'float', 0x0e: 'double',
};

/** Checks the fixed part of an IDX header (magic, type, dimension count); returns the header's length. */
function idxHeaderLength(bytes: Uint8Array, path: string): number {
  if (bytes.length < 4) throw new DataError(`IDX file '${path}' is truncated: ${bytes.length} bytes, no header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DataError(`IDX file '${path}' has a bad magic number (${magic}; expected 00 00 <type> <dims>)`);
  }
  const type = bytes[2];
  if (type !== IDX_UBYTE) {
    const name = IDX_TYPE_NAMES[type] ?? 'unknown';
    throw new DataError(`IDX file '${path}' holds ${name} data (type 0x${type.toString(16).padStart(2, '0')}); only unsigned bytes (0x08) are supported`);
  }
  const ndims = bytes[3];
  if (ndims < 1) throw new DataError(`IDX file '${path}' declares 0 dimensions`);
  return 4 + 4 * ndims;
}

function idxDims(bytes: Uint8Array, headerBytes: number, path: string): number[] {
  if (bytes.length < headerBytes) {
    throw new DataError(`IDX file '${path}' is truncated: its header needs ${headerBytes} bytes, the file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: (headerBytes - 4) / 4 }, (_, i) => view.getUint32(4 + 4 * i, false));
}

/**
 * Parses an IDX file (LeCun's format: two zero bytes, a type code, the number of dimensions, then each
 * dimension as a big-endian uint32, then the data). Only unsigned-byte data is accepted. The sizes in the
 * header are checked against the file length before any memory is allocated from them.
 */
export function parseIdx(bytes: Uint8Array, path: string): IdxArray {
  const headerBytes = idxHeaderLength(bytes, path);
  const dims = idxDims(bytes, headerBytes, path);
  const expected = dims.reduce((a, b) => a * b, 1);
  const available = bytes.length - headerBytes;
  if (expected > available) {
    throw new DataError(`IDX file '${path}' is truncated: its header declares ${dims.join('×')} = ${expected} values, the file holds ${available}`);
  }
  if (expected < available) {
    throw new DataError(`IDX file '${path}' has ${available - expected} bytes beyond the ${dims.join('×')} values its header declares`);
  }
  return { dims, data: bytes.subarray(headerBytes, headerBytes + expected) };
}

/**
 * Reads an IDX file, gzipped or not. With `limit`, only the first `limit` records (along the first
 * dimension) are read and decompressed; `dims` still gives what the header declares. What the header
 * claims is checked against the file before anything is decoded: a plain file must hold exactly the
 * declared values, a gzip file cannot expand beyond deflate's ratio, and the records to decode must stay
 * within MAX_DECODED_VALUES.
 */
export function readIdx(path: string, opts: { limit?: number } = {}): IdxArray {
  const src = openDataSource(path);
  const headerBytes = idxHeaderLength(src.prefix(4), path);
  const dims = idxDims(src.prefix(headerBytes), headerBytes, path);
  const record = dims.slice(1).reduce((a, b) => a * b, 1);
  const declared = dims[0] * record;
  if (!src.gzip) {
    const available = src.size - headerBytes;
    if (declared > available) throw new DataError(`IDX file '${path}' is truncated: its header declares ${dims.join('×')} = ${declared} values, the file holds ${available}`);
    if (declared < available) throw new DataError(`IDX file '${path}' has ${available - declared} bytes beyond the ${dims.join('×')} values its header declares`);
  } else if (declared + headerBytes > src.size * DEFLATE_MAX_RATIO + 1024) {
    throw new DataError(`IDX file '${path}' claims ${dims.join('×')} = ${declared} values, more than a gzip file of ${src.size} bytes can hold`);
  }
  const records = opts.limit === undefined ? dims[0] : Math.min(dims[0], opts.limit);
  if (records * record > MAX_DECODED_VALUES) {
    throw new DataError(`IDX file '${path}' holds ${dims[0]} records of ${record} values (${declared} in all), more than snnc decodes at once (${MAX_DECODED_VALUES}); use fewer samples (--samples, --train-limit)`);
  }
  const wanted = headerBytes + records * record;
  const whole = records === dims[0];
  const bytes = whole ? src.exactly(wanted) : src.prefix(wanted);
  if (bytes.length < wanted) {
    throw new DataError(`IDX file '${path}' is truncated: its header declares ${dims.join('×')} = ${declared} values, the file holds ${bytes.length - headerBytes}`);
  }
  if (whole && bytes.length > wanted) throw new DataError(`IDX file '${path}' has bytes beyond the ${dims.join('×')} values its header declares`);
  return { dims, data: bytes.subarray(headerBytes, wanted) };
}

/**
 * Serialises unsigned bytes as an IDX file (the inverse of parseIdx). Used by tests and by anyone who
 * wants to hand a perturbed or converted data set to another tool.
 */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`encodeIdx: ${dims.join('×')} needs ${count} values, got ${data.length}`);
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = IDX_UBYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
