import { UserError } from '../util/errors.js';

/**
 * The snnc intermediate representation: a graph is plain data, named nodes plus edge pairs (as in NIR).
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

export const NODE_KINDS: readonly NodeKind[] = [
  'Input', 'Output', 'Affine', 'Linear', 'Conv2d', 'SumPool2d', 'AvgPool2d', 'MaxPool2d', 'Flatten',
  'Scale', 'ReLU', 'Clip', 'Sum', 'IF', 'LIF',
];

/** Node kinds that hold weights and turn spikes into synaptic current. */
export const SYNAPTIC_KINDS: ReadonlySet<NodeKind> = new Set(['Affine', 'Linear', 'Conv2d']);
/** Node kinds with membrane state. */
export const NEURON_KINDS: ReadonlySet<NodeKind> = new Set(['IF', 'LIF']);

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

function checkTensor(name: string, what: string, t: Tensor | undefined, expected?: number[]): void {
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

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function windowOut(size: number, kernel: number, stride: number, padBefore: number, padAfter: number, dilation: number, name: string): number {
  const eff = (kernel - 1) * dilation + 1;
  const out = Math.floor((size + padBefore + padAfter - eff) / stride) + 1;
  if (!(out >= 1)) throw new GraphError(`window ${kernel} (stride ${stride}, dilation ${dilation}) does not fit input extent ${size} with padding ${padBefore}+${padAfter}`, name);
  return out;
}

function positive(name: string, what: string, values: readonly number[]): void {
  if (!values.every((v) => Number.isInteger(v) && v >= 1)) throw new GraphError(`${what} must be positive integers, got [${values}]`, name);
}
function nonNegative(name: string, what: string, values: readonly number[]): void {
  if (!values.every((v) => Number.isInteger(v) && v >= 0)) throw new GraphError(`${what} must be non-negative integers, got [${values}]`, name);
}

/** Upper bound on elements of any one activation tensor: refuses absurd shapes before anything is allocated. */
export const MAX_ACTIVATION_ELEMENTS = 1 << 26;

/** Infers a node's output shape from its input shape, checking parameters. */
export function inferShape(name: string, node: IRNode, input: number[]): number[] {
  switch (node.kind) {
    case 'Input':
      return [...node.shape];
    case 'Output': case 'ReLU': case 'Clip': case 'Sum': case 'IF': case 'LIF':
      if (node.kind === 'Clip' && !(node.min <= node.max)) throw new GraphError(`Clip min ${node.min} > max ${node.max}`, name);
      if ((node.kind === 'IF' || node.kind === 'LIF') && !(node.threshold > 0 && Number.isFinite(node.threshold))) {
        throw new GraphError(`threshold must be a positive finite number, got ${node.threshold}`, name);
      }
      if (node.kind === 'LIF' && !(node.leak >= 0 && node.leak < 1)) throw new GraphError(`leak must be in [0, 1), got ${node.leak}`, name);
      return [...input];
    case 'Affine': case 'Linear': {
      if (input.length !== 1) throw new GraphError(`${node.kind} needs a flat input, got [${input}] (insert a Flatten)`, name);
      checkTensor(name, 'weight', node.weight);
      if (node.weight.shape.length !== 2 || node.weight.shape[1] !== input[0]) {
        throw new GraphError(`weight has shape [${node.weight.shape}], input has ${input[0]} features`, name);
      }
      if (node.kind === 'Affine') checkTensor(name, 'bias', node.bias, [node.weight.shape[0]]);
      return [node.weight.shape[0]];
    }
    case 'Conv2d': {
      if (input.length !== 3) throw new GraphError(`Conv2d needs a [C, H, W] input, got [${input}]`, name);
      checkTensor(name, 'weight', node.weight);
      const [out, inPerGroup, kh, kw] = node.weight.shape;
      if (node.weight.shape.length !== 4) throw new GraphError(`weight must be [out, in/groups, kh, kw], got [${node.weight.shape}]`, name);
      positive(name, 'stride', node.stride); positive(name, 'dilation', node.dilation); positive(name, 'groups', [node.groups]);
      nonNegative(name, 'padding', node.padding);
      if (input[0] % node.groups !== 0 || out % node.groups !== 0 || input[0] / node.groups !== inPerGroup) {
        throw new GraphError(`weight [${node.weight.shape}] with groups=${node.groups} does not match ${input[0]} input channels`, name);
      }
      if (node.bias) checkTensor(name, 'bias', node.bias, [out]);
      return [
        out,
        windowOut(input[1], kh, node.stride[0], node.padding[0], node.padding[2], node.dilation[0], name),
        windowOut(input[2], kw, node.stride[1], node.padding[1], node.padding[3], node.dilation[1], name),
      ];
    }
    case 'SumPool2d': case 'AvgPool2d': case 'MaxPool2d': {
      if (input.length !== 3) throw new GraphError(`${node.kind} needs a [C, H, W] input, got [${input}]`, name);
      positive(name, 'kernel', node.kernel); positive(name, 'stride', node.stride); nonNegative(name, 'padding', node.padding);
      return [
        input[0],
        windowOut(input[1], node.kernel[0], node.stride[0], node.padding[0], node.padding[2], 1, name),
        windowOut(input[2], node.kernel[1], node.stride[1], node.padding[1], node.padding[3], 1, name),
      ];
    }
    case 'Flatten':
      return [shapeSize(input)];
    case 'Scale': {
      checkTensor(name, 'scale', node.scale);
      const channels = input[0];
      const ok = (t: Tensor) => t.data.length === 1 || t.data.length === channels;
      if (!ok(node.scale)) throw new GraphError(`scale has ${node.scale.data.length} values, input has ${channels} channels`, name);
      if (node.bias) { checkTensor(name, 'bias', node.bias); if (!ok(node.bias)) throw new GraphError(`bias has ${node.bias.data.length} values, input has ${channels} channels`, name); }
      return [...input];
    }
  }
}

/**
 * Builds and validates a graph: exactly one Input and one Output, every edge between known nodes, no
 * cycles, every non-Input node reachable and fed, shapes inferred and consistent. Throws GraphError.
 */
export function buildGraph(
  nodeList: Iterable<readonly [string, IRNode]>,
  edgeList: Iterable<readonly [string, string]>,
  meta: GraphMeta,
): Graph {
  const nodes = new Map<string, IRNode>();
  for (const [name, node] of nodeList) {
    if (typeof name !== 'string' || name.length === 0) throw new GraphError('a node has an empty name');
    if (nodes.has(name)) throw new GraphError('duplicate node name', name);
    if (!node || !NODE_KINDS.includes(node.kind)) throw new GraphError(`unknown node kind '${(node as { kind?: unknown })?.kind}'`, name);
    nodes.set(name, node);
  }
  const edges: [string, string][] = [];
  const preds = new Map<string, string[]>();
  const succs = new Map<string, string[]>();
  for (const name of nodes.keys()) { preds.set(name, []); succs.set(name, []); }
  for (const [from, to] of edgeList) {
    if (!nodes.has(from)) throw new GraphError(`edge ${from} -> ${to} starts at an unknown node`, from);
    if (!nodes.has(to)) throw new GraphError(`edge ${from} -> ${to} ends at an unknown node`, to);
    if (from === to) throw new GraphError('edge from a node to itself (cycle)', from);
    edges.push([from, to]);
    preds.get(to)!.push(from);
    succs.get(from)!.push(to);
  }
  const inputs = [...nodes].filter(([, n]) => n.kind === 'Input').map(([k]) => k);
  const outputs = [...nodes].filter(([, n]) => n.kind === 'Output').map(([k]) => k);
  if (inputs.length !== 1) throw new GraphError(`a graph needs exactly one Input node, found ${inputs.length}`);
  if (outputs.length !== 1) throw new GraphError(`a graph needs exactly one Output node, found ${outputs.length}`);
  const inputName = inputs[0];
  const outputName = outputs[0];
  if (preds.get(inputName)!.length > 0) throw new GraphError('the Input node has incoming edges', inputName);
  if (succs.get(outputName)!.length > 0) throw new GraphError('the Output node has outgoing edges', outputName);

  // Kahn's algorithm; ties broken by insertion order so the order is deterministic.
  const indegree = new Map<string, number>();
  for (const [name, p] of preds) indegree.set(name, p.length);
  const order: string[] = [];
  const ready = [...nodes.keys()].filter((n) => indegree.get(n) === 0);
  while (ready.length > 0) {
    const name = ready.shift()!;
    order.push(name);
    for (const s of succs.get(name)!) {
      const d = indegree.get(s)! - 1;
      indegree.set(s, d);
      if (d === 0) ready.push(s);
    }
  }
  if (order.length !== nodes.size) {
    const stuck = [...nodes.keys()].filter((n) => !order.includes(n));
    throw new GraphError(`the graph has a cycle through ${stuck.slice(0, 5).join(', ')}`, stuck[0]);
  }
  for (const name of order) {
    if (name !== inputName && preds.get(name)!.length === 0) throw new GraphError('node has no input (dangling)', name);
  }

  const shapes = new Map<string, NodeShapes>();
  for (const name of order) {
    const node = nodes.get(name)!;
    let input: number[] = [];
    for (const p of preds.get(name)!) {
      const out = shapes.get(p)!.output;
      if (input.length === 0 && p === preds.get(name)![0]) input = out;
      else if (!sameShape(input, out)) throw new GraphError(`inputs disagree in shape: [${input}] from '${preds.get(name)![0]}' and [${out}] from '${p}'`, name);
    }
    if (node.kind === 'Input') {
      if (!Array.isArray(node.shape) || node.shape.length === 0) throw new GraphError('Input needs a per-sample shape', name);
      positive(name, 'input shape', node.shape);
    }
    const output = inferShape(name, node, input);
    if (shapeSize(output) > MAX_ACTIVATION_ELEMENTS) {
      throw new GraphError(`output shape [${output}] has ${shapeSize(output)} elements, more than the limit ${MAX_ACTIVATION_ELEMENTS}`, name);
    }
    shapes.set(name, { input, output });
  }
  // Every node must lead to the Output, or its work is lost.
  const live = new Set<string>([outputName]);
  for (let i = order.length - 1; i >= 0; i--) {
    const name = order[i];
    if (succs.get(name)!.some((s) => live.has(s))) live.add(name);
  }
  for (const name of order) if (!live.has(name)) throw new GraphError('node does not lead to the Output', name);

  return { nodes, edges, meta: { ...meta }, order, shapes, preds, succs, inputName, outputName };
}

/** Rebuilds a graph with some nodes replaced, removed or added (passes use this; the result is revalidated). */
export function rebuild(
  graph: Graph,
  nodes: Iterable<readonly [string, IRNode]>,
  edges: Iterable<readonly [string, string]>,
  meta: Partial<GraphMeta> = {},
): Graph {
  return buildGraph(nodes, edges, { ...graph.meta, ...meta });
}

/** True when the graph contains spiking neurons (a student or a converted network). */
export function isSpiking(graph: Graph): boolean {
  for (const n of graph.nodes.values()) if (NEURON_KINDS.has(n.kind)) return true;
  return false;
}

/** Parameter count: weights and biases of synaptic and Scale nodes. */
export function parameterCount(graph: Graph): number {
  let n = 0;
  for (const node of graph.nodes.values()) {
    if (node.kind === 'Affine') n += node.weight.data.length + node.bias.data.length;
    else if (node.kind === 'Linear') n += node.weight.data.length;
    else if (node.kind === 'Conv2d') n += node.weight.data.length + (node.bias?.data.length ?? 0);
    else if (node.kind === 'Scale') n += node.scale.data.length + (node.bias?.data.length ?? 0);
  }
  return n;
}
