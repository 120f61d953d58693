/**
 * Verification of a model end to end (`snnc verify`, library `verifyModel`): the ANN, the float SNN, the
 * quantized SNN (fixed-point reference) and the mapped chip (cycle-level simulator) on the same samples, with
 * their pairwise agreement, bit-identity of the last two, the delay study and the NeuroBench metrics.
 */
import { errorBudget, type ErrorBudget } from '../compiler/error-budget.js';
import { compile, splitCost, type FanInSplit, type HoldOption, type SplitCost } from '../compiler/index.js';
import type { DelayMode, MappedChip } from '../compiler/types.js';
import type { SimReport } from '../simulator/index.js';
import { readoutLag } from '../compiler/analysis.js';
import { fitToInput, loadDataset, type Dataset } from './data/index.js';
import { EvalPool, resolveWorkers, withEvalPool } from './parallel/index.js';
import { importOnnxFile } from './onnx/import.js';
import { loadModelGraph } from './model-file.js';
import { isSpiking, type Graph } from './ir/graph.js';
import { predict, runGraph } from './ir/execute.js';
import { onnxRuntimeEvaluator } from './report/models.js';
import { agreementRate, neuroBenchMetrics, energyComparison, type NeuroBenchMetrics, type EnergyComparison } from './metrics/index.js';
import { UserError } from './util/errors.js';
import { checkRange } from './util/ranges.js';

/** One model stage evaluated on the same samples. */
export interface VerifyRow {
  stage: 'ann' | 'float-snn' | 'quantized-snn' | 'mapped-chip';
  label: string;
  engine: string;
  accuracy: number;
  /** Steps each sample ran in this stage (absent for the ANN). */
  steps?: number;
}

/** Accuracy under both spike-delivery semantics and what extending the run recovers. */
export interface DelayAnalysis {
  chipDelay: DelayMode;
  /** Steps by which the readout lags the input under hardware delay. */
  readoutLag: number;
  /** The compiled T: hardware and same-step accuracies below are at exactly T steps (no hold). */
  timesteps: number;
  /** Hold steps of the compiled artifact (the chip row ran timesteps + holdSteps). */
  holdSteps: number;
  hardwareAccuracy: number;
  sameStepAccuracy: number;
  /** Hardware-delay accuracy with T + k steps (input held), k = 1, 2, …, until it reaches the same-step accuracy. */
  sweep: { extraSteps: number; accuracy: number }[];
  /** Extra steps that recover the same-step accuracy (null when the sweep did not). */
  recoveredWith: number | null;
}

export interface VerifyReport {
  format: 'snnc-verify-report';
  version: 1;
  model: string;
  teacher?: string;
  target: string;
  dataset: string;
  samples: number;
  /** The compiled T. */
  timesteps: number;
  /** Steps run after T with the input held on the chip (the artifact's hold, `snnc compile --hold`). */
  holdSteps: number;
  /** Steps per sample the quantized SNN and the mapped chip ran: timesteps + holdSteps. */
  chipSteps: number;
  delay: DelayMode;
  encoding: string;
  /** Frames per sample of data over time (frame t drives step t; no input after the last); absent: a static
   * input, encoded at every step and held during the hold steps. */
  inputFrames?: number;
  rows: VerifyRow[];
  /** agreement[i][j]: fraction of samples where rows i and j predict the same class. */
  agreement: number[][];
  /** Quantized SNN (software fixed-point) vs mapped chip: spike trains and readout potentials. */
  bitIdentical: { identical: number; checked: number; all: boolean };
  delayAnalysis: DelayAnalysis;
  /** Layers whose fan-in was split over cores (relays carrying partial sums), and the accuracy that costs: the float
   * SNN with and without the relays on the same samples. Absent when nothing was split. */
  fanInSplit?: SplitCost & { layers: FanInSplit[] };
  metrics: NeuroBenchMetrics;
  energy: EnergyComparison;
  /** `--explain`: the float-to-chip gap attributed to its causes (compiler/error-budget.ts), computed by the
   * fixed-point reference in the main thread (not shared over the workers) on the same samples. */
  errorBudget?: ErrorBudget;
  warnings: string[];
  sim: SimReport;
}

/** Chip accuracy with a given delay and step count (the mapped chip on every sample, input held). */
async function chipAccuracy(pool: EvalPool, mapped: MappedChip, data: Dataset, delay: DelayMode, timesteps: number): Promise<number> {
  return (await pool.simulate(mapped, data, { delay, timesteps })).report.accuracy!;
}

/**
 * The delay study: accuracy of the quantized network under hardware and same-step delivery at the compiled
 * T (without the artifact's hold steps), and the smallest run extension (input held) that brings the
 * hardware accuracy back to the same-step one. The sweep stops at readoutLag + 2 extra steps. `chipAcc`,
 * when given, is the accuracy already measured in `chipDelay` mode at exactly T steps (not run again). The
 * runs use `pool`'s workers (default: this thread).
 */
export async function analyseDelay(mapped: MappedChip, data: Dataset, chipDelay: DelayMode, chipAcc?: number, pool = new EvalPool(1)): Promise<DelayAnalysis> {
  const q = mapped.placement.graph;
  const T = q.timesteps;
  const lag = readoutLag(q);
  const known = async (mode: DelayMode) => (chipDelay === mode && chipAcc !== undefined ? chipAcc : chipAccuracy(pool, mapped, data, mode, T));
  const hardwareAccuracy = await known('hardware');
  const sameStepAccuracy = await known('same-step');
  const sweep: { extraSteps: number; accuracy: number }[] = [];
  let recoveredWith: number | null = hardwareAccuracy >= sameStepAccuracy ? 0 : null;
  for (let k = 1; recoveredWith === null && k <= lag + 2; k++) {
    const accuracy = await chipAccuracy(pool, mapped, data, 'hardware', T + k);
    sweep.push({ extraSteps: k, accuracy });
    if (accuracy >= sameStepAccuracy) recoveredWith = k;
  }
  return { chipDelay, readoutLag: lag, timesteps: T, holdSteps: q.holdSteps ?? 0, hardwareAccuracy, sameStepAccuracy, sweep, recoveredWith };
}

export interface VerifyOptions {
  /** Seconds per step for a model's time constants (NIR; default 1e-4 for NIR files). */
  dt?: number;
  target: string;
  dataset: string;
  dataDir?: string;
  samples: number;
  timesteps?: number;
  calibrate?: string;
  calibrateSamples?: number;
  teacher?: string;
  delay?: DelayMode;
  /** The compiler's `--hold` (default 'auto': the readout lag on a delayed target). */
  hold?: HoldOption;
  /** Told which stage runs and how far the chip simulation is (samples done of total). */
  onProgress?: (stage: string, done: number, total: number) => void;
  /** Worker threads sharing the samples (default: every core; 1: this thread). */
  workers?: number;
  /** Also compute the error budget (`errorBudget` in the report; runs in this thread). */
  explain?: boolean;
}

/**
 * Verifies a model end to end on the same samples: the ANN (onnxruntime-node; for a spiking student its
 * teacher when given), the float SNN (IR executor), the quantized SNN (fixed-point reference) and the mapped
 * chip (cycle-level simulator). Returns the report; `bitIdentical.all` is false when quantized and mapped differ.
 */
export async function verifyModel(model: string, opts: VerifyOptions): Promise<VerifyReport> {
  checkRange('--samples', 'samples', opts.samples);
  checkRange('--timesteps', 'timesteps', opts.timesteps);
  checkRange('--calibrate-samples', 'samples', opts.calibrateSamples);
  resolveWorkers(opts.workers);
  const warnings: string[] = [];
  const loaded = loadModelGraph(model, { dt: opts.dt, warn: (m) => warnings.push(m) });
  const graph = loaded.graph;
  const isOnnx = loaded.format === 'onnx';
  const spiking = isSpiking(graph);
  // Samples with one axis more than the model's input are steps over time; they fix T.
  const data = fitToInput(loadDataset(opts.dataset, { split: 'test', dataDir: opts.dataDir, limit: opts.samples }), graph.shapes.get(graph.inputName)!.output);
  const n = data.count;
  if (data.steps !== undefined && opts.timesteps !== undefined && opts.timesteps < data.steps) {
    throw new UserError(`--timesteps ${opts.timesteps} is shorter than the ${data.steps} steps each sample of '${data.name}' holds`);
  }
  const compiled = compile(graph, {
    target: opts.target, timesteps: opts.timesteps ?? data.steps, calibrate: opts.calibrate, samples: opts.calibrateSamples, dataDir: opts.dataDir,
    hold: opts.hold, warn: (m) => warnings.push(m),
  });
  const chip = compiled.chip;
  const q = chip.placement.graph;
  const rows: VerifyRow[] = [];
  const predictions: Int32Array[] = [];

  const annPath = spiking ? opts.teacher : isOnnx ? model : undefined;
  let annGraph: Graph | undefined;
  if (data.steps !== undefined && (annPath || !spiking)) {
    // An ANN sees one static input; samples over time have none to give it.
    warnings.push(`the samples of '${data.name}' are ${data.steps} steps over time: an ANN takes one static input, so there is no ANN row`);
    if (annPath) annGraph = importOnnxFile(annPath).graph;
  } else if (annPath) {
    const ann = await onnxRuntimeEvaluator(annPath, 'ann', data.shape);
    try {
      const p = await ann.predict(data.images, n);
      rows.push({ stage: 'ann', label: spiking ? 'ANN teacher' : 'ANN', engine: 'onnxruntime-node', accuracy: agreementRate(p, data.labels, n) });
      predictions.push(p);
    } finally {
      await ann.dispose();
    }
    annGraph = importOnnxFile(annPath).graph;
  } else if (!spiking) {
    // An ANN given as IR JSON: the float executor in ANN mode is its reference.
    const p = predictAnn(graph, data);
    rows.push({ stage: 'ann', label: 'ANN', engine: 'IR executor', accuracy: agreementRate(p, data.labels, n) });
    predictions.push(p);
    annGraph = graph;
  } else {
    warnings.push('spiking network without --teacher: no ANN row');
  }
  const timed = data.steps !== undefined ? { inputSteps: data.steps } : {};

  return withEvalPool(opts.workers, async (pool) => {
    const floatPred = await pool.predictFloat(compiled.spikingGraph, data.images, n, { mode: 'snn', timesteps: q.timesteps, encoding: q.input.encoding, seed: q.input.seed, ...timed });
    rows.push({ stage: 'float-snn', label: 'float SNN (same-step)', engine: 'IR executor', accuracy: agreementRate(floatPred, data.labels, n), steps: q.timesteps });
    predictions.push(floatPred);
    // A fan-in split (relays carrying partial sums) changes the arithmetic: what it costs, float SNN with and without.
    const fanInSplit = compiled.unsplitSpikingGraph
      ? { layers: compiled.fanInSplits, ...splitCost(compiled.spikingGraph, compiled.unsplitSpikingGraph, data.images, data.labels, n, q.timesteps, { encoding: q.input.encoding, seed: q.input.seed }) }
      : undefined;

    const sim = await pool.simulate(chip, data, {
      delay: opts.delay, checkReference: true,
      onProgress: opts.onProgress ? (done, total) => opts.onProgress!('mapped chip + fixed-point reference', done, total) : undefined,
  });
  opts.onProgress?.('delay study', 0, 1);
  const delay = sim.report.delay;
  // The chip runs the artifact as compiled: T plus its hold steps (the reference runs the same steps).
  const chipSteps = sim.report.timesteps;
  rows.push({ stage: 'quantized-snn', label: `quantized SNN (${delay})`, engine: 'fixed-point reference', accuracy: agreementRate(sim.referencePredictions!, data.labels, n), steps: chipSteps });
  predictions.push(sim.referencePredictions!);
  rows.push({ stage: 'mapped-chip', label: `mapped chip (${delay})`, engine: `simulator, ${q.target.name}`, accuracy: sim.report.accuracy!, steps: chipSteps });
  predictions.push(sim.predictions);

  const agreement = predictions.map((a) => predictions.map((b) => agreementRate(a, b, n)));
  const identical = sim.report.referenceIdentical!;
  const delayAnalysis = await analyseDelay(chip, data, delay, chipSteps === q.timesteps ? sim.report.accuracy! : undefined, pool);
  const metrics = neuroBenchMetrics(q, sim.report);
  let budget: ErrorBudget | undefined;
  if (opts.explain) {
    opts.onProgress?.('error budget (this thread)', 0, 1);
    budget = errorBudget(compiled.spikingGraph, compiled.floatNet, q.target, data, {
      timesteps: q.timesteps, hold: opts.hold, ...(data.steps !== undefined ? { frames: data.steps } : {}),
      onProgress: opts.onProgress ? (done, total) => opts.onProgress!('error budget (this thread)', done, total) : undefined,
    });
  }
  return {
    format: 'snnc-verify-report', version: 1, model, ...(opts.teacher ? { teacher: opts.teacher } : {}),
    target: q.target.name, dataset: data.name, samples: n, timesteps: q.timesteps, holdSteps: q.holdSteps ?? 0, chipSteps, delay, encoding: q.input.encoding, ...(data.steps !== undefined ? { inputFrames: data.steps } : {}),
    rows, agreement, bitIdentical: { identical, checked: n, all: identical === n }, delayAnalysis, ...(fanInSplit ? { fanInSplit } : {}),
    metrics, energy: energyComparison(metrics, sim.report, q, annGraph), ...(budget ? { errorBudget: budget } : {}), warnings: [...compiled.warnings.filter((w) => !warnings.includes(w)), ...warnings],
    sim: sim.report,
  };
  });
}


/** Predicted classes of an ANN graph under the float executor. */
function predictAnn(graph: Graph, data: Dataset): Int32Array {
  return predict(runGraph(graph, data.images, data.count, { mode: 'ann' }), data.count);
}
