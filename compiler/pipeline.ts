import { join } from 'node:path';
import { isSpiking, shapeSize, NEURON_KINDS, type Graph } from '../src/ir/graph.js';
import { runGraph } from '../src/ir/execute.js';
import { UserError } from '../src/util/errors.js';
import { writeFileAtomic } from '../src/util/fs.js';
import type { TargetSpec } from '../targets/target.js';
import { foldScale } from './passes/fold-scale.js';
import { lowerMaxPool, type MaxPoolLowering } from './passes/lower-maxpool.js';
import { convertToSnn, type Calibration } from './passes/convert.js';
import { splitFanIn, type FanInSplit } from './passes/split-fan-in.js';
import { lowerToPopulations } from './passes/lower.js';
import { quantize, type HoldOption } from './quantize.js';
import { checkFeatures } from './features.js';
import { checkFiniteNet, checkQuantizedLayers } from './quant-check.js';
import { axonCopies, partition, type Partition } from './partition.js';
import { as3 } from './linear.js';
import { place } from './place.js';
import { route } from './route.js';
import { summarize, type CompileSummary } from './summary.js';
import { validateGraph, validateNet, validatePartition, validatePlacement, validateQuant } from './validate.js';
import type { FloatNet, MappedChip, QuantGraph, SpikingGraph } from './types.js';

/** The named passes, in the order the pipeline runs them (`--dump-after` takes one of these). */
export const PASSES = ['fold-scale', 'lower-maxpool', 'split-fan-in', 'convert', 'lower', 'quantize', 'partition', 'place', 'route'] as const;
export type PassName = (typeof PASSES)[number];

export interface PipelineOptions {
  target: TargetSpec;
  /** Time steps; default: the graph's own (spiking students) or 64 for converted ANNs. */
  timesteps?: number;
  /** Data for threshold balancing and for spike rates (placement traffic). */
  calibration?: Calibration;
  balance?: 'percentile' | 'max';
  percentile?: number;
  maxpool?: MaxPoolLowering;
  /** Write the IR after this pass to `<dumpDir>/dump-after-<pass>.json`. */
  dumpAfter?: PassName;
  dumpDir?: string;
  /** Steps to run after T with the input held (QuantGraph.holdSteps): 'auto' (default) = the readout lag on
   * a target with 'hardware' delay and 0 on a same-step one; 'none' = 0 (with a warning of what that costs on
   * a delayed target); a number = that many. */
  hold?: HoldOption;
  warn?: (message: string) => void;
}

/** Parses a `--hold` value as the user typed it ('auto', 'none', or a step count). */
export function parseHold(value: string | number): HoldOption {
  if (value === 'auto' || value === 'none') return value;
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!(Number.isInteger(n) && n >= 0 && n <= 100_000)) throw new PipelineError(`--hold must be auto, none or an integer from 0 to 100000, got '${value}'`);
  return n;
}

export interface PipelineResult {
  chip: MappedChip;
  summary: CompileSummary;
  /** The spiking float graph (after conversion) and its lowered form, for verification. */
  spikingGraph: Graph;
  floatNet: FloatNet;
  partition: Partition;
  /** Dense layers split over several cores because their fan-in exceeds a core's input axons (split-fan-in). */
  fanInSplits: FanInSplit[];
  /** With a split: the spiking graph of the network without it (same thresholds), to measure what the split costs
   * (`splitCost` in compiler/passes/split-fan-in.ts). */
  unsplitSpikingGraph?: Graph;
}

export class PipelineError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineError';
  }
}

/** What the passes up to quantization give: the spiking graph, its lowered float net and the integer network. */
export interface QuantizedNetwork {
  spikingGraph: SpikingGraph;
  floatNet: FloatNet;
  quant: QuantGraph;
  fanInSplits: FanInSplit[];
  /** The graph before split-fan-in (when a split happened, runPipeline converts it to measure the split's cost). */
  unsplit: Graph;
  convertOptions: Parameters<typeof convertToSnn>[1];
}

/**
 * The passes up to and including quantize (fold-scale → lower-maxpool → split-fan-in → convert → lower →
 * quantize), as runPipeline runs them: also what quantization-aware training (src/train/qat.ts) rounds with,
 * so the trainer's forward pass and the compiler quantize the same way.
 */
export function quantizeForTarget(graph: Graph, opts: PipelineOptions): QuantizedNetwork {
  const warn = opts.warn ?? (() => {});
  const dump = dumper(opts);
  const timesteps = pipelineTimesteps(graph, opts);
  const wasSpiking = isSpiking(graph);
  let g = foldScale(graph);
  validateGraph('fold-scale', g);
  dump('fold-scale', () => graphJson(g));

  g = lowerMaxPool(g, opts.maxpool ?? 'avg', warn);
  validateGraph('lower-maxpool', g, ['MaxPool2d']);
  dump('lower-maxpool', () => graphJson(g));

  // A dense layer wider than a core's input axons: partial sums on other cores, carried by relays (ANNs on targets
  // that can split, features.fanInSplit).
  const maxFanIn = Math.floor(opts.target.core.inputAxons.value / axonCopies(opts.target));
  const split = !wasSpiking && opts.target.features.fanInSplit.value === 'relay' ? splitFanIn(g, { maxFanIn, warn }) : { graph: g, splits: [] };
  const unsplit = g;
  g = split.graph;
  validateGraph('split-fan-in', g);
  dump('split-fan-in', () => graphJson(g));

  const convertOptions = { calibration: opts.calibration, balance: opts.balance, percentile: opts.percentile, warn };
  const spikingGraph = convertToSnn(g, convertOptions);
  validateGraph('convert', spikingGraph, ['ReLU', 'Clip', 'MaxPool2d']);
  dump('convert', () => graphJson(spikingGraph));

  const net = lowerToPopulations(spikingGraph, {
    timesteps, warn, maxFanIn, foldPooling: opts.target.core.splitLayers.value,
  });
  if (opts.calibration) net.rates = spikeRates(spikingGraph, opts.calibration, timesteps);
  checkFiniteNet(net);
  validateNet('lower', net);
  dump('lower', () => net);
  checkFeatures(net, opts.target);

  const q = quantize(net, opts.target, { timesteps, hold: opts.hold, warn });
  validateQuant('quantize', q);
  checkQuantizedLayers(net, q, warn);
  dump('quantize', () => q);
  return { spikingGraph, floatNet: net, quant: q, fanInSplits: split.splits, unsplit, convertOptions };
}

/** Writes the IR after the pass `opts.dumpAfter` names (`--dump-after`). */
function dumper(opts: PipelineOptions): (pass: PassName, value: () => unknown) => void {
  return (pass, value) => {
    if (opts.dumpAfter !== pass) return;
    if (!opts.dumpDir) throw new PipelineError('--dump-after needs an output folder');
    writeFileAtomic(join(opts.dumpDir, `dump-after-${pass}.json`), `${JSON.stringify(value(), dumpReplacer, 1)}\n`);
  };
}

function pipelineTimesteps(graph: Graph, opts: PipelineOptions): number {
  const timesteps = opts.timesteps ?? (isSpiking(graph) ? graph.meta.timesteps ?? 4 : 64);
  if (!(Number.isInteger(timesteps) && timesteps >= 1 && timesteps <= 100_000)) throw new PipelineError(`timesteps must be an integer from 1 to 100000, got ${timesteps}`);
  return timesteps;
}

/**
 * Compiles an IR graph for a target, pass by pass:
 *   fold-scale → lower-maxpool → split-fan-in → convert → lower → quantize → partition → place → route.
 * The IR is validated after every pass; `dumpAfter` writes it out after the named pass.
 */
export function runPipeline(graph: Graph, opts: PipelineOptions): PipelineResult {
  const dump = dumper(opts);
  const { spikingGraph, floatNet: net, quant: q, fanInSplits, unsplit, convertOptions } = quantizeForTarget(graph, opts);
  const part = partition(q);
  validatePartition('partition', q, part);
  dump('partition', () => part);

  const rates = coreRates(part, net);
  const placed = place(part, rates);
  validatePlacement('place', placed.coreOf, opts.target.core.count.value);
  dump('place', () => ({ cores: placed.cores, cost: placed.cost, rowMajorCost: placed.rowMajorCost }));

  const chip = route(placed);
  dump('route', () => chip.routes);
  const unsplitSpikingGraph = fanInSplits.length > 0 ? convertToSnn(unsplit, { ...convertOptions, warn: () => {} }) : undefined;
  return { chip, summary: summarize(chip, placed, rates), spikingGraph, floatNet: net, partition: part, fanInSplits, ...(unsplitSpikingGraph ? { unsplitSpikingGraph } : {}) };
}

/**
 * Mean spikes per step of every neuron of every IF/LIF node, from the float SNN on (a few of) the
 * calibration samples; the readout and relays are absent (they send nothing or are approximated by 1).
 */
function spikeRates(g: Graph, cal: Calibration, timesteps: number): Record<string, Float32Array> {
  const count = Math.min(cal.count, 32);
  const inSize = shapeSize(g.shapes.get(g.inputName)!.output);
  const sums = new Map<string, Float64Array>();
  runGraph(g, cal.images.subarray(0, count * inSize), count, {
    mode: 'snn', timesteps,
    record: (node, _step, values, batch) => {
      if (!NEURON_KINDS.has(g.nodes.get(node)!.kind)) return;
      const size = values.length / batch;
      const acc = sums.get(node) ?? new Float64Array(size);
      for (let b = 0; b < batch; b++) for (let i = 0; i < size; i++) acc[i] += values[b * size + i];
      sums.set(node, acc);
    },
  });
  const rates: Record<string, Float32Array> = {};
  for (const [node, acc] of sums) rates[node] = Float32Array.from(acc, (v) => v / (count * timesteps));
  return rates;
}

function coreRates(part: Partition, net: FloatNet): Float64Array {
  const rates = new Float64Array(part.cores.length).fill(1);
  if (!net.rates) return rates;
  const shapes = new Map(net.populations.map((p) => [p.name, as3(p.shape)]));
  part.cores.forEach((c, i) => {
    const r = net.rates![c.population];
    if (!r) return;
    const [, h, w] = shapes.get(c.population)!;
    let s = 0;
    const b = c.box;
    for (let ch = b.c0; ch < b.c1; ch++) for (let y = b.y0; y < b.y1; y++) for (let x = b.x0; x < b.x1; x++) s += r[(ch * h + y) * w + x];
    rates[i] = s / ((b.c1 - b.c0) * (b.y1 - b.y0) * (b.x1 - b.x0));
  });
  return rates;
}

function graphJson(g: Graph): unknown {
  return {
    meta: g.meta,
    nodes: g.order.map((name) => ({ name, ...g.nodes.get(name)!, shape: g.shapes.get(name)!.output })),
    edges: g.edges,
  };
}

/** Typed arrays as plain arrays, Maps as objects: a dump a person can read. */
function dumpReplacer(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (value instanceof Map) return Object.fromEntries(value);
  if (value && typeof value === 'object' && 'core' in value && 'mesh' in value && 'energy' in value) return (value as unknown as { name: string }).name;
  return value;
}
