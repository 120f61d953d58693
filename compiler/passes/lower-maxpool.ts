import { rebuild, type Graph } from '../../src/ir/graph.js';
import type { UnconvertedGraph } from '../types.js';
import { UserError } from '../../src/util/errors.js';

/**
 * How max pooling is lowered; spiking hardware has no max over spike trains.
 * - 'avg': replaced by average pooling over the same windows (the common approximation in ANN→SNN
 *   conversion, e.g. Rueckauer et al. 2017 report it costs accuracy unless the ANN was trained with it);
 * - 'refuse': stop with an error naming the node (re-train the ANN with average pooling).
 */
export type MaxPoolLowering = 'avg' | 'refuse';
export const MAXPOOL_LOWERINGS: readonly MaxPoolLowering[] = ['avg', 'refuse'];

export class MaxPoolError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'MaxPoolError';
  }
}

/** Replaces MaxPool2d nodes as `method` says, and reports each replacement as a warning (never silently). */
export function lowerMaxPool(graph: UnconvertedGraph, method: MaxPoolLowering, warn: (message: string) => void): Graph {
  const maxPools = graph.order.filter((n) => graph.nodes.get(n)!.kind === 'MaxPool2d');
  if (maxPools.length === 0) return graph;
  if (method === 'refuse') {
    throw new MaxPoolError(`node '${maxPools[0]}' is a max pooling, which spiking cores cannot compute; pass --maxpool avg to replace it with average pooling (costs some accuracy), or re-train with average pooling`);
  }
  const nodes = new Map(graph.nodes);
  for (const name of maxPools) {
    const node = graph.nodes.get(name)!;
    if (node.kind !== 'MaxPool2d') continue;
    nodes.set(name, { kind: 'AvgPool2d', kernel: node.kernel, stride: node.stride, padding: node.padding, countIncludePad: true });
  }
  warn(`max pooling replaced by average pooling (--maxpool avg) at ${maxPools.map((n) => `'${n}'`).join(', ')}: the converted network approximates the ANN; check its accuracy with snnc verify`);
  return rebuild(graph, nodes, graph.edges);
}
