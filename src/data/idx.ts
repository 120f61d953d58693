import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataError } from './errors.js';

/**
 * The largest decompressed file accepted. Fashion-MNIST's training images are 47 MB; the cap keeps a
 * hostile gzip stream (a "zip bomb") from exhausting memory before any header can be checked.
 */
export const MAX_DATA_FILE_BYTES = 1 << 30;

/** Reads a data file, transparently gunzipping it when it starts with the gzip magic (1f 8b). */
export function readMaybeGzip(path: string): Uint8Array {
  let raw: Buffer;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new DataError(`data file '${path}' is not a regular file`);
    raw = readFileSync(path);
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(`data file '${path}' does not exist`);
    throw new DataError(`cannot read data file '${path}': ${(e as Error).message}`);
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return new Uint8Array(gunzipSync(raw, { maxOutputLength: MAX_DATA_FILE_BYTES }));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') {
        throw new DataError(`data file '${path}' decompresses to more than ${MAX_DATA_FILE_BYTES} bytes`);
      }
      throw new DataError(`data file '${path}' is not valid gzip (${(e as Error).message})`);
    }
  }
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
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

/**
 * Parses an IDX file (LeCun's format: two zero bytes, a type code, the number of dimensions, then each
 * dimension as a big-endian uint32, then the data). Only unsigned-byte data is accepted. The sizes in the
 * header are checked against the file length before any memory is allocated from them.
 */
export function parseIdx(bytes: Uint8Array, path: string): IdxArray {
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
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new DataError(`IDX file '${path}' is truncated: its header needs ${headerBytes} bytes, the file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let expected = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    expected *= d;
  }
  const available = bytes.length - headerBytes;
  if (expected > available) {
    throw new DataError(`IDX file '${path}' is truncated: its header declares ${dims.join('×')} = ${expected} values, the file holds ${available}`);
  }
  if (expected < available) {
    throw new DataError(`IDX file '${path}' has ${available - expected} bytes beyond the ${dims.join('×')} values its header declares`);
  }
  return { dims, data: bytes.subarray(headerBytes, headerBytes + expected) };
}

/** Reads and parses an IDX file, gzipped or not. */
export function readIdx(path: string): IdxArray {
  return parseIdx(readMaybeGzip(path), path);
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
