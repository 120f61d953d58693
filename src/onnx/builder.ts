import { onnx, AttrType, DataType, type AttributeProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';

/** An attribute value for {@link OnnxBuilder.node}: tag the numeric kind explicitly (ONNX distinguishes int and float). */
export type AttrValue =
  | { int: number } | { ints: number[] } | { float: number } | { floats: number[] } | { string: string }
  | { tensor: TensorProto };

export const attr = {
  int: (v: number): AttrValue => ({ int: v }),
  ints: (v: number[]): AttrValue => ({ ints: v }),
  float: (v: number): AttrValue => ({ float: v }),
  floats: (v: number[]): AttrValue => ({ floats: v }),
  string: (v: string): AttrValue => ({ string: v }),
  tensor: (v: TensorProto): AttrValue => ({ tensor: v }),
};

export type StoredType = 'float32' | 'float16' | 'float64' | 'int64' | 'int32';

/** How an initializer's values are written: `raw` (raw_data, as most exporters do) or the typed repeated field. */
export type Storage = 'raw' | 'typed';

const TYPE_CODE: Record<StoredType, number> = {
  float32: DataType.FLOAT, float16: DataType.FLOAT16, float64: DataType.DOUBLE, int64: DataType.INT64, int32: DataType.INT32,
};

/** number → IEEE 754 binary16 bits (round to nearest even). */
export function floatToHalf(value: number): number {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** Builds a TensorProto; `raw` writes little-endian raw_data. */
export function makeTensor(name: string, dims: number[], values: ArrayLike<number>, type: StoredType = 'float32', storage: Storage = 'raw'): TensorProto {
  const n = values.length;
  const t: TensorProto = { name, dims, dataType: TYPE_CODE[type] };
  if (storage === 'raw') {
    const bytesPer = { float32: 4, float16: 2, float64: 8, int64: 8, int32: 4 }[type];
    const buf = new Uint8Array(n * bytesPer);
    const view = new DataView(buf.buffer);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (type === 'float32') view.setFloat32(i * 4, v, true);
      else if (type === 'float16') view.setUint16(i * 2, floatToHalf(v), true);
      else if (type === 'float64') view.setFloat64(i * 8, v, true);
      else if (type === 'int64') view.setBigInt64(i * 8, BigInt(Math.trunc(v)), true);
      else view.setInt32(i * 4, v, true);
    }
    t.rawData = buf;
  } else {
    const list = Array.from(values);
    if (type === 'float32') t.floatData = list;
    else if (type === 'float64') t.doubleData = list;
    else if (type === 'int64') t.int64Data = list;
    else if (type === 'float16') t.int32Data = list.map(floatToHalf);
    else t.int32Data = list;
  }
  return t;
}

function makeAttribute(name: string, v: AttrValue): AttributeProto {
  if ('int' in v) return { name, type: AttrType.INT, i: v.int };
  if ('ints' in v) return { name, type: AttrType.INTS, ints: v.ints };
  if ('float' in v) return { name, type: AttrType.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: AttrType.FLOATS, floats: v.floats };
  if ('string' in v) return { name, type: AttrType.STRING, s: new TextEncoder().encode(v.string) };
  return { name, type: AttrType.TENSOR, t: v.tensor };
}

function valueInfo(name: string, dims: (number | string)[] | undefined, elemType: number = DataType.FLOAT): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        ...(dims ? { shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } : {}),
      },
    },
  };
}

/** ONNX IR version to declare for a default-domain opset (the checker and onnxruntime insist on a match). */
export function irVersionFor(opset: number): number {
  if (opset <= 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

/**
 * A small helper to write ONNX models with protobufjs: the exporter and the test fixtures use it.
 * Nodes are appended in order; `bytes()` encodes the ModelProto.
 */
export class OnnxBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly metadata: { key: string; value: string }[] = [];
  private readonly opsets = new Map<string, number>();
  private counter = 0;

  constructor(private readonly opts: { opset: number; name?: string; producer?: string; producerVersion?: string; irVersion?: number }) {
    this.opsets.set('', opts.opset);
  }

  input(name: string, dims: (number | string)[], elemType: number = DataType.FLOAT): string {
    this.inputs.push(valueInfo(name, dims, elemType));
    return name;
  }

  output(name: string, dims?: (number | string)[]): void {
    this.outputs.push(valueInfo(name, dims));
  }

  /** Adds an initializer and returns its name. */
  init(name: string, dims: number[], values: ArrayLike<number>, type: StoredType = 'float32', storage: Storage = 'raw'): string {
    this.initializers.push(makeTensor(name, dims, values, type, storage));
    return name;
  }

  /** Appends a node; returns its first output name (generated when `outputs` is a count). */
  node(op: string, inputs: string[], outputs: string[] | number = 1, attrs: Record<string, AttrValue> = {}, opts: { name?: string; domain?: string } = {}): string {
    const index = this.counter++;
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, i) => `${op.toLowerCase()}${index}${i ? `_${i}` : ''}`) : outputs;
    this.nodes.push({
      name: opts.name ?? `${op}_${index}`,
      opType: op,
      domain: opts.domain ?? '',
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => makeAttribute(k, v)),
    });
    return outs[0];
  }

  opsetImport(domain: string, version: number): void {
    this.opsets.set(domain, version);
  }

  meta(key: string, value: string): void {
    this.metadata.push({ key, value });
  }

  /** The ModelProto as a plain object (tests mutate it before encoding). */
  model(): ModelProto {
    return {
      irVersion: this.opts.irVersion ?? irVersionFor(this.opts.opset),
      producerName: this.opts.producer ?? 'snnc',
      producerVersion: this.opts.producerVersion ?? '',
      opsetImport: [...this.opsets].map(([domain, version]) => ({ domain, version })),
      metadataProps: this.metadata,
      graph: {
        name: this.opts.name ?? 'model',
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
  }

  bytes(): Uint8Array {
    return encodeModel(this.model());
  }
}

export function encodeModel(model: ModelProto): Uint8Array {
  const buf = onnx.ModelProto.encode(model).finish();
  // A plain Uint8Array, not a Node Buffer: Buffer#slice shares memory, which surprises callers that copy.
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
