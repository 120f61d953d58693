import { buildGraph, tensor, type Graph, type IRNode } from '../../src/ir/graph.js';
import { loadTarget } from '../../targets/load.js';
import type { TargetSpec } from '../../targets/target.js';

/** A chain graph: each node feeds the next. */
export function chain(name: string, nodes: [string, IRNode][]): Graph {
  const edges: [string, string][] = [];
  for (let i = 1; i < nodes.length; i++) edges.push([nodes[i - 1][0], nodes[i][0]]);
  return buildGraph(nodes, edges, { name });
}

export function seeded(n: number, seed = 1, scale = 0.3): number[] {
  let s = seed;
  return Array.from({ length: n }, () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * scale);
}

/** LeNet-style CNN with average pooling for 28×28 MNIST, seeded random weights. */
export function lenet(c1 = 8, c2 = 16): Graph {
  return chain('lenet', [
    ['in', { kind: 'Input', shape: [1, 28, 28] }],
    ['c1', { kind: 'Conv2d', weight: tensor([c1, 1, 5, 5], seeded(c1 * 25)), bias: tensor([c1], seeded(c1, 3)), stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], groups: 1 }],
    ['r1', { kind: 'ReLU' }],
    ['p1', { kind: 'AvgPool2d', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] }],
    ['c2', { kind: 'Conv2d', weight: tensor([c2, c1, 5, 5], seeded(c2 * c1 * 25, 5)), stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], groups: 1 }],
    ['r2', { kind: 'ReLU' }],
    ['p2', { kind: 'AvgPool2d', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] }],
    ['f', { kind: 'Flatten' }],
    ['fc', { kind: 'Affine', weight: tensor([10, c2 * 16], seeded(10 * c2 * 16, 7)), bias: tensor([10]) }],
    ['out', { kind: 'Output' }],
  ]);
}

/** A dense IF layer of `neurons` fed by `fanIn` inputs, then a 2-class readout. */
export function denseNet(fanIn: number, neurons: number): Graph {
  return chain(`dense-${fanIn}-${neurons}`, [
    ['in', { kind: 'Input', shape: [fanIn] }],
    ['fc', { kind: 'Linear', weight: tensor([neurons, fanIn], seeded(neurons * fanIn)) }],
    ['if', { kind: 'IF', threshold: 1, reset: 'subtract' }],
    ['head', { kind: 'Linear', weight: tensor([2, neurons], seeded(2 * neurons, 9)) }],
    ['out', { kind: 'Output' }],
  ]);
}

/** loihi-like with some figures changed (a user's variant of the chip). */
export function loihiWith(change: (t: TargetSpec) => void): TargetSpec {
  const t = structuredClone(loadTarget('loihi-like'));
  change(t);
  return t;
}
