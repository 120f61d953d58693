import { createRequire } from 'node:module';
import type { onnx as OnnxNamespace } from 'onnx-proto';

/**
 * The ONNX protobuf schema. We use the `onnx-proto` package: the official onnx.proto (ONNX v1.10.2, IR
 * version 8, every field opsets 11–21 need) compiled to a static protobufjs module with TypeScript types.
 * That is the official schema without a .proto parser at run time, and its decoder checks every length
 * prefix against the buffer, so a hostile length cannot make it allocate or read past the input.
 * It is a CommonJS module that assigns `module.exports`, hence createRequire rather than an ESM import.
 */
const require = createRequire(import.meta.url);
export const onnx: typeof OnnxNamespace = (require('onnx-proto') as { onnx: typeof OnnxNamespace }).onnx;
export type { OnnxNamespace };

export type ModelProto = OnnxNamespace.IModelProto;
export type GraphProto = OnnxNamespace.IGraphProto;
export type NodeProto = OnnxNamespace.INodeProto;
export type TensorProto = OnnxNamespace.ITensorProto;
export type AttributeProto = OnnxNamespace.IAttributeProto;
export type ValueInfoProto = OnnxNamespace.IValueInfoProto;

/** ONNX TensorProto.DataType codes we read or write. */
export const DataType = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13,
} as const;

/** AttributeProto.AttributeType codes. */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, SPARSE_TENSOR: 11 } as const;

/** An int64 as protobufjs hands it over: a number, or a Long when the `long` package is present. */
export type Int64Like = number | { toNumber(): number; low: number; high: number } | string | null | undefined;

/** Converts an int64 field to a JS number (exact up to 2^53; larger values stay large, callers bound them). */
export function int64(v: Int64Like): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  return v.toNumber();
}
