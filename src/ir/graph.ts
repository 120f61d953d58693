/**
 * Building and validating IR graphs. The node kinds and value types are in nodes.ts (re-exported here); what
 * each kind computes is its registry entry in kinds/.
 */
import {
  GraphError, MAX_ACTIVATION_ELEMENTS, sameShape, shapeSize,
  type Graph, type GraphMeta, type IRNode, type NodeShapes, type Tensor,
} from './nodes.js';
import { kindOf, NEURON_KINDS, NODE_KINDS, STATEFUL_KINDS } from './kinds/index.js';

export * from './nodes.js';
export { KINDS, kindOf, NODE_KINDS, NEURON_KINDS, STATEFUL_KINDS, SYNAPTIC_KINDS } from './kinds/index.js';

/** Infers a node's output shape from its input shape, checking its parameters (its registry entry). */
export function inferShape(name: string, node: IRNode, input: number[]): number[] {
  return kindOf(node).inferShape(name, node, input);
}

/** The shape of a stateful node's first per-neuron tensor parameter (more than one value), or undefined. */
function ownShape(node: IRNode): number[] | undefined {
  const spec = kindOf(node);
  if (!spec.stateful) return undefined;
  for (const field of spec.tensors) {
    const t = (node as unknown as Record<string, Tensor | number | undefined>)[field];
    if (typeof t === 'object' && shapeSize(t.shape) > 1) return [...t.shape];
  }
  return undefined;
}

/**
 * Builds and validates a graph: exactly one Input and one Output, every edge between known nodes, every node
 * reachable from the Input and leading to the Output, cycles only through a node with state (their closing edges
 * are the graph's `recurrent` edges), shapes inferred and consistent. Throws GraphError.
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
  /** Outgoing edges of each node as edge indices, in edge order. */
  const outEdges = new Map<string, number[]>();
  for (const name of nodes.keys()) outEdges.set(name, []);
  for (const [from, to] of edgeList) {
    if (!nodes.has(from)) throw new GraphError(`edge ${from} -> ${to} starts at an unknown node`, from);
    if (!nodes.has(to)) throw new GraphError(`edge ${from} -> ${to} ends at an unknown node`, to);
    outEdges.get(from)!.push(edges.length);
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
  for (const name of nodes.keys()) {
    if (name !== inputName && preds.get(name)!.length === 0) throw new GraphError('node has no input (dangling)', name);
  }

  // The recurrent edges: back edges of a depth-first walk from the Input (successors in edge order). Each closes a
  // cycle, which must pass through a node with state; it then carries its source's output of the previous step.
  // Nodes the Input does not reach are fed only through cycles (a loop that runs on its biases, as NIRTorch's
  // feedback test graph): the walk goes on from the first of them that holds state, in node order, so that the
  // edge closing their loop enters a node with state.
  const recurrent = new Set<number>();
  const state = new Map<string, 1 | 2>();
  const walk = (root: string) => {
    const stack: string[] = [root];
    const cursor: number[] = [0];
    state.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const out = outEdges.get(top)!;
      const k = cursor[cursor.length - 1]++;
      if (k >= out.length) { state.set(top, 2); stack.pop(); cursor.pop(); continue; }
      const e = out[k];
      const next = edges[e][1];
      const seen = state.get(next);
      if (seen === 1) {
        const cycle = stack.slice(stack.indexOf(next));
        if (!cycle.some((n) => STATEFUL_KINDS.has(nodes.get(n)!.kind))) {
          throw new GraphError(`the graph has a cycle through ${cycle.slice(0, 5).join(' -> ')} -> ${next} with no node that holds state (a neuron or a Delay), so it has no value to start from`, next);
        }
        recurrent.add(e);
      } else if (seen === undefined) {
        state.set(next, 1);
        stack.push(next);
        cursor.push(0);
      }
    }
  };
  walk(inputName);
  for (;;) {
    const unreached = [...nodes.keys()].filter((n) => !state.has(n));
    if (unreached.length === 0) break;
    const root = unreached.find((n) => STATEFUL_KINDS.has(nodes.get(n)!.kind));
    if (root === undefined) throw new GraphError('node cannot be reached from the Input, and no node with state feeds it', unreached[0]);
    walk(root);
  }

  // Execution order: Kahn's algorithm over the edges that act within a step; ties broken by insertion order.
  const indegree = new Map<string, number>();
  for (const name of nodes.keys()) indegree.set(name, 0);
  edges.forEach(([, to], e) => { if (!recurrent.has(e)) indegree.set(to, indegree.get(to)! + 1); });
  const order: string[] = [];
  const ready = [...nodes.keys()].filter((n) => indegree.get(n) === 0);
  while (ready.length > 0) {
    const name = ready.shift()!;
    order.push(name);
    for (const e of outEdges.get(name)!) {
      if (recurrent.has(e)) continue;
      const s = edges[e][1];
      const d = indegree.get(s)! - 1;
      indegree.set(s, d);
      if (d === 0) ready.push(s);
    }
  }
  if (order.length !== nodes.size) throw new Error('internal: the graph without its recurrent edges still has a cycle');

  const inEdges = new Map<string, number[]>();
  for (const name of nodes.keys()) inEdges.set(name, []);
  edges.forEach(([, to], e) => inEdges.get(to)!.push(e));
  const shapes = new Map<string, NodeShapes>();
  for (const name of order) {
    const node = nodes.get(name)!;
    let input: number[] = [];
    let first: string | undefined;
    for (const e of inEdges.get(name)!) {
      if (recurrent.has(e)) continue;
      const p = edges[e][0];
      const out = shapes.get(p)!.output;
      if (first === undefined) { first = p; input = out; }
      else if (!sameShape(input, out)) throw new GraphError(`inputs disagree in shape: [${input}] from '${first}' and [${out}] from '${p}'`, name);
    }
    if (first === undefined && name !== inputName) {
      // Fed only through cycles: the node's per-neuron parameters give its size (checked against what the
      // recurrent edges deliver, below).
      const own = ownShape(node);
      if (!own) throw new GraphError('node is fed only through a cycle, and its parameters are all scalars: its size cannot be inferred (give one value per neuron)', name);
      input = own;
    }
    const output = inferShape(name, node, input);
    if (shapeSize(output) > MAX_ACTIVATION_ELEMENTS) {
      throw new GraphError(`output shape [${output}] has ${shapeSize(output)} elements, more than the limit ${MAX_ACTIVATION_ELEMENTS}`, name);
    }
    shapes.set(name, { input, output });
  }
  for (const e of recurrent) {
    const [from, to] = edges[e];
    const out = shapes.get(from)!.output;
    if (!sameShape(shapes.get(to)!.input, out)) throw new GraphError(`the recurrent edge from '${from}' delivers [${out}], the node takes [${shapes.get(to)!.input}]`, to);
  }
  // Time constants need the graph's time step: checked once it is known.
  for (const name of order) {
    const node = nodes.get(name)!;
    const spec = kindOf(node);
    if (spec.usesDt?.(node)) spec.dynamics!(name, node, shapeSize(shapes.get(name)!.output), meta.dt);
  }
  if (meta.dt !== undefined && !(Number.isFinite(meta.dt) && meta.dt > 0)) throw new GraphError(`the time step dt must be a positive number of seconds, got ${meta.dt}`);
  // Every node must lead to the Output, or its work is lost.
  const live = new Set<string>([outputName]);
  const todo = [outputName];
  while (todo.length > 0) {
    for (const p of preds.get(todo.pop()!)!) if (!live.has(p)) { live.add(p); todo.push(p); }
  }
  for (const name of order) if (!live.has(name)) throw new GraphError('node does not lead to the Output', name);

  return { nodes, edges, meta: { ...meta }, order, recurrent, shapes, preds, succs, inputName, outputName };
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
