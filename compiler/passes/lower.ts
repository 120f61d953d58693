import { GraphError, kindOf, NEURON_KINDS, shapeSize, type NodeKind } from '../../src/ir/graph.js';
import type { NeuronDynamics } from '../../src/ir/dynamics.js';
import { delaySteps } from '../../src/ir/kinds/neuron.js';
import type { FloatNet, FloatPopulation, FloatProjection, NeuronModel, SpikingGraph } from '../types.js';
import { applyOp, as3, biasOfNode, compose, identityOp, isDepthwise, opOfNode, toDense, type LinOp } from '../linear.js';
import { sameShape } from '../../src/ir/graph.js';
import { connectedSources } from '../../simulator/synapses.js';

export interface LowerOptions {
  timesteps?: number;
  /** Largest fan-in per neuron the target takes: a pooling is not folded into the next layer when the
   * folded layer would exceed it (global average pooling before a dense head multiplies its fan-in by
   * the map size); a relay population carries the pooled rates instead. */
  maxFanIn?: number;
  /** Fold pooling into the next layer (default). Off for chips that run one whole layer per core (Speck):
   * there a folded kernel spans the pooled window and its memory (which grows with the kernel area)
   * quickly exceeds a core's, while a pooling layer of its own is cheap. */
  foldPooling?: boolean;
  warn?: (message: string) => void;
}

/** One path from a source (population or the input) to a population, as the operators along it; whether it
 * crosses a recurrent edge (it then carries the previous step's spikes), and the step delays of a Delay on it. */
interface Term { source: string; ops: LinOp[]; nodes: string[]; recurrent: boolean; delays: Int32Array | null }

/** Integrators that never fire: a population of one of these kinds outputs its potential. */
const INTEGRATORS: ReadonlySet<NodeKind> = new Set(['LI', 'CubaLI', 'I']);

/** Integrate-and-fire dynamics of relays (threshold 1) and of snnc's readout (it never fires: threshold null). */
function ifDynamics(size: number, threshold: number | null): NeuronDynamics {
  return {
    size, syn: null, keep: new Float64Array(size).fill(1), gain: new Float64Array(size).fill(1), bias: new Float64Array(size),
    threshold: threshold === null ? null : new Float64Array(size).fill(threshold), reset: 'subtract', vReset: new Float64Array(size),
    fire: 'ge', vInit: new Float64Array(size),
  };
}

/**
 * Lowers a spiking graph to populations and projections. Every IF/LIF node becomes a population, and so
 * does the readout (what feeds the Output, integrated without spiking). Every path of stateless nodes
 * from a population (or the input) to the next population becomes one projection whose weights are the
 * composition of the path's operators: pooling, Flatten, Scale (spike amplitudes from conversion,
 * left-over normalisations) and the synaptic layer fold into one dense or convolutional weight set.
 * A Sum (several edges into a node) splits into one projection per incoming path, which the population
 * adds up, as the IR's semantics say. Biases along the paths are evaluated once with zero input and
 * become the population's constant current. When two operators on a path cannot be composed exactly
 * (e.g. a pooling before a padded convolution whose windows do not tile), a relay population of IF
 * neurons (threshold 1) is inserted between them, with a warning.
 */
export function lowerToPopulations(graph: SpikingGraph, opts: LowerOptions = {}): FloatNet {
  const popNodes = graph.order.filter((n) => NEURON_KINDS.has(graph.nodes.get(n)!.kind));
  const outPreds = graph.preds.get(graph.outputName)!;
  const readoutName = outPreds.length === 1 && !NEURON_KINDS.has(graph.nodes.get(outPreds[0])!.kind) && outPreds[0] !== graph.inputName
    ? outPreds[0] : 'readout';
  const isSource = (n: string) => n === graph.inputName || NEURON_KINDS.has(graph.nodes.get(n)!.kind);
  const shapeOf = (n: string) => graph.shapes.get(n)!.output;

  const populations: FloatPopulation[] = [];
  const projections: FloatProjection[] = [];
  const usedNames = new Set<string>();
  const projectionName = (from: string, to: string) => {
    let name = `${from}->${to}`;
    for (let k = 2; usedNames.has(name); k++) name = `${from}->${to}#${k}`;
    usedNames.add(name);
    return name;
  };

  // Stateless values with every source at zero: the constant current (bias) a population receives.
  const zeroMemo = new Map<string, Float32Array | null>();
  const zeroValue = (n: string): Float32Array | null => {
    if (zeroMemo.has(n)) return zeroMemo.get(n)!;
    let value: Float32Array | null = null;
    if (!isSource(n)) {
      const node = graph.nodes.get(n)!;
      let input: Float32Array | null = null;
      for (const p of graph.preds.get(n)!) {
        const v = zeroValue(p);
        if (!v) continue;
        if (!input) input = v.slice();
        else for (let i = 0; i < v.length; i++) input[i] += v[i];
      }
      // A Delay only shifts a constant in time: the constant passes through it.
      const op = node.kind === 'Delay' ? null : opOfNode(n, node, graph.shapes.get(n)!);
      if (input && op) input = applyOp(op, input);
      const bias = biasOfNode(node);
      if (bias) {
        const out = input ?? new Float32Array(shapeSize(shapeOf(n)));
        const [c, h, w] = as3(shapeOf(n));
        const plane = h * w;
        for (let ch = 0; ch < c; ch++) {
          const b = bias.length === 1 ? bias[0] : bias[ch];
          for (let k = 0; k < plane; k++) out[ch * plane + k] += b;
        }
        input = out;
      }
      value = input;
    }
    zeroMemo.set(n, value);
    return value;
  };

  const inEdges = new Map<string, number[]>(graph.order.map((n) => [n, []]));
  graph.edges.forEach(([, to], e) => inEdges.get(to)!.push(e));
  /** The paths into `n`: walked back to their sources. `after` holds the operators between n and the target,
   * `sinceDelay` how many of them were collected when a Delay was passed (none may lie before it). */
  const termsInto = (n: string, after: LinOp[], afterNodes: string[], recurrent: boolean, delays: Int32Array | null, sinceDelay: number, seen: ReadonlySet<string>): Term[] => {
    if (isSource(n)) {
      if (delays && after.length > sinceDelay) throw new GraphError(`a Delay after a synaptic layer (a delay per target neuron) is not supported: put the Delay right after the neuron layer '${n}' it delays`, n);
      return [{ source: n, ops: after, nodes: afterNodes, recurrent, delays }];
    }
    if (seen.has(n)) throw new GraphError('a cycle through this node holds no neuron: chips keep state in neurons only', n);
    const node = graph.nodes.get(n)!;
    let d = delays, since = sinceDelay;
    let op: LinOp | null = null;
    if (node.kind === 'Delay') {
      const steps = delaySteps(n, node, shapeSize(shapeOf(n)));
      if (d) { const sum = d.slice(); for (let i = 0; i < sum.length; i++) sum[i] += steps[i]; d = sum; } else d = steps;
      since = after.length;
    } else {
      op = opOfNode(n, node, graph.shapes.get(n)!);
    }
    const next = op ? [op, ...after] : after;
    const nextNodes = op ? [n, ...afterNodes] : afterNodes;
    const visited = new Set(seen).add(n);
    return inEdges.get(n)!.flatMap((e) => termsInto(graph.edges[e][0], next, nextNodes, recurrent || graph.recurrent.has(e), d, since, visited));
  };
  /** Every path into the node `n` (a population, or the Output). */
  const pathsInto = (n: string): Term[] => inEdges.get(n)!.flatMap((e) => termsInto(graph.edges[e][0], [], [], graph.recurrent.has(e), null, 0, new Set()));

  const addPopulation = (name: string, shape: number[], source: string, fields: Partial<FloatPopulation>, bias: Float32Array | null) => {
    const size = shapeSize(shape);
    populations.push({
      name, shape: [...shape], size, model: 'IF', dynamics: ifDynamics(size, 1),
      bias: bias ?? new Float32Array(0), readout: false, source, ...fields,
    });
  };

  const shapeOfSource = (name: string) => (name === 'input' ? shapeOf(graph.inputName) : populations.find((p) => p.name === name)?.shape ?? shapeOf(name));
  /** Adds the projection of `op` from `from` to `to`. A convolution synapse works in its populations' [C, H, W]
   * layout; a path that changes the view (a Reshape before or after the convolution) is exact only as dense synapses. */
  const project = (from: string, to: string, toShape: number[], op: LinOp, term: Term | null) => {
    const fits = op.kind !== 'conv' || (sameShape(op.inShape, as3(shapeOfSource(from))) && sameShape(op.outShape, as3(toShape)));
    projections.push(naming(to, () => toProjection(projectionName(from, to), from, to, fits ? op : toDense(op), term)));
  };

  /** Relays by what they carry (their source and the nodes composed into them): paths that share a prefix share its relay. */
  const relays = new Map<string, string>();
  const emitTerms = (target: string, targetShape: number[], terms: Term[]) => {
    for (const term of terms) {
      const from = term.source === graph.inputName ? 'input' : term.source;
      let current: LinOp | null = null;
      let currentFrom = from;
      let carried: string[] = [];
      // The term's recurrence and delays belong to its first projection (out of the source population).
      let first = true;
      for (const [k, op] of term.ops.entries()) {
        if (!current) { current = op; carried = [term.nodes[k]]; continue; }
        const composed = composeInto(target, current, op);
        // A pooling window, not a per-channel scale (1×1): only windows enlarge the next layer's kernel.
        const pooling = current.kind === 'conv' && isDepthwise(current) && current.kernel[0] * current.kernel[1] > 1;
        const tooWide = composed !== null && pooling && opts.maxFanIn !== undefined && fanIn(composed) > opts.maxFanIn && fanIn(op) <= opts.maxFanIn;
        const keepPooling = pooling && opts.foldPooling === false;
        if (composed && !tooWide && !keepPooling) { current = composed; carried.push(term.nodes[k]); continue; }
        // Not composable exactly: a relay population carries the intermediate values as spike rates.
        const key = term.recurrent || term.delays ? null : `${currentFrom}|${carried.join(',')}`;
        const shared = key ? relays.get(key) : undefined;
        if (shared) { currentFrom = shared; current = op; carried = [term.nodes[k]]; first = false; continue; }
        const relay = `${target}.relay${populations.filter((p) => p.name.startsWith(`${target}.relay`)).length}`;
        if (key) relays.set(key, relay);
        const relayShape = current.outShape[1] === 1 && current.outShape[2] === 1 ? [current.outShape[0]] : [...current.outShape];
        // A relay fires at most once a step: when its inputs, each at most one spike a step, can add more than its
        // threshold (a pooling that conversion scaled by the next layer's normalisation), it carries them divided by
        // that bound and the next projection multiplies it back, so nothing is clipped (Speck's average-pooling CNN:
        // pooled values up to 3.15 per step were clipped to 1, 6.7 pt of the chip's accuracy at T = 64).
        const gain = maxRowAbsSum(current);
        let next = op;
        if (gain > 1) { current = scaleOp(current, 1 / gain); next = scaleOp(op, gain); }
        // A relay starts at half its threshold, so that it rounds the rate it carries (an average pooling's ¼s) rather
        // than truncating it. When every weight into it is a whole number of thresholds (a sum pooling, a gather) its
        // spikes are the same from 0, and a relay at rest holds no state that an event-driven chip updates every step.
        const rounds = current.w !== undefined && current.w.some((w) => !Number.isInteger(w));
        addPopulation(relay, relayShape, target, { dynamics: { ...ifDynamics(shapeSize(relayShape), 1), vInit: new Float64Array(shapeSize(relayShape)).fill(rounds ? 0.5 : 0) } }, null);
        project(currentFrom, relay, relayShape, current, first ? term : null);
        first = false;
        if (!keepPooling) opts.warn?.(tooWide
          ? `inserted relay population '${relay}' before '${target}': folding the pooling into it would need a fan-in of ${fanIn(composed!)}, more than the target's ${opts.maxFanIn}; the relay carries the pooled spike rates (≤ 1 per step)`
          : `inserted relay population '${relay}' before '${target}': its input path cannot be folded into one projection exactly; the relay passes values ≤ 1 spike per step, larger values are clipped`);
        currentFrom = relay;
        current = next;
        carried = [term.nodes[k]];
      }
      const op = current ?? identityOp(term.source === graph.inputName ? shapeOf(graph.inputName) : shapeOf(term.source));
      if (shapeSize(op.outShape) !== shapeSize(targetShape)) throw new GraphError(`path from '${term.source}' delivers ${shapeSize(op.outShape)} values, the population has ${shapeSize(targetShape)}`, target);
      project(currentFrom, target, targetShape, op, first ? term : null);
    }
  };

  const biasInto = (preds: readonly string[]): Float32Array | null => {
    let bias: Float32Array | null = null;
    for (const p of preds) {
      const v = zeroValue(p);
      if (!v) continue;
      if (!bias) bias = v.slice();
      else for (let i = 0; i < v.length; i++) bias[i] += v[i];
    }
    return bias;
  };
  const readoutIntegrator = readoutName === 'readout' && outPreds.length === 1 && INTEGRATORS.has(graph.nodes.get(outPreds[0])!.kind) ? outPreds[0] : null;
  for (const name of popNodes) {
    const node = graph.nodes.get(name)!;
    const spec = kindOf(node);
    const shape = shapeOf(name);
    if (INTEGRATORS.has(node.kind) && name !== readoutIntegrator) {
      const consumer = graph.succs.get(name)!.find((s) => s !== graph.outputName) ?? graph.succs.get(name)![0];
      throw new GraphError(`${node.kind} layer sends its potential, not spikes, to '${consumer}': no chip target carries graded values between layers (only an ${node.kind} that feeds the Output, as the readout, maps)`, name);
    }
    emitTerms(name, shape, pathsInto(name));
    const fire = 'fire' in node && node.fire !== undefined ? node.fire : undefined;
    addPopulation(name, shape, name, {
      model: node.kind as NeuronModel, dynamics: spec.dynamics!(name, node, shapeSize(shape), graph.meta.dt), ...(fire ? { fire } : {}),
      ...(name === readoutIntegrator ? { readout: true, read: 'sum' as const, source: graph.outputName } : {}),
    }, biasInto(graph.preds.get(name)!));
  }
  if (!readoutIntegrator) {
    // The readout: everything that reaches the Output, integrated without spiking.
    const outShape = shapeOf(graph.outputName);
    emitTerms(readoutName, outShape, pathsInto(graph.outputName));
    addPopulation(readoutName, outShape, graph.outputName, { readout: true, dynamics: ifDynamics(shapeSize(outShape), null) }, biasInto(outPreds));
  }

  // Populations in dependency order: relays were appended before their consumer, so a stable sort by
  // first appearance is already topological; drop the all-zero biases to keep the artifact small.
  for (const p of populations) if (p.bias.length > 0 && p.bias.every((v) => v === 0)) p.bias = new Float32Array(0);
  return {
    name: graph.meta.name,
    input: { shape: [...shapeOf(graph.inputName)], encoding: graph.meta.encoding ?? 'direct' },
    populations,
    projections,
  };
}

/** compose(), with a refusal naming the population the path leads into. */
function composeInto(target: string, a: LinOp, b: LinOp): LinOp | null {
  return naming(target, () => compose(a, b));
}

/** Runs `f`, naming `target` in a GraphError that names no node (a composition too large to build). */
function naming<T>(target: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof GraphError && !e.node) throw new GraphError(`the path into this layer: ${e.message}`, target);
    throw e;
  }
}

function toProjection(name: string, from: string, to: string, lin: LinOp, term: Term | null): FloatProjection {
  const timing = { ...(term?.recurrent ? { recurrent: true } : {}), ...(term?.delays && term.delays.some((d) => d > 0) ? { delays: term.delays } : {}) };
  // A relabelling on its own (an index map between two populations) is one-hot dense synapses.
  const op = lin.kind === 'gather' ? toDense(lin) : lin;
  if (op.kind === 'dense') {
    return { name, from, to, preShape: flatOr3(op.inShape), postShape: flatOr3(op.outShape), ...timing, synapse: { kind: 'dense', weights: op.w } };
  }
  return {
    name, from, to, preShape: [...op.inShape], postShape: [...op.outShape], ...timing,
    synapse: { kind: 'conv', weights: op.w, kernel: op.kernel, stride: op.stride, padding: op.padding, dilation: op.dilation, groups: op.groups },
  };
}

function flatOr3(s: readonly number[]): number[] {
  return s[1] === 1 && s[2] === 1 ? [s[0]] : [...s];
}

/** Inputs one output neuron of an operator reads. */
function fanIn(op: LinOp): number {
  if (op.kind === 'dense') {
    // Sources with no non-zero weight are not connected (simulator/synapses.ts): they cost no input axon.
    const mask = connectedSources(op.w, shapeSize(op.inShape), shapeSize(op.outShape));
    return mask.reduce((a, b) => a + b, 0);
  }
  if (op.kind === 'gather') return 1;
  return (op.inShape[0] / op.groups) * op.kernel[0] * op.kernel[1];
}

/** The most one step can add to an output neuron of `op` when every input carries at most one spike: max Σ|w|. */
function maxRowAbsSum(op: LinOp): number {
  if (op.kind === 'gather') {
    let m = 0;
    for (let j = 0; j < op.index.length; j++) if (op.index[j] >= 0) m = Math.max(m, Math.abs(op.w ? op.w[j] : 1));
    return m;
  }
  const rows = op.kind === 'dense' ? op.outShape[0] * op.outShape[1] * op.outShape[2] : op.outShape[0];
  const per = op.w.length / rows;
  let best = 0;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let k = 0; k < per; k++) sum += Math.abs(op.w[r * per + k]);
    best = Math.max(best, sum);
  }
  return best;
}

/** `op` with every weight multiplied by `g`. */
function scaleOp(op: LinOp, g: number): LinOp {
  if (op.kind === 'gather') return { ...op, w: op.w ? op.w.map((x) => x * g) : new Float32Array(op.index.length).fill(g) };
  return { ...op, w: op.w.map((x) => x * g) } as LinOp;
}
