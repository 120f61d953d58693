import { UserError } from '../util/errors.js';

/**
 * The node kinds and value types of the snnc intermediate representation (what each kind computes is in
 * its registry entry, src/ir/kinds/). A graph: a graph is plain data, named nodes plus edge pairs (as in NIR).
 * Shapes are per sample (no batch dimension): `[C, H, W]` for feature maps, `[N]` for vectors.
 * Every node's input is the elementwise sum of the outputs of its incoming edges (this is how residual
 * additions are expressed); all incoming edges must therefore agree in shape.
 *
 * Time semantics (SNN mode, steps t = 1..T): synaptic nodes compute I[t] from their input at step t,
 * neuron nodes integrate I[t] and emit spikes, the readout integrates without spiking. See docs/design.md.
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
 * weight `[out, in/groups, kh, kw]`; padding is explicit `[top, left, bottom, right]`, zeros outside. Over a
 * `[C, L]` sequence it is the convolution over `[C, 1, L]` (a 1-D convolution, kernel `[1, k]`), output `[C', L']`.
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
/** Pooling over windows. SumPool2d: y = Σ window (NIR). AvgPool2d: y = Σ window / count. MaxPool2d: ANN only.
 * Over a `[C, L]` sequence: the pooling over `[C, 1, L]` (kernel `[1, k]`). */
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
 * y = x with the per-sample shape `shape`: the same values in the same memory order (Squeeze, Unsqueeze and
 * Reshape of a computed tensor; Flatten is the flat case).
 */
export interface ReshapeNode { kind: 'Reshape'; shape: number[] }
/**
 * An index map: every output neuron is one input neuron or zero, y[o] = x[i(o)] or 0. Output axis k reads input
 * axis `perm[k]` (default k) at coordinate `index[k][o_k]`; a coordinate of −1 on any axis gives 0. The output
 * shape is the lengths of `index`. Transpose is a `perm`; nearest-neighbour Resize repeats coordinates; one input
 * of a Concat is placed in its slice of the result (−1 elsewhere; the slices add, as all incoming edges do); zero
 * padding and ConvTranspose's zero insertion put −1 between and around the coordinates. Linear, without weights.
 */
export interface IndexMapNode { kind: 'IndexMap'; perm?: number[]; index: number[][] }
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

/**
 * After a spike: 'subtract' v ← v − θ (snnc's students, and the rate-preserving choice for conversion);
 * 'zero' v ← v_reset (NIR's rule; v_reset defaults to 0).
 */
export type ResetMode = 'subtract' | 'zero';

/** The firing test: 'ge' spikes when v ≥ θ (snnc's students, the default), 'gt' when v > θ (NIR's Heaviside, SANA-FE). */
export type FireMode = 'ge' | 'gt';

/**
 * A neuron parameter: one number for the whole layer, or one value per neuron (a tensor holding the layer's
 * size in values, or one value; NIR stores parameters as arrays of the layer's shape, older files as scalars).
 */
export type Param = number | Tensor;

/** What every spiking kind has. */
export interface SpikingFields {
  /** θ, NIR's v_threshold. */
  threshold: Param;
  reset: ResetMode;
  /** NIR's v_reset (reset 'zero' only); default 0. */
  vReset?: Param;
  /** Default 'ge'. */
  fire?: FireMode;
  /** Initial membrane potential; default 0. */
  vInit?: Param;
}

/*
 * Time. Steps t = 1..T. Kinds defined by NIR's continuous-time ODEs are discretised by forward Euler with the
 * graph's time step dt (GraphMeta.dt, or --dt): for τ dv/dt = (v_leak − v) + r·I,
 *   v[t] = v[t−1] + (dt/τ)·(v_leak − v[t−1] + r·I[t])  =  α·v[t−1] + (1 − α)·v_leak + (1 − α)·r·I[t],  α = 1 − dt/τ.
 * Current-based kinds update the current first and feed the updated current to the voltage (Loihi's order, and
 * snnTorch's Synaptic neuron): I_syn[t] = β·I_syn[t−1] + (1 − β)·w_in·x[t], β = 1 − dt/τ_syn.
 * snnTorch's alpha/beta are these α (mem) and β (syn) when its inputs are scaled by (1 − α)·r and (1 − β)·w_in;
 * Loihi's 12-bit decays are δv = round(dt/τ_mem · 2^12) and δu = round(dt/τ_syn · 2^12):
 *   u ← u·(1 − δu/2^12) + Σ w·s;   v ← v·(1 − δv/2^12) + u + bias   (Loihi's compartment is exactly a CubaLIF).
 * snnc's own IF/LIF with `leak` are the dt-free special case (α = 1 − leak, unit input gain).
 */

/**
 * Integrate-and-fire (NIR IF): v[t] = v[t−1] + r·I[t]; a spike s[t] = 1 when v ≥ θ ('ge') or v > θ ('gt'); then
 * v ← v − θ ('subtract') or v ← v_reset ('zero'). r defaults to 1 (snnc's students); integrating r·I once per
 * step is how every platform of the NIR paper ran the Sinabs CNN, so IF needs no dt.
 */
export interface IFNode extends SpikingFields { kind: 'IF'; r?: Param }
/**
 * Leaky integrate-and-fire, in one of two forms:
 *  - snnc's dt-free form (`leak` ∈ [0, 1), one value per layer): v[t] = (1 − leak)·v[t−1] + I[t];
 *  - NIR's (`tau`, `r`, `vLeak`, per neuron): τ dv/dt = (v_leak − v) + r·I, by forward Euler with dt (above).
 * Spike and reset as IF.
 */
export interface LIFNode extends SpikingFields { kind: 'LIF'; leak?: number; tau?: Param; r?: Param; vLeak?: Param }
/**
 * Current-based LIF (NIR CubaLIF): τ_syn dI/dt = −I + w_in·x; τ_mem dv/dt = (v_leak − v) + r·I; by forward Euler,
 * current first (above). Spike and reset as IF; the current is not reset. w_in, r default 1, v_leak 0.
 */
export interface CubaLIFNode extends SpikingFields { kind: 'CubaLIF'; tauSyn: Param; tauMem: Param; r?: Param; vLeak?: Param; wIn?: Param }
/** Leaky integrator (NIR LI): τ dv/dt = (v_leak − v) + r·I; never spikes, outputs v. */
export interface LINode { kind: 'LI'; tau: Param; r?: Param; vLeak?: Param; vInit?: Param }
/** Current-based leaky integrator (NIR CubaLI): CubaLIF's dynamics without a threshold; outputs v. */
export interface CubaLINode { kind: 'CubaLI'; tauSyn: Param; tauMem: Param; r?: Param; vLeak?: Param; wIn?: Param; vInit?: Param }
/** Integrator (NIR I): v[t] = v[t−1] + r·I[t]; never spikes, outputs v. */
export interface INode { kind: 'I'; r?: Param; vInit?: Param }
/** Threshold (NIR): s[t] = 1 when x[t] ≥ θ ('ge') or > θ ('gt'), else 0. No state. */
export interface ThresholdNode { kind: 'Threshold'; threshold: Param; fire?: FireMode }
/** Delay (NIR): y[t] = x[t − d] per neuron (integer steps d ≥ 0; zero before the first input arrives). */
export interface DelayNode { kind: 'Delay'; delay: Param }

export type IRNode =
  | InputNode | OutputNode | AffineNode | LinearNode | Conv2dNode | PoolNode | FlattenNode | ReshapeNode | IndexMapNode
  | ScaleNode | ReLUNode | ClipNode | SumNode | IFNode | LIFNode
  | CubaLIFNode | LINode | CubaLINode | INode | ThresholdNode | DelayNode;

export type NodeKind = IRNode['kind'];

/** Facts about a graph that travel with it (ONNX producer, spiking settings, what import dropped). */
export interface GraphMeta {
  name: string;
  producer?: string;
  opset?: number;
  /** Time steps the graph was built or trained for (spiking students). */
  timesteps?: number;
  encoding?: 'direct' | 'rate';
  /** Seconds per step: the forward-Euler time step of the kinds defined by time constants (NIR's). */
  dt?: number;
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
  /** Node names in execution order (Input first): a topological order of the graph without its recurrent edges. */
  readonly order: readonly string[];
  /**
   * The edges that close a cycle (indices into `edges`): each carries its source's output of the previous step.
   * They are the back edges of a depth-first walk from the Input that takes successors in edge order; every
   * cycle passes through a node with state (a neuron or a Delay), or the graph is refused.
   */
  readonly recurrent: ReadonlySet<number>;
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

/**
 * The `[C, H, W]` view of a per-sample shape, the one layout every operator and chip partition works in: a
 * `[C, L]` sequence is `[C, 1, L]` (the view a 1-D convolution runs in), a flat vector `[N]` is `[N, 1, 1]`. The
 * memory order is the same, so a change of view moves no value.
 */
export function view3(shape: readonly number[]): [number, number, number] {
  if (shape.length === 3) return [shape[0], shape[1], shape[2]];
  if (shape.length === 2) return [shape[0], 1, shape[1]];
  return [shapeSize(shape), 1, 1];
}

/** Channels of a per-sample shape (per-channel bounds and parameters): the first axis, or every element of a flat vector. */
export function channelsOf(shape: readonly number[]): number {
  return shape.length >= 2 ? shape[0] : shapeSize(shape);
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

