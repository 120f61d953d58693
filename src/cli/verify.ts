import type { CommandModule } from 'yargs';
import cliProgress from 'cli-progress';
import { compile, parseHold, type HoldOption } from '../../compiler/index.js';
import type { DelayMode, MappedChip } from '../../compiler/types.js';
import { ChipSimulator, simulate, readoutLag, type SimReport } from '../../simulator/index.js';
import { argmax } from '../../simulator/arith.js';
import { loadDataset, datasetFiles, DATASET_SPECS, type Dataset } from '../data/index.js';
import { runGraph, predict } from '../ir/execute.js';
import { importOnnxFile } from '../onnx/import.js';
import { inspectOnnx, onnxRuntimeEvaluator } from '../report/models.js';
import { neuroBenchMetrics, energyComparison, type NeuroBenchMetrics, type EnergyComparison } from '../metrics/index.js';
import { guardOutputs, writeFileAtomic } from '../util/fs.js';
import { checkRange, rangeHint } from './flags.js';
import { out } from './output.js';

interface VerifyArgs {
  model: string;
  target: string;
  dataset: string;
  'data-dir'?: string;
  samples: number;
  timesteps?: number;
  calibrate?: string;
  'calibrate-samples': number;
  teacher?: string;
  delay?: DelayMode;
  hold: string;
  json: boolean;
  out?: string;
}

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
  rows: VerifyRow[];
  /** agreement[i][j]: fraction of samples where rows i and j predict the same class. */
  agreement: number[][];
  /** Quantized SNN (software fixed-point) vs mapped chip: spike trains and readout potentials. */
  bitIdentical: { identical: number; checked: number; all: boolean };
  delayAnalysis: DelayAnalysis;
  metrics: NeuroBenchMetrics;
  energy: EnergyComparison;
  warnings: string[];
  sim: SimReport;
}

function accuracyOf(pred: ArrayLike<number>, labels: ArrayLike<number>, n: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (pred[i] === labels[i]) ok++;
  return ok / n;
}

function agreementOf(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number {
  let same = 0;
  for (let i = 0; i < n; i++) if (a[i] === b[i]) same++;
  return same / n;
}

/** Chip accuracy with a given delay and step count (functional run of the mapped chip, input held). */
function chipAccuracy(mapped: MappedChip, data: Dataset, delay: DelayMode, timesteps: number): number {
  const sim = new ChipSimulator(mapped, { delay, timesteps });
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  let ok = 0;
  for (let s = 0; s < data.count; s++) {
    if (argmax(sim.runSample(data.images.subarray(s * size, (s + 1) * size), s).readout) === data.labels[s]) ok++;
  }
  return ok / data.count;
}

/**
 * The delay study: accuracy of the quantized network under hardware and same-step delivery at the compiled
 * T (without the artifact's hold steps), and the smallest run extension (input held) that brings the
 * hardware accuracy back to the same-step one. The sweep stops at readoutLag + 2 extra steps. `chipAcc`,
 * when given, is the accuracy already measured in `chipDelay` mode at exactly T steps (not run again).
 */
export function analyseDelay(mapped: MappedChip, data: Dataset, chipDelay: DelayMode, chipAcc?: number): DelayAnalysis {
  const q = mapped.placement.graph;
  const T = q.timesteps;
  const lag = readoutLag(q);
  const known = (mode: DelayMode) => (chipDelay === mode && chipAcc !== undefined ? chipAcc : chipAccuracy(mapped, data, mode, T));
  const hardwareAccuracy = known('hardware');
  const sameStepAccuracy = known('same-step');
  const sweep: { extraSteps: number; accuracy: number }[] = [];
  let recoveredWith: number | null = hardwareAccuracy >= sameStepAccuracy ? 0 : null;
  for (let k = 1; recoveredWith === null && k <= lag + 2; k++) {
    const accuracy = chipAccuracy(mapped, data, 'hardware', T + k);
    sweep.push({ extraSteps: k, accuracy });
    if (accuracy >= sameStepAccuracy) recoveredWith = k;
  }
  return { chipDelay, readoutLag: lag, timesteps: T, holdSteps: q.holdSteps ?? 0, hardwareAccuracy, sameStepAccuracy, sweep, recoveredWith };
}

export interface VerifyOptions {
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
  const info = inspectOnnx(model);
  const data = loadDataset(opts.dataset, { split: 'test', dataDir: opts.dataDir, limit: opts.samples });
  const n = data.count;
  const warnings: string[] = [];
  const compiled = compile(model, {
    target: opts.target, timesteps: opts.timesteps, calibrate: opts.calibrate, samples: opts.calibrateSamples, dataDir: opts.dataDir,
    hold: opts.hold, warn: (m) => warnings.push(m),
  });
  const chip = compiled.chip;
  const q = chip.placement.graph;
  const rows: VerifyRow[] = [];
  const predictions: Int32Array[] = [];

  const annPath = info.spiking ? opts.teacher : model;
  let annGraph;
  if (annPath) {
    const ann = await onnxRuntimeEvaluator(annPath, 'ann', data.shape);
    try {
      const p = await ann.predict(data.images, n);
      rows.push({ stage: 'ann', label: info.spiking ? 'ANN teacher' : 'ANN', engine: 'onnxruntime-node', accuracy: accuracyOf(p, data.labels, n) });
      predictions.push(p);
    } finally {
      await ann.dispose();
    }
    annGraph = importOnnxFile(annPath).graph;
  } else {
    warnings.push('spiking student without --teacher: no ANN row');
  }

  const floatPred = predict(runGraph(compiled.spikingGraph, data.images, n, { mode: 'snn', timesteps: q.timesteps, encoding: q.input.encoding, seed: q.input.seed }), n);
  rows.push({ stage: 'float-snn', label: 'float SNN (same-step)', engine: 'IR executor', accuracy: accuracyOf(floatPred, data.labels, n), steps: q.timesteps });
  predictions.push(floatPred);

  const sim = simulate(chip, data, {
    delay: opts.delay, checkReference: true,
    onProgress: opts.onProgress ? (done, total) => opts.onProgress!('mapped chip + fixed-point reference', done, total) : undefined,
  });
  opts.onProgress?.('delay study', 0, 1);
  const delay = sim.report.delay;
  // The chip runs the artifact as compiled: T plus its hold steps (the reference runs the same steps).
  const chipSteps = sim.report.timesteps;
  rows.push({ stage: 'quantized-snn', label: `quantized SNN (${delay})`, engine: 'fixed-point reference', accuracy: accuracyOf(sim.referencePredictions!, data.labels, n), steps: chipSteps });
  predictions.push(sim.referencePredictions!);
  rows.push({ stage: 'mapped-chip', label: `mapped chip (${delay})`, engine: `simulator, ${q.target.name}`, accuracy: sim.report.accuracy!, steps: chipSteps });
  predictions.push(sim.predictions);

  const agreement = predictions.map((a) => predictions.map((b) => agreementOf(a, b, n)));
  const identical = sim.report.referenceIdentical!;
  const delayAnalysis = analyseDelay(chip, data, delay, chipSteps === q.timesteps ? sim.report.accuracy! : undefined);
  const metrics = neuroBenchMetrics(q, sim.report);
  return {
    format: 'snnc-verify-report', version: 1, model, ...(opts.teacher ? { teacher: opts.teacher } : {}),
    target: q.target.name, dataset: data.name, samples: n, timesteps: q.timesteps, holdSteps: q.holdSteps ?? 0, chipSteps, delay, encoding: q.input.encoding,
    rows, agreement, bitIdentical: { identical, checked: n, all: identical === n }, delayAnalysis,
    metrics, energy: energyComparison(metrics, sim.report, q, annGraph), warnings: [...compiled.warnings.filter((w) => !warnings.includes(w)), ...warnings],
    sim: sim.report,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const joules = (j: number) => (j >= 1e-6 ? `${(j * 1e6).toFixed(3)} µJ` : `${(j * 1e9).toFixed(3)} nJ`);

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

export function formatVerifyReport(r: VerifyReport): string {
  const short = ['A', 'F', 'Q', 'C'];
  const keys = r.rows.map((row) => short[['ann', 'float-snn', 'quantized-snn', 'mapped-chip'].indexOf(row.stage)]);
  const lines = [
    `${r.model} on ${r.target}: ${r.samples} samples of ${r.dataset}, T=${r.timesteps}${r.holdSteps ? ` + ${r.holdSteps} hold steps = ${r.chipSteps} steps on the chip (input held)` : ''}, ${r.encoding} input, chip delay ${r.delay}`,
    '',
    table([
      ['', 'stage', 'engine', 'steps', 'accuracy', ...keys.map((k) => `agree ${k}`)],
      ...r.rows.map((row, i) => [keys[i], row.label, row.engine, row.steps !== undefined ? String(row.steps) : '–', pct(row.accuracy), ...r.agreement[i].map(pct)]),
    ]),
    '',
    `quantized SNN vs mapped chip: ${r.bitIdentical.all ? 'BIT-IDENTICAL' : 'DIFFERENT'} spike trains and readouts on ${r.bitIdentical.identical}/${r.bitIdentical.checked} samples`,
  ];
  const d = r.delayAnalysis;
  if (d.hardwareAccuracy !== d.sameStepAccuracy) {
    lines.push(`delay: hardware ${pct(d.hardwareAccuracy)} vs same-step ${pct(d.sameStepAccuracy)} at exactly T=${d.timesteps} steps (readout lags the input by ${d.readoutLag} step(s) on a delayed chip)`);
    lines.push(d.recoveredWith !== null
      ? `  ${d.recoveredWith} extra step(s) with the input held (T=${d.timesteps + d.recoveredWith}) recover the same-step accuracy: ${d.sweep.map((s) => `T+${s.extraSteps} ${pct(s.accuracy)}`).join(', ')}`
      : `  not recovered within ${d.readoutLag + 2} extra steps: ${d.sweep.map((s) => `T+${s.extraSteps} ${pct(s.accuracy)}`).join(', ')}`);
    lines.push(d.holdSteps > 0
      ? `  the compiled artifact holds the input ${d.holdSteps} step(s) (T+${d.holdSteps}): the chip row above ran that`
      : `  the compiled artifact has no hold steps (--hold none or a same-step target): the chip row ran T=${d.timesteps}`);
  } else {
    lines.push(`delay: hardware and same-step delivery give the same accuracy (${pct(d.hardwareAccuracy)}) at T=${d.timesteps}; readout lag ${d.readoutLag} step(s)`);
  }
  const m = r.metrics;
  const e = r.energy;
  lines.push(
    '',
    'NeuroBench metrics (per inference, mapped chip):',
    `  effective synaptic ops  ${m.effectiveSynapticOps.total.toFixed(0)} (${m.effectiveSynapticOps.acs.toFixed(0)} ACs + ${m.effectiveSynapticOps.macs.toFixed(0)} MACs); dense (every connection) ${m.denseSynapticOps.toFixed(0)}`,
    `  activation sparsity     ${m.activationSparsity.toFixed(4)}   connection sparsity ${m.connectionSparsity.toFixed(4)}   footprint ${m.footprintBytes} bytes   membrane updates ${m.membraneUpdates.toFixed(0)}`,
    `energy per inference: ${e.annMacs !== undefined ? `ANN ${e.annMacs} MACs × 4.6 pJ = ${joules(e.annHorowitzJ!)}; ` : ''}SNN ACs × 0.9 pJ (+ MACs × 4.6 pJ) = ${joules(e.snnHorowitzJ)} (Horowitz 45 nm); on ${e.target}: synaptic ${joules(e.snnTargetSynapticJ)}, total ${joules(e.snnTargetTotalJ)}`,
  );
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}

export const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify <model>',
  describe: 'compare the ANN, float SNN, quantized SNN and mapped chip on the same samples; exit 1 unless quantized and mapped are bit-identical',
  builder: (y) => y
    .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model: an ANN (converted) or a spiking student' })
    .option('target', { type: 'string', default: 'loihi-like', describe: 'chip target (shipped name or JSON path)' })
    .option('dataset', { type: 'string', default: 'mnist', describe: `evaluation data set, test split (${DATASET_SPECS.join(', ')})` })
    .option('data-dir', { type: 'string', describe: 'folder of the data files' })
    .option('samples', { type: 'number', default: 1000, describe: `test samples ${rangeHint('samples')}` })
    .option('timesteps', { type: 'number', describe: `time steps ${rangeHint('timesteps')} (default: the model's, or the compiler's for ANNs)` })
    .option('calibrate', { type: 'string', describe: "calibration data set for ANN conversion (training split), or 'none'; default as for snnc compile" })
    .option('calibrate-samples', { type: 'number', default: 256, describe: `calibration samples ${rangeHint('samples')}` })
    .option('teacher', { type: 'string', describe: 'the ANN teacher of a spiking student (its ANN row)' })
    .option('delay', { choices: ['hardware', 'same-step'] as const, describe: "chip spike delivery (default the target's own)" })
    .option('hold', { type: 'string', default: 'auto', describe: 'compile with this many steps after T with the input held: auto (the readout lag on a delayed target), none, or a number' })
    .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' })
    .option('out', { alias: 'o', type: 'string', describe: 'also write the JSON report to this file' })
    .example('$0 verify lenet.onnx --target loihi-like --dataset mnist --samples 1000 --calibrate mnist', 'ANN, float SNN, quantized SNN and chip accuracies with pairwise agreement')
    .example('$0 verify student.onnx --teacher teacher.onnx --target loihi-like --timesteps 4', 'a spiking student: the teacher is the ANN row')
    .example('$0 verify student.onnx --target loihi-like --hold none', 'the chip runs exactly T steps: shows what the delayed readout costs')
    .example('$0 verify model.onnx --dataset idx:imgs.idx,labels.idx --samples 500 --json', 'any data set the trainer accepts, as JSON'),
  handler: async (argv) => {
    const targetFile = /[/\\]|\.json$/i.test(argv.target) ? argv.target : undefined;
    guardOutputs([argv.model, argv.teacher, targetFile, ...datasetFiles(argv.dataset, argv['data-dir']), ...(argv.calibrate ? datasetFiles(argv.calibrate, argv['data-dir']) : [])], [['--out', argv.out]]);
    const bar = !argv.json && process.stderr.isTTY
      ? new cliProgress.SingleBar({ stream: process.stderr, format: '{stage} {bar} {value}/{total}' }, cliProgress.Presets.shades_classic)
      : undefined;
    let started = false;
    let report: VerifyReport;
    try {
      report = await verifyModel(argv.model, {
        target: argv.target, dataset: argv.dataset, dataDir: argv['data-dir'], samples: argv.samples, timesteps: argv.timesteps,
        calibrate: argv.calibrate, calibrateSamples: argv['calibrate-samples'], teacher: argv.teacher, delay: argv.delay, hold: parseHold(String(argv.hold)),
        onProgress: bar ? (stage, done, total) => {
          if (!started) { bar.start(total, done, { stage }); started = true; }
          else if (done % 20 === 0 || done === total) { bar.setTotal(total); bar.update(done, { stage }); }
        } : undefined,
      });
    } finally {
      bar?.stop();
    }
    if (argv.out) writeFileAtomic(argv.out, `${JSON.stringify(report, null, 2)}\n`);
    out(argv.json ? `${JSON.stringify(report, null, 2)}\n` : formatVerifyReport(report));
    if (!report.bitIdentical.all) process.exitCode = 1;
  },
};
