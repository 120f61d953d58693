/**
 * The shape of one IR node kind's registry entry (src/ir/kinds/): everything snnc knows about a kind in one
 * place, so that a new kind is one entry. The table is a mapped type over NodeKind, so a kind without an
 * entry does not compile.
 */
import type { AttrValue } from '../onnx/builder.js';
import type { IRNode, NodeKind, NodeShapes } from './nodes.js';
import type { LinOp } from './linear-op.js';
import type { NeuronDynamics } from './dynamics.js';

/** What a node is, for the passes that only need its class. */
export type KindRole =
  /** the graph's entry */
  | 'input'
  /** the graph's exit; in SNN mode it accumulates the readout */
  | 'output'
  /** holds weights that turn its input into synaptic current (Affine, Linear, Conv2d) */
  | 'synaptic'
  /** a function of its input at the same step, without weights of its own to learn (pools, Flatten, Scale, …) */
  | 'stateless'
  /** a neuron layer: spiking (IF, LIF, CubaLIF, Threshold) or an integrator whose output is its potential (LI, CubaLI, I) */
  | 'neuron'
  /** shifts its input in time by whole steps, per neuron */
  | 'delay';

/** The float executor's form of one node, prepared once per run for up to `capacity` samples. */
export interface Kernel {
  /** Writes the node's output for `n` samples (batch-major) from its summed input; neurons advance one step. */
  run(input: Float32Array, out: Float32Array, n: number): void;
  /** Stateful kinds: puts the state of the first `n` samples back to its initial value (before every SNN run). */
  reset?(n: number): void;
}

/** Per-channel bounds of a node's output (a flat vector has one channel per element). */
export interface Interval { lo: Float64Array; hi: Float64Array }

/** What a kind's ONNX writer may do: emit nodes and initialisers into the model being written. */
export interface OnnxEmitter {
  /** Emits one `op` node reading `inputs`; returns the name of its (fresh) output value. `suffix` tells apart
   * the values of a kind written as several ONNX nodes. */
  node(op: string, inputs: string[], attrs?: Record<string, AttrValue>, opts?: { domain?: string; suffix?: string }): string;
  /** Adds an initialiser named after the IR node (`.weight`, `.bias`, …), float32 unless `type` says int64
   * (indices, shapes, pads); returns its unique name. */
  init(suffix: string, shape: number[], data: ArrayLike<number>, type?: 'int64'): string;
  attr: {
    int(v: number): AttrValue;
    ints(v: readonly number[]): AttrValue;
    float(v: number): AttrValue;
    floats(v: number[]): AttrValue;
    string(v: string): AttrValue;
  };
}

/** The registry entry of node kind `N`. */
export interface KindSpec<N extends IRNode = IRNode> {
  role: KindRole;
  /** ANN-only kinds that conversion (or max-pool lowering) removes before a chip sees the graph. */
  annOnly?: boolean;
  /** Fields that hold tensors (serialised as base64 float32 in IR JSON). */
  tensors: readonly string[];
  /** Neuron and Delay kinds: the fields a node may carry, which the `snnc`-domain ONNX reader accepts. */
  fields?: readonly string[];
  /** Checks the node's parameters against its input shape (`[]` for the Input) and returns its output shape;
   * throws GraphError naming the node. */
  inferShape(name: string, node: N, input: number[]): number[];
  /** Weights and biases the node holds. */
  parameters(node: N): number;
  /** Multiply–accumulates of one evaluation. */
  macs(node: N, shapes: NodeShapes): number;
  /** Holds state across steps (neurons but Threshold, Delay): a cycle must pass through such a node. */
  stateful?: boolean;
  /** Neuron kinds: whether this node's parameters are time constants that need the graph's dt. */
  usesDt?(node: N): boolean;
  /** Neuron kinds: the discrete dynamics of `size` neurons at time step `dt`. */
  dynamics?(name: string, node: N, size: number, dt: number | undefined): NeuronDynamics;
  /** The float executor's kernel; absent for the Input and Output, which the executor handles itself. */
  kernel?(name: string, node: N, shapes: NodeShapes, capacity: number, dt: number | undefined): Kernel;
  /** Writes the node as ONNX nodes reading value `x`; returns the value holding its output. */
  toOnnx(e: OnnxEmitter, node: N, x: string, shapes: NodeShapes): string;
  /** The node as a linear operator for lowering (its bias apart), or null when it only relabels the neurons
   * (Flatten, Sum). Absent: the kind cannot sit inside a projection. */
  linear?(name: string, node: N, shapes: NodeShapes): LinOp | null;
  /** The constant per-channel (or per-element, for vectors) offset the node adds, if any. */
  bias?(node: N): Float32Array | null;
  /** Bounds of the output for inputs within `x` (weight-based threshold balancing); absent: passes `x` on. */
  bounds?(node: N, x: Interval, shapes: NodeShapes): Interval;
}

export type KindTable = { [K in NodeKind]: KindSpec<Extract<IRNode, { kind: K }>> };
