/**
 * The shape every ONNX op entry has (the onnxruntime-web pattern: one table from op name to implementation,
 * each implementation declaring its attributes, parsing them the same way, then running).
 *
 * An entry names its domain and the default-domain opsets it covers, declares each attribute's type and
 * default, and gives a handler that turns the node into IR. Ops whose result is a constant when their inputs
 * are (shape computations) also give `fold`, which the importer runs instead of the handler then.
 */
import type { IRNode, Pads, Tensor } from '../../ir/graph.js';
import type { AttributeProto, NodeProto, TensorProto } from '../proto.js';
import type { ConstTensor } from '../tensor.js';

/** A value flowing between ONNX nodes. */
export type Value =
  | { kind: 'const'; t: ConstTensor }
  /**
   * An activation: the sum of the outputs of IR nodes `srcs` (several after a residual Add), per-sample
   * `shape`, and a zero padding still to be applied by the consumer (a Pad node before Conv/AveragePool).
   */
  | { kind: 'act'; srcs: string[]; shape: number[]; pad?: Pads };

export type Act = Extract<Value, { kind: 'act' }>;

/** One ONNX node being imported. */
export interface OpContext {
  node: NodeProto;
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  /** The raw attributes, by name (already checked against the entry's declaration). */
  attrs: Map<string, AttributeProto>;
}

/** What an op handler may ask of the importer (the graph walk, values, IR nodes and errors stay in import.ts). */
export interface ImportContext {
  /** Version of the default ONNX domain the model imports. */
  readonly opset: number;
  /** An OnnxError naming the current node, its op and the opset. */
  error(message: string): Error;
  /** The value of input `i`, decoding initializers on first use. */
  value(ctx: OpContext, i: number): Value;
  optionalValue(ctx: OpContext, i: number): Value | undefined;
  /** Input `i` as an activation (refused when it is a constant), a pending zero padding made explicit. */
  act(ctx: OpContext, i: number): Act;
  /** Input `i` as an activation that may carry a pending zero padding (`pad`), for the ops that take it into
   * their own padding (Conv, AveragePool) or add to it (Pad). */
  paddedAct(ctx: OpContext, i: number): Act;
  /** Input `i` as a constant (refused when it is computed from the graph input). */
  constant(ctx: OpContext, i: number): ConstTensor;
  /** Finite constant as float32 weights of the given shape. */
  weights(t: ConstTensor, what: string, shape?: number[]): Tensor;
  /** Records an ONNX output value. */
  setValue(name: string, v: Value): void;
  /** Passes a value through under a new name (Identity, Dropout, dropped Softmax). */
  alias(ctx: OpContext, from: Value): void;
  /** The single IR node behind an activation when only this ONNX reader consumes it (so it may be rewritten). */
  foldable(a: Act): string | undefined;
  irNode(name: string): IRNode;
  replaceNode(name: string, node: IRNode): void;
  /** Replaces a folded reader's output: the same IR node now stands for `ctx.outputs[0]`. */
  rebind(ctx: OpContext, src: string, shape: number[]): void;
  /** Adds an IR node fed by `input`, infers its shape and binds ONNX output 0 to it. */
  emit(ctx: OpContext, node: IRNode, input: Act, suffix?: string): Act;
  /** Adds an IR node fed by `input` without binding an ONNX output: the first of several IR nodes for one op. */
  addNode(ctx: OpContext, node: IRNode, input: Act, suffix?: string): Act;
  /** Binds ONNX output 0 to the sum of `parts`, nodes this op added with `addNode` (a Concat's placed inputs). */
  emitSum(ctx: OpContext, parts: Act[], shape: number[]): void;
  /** The activation with a pending zero padding (a Pad's output) made explicit as an IndexMap node, so any op can read it. */
  unpadded(ctx: OpContext, a: Act): Act;
  /** True when some live node or the graph output reads ONNX value `name`. */
  isUsed(name: string): boolean;
  /** Notes an op dropped from the graph (Dropout, a final Softmax). */
  record(what: string): void;
  /** True when output 0 of this node is the graph output and nothing else reads it. */
  isFinalOutput(ctx: OpContext): boolean;
}

// ---- attributes ----

/** ONNX attribute types an entry can declare, with the value a handler receives. */
export interface AttrValueTypes {
  int: number;
  ints: number[];
  float: number;
  floats: number[];
  string: string;
  strings: string[];
  tensor: TensorProto;
  sparse_tensor: unknown;
}
export type AttrKind = keyof AttrValueTypes;

/** An attribute's declared type and, when ONNX gives one, its default. */
export interface AttrSpec<K extends AttrKind = AttrKind, D extends AttrValueTypes[K] | undefined = AttrValueTypes[K] | undefined> {
  readonly type: K;
  readonly default: D;
}

/** Attribute declarations: `Attr.int(1)` is an int defaulting to 1, `Attr.ints()` an optional list. */
export const Attr = {
  int: <D extends number | undefined = undefined>(d?: D): AttrSpec<'int', D> => ({ type: 'int', default: d as D }),
  ints: <D extends number[] | undefined = undefined>(d?: D): AttrSpec<'ints', D> => ({ type: 'ints', default: d as D }),
  float: <D extends number | undefined = undefined>(d?: D): AttrSpec<'float', D> => ({ type: 'float', default: d as D }),
  floats: (): AttrSpec<'floats', undefined> => ({ type: 'floats', default: undefined }),
  string: <D extends string | undefined = undefined>(d?: D): AttrSpec<'string', D> => ({ type: 'string', default: d as D }),
  strings: (): AttrSpec<'strings', undefined> => ({ type: 'strings', default: undefined }),
  tensor: (): AttrSpec<'tensor', undefined> => ({ type: 'tensor', default: undefined }),
  sparseTensor: (): AttrSpec<'sparse_tensor', undefined> => ({ type: 'sparse_tensor', default: undefined }),
};

export type AttrSpecs = Record<string, AttrSpec>;

/** The parsed attributes a handler receives: declared defaults filled in, optional ones possibly undefined. */
export type AttrValues<S extends AttrSpecs> = {
  [K in keyof S]: S[K] extends AttrSpec<infer T, infer D> ? ([D] extends [undefined] ? AttrValueTypes[T] | undefined : AttrValueTypes[T]) : never;
};

export type OpHandler<S extends AttrSpecs = AttrSpecs> = (imp: ImportContext, ctx: OpContext, attrs: AttrValues<S>) => void;

/**
 * The constant result of a node whose inputs are all constants; `inputs[i]` is undefined for an absent
 * optional input.
 */
export type OpFold<S extends AttrSpecs = AttrSpecs> = (imp: ImportContext, ctx: OpContext, attrs: AttrValues<S>, inputs: (ConstTensor | undefined)[]) => ConstTensor;

/** One row of the op table. */
export interface OpEntry<S extends AttrSpecs = AttrSpecs> {
  op: string;
  /** '' is the default ONNX domain (also written 'ai.onnx'). */
  domain: '' | 'snnc';
  /** Default-domain opsets this entry covers (inclusive); absent means the importer's whole range. */
  since?: number;
  until?: number;
  attributes: S;
  /** Imports the node; absent for ops that are refused, in which case `refusal` says why. */
  handler?: OpHandler<S>;
  fold?: OpFold<S>;
  /** Why the op is refused and what to use instead (ops without an exact spiking equivalent, ops not yet supported). */
  refusal?: string;
}

/** An entry with its attribute types erased, as the table holds it. */
export type AnyOpEntry = OpEntry<AttrSpecs>;

/** Declares a supported op; the attribute declaration types the handler's `attrs`. */
export function defineOp<S extends AttrSpecs>(entry: OpEntry<S> & { handler: OpHandler<S> }): AnyOpEntry {
  return entry as unknown as AnyOpEntry;
}

/** Declares an op that is refused with a reason (its attributes do not matter). */
export function refuseOp(op: string, refusal: string, range: { since?: number; until?: number } = {}): AnyOpEntry {
  return { op, domain: '', ...range, attributes: {}, refusal };
}
