/**
 * Building and validating IR graphs. The node kinds and value types are in nodes.ts (re-exported here); what
 * each kind computes is its registry entry in kinds/.
 */
import {
  GraphError, MAX_ACTIVATION_ELEMENTS, sameShape, shapeSize,
  type Graph, type GraphMeta, type IRNode, type NodeShapes,
} from './nodes.js';
import { kindOf, NEURON_KINDS, NODE_KINDS } from './kinds/index.js';

export * from './nodes.js';
export { KINDS, kindOf, NODE_KINDS, NEURON_KINDS, SYNAPTIC_KINDS } from './kinds/index.js';

/** Infers a node's output shape from its input shape, checking its parameters (its registry entry). */
export function inferShape(name: string, node: IRNode, input: number[]): number[] {
  return kindOf(node).inferShape(name, node, input);
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
  for (const node of graph.nodes.values()) n += kindOf(node).parameters(node);
  return n;
}
