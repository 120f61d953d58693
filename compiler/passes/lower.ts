import { GraphError, NEURON_KINDS, shapeSize, type Graph } from '../../src/ir/graph.js';
import type { FloatNet, FloatPopulation, FloatProjection, SpikingGraph } from '../types.js';
import { applyOp, as3, biasOfNode, compose, identityOp, isDepthwise, opOfNode, type LinOp } from '../linear.js';

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

/** One path from a source (population or the input) to a population, as the operators along it. */
interface Term { source: string; ops: LinOp[] }

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
      const op = opOfNode(n, node, graph.shapes.get(n)!);
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

  const termsInto = (n: string, after: LinOp[]): Term[] => {
    if (isSource(n)) return [{ source: n, ops: after }];
    const node = graph.nodes.get(n)!;
    const op = opOfNode(n, node, graph.shapes.get(n)!);
    const next = op ? [op, ...after] : after;
    return graph.preds.get(n)!.flatMap((p) => termsInto(p, next));
  };

  const addPopulation = (name: string, shape: number[], source: string, fields: Partial<FloatPopulation>, bias: Float32Array | null) => {
    populations.push({
      name, shape: [...shape], size: shapeSize(shape), model: 'IF', threshold: 1, reset: 'subtract', leak: 0, vInit: 0,
      bias: bias ?? new Float32Array(0), readout: false, source, ...fields,
    });
  };

  const emitTerms = (target: string, targetShape: number[], terms: Term[]) => {
    for (const term of terms) {
      const from = term.source === graph.inputName ? 'input' : term.source;
      let current: LinOp | null = null;
      let currentFrom = from;
      for (const op of term.ops) {
        if (!current) { current = op; continue; }
        const composed = compose(current, op);
        // A pooling window, not a per-channel scale (1×1): only windows enlarge the next layer's kernel.
        const pooling = current.kind === 'conv' && isDepthwise(current) && current.kernel[0] * current.kernel[1] > 1;
        const tooWide = composed !== null && pooling && opts.maxFanIn !== undefined && fanIn(composed) > opts.maxFanIn && fanIn(op) <= opts.maxFanIn;
        const keepPooling = pooling && opts.foldPooling === false;
        if (composed && !tooWide && !keepPooling) { current = composed; continue; }
        // Not composable exactly: a relay population carries the intermediate values as spike rates.
        const relay = `${target}.relay${populations.filter((p) => p.name.startsWith(`${target}.relay`)).length}`;
        const relayShape = current.outShape[1] === 1 && current.outShape[2] === 1 ? [current.outShape[0]] : [...current.outShape];
        addPopulation(relay, relayShape, target, { threshold: 1 }, null);
        projections.push(toProjection(projectionName(currentFrom, relay), currentFrom, relay, current));
        if (!keepPooling) opts.warn?.(tooWide
          ? `inserted relay population '${relay}' before '${target}': folding the pooling into it would need a fan-in of ${fanIn(composed!)}, more than the target's ${opts.maxFanIn}; the relay carries the pooled spike rates (≤ 1 per step)`
          : `inserted relay population '${relay}' before '${target}': its input path cannot be folded into one projection exactly; the relay passes values ≤ 1 spike per step, larger values are clipped`);
        currentFrom = relay;
        current = op;
      }
      const op = current ?? identityOp(term.source === graph.inputName ? shapeOf(graph.inputName) : shapeOf(term.source));
      if (shapeSize(op.outShape) !== shapeSize(targetShape)) throw new GraphError(`path from '${term.source}' delivers ${shapeSize(op.outShape)} values, the population has ${shapeSize(targetShape)}`, target);
      projections.push(toProjection(projectionName(currentFrom, target), currentFrom, target, op));
    }
  };

  for (const name of popNodes) {
    const node = graph.nodes.get(name)!;
    if (node.kind !== 'IF' && node.kind !== 'LIF') continue;
    const preds = graph.preds.get(name)!;
    let bias: Float32Array | null = null;
    for (const p of preds) {
      const v = zeroValue(p);
      if (!v) continue;
      if (!bias) bias = v.slice();
      else for (let i = 0; i < v.length; i++) bias[i] += v[i];
    }
    const terms = preds.flatMap((p) => termsInto(p, []));
    emitTerms(name, shapeOf(name), terms);
    addPopulation(name, shapeOf(name), name, {
      model: node.kind, threshold: node.threshold, reset: node.reset, leak: node.kind === 'LIF' ? node.leak : 0, vInit: node.vInit ?? 0,
    }, bias);
  }
  // The readout: everything that reaches the Output, integrated without spiking.
  let readoutBias: Float32Array | null = null;
  for (const p of outPreds) {
    const v = zeroValue(p);
    if (!v) continue;
    if (!readoutBias) readoutBias = v.slice();
    else for (let i = 0; i < v.length; i++) readoutBias[i] += v[i];
  }
  const outShape = shapeOf(graph.outputName);
  emitTerms(readoutName, outShape, outPreds.flatMap((p) => termsInto(p, [])));
  addPopulation(readoutName, outShape, graph.outputName, { readout: true }, readoutBias);

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

function toProjection(name: string, from: string, to: string, op: LinOp): FloatProjection {
  if (op.kind === 'dense') {
    return { name, from, to, preShape: flatOr3(op.inShape), postShape: flatOr3(op.outShape), synapse: { kind: 'dense', weights: op.w } };
  }
  return {
    name, from, to, preShape: [...op.inShape], postShape: [...op.outShape],
    synapse: { kind: 'conv', weights: op.w, kernel: op.kernel, stride: op.stride, padding: op.padding, dilation: op.dilation, groups: op.groups },
  };
}

function flatOr3(s: readonly number[]): number[] {
  return s[1] === 1 && s[2] === 1 ? [s[0]] : [...s];
}

/** Inputs one output neuron of an operator reads. */
function fanIn(op: LinOp): number {
  if (op.kind === 'dense') return shapeSize(op.inShape);
  return (op.inShape[0] / op.groups) * op.kernel[0] * op.kernel[1];
}
