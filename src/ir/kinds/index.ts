/**
 * The IR node-kind registry: one entry per kind (src/ir/kinds/<family>.ts) holding its shape inference,
 * parameter and MAC counts, float executor kernel, ONNX writer, linear operator (lowering) and bounds
 * (weight-based threshold balancing). `KindTable` is a mapped type over NodeKind: a kind without an entry does
 * not compile. Everything that used to switch on a node's kind reads this table.
 */
import type { IRNode, NodeKind } from '../nodes.js';
import type { KindSpec, KindTable } from '../kind.js';
import { Input, Output } from './io.js';
import { Affine, Linear } from './dense.js';
import { Conv2d } from './conv.js';
import { SumPool2d, AvgPool2d, MaxPool2d } from './pool.js';
import { Flatten, Reshape, Sum } from './shape.js';
import { IndexMap } from './index-map.js';
import { Scale } from './scale.js';
import { ReLU, Clip } from './activation.js';
import { IF, LIF, CubaLIF, LI, CubaLI, I, Threshold, Delay } from './neuron.js';

export const KINDS: KindTable = {
  Input, Output, Affine, Linear, Conv2d, SumPool2d, AvgPool2d, MaxPool2d, Flatten, Reshape, IndexMap, Scale, ReLU, Clip, Sum,
  IF, LIF, CubaLIF, LI, CubaLI, I, Threshold, Delay,
};

/** The entry of a node's kind, typed for that node. */
export function kindOf<N extends IRNode>(node: N): KindSpec<N> {
  return KINDS[node.kind as NodeKind] as unknown as KindSpec<N>;
}

export const NODE_KINDS: readonly NodeKind[] = Object.keys(KINDS) as NodeKind[];
/** Node kinds that hold weights and turn spikes into synaptic current. */
export const SYNAPTIC_KINDS: ReadonlySet<NodeKind> = new Set(NODE_KINDS.filter((k) => KINDS[k].role === 'synaptic'));
/** Neuron kinds: spiking layers and integrators, each a population on a chip. */
export const NEURON_KINDS: ReadonlySet<NodeKind> = new Set(NODE_KINDS.filter((k) => KINDS[k].role === 'neuron'));
/** Kinds that hold state across steps: a cycle of the graph must pass through one. */
export const STATEFUL_KINDS: ReadonlySet<NodeKind> = new Set(NODE_KINDS.filter((k) => KINDS[k].stateful === true));
