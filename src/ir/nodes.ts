import { UserError } from '../util/errors.js';

/**
 * The node kinds and value types of the snnc intermediate representation (what each kind computes is in
 * its registry entry, src/ir/kinds/). A graph: a graph is plain data, named nodes plus edge pairs (as in NIR).
 * Shapes are per sample (no batch dimension): `[C, H, W]` for feature maps, `[N]` for vectors.
 * Every node's input is the elementwise sum of the outputs of its incoming edges (this is how residual
 * additions are expressed); all incoming edges must therefore agree in shape.
 *
 * Time semantics (SNN mode, steps t = 1..T): synaptic nodes compute I[t] from their input at step t,
 * neuron nodes integrate I[t] and emit spikes, the readout integrates without spiking. See DESIGN.md.
 */

/** A dense float tensor, row-major. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export type Pads = [top: number, left: number, bottom: number, right: number];
export type Pair = [number, number];

/** Graph entry. `shape` is the per-sample input shape, e.g. `[1, 28, 28]`. */
export interface InputNode { kind: 'Input'; shape: number[] }
/** Graph exit. In SNN mode its value is the readout potential accumulated over all steps. */
export interface OutputNode { kind: 'Output' }
/** y = W x + b, W of shape `[out, in]` (NIR Affine). */
export interface AffineNode { kind: 'Affine'; weight: Tensor; bias: Tensor }
/** y = W x, W of shape `[out, in]` (NIR Linear). */
export interface LinearNode { kind: 'Linear'; weight: Tensor }
/**
 * 2-D convolution (NIR Conv2d): y[o] = b[o] + Σ_{i in group(o), ky, kx} W[o, i, ky, kx] · x[i, y·s + ky·d − p, …].
 * weight `[out, in/groups, kh, kw]`; padding is explicit `[top, left, bottom, right]`, zeros outside.
 */
export interface Conv2dNode {
  kind: 'Conv2d';
  weight: Tensor;
  bias?: Tensor;
  stride: Pair;
  padding: Pads;
  dilation: Pair;
  groups: number;
}
/** Pooling over windows. SumPool2d: y = Σ window (NIR). AvgPool2d: y = Σ window / count. MaxPool2d: ANN only. */
export interface PoolNode {
  kind: 'SumPool2d' | 'AvgPool2d' | 'MaxPool2d';
  kernel: Pair;
  stride: Pair;
  padding: Pads;
  /** AvgPool2d only: divide by the full kernel area (true) or by the number of in-bounds elements (false). */
  countIncludePad?: boolean;
}
/** Flattens the per-sample shape to `[N]` (C, H, W order). */
export interface FlattenNode { kind: 'Flatten' }
/**
 * y = scale ⊙ x + bias, scale and bias scalar (shape `[1]`) or per channel (shape `[C]`).
 * NIR Scale has no bias; snnc adds one so that input normalisation ((x − mean) / std) stays exact.
 */
export interface ScaleNode { kind: 'Scale'; scale: Tensor; bias?: Tensor }
/** y = max(0, x). ANN only; conversion turns it into IF. */
export interface ReLUNode { kind: 'ReLU' }
/** y = min(max(x, min), max). ANN only. */
export interface ClipNode { kind: 'Clip'; min: number; max: number }
/** y = x (the sum of its inputs): an explicit residual junction. */
export interface SumNode { kind: 'Sum' }

export type ResetMode = 'subtract' | 'zero';

/**
 * Integrate-and-fire neuron (NIR IF, with r = 1): v[t] = v[t−1] + I[t]; s[t] = (v[t] ≥ θ);
 * on a spike v ← v − θ (reset 'subtract', the default) or v ← 0 (reset 'zero'). Output s ∈ {0, 1}.
 */
export interface IFNode { kind: 'IF'; threshold: number; reset: ResetMode; vInit?: number }
/**
 * Leaky integrate-and-fire: v[t] = (1 − leak) · v[t−1] + I[t]; spike and reset as IF. leak ∈ [0, 1).
 */
export interface LIFNode { kind: 'LIF'; threshold: number; reset: ResetMode; leak: number; vInit?: number }

export type IRNode =
  | InputNode | OutputNode | AffineNode | LinearNode | Conv2dNode | PoolNode | FlattenNode
  | ScaleNode | ReLUNode | ClipNode | SumNode | IFNode | LIFNode;

export type NodeKind = IRNode['kind'];

/** Facts about a graph that travel with it (ONNX producer, spiking settings, what import dropped). */
export interface GraphMeta {
  name: string;
  producer?: string;
  opset?: number;
  /** Time steps the graph was built or trained for (spiking students). */
  timesteps?: number;
  encoding?: 'direct' | 'rate';
  /** Ops removed by import that only matter to training or to probabilities (Softmax, Dropout, …). */
  dropped?: string[];
  /** Free-form provenance (e.g. conversion thresholds, calibration data). */
  notes?: Record<string, string | number | boolean>;
}

export interface NodeShapes { input: number[]; output: number[] }

/** A validated graph: nodes in topological order with their inferred shapes. */
export interface Graph {
  readonly nodes: ReadonlyMap<string, IRNode>;
  readonly edges: ReadonlyArray<readonly [string, string]>;
  readonly meta: GraphMeta;
  /** Node names in a topological order (Input first). */
  readonly order: readonly string[];
  readonly shapes: ReadonlyMap<string, NodeShapes>;
  /** Predecessors and successors of each node, in edge order. */
  readonly preds: ReadonlyMap<string, readonly string[]>;
  readonly succs: ReadonlyMap<string, readonly string[]>;
  readonly inputName: string;
  readonly outputName: string;
}

/** A graph that does not hold together: names the node and what is wrong. */
export class GraphError extends UserError {
  constructor(message: string, readonly node?: string) {
    super(node ? `node '${node}': ${message}` : message);
    this.name = 'GraphError';
  }
}

export function tensor(shape: number[], data?: ArrayLike<number>): Tensor {
  const size = shapeSize(shape);
  const out = new Float32Array(size);
  if (data) {
    if (data.length !== size) throw new GraphError(`tensor data has ${data.length} values, shape [${shape}] needs ${size}`);
    out.set(data);
  }
  return { shape: [...shape], data: out };
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function checkTensor(name: string, what: string, t: Tensor | undefined, expected?: number[]): void {
  if (!t) throw new GraphError(`missing ${what}`, name);
  if (!t.shape.every((d) => Number.isInteger(d) && d > 0)) throw new GraphError(`${what} has a bad shape [${t.shape}]`, name);
  if (t.data.length !== shapeSize(t.shape)) throw new GraphError(`${what} holds ${t.data.length} values for shape [${t.shape}]`, name);
  if (expected && (expected.length !== t.shape.length || expected.some((d, i) => d !== t.shape[i]))) {
    throw new GraphError(`${what} has shape [${t.shape}], expected [${expected}]`, name);
  }
  for (let i = 0; i < t.data.length; i++) {
    if (!Number.isFinite(t.data[i])) throw new GraphError(`${what} holds a non-finite value at index ${i}`, name);
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function windowOut(size: number, kernel: number, stride: number, padBefore: number, padAfter: number, dilation: number, name: string): number {
  const eff = (kernel - 1) * dilation + 1;
  const out = Math.floor((size + padBefore + padAfter - eff) / stride) + 1;
  if (!(out >= 1)) throw new GraphError(`window ${kernel} (stride ${stride}, dilation ${dilation}) does not fit input extent ${size} with padding ${padBefore}+${padAfter}`, name);
  return out;
}

export function positive(name: string, what: string, values: readonly number[]): void {
  if (!values.every((v) => Number.isInteger(v) && v >= 1)) throw new GraphError(`${what} must be positive integers, got [${values}]`, name);
}
export function nonNegative(name: string, what: string, values: readonly number[]): void {
  if (!values.every((v) => Number.isInteger(v) && v >= 0)) throw new GraphError(`${what} must be non-negative integers, got [${values}]`, name);
}

/** Upper bound on elements of any one activation tensor: refuses absurd shapes before anything is allocated. */
export const MAX_ACTIVATION_ELEMENTS = 1 << 26;

