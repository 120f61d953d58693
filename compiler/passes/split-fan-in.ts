import { rebuild, shapeSize, tensor, type Graph, type IRNode } from '../../src/ir/graph.js';
import { runGraph, predict } from '../../src/ir/execute.js';
import type { UnconvertedGraph } from '../types.js';

/** One dense layer split over several cores. */
export interface FanInSplit {
  /** The IR node (Affine or Linear) that was split; the sum of its parts keeps its name. */
  layer: string;
  fanIn: number;
  /** Parts of at most `maxFanIn` inputs each. */
  parts: number;
  /** The relay layers (ReLU before conversion, IF after), two per part unless a part has weights of one sign only. */
  relays: string[];
}

export interface SplitFanInOptions {
  /** Inputs one neuron may read on one core (the target's input axons per source neuron). */
  maxFanIn: number;
  warn?: (message: string) => void;
}

/**
 * Whether every value of node `name` is ≥ 0 for inputs in [0, 1] (the convention weight-based balancing uses too):
 * a rectifier's output, the input, and what pooling, relabelling, summing or a non-negative Scale makes of them.
 */
function nonNegative(graph: Graph, name: string, memo = new Map<string, boolean>()): boolean {
  const known = memo.get(name);
  if (known !== undefined) return known;
  memo.set(name, false);
  const node = graph.nodes.get(name)!;
  const preds = graph.preds.get(name)!;
  const all = () => preds.every((p) => nonNegative(graph, p, memo));
  let result: boolean;
  switch (node.kind) {
    case 'Input': case 'ReLU': result = true; break;
    case 'Clip': result = node.min >= 0 || (node.max >= 0 && all()); break;
    case 'AvgPool2d': case 'SumPool2d': case 'MaxPool2d': case 'Flatten': case 'Reshape': case 'IndexMap': case 'Sum': result = all(); break;
    case 'Scale': result = node.scale.data.every((v) => v >= 0) && (node.bias?.data.every((v) => v >= 0) ?? true) && all(); break;
    default: result = false;
  }
  memo.set(name, result);
  return result;
}

/**
 * Splits every dense layer (Affine, Linear) whose fan-in exceeds `maxFanIn`, for targets whose cores combine
 * partial sums only through spikes (features.fanInSplit 'relay'). For y = W x + b with x ≥ 0,
 *   y = Σ_k ReLU(W⁺_k x) − Σ_k ReLU(W⁻_k x) + b,
 * where W_k keeps the columns of part k (at most maxFanIn consecutive inputs, the others zero) and W⁺_k, W⁻_k its
 * positive and negated negative weights. Every ReLU is exact, since W⁺_k x ≥ 0, so the ANN computes the same
 * function; conversion turns the ReLUs into IF relays whose thresholds it balances like any layer's, and lowering
 * gives each relay a fan-in of one part and the neuron a fan-in of two per part. A layer whose input may be
 * negative is left whole (with a warning): partition then refuses it. Runs before conversion, on ANNs.
 */
export function splitFanIn(graph: UnconvertedGraph, opts: SplitFanInOptions): { graph: Graph; splits: FanInSplit[] } {
  const splits: FanInSplit[] = [];
  const nodes = new Map<string, IRNode>(graph.nodes);
  let edges = graph.edges.map(([a, b]) => [a, b] as [string, string]);
  const memo = new Map<string, boolean>();
  const unique = (base: string) => { let n = base; for (let i = 2; nodes.has(n); i++) n = `${base}_${i}`; return n; };
  for (const name of graph.order) {
    const node = graph.nodes.get(name)!;
    if (node.kind !== 'Affine' && node.kind !== 'Linear') continue;
    const [rows, fanIn] = node.weight.shape;
    if (fanIn <= opts.maxFanIn) continue;
    const preds = graph.preds.get(name)!;
    if (!preds.every((p) => nonNegative(graph, p, memo))) {
      opts.warn?.(`layer '${name}' reads ${fanIn} inputs, more than the ${opts.maxFanIn} a core takes, and is not split: its input may be negative, and relays carry only non-negative partial sums`);
      continue;
    }
    const parts = Math.ceil(fanIn / opts.maxFanIn);
    const size = Math.ceil(fanIn / parts);
    const w = node.weight.data;
    const relays: string[] = [];
    const sumEdges: [string, string][] = [];
    for (let k = 0; k < parts; k++) {
      const lo = k * size;
      const hi = Math.min(fanIn, lo + size);
      for (const sign of [1, -1] as const) {
        const part = new Float32Array(rows * fanIn);
        let any = false;
        for (let o = 0; o < rows; o++) {
          for (let i = lo; i < hi; i++) {
            const v = w[o * fanIn + i] * sign;
            if (v > 0) { part[o * fanIn + i] = v; any = true; }
          }
        }
        if (!any) continue;
        const base = `${name}.part${k}.${sign > 0 ? 'pos' : 'neg'}`;
        const synapse = unique(base);
        const relay = unique(`${base}.relay`);
        nodes.set(synapse, { kind: 'Linear', weight: tensor([rows, fanIn], part) });
        nodes.set(relay, { kind: 'ReLU' });
        for (const p of preds) edges.push([p, synapse]);
        edges.push([synapse, relay]);
        if (sign > 0) sumEdges.push([relay, name]);
        else {
          const negate = unique(`${base}.sign`);
          nodes.set(negate, { kind: 'Scale', scale: tensor([1], [-1]) });
          edges.push([relay, negate]);
          sumEdges.push([negate, name]);
        }
        relays.push(relay);
      }
    }
    // The layer's name now holds the sum of its parts plus its bias.
    nodes.set(name, node.kind === 'Affine' ? { kind: 'Scale', scale: tensor([1], [1]), bias: node.bias } : { kind: 'Scale', scale: tensor([1], [1]) });
    edges = edges.filter(([, b]) => b !== name).concat(sumEdges);
    splits.push({ layer: name, fanIn, parts, relays });
    opts.warn?.(`layer '${name}' reads ${fanIn} inputs, more than the ${opts.maxFanIn} a core takes: split into ${parts} parts of at most ${size} inputs, whose partial sums ${relays.length} relay layers carry to it as spikes`);
  }
  if (splits.length === 0) return { graph, splits };
  return { graph: rebuild(graph, nodes, edges), splits };
}

/** What a fan-in split costs: the float SNN with the relays against the same SNN without them (where a chip could hold the fan-in). */
export interface SplitCost {
  samples: number;
  /** Accuracy of the float SNN as compiled (with the relays). */
  split: number;
  /** Accuracy of the float SNN of the unsplit network, converted with the same thresholds. */
  unsplit: number;
  /** unsplit − split: the accuracy the split costs (negative: it happens to gain). */
  cost: number;
  /** Fraction of samples both classify alike. */
  agreement: number;
}

/**
 * Measures the accuracy a fan-in split costs on labelled data (what `verify` reports for a split network): both
 * float SNNs, with and without the relays, run `timesteps` steps on the same inputs (the same encoding and seed).
 */
export function splitCost(split: Graph, unsplit: Graph, images: Float32Array, labels: ArrayLike<number>, count: number, timesteps: number, input: { encoding?: 'direct' | 'rate'; seed?: number } = {}): SplitCost {
  const inSize = shapeSize(split.shapes.get(split.inputName)!.output);
  if (images.length !== count * inSize) throw new Error(`internal: ${images.length} input values for ${count} samples of ${inSize}`);
  const a = predict(runGraph(split, images, count, { mode: 'snn', timesteps, ...input }), count);
  const b = predict(runGraph(unsplit, images, count, { mode: 'snn', timesteps, ...input }), count);
  let okA = 0;
  let okB = 0;
  let same = 0;
  for (let i = 0; i < count; i++) {
    if (a[i] === labels[i]) okA++;
    if (b[i] === labels[i]) okB++;
    if (a[i] === b[i]) same++;
  }
  const n = Math.max(count, 1);
  return { samples: count, split: okA / n, unsplit: okB / n, cost: (okB - okA) / n, agreement: same / n };
}
