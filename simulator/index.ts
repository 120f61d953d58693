/**
 * The chip simulator's package API: run a mapped chip over a data set (`simulate`) or a SANA-FE vector
 * (`simulateVector`), with the software fixed-point reference beside it for bit-identity.
 */
import type { DelayMode, MappedChip } from '../compiler/types.js';
import type { Dataset } from '../src/data/dataset.js';
import type { TargetSpec } from '../targets/target.js';
import { UserError } from '../src/util/errors.js';
import { checkRange } from '../src/util/ranges.js';
import { ChipSimulator, type SimOptions, type SimCounts } from './engine.js';
import { mergeCounts, zeroCounts } from './merge.js';
import { FixedPointReference } from './reference.js';
import { buildReport, type SimReport } from './report.js';
import { loadSanafeVector, type SanafeExpected } from './sanafe.js';
import { neuroBenchMetrics } from '../src/metrics/neurobench.js';

export { ChipSimulator } from './engine.js';
export { mergeCounts, zeroCounts } from './merge.js';
export type { SimOptions, SampleResult, SimCounts, LayerCounts, CoreCounts } from './engine.js';
export { FixedPointReference } from './reference.js';
export { buildSynapses, type Synapses, type SynapseFormat } from './synapses.js';
export { sequentialMapping, routedChip } from './sequential.js';
export type { ReferenceOptions, ReferenceResult } from './reference.js';
export { buildReport, SOP_COUNTING } from './report.js';
export type { SimReport } from './report.js';
export { energyOf, type EnergySplit } from './energy.js';
export { loadSanafeVector, vectorFromJson, VectorError } from './sanafe.js';
export type { SanafeExpected, SanafeVector } from './sanafe.js';

export interface SimulateOptions extends ChipRunOptions {
  /** Samples to run (the first n of the data set); default all. */
  samples?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SimulateResult {
  report: SimReport;
  predictions: Int32Array;
  labels: Uint8Array;
  /** Per sample: spike digest and readout of the chip, and whether the reference agreed bit for bit. */
  digests: Uint32Array;
  referencePredictions?: Int32Array;
  identical?: Uint8Array;
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Latency of each step index (mean over samples for data sets) in ns and cycles, with its critical core. */
function perStepFigures(ns: ArrayLike<number>, critical: number[], sim: ChipSimulator): { step: number; ns: number; cycles: number; criticalCore: number }[] {
  const ghz = sim.target.timing.clockHz.value / 1e9;
  return Array.from(ns, (x, t) => ({ step: t + 1, ns: Math.round(x * 1e6) / 1e6, cycles: Math.ceil(x * ghz - 1e-9), criticalCore: critical[t] }));
}

/**
 * Checks that `dataset` fits the chip's input and returns how many samples a simulation of
 * `samples` (default all) runs and the values per sample.
 */
export function simulationSize(mapped: MappedChip, dataset: Dataset, samples?: number, timesteps?: number): { n: number; sampleSize: number; frames: number } {
  const graph = mapped.placement.graph;
  const inputSize = graph.input.shape.reduce((a, b) => a * b, 1);
  const stepSize = dataset.shape[0] * dataset.shape[1] * dataset.shape[2];
  if (inputSize !== stepSize) {
    throw new UserError(`the network takes inputs of shape [${graph.input.shape}] (${inputSize} values), data set '${dataset.name}' has samples of shape [${dataset.dims ?? dataset.shape}]`);
  }
  checkRange('--samples', 'samples', samples);
  checkRange('steps per sample (T + hold steps)', 'runSteps', timesteps);
  if (!graph.populations.some((p) => p.readout)) throw new UserError(`'${graph.name}' has no readout population: it classifies nothing (simulate it as a vector, with --vector)`);
  const n = Math.min(samples ?? dataset.count, dataset.count);
  if (!(n >= 1)) throw new UserError(`no samples to simulate (data set '${dataset.name}' has ${dataset.count})`);
  const frames = dataset.steps ?? 1;
  return { n, sampleSize: stepSize * frames, frames };
}

/** What one sample of a data-set simulation produced: all that is needed to merge samples run anywhere. */
export interface ChipSampleRecord {
  prediction: number;
  spikeDigest: number;
  /** Per step: latency (ns) and critical core. */
  stepNs: number[];
  criticalCore: number[];
  /** The counters of this sample alone. */
  counts: SimCounts;
  referencePrediction?: number;
  /** Whether the fixed-point reference produced the same spikes and readout (when checked). */
  identical?: boolean;
}

/** Options of a data-set simulation's per-sample work (what a worker thread needs besides the chip). */
export interface ChipRunOptions extends SimOptions {
  /** Run the fixed-point reference on every sample too and count bit-identical samples. */
  checkReference?: boolean;
  /** Steps of input each sample holds (inputs over time); default 1, a static sample. */
  frames?: number;
}

/**
 * The per-sample work of {@link simulate}: the chip (and the fixed-point reference when checked) on one
 * sample, with that sample's counters. A sample's result depends only on the chip, the options, the image
 * and the sample index (the rate encoder is seeded by it), so samples can run in any thread and any order.
 */
export class ChipSampleRunner {
  readonly sim: ChipSimulator;
  private readonly ref: FixedPointReference | undefined;
  private readonly frames: number;

  constructor(mapped: MappedChip, opts: ChipRunOptions = {}) {
    this.frames = opts.frames ?? 1;
    this.sim = new ChipSimulator(mapped, opts);
    this.ref = opts.checkReference ? new FixedPointReference(mapped.placement.graph, { delay: this.sim.delay, timesteps: this.sim.timesteps }) : undefined;
  }

  run(image: ArrayLike<number>, index: number): ChipSampleRecord {
    zeroCounts(this.sim.counts);
    const r = this.sim.runSample(image, index, this.frames);
    const rec: ChipSampleRecord = {
      prediction: r.prediction, spikeDigest: r.spikeDigest, stepNs: r.stepNs, criticalCore: r.criticalCore, counts: structuredClone(this.sim.counts),
    };
    if (this.ref) {
      const q = this.ref.runSample(image, index, this.frames);
      rec.referencePrediction = q.prediction;
      rec.identical = q.spikeDigest === r.spikeDigest && sameValues(q.readout, r.readout);
    }
    return rec;
  }
}

/**
 * Folds per-sample records into a {@link SimulateResult}, strictly in sample order: integer counts are exact
 * in any order, and the float sums (latency, link wait) are per-sample totals added in sample order, so the
 * result is the same however the samples were spread over threads.
 */
export class SimulationMerge {
  private readonly total: SimCounts;
  private readonly predictions: Int32Array;
  private readonly digests: Uint32Array;
  private readonly referencePredictions: Int32Array | undefined;
  private readonly identical: Uint8Array | undefined;
  /** Per step index: summed latency, and how often each core finished last. */
  private readonly stepSum: Float64Array;
  private readonly criticalTally: Map<number, number>[];
  private correct = 0;
  private done = 0;

  /** `sim`: a simulator of the same chip and options (its counters end up holding the totals). */
  constructor(private readonly sim: ChipSimulator, private readonly dataset: Dataset, private readonly n: number, checkReference: boolean) {
    this.total = zeroCounts(structuredClone(sim.counts));
    this.predictions = new Int32Array(n);
    this.digests = new Uint32Array(n);
    this.referencePredictions = checkReference ? new Int32Array(n) : undefined;
    this.identical = checkReference ? new Uint8Array(n) : undefined;
    this.stepSum = new Float64Array(sim.timesteps);
    this.criticalTally = Array.from({ length: sim.timesteps }, () => new Map<number, number>());
  }

  /** Adds the next sample's record (sample `done`, in order). */
  add(r: ChipSampleRecord): void {
    const s = this.done++;
    mergeCounts(this.total, r.counts);
    for (let t = 0; t < r.stepNs.length; t++) {
      this.stepSum[t] += r.stepNs[t];
      this.criticalTally[t].set(r.criticalCore[t], (this.criticalTally[t].get(r.criticalCore[t]) ?? 0) + 1);
    }
    this.predictions[s] = r.prediction;
    this.digests[s] = r.spikeDigest;
    if (r.prediction === this.dataset.labels[s]) this.correct++;
    if (this.identical) {
      this.referencePredictions![s] = r.referencePrediction!;
      this.identical[s] = r.identical ? 1 : 0;
    }
  }

  result(): SimulateResult {
    const { sim, n, identical } = this;
    if (this.done !== n) throw new Error(`internal: ${this.done} of ${n} samples merged`);
    mergeCounts(zeroCounts(sim.counts), this.total);
    const graph = sim.graph;
    const report = buildReport(sim, {
      dataset: this.dataset.name,
      accuracy: this.correct / n,
      ...(identical ? { referenceChecked: n, referenceIdentical: identical.reduce((a, b) => a + b, 0) } : {}),
    });
    report.holdSteps = Math.max(0, sim.timesteps - graph.timesteps);
    report.neurobench = neuroBenchMetrics(graph, report);
    report.perStep = perStepFigures(Array.from(this.stepSum, (x) => x / n), this.criticalTally.map((m) => [...m].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? -1), sim);
    return { report, predictions: this.predictions, labels: this.dataset.labels.slice(0, n), digests: this.digests, referencePredictions: this.referencePredictions, identical };
  }
}

/**
 * Simulates `mapped` on the first `samples` samples of `dataset`: accuracy, counts, energy, latency. Each
 * sample runs `opts.timesteps` steps, by default the artifact's T plus its hold steps (input held). Runs in
 * this thread; src/parallel spreads the same per-sample work over worker threads with the same result.
 */
export function simulate(mapped: MappedChip, dataset: Dataset, opts: SimulateOptions = {}): SimulateResult {
  const { n, sampleSize, frames } = simulationSize(mapped, dataset, opts.samples, opts.timesteps);
  const runner = new ChipSampleRunner(mapped, { ...opts, frames });
  const merge = new SimulationMerge(runner.sim, dataset, n, !!opts.checkReference);
  for (let s = 0; s < n; s++) {
    merge.add(runner.run(dataset.images.subarray(s * sampleSize, (s + 1) * sampleSize), s));
    opts.onProgress?.(s + 1, n);
  }
  return merge.result();
}

/** One row of the SANA-FE comparison: snnc's figure, SANA-FE's, and the relative difference. */
export interface FidelityRow { quantity: string; snnc: number; sanafe: number; relDiff: number }

/** Runs a SANA-FE vector for `steps` steps and compares with what SANA-FE reported, when the file has it. */
export function simulateVector(file: string, target: TargetSpec, opts: { steps?: number; delay?: DelayMode } = {}): { report: SimReport; comparison?: FidelityRow[]; expected?: SanafeExpected } {
  checkRange('--steps', 'timesteps', opts.steps);
  const { mapped, expected } = loadSanafeVector(file, target);
  const steps = opts.steps ?? (expected && Number.isFinite(expected.timesteps) ? expected.timesteps : 100);
  // A step count the file asks for is bounded like the flag (the engine allocates per step).
  if (opts.steps === undefined) checkRange(`vector '${file}': expected_from_sanafe.timesteps_executed (the default --steps)`, 'timesteps', steps);
  const sim = new ChipSimulator(mapped, { timesteps: steps, delay: opts.delay });
  const run = sim.runSample(new Float32Array(0), 0);
  const report = buildReport(sim, { dataset: `vector:${file}` });
  report.perStep = perStepFigures(run.stepNs, run.criticalCore, sim);
  const t = report.totals;
  let comparison: FidelityRow[] | undefined;
  if (expected && steps === expected.timesteps) {
    const row = (quantity: string, snnc: number, sanafe: number): FidelityRow => ({ quantity, snnc, sanafe, relDiff: sanafe === 0 ? (snnc === 0 ? 0 : Infinity) : (snnc - sanafe) / sanafe });
    const neuronUpdates = t.neuronUpdates;
    comparison = [
      row('synaptic events', t.synapticEvents, expected.synapticEvents),
      row('messages', t.packets, expected.messages),
      row('spikes', t.spikes, expected.spikes),
      row('neuron updates', neuronUpdates, expected.neuronUpdates),
      row('energy synapse (J)', t.energyJ.synapticJ, expected.energyJ.synapse),
      row('energy soma (J)', t.energyJ.neuronJ, expected.energyJ.soma),
      row('energy network (J)', t.energyJ.networkJ, expected.energyJ.network),
      row('energy total (J)', t.energyJ.totalJ, expected.energyJ.total),
      row('modelled time (s)', t.timeNs * 1e-9, expected.simTimeS),
    ];
    report.sanafe = { expected, comparison };
  }
  return { report, comparison, expected };
}
