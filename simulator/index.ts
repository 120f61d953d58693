/**
 * The chip simulator's package API: run a mapped chip over a data set (`simulate`) or a SANA-FE vector
 * (`simulateVector`), with the software fixed-point reference beside it for bit-identity.
 */
import type { DelayMode, MappedChip } from '../compiler/types.js';
import type { Dataset } from '../src/data/dataset.js';
import type { TargetSpec } from '../targets/target.js';
import { UserError } from '../src/util/errors.js';
import { checkRange } from '../src/cli/flags.js';
import { ChipSimulator, type SimOptions } from './engine.js';
import { FixedPointReference } from './reference.js';
import { buildReport, type SimReport } from './report.js';
import { loadSanafeVector, type SanafeExpected } from './sanafe.js';
import { neuroBenchMetrics } from '../src/metrics/neurobench.js';

export { ChipSimulator } from './engine.js';
export type { SimOptions, SampleResult, SimCounts, LayerCounts, CoreCounts } from './engine.js';
export { FixedPointReference } from './reference.js';
export { readoutLag, buildEventProjections, populationOrder } from './program.js';
export { sequentialMapping } from './sequential.js';
export type { ReferenceOptions, ReferenceResult } from './reference.js';
export { buildReport, SOP_COUNTING } from './report.js';
export type { SimReport } from './report.js';
export { energyOf, type EnergySplit } from './energy.js';
export { loadSanafeVector, vectorFromJson, VectorError } from './sanafe.js';
export type { SanafeExpected, SanafeVector } from './sanafe.js';

export interface SimulateOptions extends SimOptions {
  /** Samples to run (the first n of the data set); default all. */
  samples?: number;
  /** Run the fixed-point reference on every sample too and count bit-identical samples. */
  checkReference?: boolean;
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
 * Simulates `mapped` on the first `samples` samples of `dataset`: accuracy, counts, energy, latency. Each
 * sample runs `opts.timesteps` steps, by default the artifact's T plus its hold steps (input held).
 */
export function simulate(mapped: MappedChip, dataset: Dataset, opts: SimulateOptions = {}): SimulateResult {
  const graph = mapped.placement.graph;
  const inputSize = graph.input.shape.reduce((a, b) => a * b, 1);
  const sampleSize = dataset.shape[0] * dataset.shape[1] * dataset.shape[2];
  if (inputSize !== sampleSize) {
    throw new UserError(`the network takes inputs of shape [${graph.input.shape}] (${inputSize} values), data set '${dataset.name}' has samples of shape [${dataset.shape}]`);
  }
  checkRange('--samples', 'samples', opts.samples);
  checkRange('steps per sample (T + hold steps)', 'runSteps', opts.timesteps);
  if (!graph.populations.some((p) => p.readout)) throw new UserError(`'${graph.name}' has no readout population: it classifies nothing (simulate it as a vector, with --vector)`);
  const n = Math.min(opts.samples ?? dataset.count, dataset.count);
  if (!(n >= 1)) throw new UserError(`no samples to simulate (data set '${dataset.name}' has ${dataset.count})`);
  const sim = new ChipSimulator(mapped, opts);
  const ref = opts.checkReference ? new FixedPointReference(graph, { delay: sim.delay, timesteps: sim.timesteps }) : undefined;
  const predictions = new Int32Array(n);
  const digests = new Uint32Array(n);
  const referencePredictions = ref ? new Int32Array(n) : undefined;
  const identical = ref ? new Uint8Array(n) : undefined;
  let correct = 0;
  // Per step index: summed latency, and how often each core finished last.
  const stepSum = new Float64Array(sim.timesteps);
  const criticalTally = Array.from({ length: sim.timesteps }, () => new Map<number, number>());
  for (let s = 0; s < n; s++) {
    const image = dataset.images.subarray(s * sampleSize, (s + 1) * sampleSize);
    const r = sim.runSample(image, s);
    for (let t = 0; t < r.stepNs.length; t++) {
      stepSum[t] += r.stepNs[t];
      criticalTally[t].set(r.criticalCore[t], (criticalTally[t].get(r.criticalCore[t]) ?? 0) + 1);
    }
    predictions[s] = r.prediction;
    digests[s] = r.spikeDigest;
    if (r.prediction === dataset.labels[s]) correct++;
    if (ref) {
      const q = ref.runSample(image, s);
      referencePredictions![s] = q.prediction;
      identical![s] = q.spikeDigest === r.spikeDigest && sameValues(q.readout, r.readout) ? 1 : 0;
    }
    opts.onProgress?.(s + 1, n);
  }
  const report = buildReport(sim, {
    dataset: dataset.name,
    accuracy: correct / n,
    ...(identical ? { referenceChecked: n, referenceIdentical: identical.reduce((a, b) => a + b, 0) } : {}),
  });
  report.holdSteps = Math.max(0, sim.timesteps - graph.timesteps);
  report.neurobench = neuroBenchMetrics(graph, report);
  report.perStep = perStepFigures(Array.from(stepSum, (x) => x / n), criticalTally.map((m) => [...m].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? -1), sim);
  return { report, predictions, labels: dataset.labels.slice(0, n), digests, referencePredictions, identical };
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
