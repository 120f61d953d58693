import {
  channelsOf, isSpiking, kindOf, rebuild, shapeSize, tensor, type Graph,
} from '../../src/ir/graph.js';
import type { Interval } from '../../src/ir/kind.js';
import type { SpikingGraph, UnconvertedGraph } from '../types.js';
import { runGraph } from '../../src/ir/execute.js';
import { UserError } from '../../src/util/errors.js';

/** Calibration data for data-based threshold balancing: `count` samples of the graph's input shape. */
export interface Calibration {
  images: Float32Array;
  count: number;
  /** Where the data came from (recorded in the graph's notes). */
  name: string;
}

export interface ConvertOptions {
  /** Without data, thresholds come from weight-based normalisation (an upper bound of each activation). */
  calibration?: Calibration;
  /** 'percentile' (default, robust to outliers) or 'max' of the calibration activations. */
  balance?: 'percentile' | 'max';
  /** Percentile of the positive activations, default 99.9 (Rueckauer et al. 2017). */
  percentile?: number;
  warn?: (message: string) => void;
}

export class ConversionError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'ConversionError';
  }
}

/** Activations kept per layer for the percentile: a bounded, evenly strided sample. */
const MAX_KEPT = 1 << 21;

function percentileOf(values: Float32Array, p: number): number {
  if (values.length === 0) return 0;
  const sorted = values.slice().sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/**
 * The largest value each ReLU/Clip can take for any input in [0, 1]: interval arithmetic per channel
 * through the network, each kind's step being its registry entry's `bounds` (a convolution's interior output
 * bounds every position, padding only removes terms). Exact bounds, no data, and a linear pass over the weights.
 */
function weightBasedScales(graph: Graph, rectifiers: string[]): Map<string, number> {
  const bounds = new Map<string, Interval>();
  for (const name of graph.order) {
    const node = graph.nodes.get(name)!;
    const shapes = graph.shapes.get(name)!;
    if (node.kind === 'Input') {
      const c = channelsOf(shapes.output);
      bounds.set(name, { lo: new Float64Array(c), hi: new Float64Array(c).fill(1) });
      continue;
    }
    const inC = channelsOf(shapes.input);
    const x: Interval = { lo: new Float64Array(inC), hi: new Float64Array(inC) };
    for (const p of graph.preds.get(name)!) {
      const b = bounds.get(p)!;
      for (let i = 0; i < inC; i++) { x.lo[i] += b.lo[i]; x.hi[i] += b.hi[i]; }
    }
    const spec = kindOf(node);
    bounds.set(name, spec.bounds ? spec.bounds(node, x, shapes) : x);
  }
  return new Map(rectifiers.map((r) => [r, Math.max(0, ...bounds.get(r)!.hi)]));
}

function dataBasedScales(graph: Graph, rectifiers: string[], cal: Calibration, balance: 'percentile' | 'max', p: number): Map<string, number> {
  const inSize = shapeSize(graph.shapes.get(graph.inputName)!.output);
  if (cal.images.length !== cal.count * inSize) {
    throw new ConversionError(`calibration data '${cal.name}' holds samples of ${cal.images.length / Math.max(1, cal.count)} values, the model's input [${graph.shapes.get(graph.inputName)!.output}] needs ${inSize}`);
  }
  const wanted = new Set(rectifiers);
  const maxima = new Map<string, number>();
  const kept = new Map<string, number[]>();
  const sizes = new Map(rectifiers.map((r) => [r, shapeSize(graph.shapes.get(r)!.output)]));
  const totalPerNode = (r: string) => sizes.get(r)! * cal.count;
  const chunk = 64;
  for (let start = 0; start < cal.count; start += chunk) {
    const n = Math.min(chunk, cal.count - start);
    runGraph(graph, cal.images.subarray(start * inSize, (start + n) * inSize), n, {
      mode: 'ann',
      record: (node, _step, values) => {
        if (!wanted.has(node)) return;
        let m = maxima.get(node) ?? 0;
        const stride = Math.max(1, Math.ceil(totalPerNode(node) / MAX_KEPT));
        const list = kept.get(node) ?? [];
        for (let i = 0; i < values.length; i++) {
          const v = values[i];
          if (v > m) m = v;
          if (v > 0 && i % stride === 0) list.push(v);
        }
        maxima.set(node, m);
        kept.set(node, list);
      },
    });
  }
  const scales = new Map<string, number>();
  for (const r of rectifiers) {
    scales.set(r, balance === 'max' ? maxima.get(r) ?? 0 : percentileOf(Float32Array.from(kept.get(r) ?? []), p));
  }
  return scales;
}

/**
 * ANN → SNN conversion by threshold balancing (Diehl et al. 2015; Rueckauer et al. 2017). Every ReLU (or
 * Clip at 0) becomes an IF neuron with reset by subtraction whose threshold λ is the layer's activation
 * scale, followed by a Scale node multiplying its spikes by λ. So a spike rate r stands for the activation
 * r · λ, every synaptic layer keeps its float weights and biases, and biases stay consistent with the
 * thresholds (same units); lowering folds the Scale into the next projection. λ is a percentile (default
 * 99.9) or the maximum of the layer's positive activations over calibration samples, or without data the
 * weight-based bound (the largest activation any input in [0, 1] can cause, by interval arithmetic). Spiking graphs (students)
 * are returned unchanged.
 */
export function convertToSnn(graph: UnconvertedGraph, opts: ConvertOptions = {}): SpikingGraph {
  const rectifiers = graph.order.filter((n) => {
    const k = graph.nodes.get(n)!;
    return k.kind === 'ReLU' || k.kind === 'Clip';
  });
  if (isSpiking(graph)) {
    if (rectifiers.length > 0) {
      throw new ConversionError(`graph '${graph.meta.name}' mixes spiking neurons with ReLU/Clip (e.g. '${rectifiers[0]}'): convert a plain ANN or compile a spiking student`);
    }
    // A spiking student is already what lowering takes.
    return graph as Graph as SpikingGraph;
  }
  for (const r of rectifiers) {
    const k = graph.nodes.get(r)!;
    if (k.kind === 'Clip' && k.min !== 0) throw new ConversionError(`node '${r}': Clip with min ${k.min} is not a rectifier; only Clip(0, max) converts to IF`);
  }
  const balance = opts.balance ?? 'percentile';
  const p = opts.percentile ?? 99.9;
  if (!(p > 0 && p <= 100)) throw new ConversionError(`percentile must be in (0, 100], got ${p}`);
  const scales = opts.calibration
    ? dataBasedScales(graph, rectifiers, opts.calibration, balance, p)
    : weightBasedScales(graph, rectifiers);

  const nodes = new Map(graph.nodes);
  const edges: [string, string][] = [];
  const thresholds: Record<string, number> = {};
  for (const r of rectifiers) {
    const k = graph.nodes.get(r)!;
    let lambda = scales.get(r) ?? 0;
    if (k.kind === 'Clip') lambda = Math.min(lambda, k.max);
    if (!(lambda > 0)) {
      opts.warn?.(`layer '${r}' never activates on the calibration data; its IF threshold is set to 1`);
      lambda = 1;
    }
    thresholds[r] = lambda;
    nodes.set(r, { kind: 'IF', threshold: lambda, reset: 'subtract' });
    nodes.set(`${r}.amp`, { kind: 'Scale', scale: tensor([1], [lambda]) });
  }
  const amplified = new Set(rectifiers);
  for (const [a, b] of graph.edges) edges.push([amplified.has(a) ? `${a}.amp` : a, b]);
  for (const r of rectifiers) edges.push([r, `${r}.amp`]);
  const how = opts.calibration
    ? `${balance === 'max' ? 'max' : `percentile ${p}`} of activations over ${opts.calibration.count} samples of ${opts.calibration.name}`
    : 'weight-based normalisation (no calibration data)';
  const converted = rebuild(graph, nodes, edges, {
    notes: { ...(graph.meta.notes ?? {}), conversion: how, thresholds: JSON.stringify(thresholds) },
  });
  return converted as SpikingGraph;
}
