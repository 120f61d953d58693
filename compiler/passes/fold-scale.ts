import { rebuild, tensor, type Graph, type IRNode } from '../../src/ir/graph.js';
import type { UnconvertedGraph } from '../types.js';

/**
 * Folds a Scale node (what is left of a BatchNormalization, y = s ⊙ x + t per channel) into the synaptic
 * layer in front of it: W' = s ⊙ W row by row (output channel by output channel), b' = s ⊙ b + t. Only when
 * the synaptic layer feeds nothing else, so the fold changes no other consumer. Exact.
 */
export function foldScale(graph: UnconvertedGraph): Graph {
  const nodes = new Map(graph.nodes);
  let edges = graph.edges.map(([a, b]) => [a, b] as [string, string]);
  let folded = 0;
  for (const name of graph.order) {
    const node = nodes.get(name)!;
    if (node.kind !== 'Scale') continue;
    const preds = graph.preds.get(name)!;
    if (preds.length !== 1) continue;
    const prevName = preds[0];
    const prev = nodes.get(prevName);
    if (!prev || !(prev.kind === 'Affine' || prev.kind === 'Linear' || prev.kind === 'Conv2d')) continue;
    if (graph.succs.get(prevName)!.length !== 1) continue;
    const outChannels = prev.weight.shape[0];
    const perOut = prev.weight.data.length / outChannels;
    const at = (t: Float32Array, c: number) => (t.length === 1 ? t[0] : t[c]);
    const weight = tensor(prev.weight.shape, prev.weight.data);
    const bias = new Float32Array(outChannels);
    const oldBias = prev.kind === 'Linear' ? undefined : prev.bias?.data;
    for (let c = 0; c < outChannels; c++) {
      const s = at(node.scale.data, c);
      for (let k = 0; k < perOut; k++) weight.data[c * perOut + k] *= s;
      bias[c] = s * (oldBias ? oldBias[c] : 0) + (node.bias ? at(node.bias.data, c) : 0);
    }
    const replaced: IRNode = prev.kind === 'Conv2d'
      ? { ...prev, weight, bias: tensor([outChannels], bias) }
      : { kind: 'Affine', weight, bias: tensor([outChannels], bias) };
    nodes.set(prevName, replaced);
    nodes.delete(name);
    // The Scale's consumers now read the synaptic layer directly.
    edges = edges.filter(([a, b]) => !(a === prevName && b === name)).map(([a, b]) => [a === name ? prevName : a, b]);
    folded++;
  }
  if (folded === 0) return graph;
  return rebuild(graph, nodes, edges);
}
