/**
 * The Markdown of the comparison part of the experiments (`npm run experiments:compare`): KD vs direct
 * training vs ANN→SNN conversion, and their noise robustness. Kept apart from the runner so that
 * bench/experiments.ts can render stored parts without running anything.
 */
import { robustnessMarkdownTable, formatPercent, type RobustnessReport } from '../src/report/robustness.js';
import { markdownTable } from '../src/report/format.js';

/** Wall time and peak resident memory of one step, each measured in its own child process. */
export interface StepCost {
  /** Wall seconds of the step itself (training, or conversion = compile with calibration). */
  seconds: number;
  /** Peak RSS of the child process at the end of the step, MB (Node and the data set included). */
  peakRssMB: number;
}

/** One row of the conversion table: the teacher converted at T, or the KD student at T = 4. */
export interface ConversionRow {
  model: 'teacher (converted)' | 'KD student';
  timesteps: number;
  /** Accuracy of the float SNN (reference executor) on `testSamples` test samples. */
  floatAccuracy: number;
  testSamples: number;
  /** Simulator on the target, first `simSamples` test samples. */
  simAccuracy: number;
  simSamples: number;
  /** Steps the simulator ran per sample: T plus the hold steps the target's spike delays need. */
  simSteps: number;
  synapticEventsPerInference: number;
  effectiveSopsPerInference: number;
  /** Compile cost: for the teacher this is the ANN→SNN conversion (calibration, thresholds) plus mapping. */
  compile: StepCost;
}

/** Training of one student (or the teacher) and its test accuracy. */
export interface TrainingRow {
  what: string;
  kd: string;
  epochs: number;
  trainSamples: number;
  testSamples: number;
  testAccuracy: number;
  cost: StepCost;
}

/** bench/results/results.compare-<dataset>.json */
export interface ComparePart {
  dataset: string;
  seed: number;
  student: string;
  teacher: { arch: string; file: string; testAccuracy: number; command: string };
  target: string;
  calibrationSamples: number;
  training: TrainingRow[];
  conversion: ConversionRow[];
  robustness: RobustnessReport;
  started: string;
  finished: string;
  loadAverage: number[];
  cores: number;
  command: string;
}

function mb(x: number): string { return `${Math.round(x)} MB`; }
function sec(x: number): string { return `${x.toFixed(1)} s`; }
function sops(x: number): string { return Math.round(x).toLocaleString('en-US'); }

/** The section of one data set (a `##` heading and its tables). */
export function renderComparison(p: ComparePart): string {
  const L: string[] = [];
  L.push(`## KD vs direct training vs conversion — ${p.dataset}`);
  L.push('');
  L.push(`Written by \`${p.command}\` (bench/comparisons.ts). Ran ${p.started} → ${p.finished}; load average at the end ${p.loadAverage.map((x) => x.toFixed(1)).join(' / ')} on ${p.cores} cores. The machine was shared with other engineers' jobs: times are pessimistic and noisy.`);
  L.push(`Teacher: ${p.teacher.arch} ANN, ${p.teacher.file}, test accuracy ${formatPercent(p.teacher.testAccuracy)} (\`${p.teacher.command}\`). Students: spiking ${p.student}, T = 4, seed ${p.seed}, the same data and epochs with response KD (z-scored logits, the default of \`snnc train\`) and without KD (\`--kd none\`).`);
  L.push('');
  L.push('### Training time and peak memory');
  L.push('');
  L.push('Each step runs in its own child process; peak RSS is that process\'s maximum resident set (Node, tfjs and the data set included). Conversion = `compile` with data-based thresholds from ' +
    `${p.calibrationSamples} calibration samples (training split), including mapping onto ${p.target}. Neither KD nor conversion counts the teacher's own training, which both need` +
    (p.training.some((t) => t.kd === 'ANN') ? ' (its row is given for reference).' : ` (the shipped teacher was not retrained by this run).`));
  L.push('');
  const conv = p.conversion.filter((r) => r.model === 'teacher (converted)');
  L.push(markdownTable(
    ['method', 'epochs', 'train samples', 'test accuracy', 'test samples', 'wall time', 'peak RSS'],
    [
      ...p.training.map((t) => [t.kd === 'ANN' ? t.what : `${t.what} (${t.kd})`, String(t.epochs), String(t.trainSamples), formatPercent(t.testAccuracy), String(t.testSamples), sec(t.cost.seconds), mb(t.cost.peakRssMB)]),
      ...conv.map((c) => [`ANN→SNN conversion, T = ${c.timesteps}`, '–', `${p.calibrationSamples} (calibration)`, formatPercent(c.floatAccuracy), String(c.testSamples), sec(c.compile.seconds), mb(c.compile.peakRssMB)]),
    ],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
  ));
  L.push('');
  L.push('### Conversion at T = 4, 8, 32 beside the KD student at T = 4');
  L.push('');
  const sim = p.conversion[0]?.simSamples ?? 0;
  L.push(`Float accuracy: the converted (or trained) spiking graph run by the float reference executor on the test samples given. Simulator accuracy and SOPs per inference: the cycle-level simulator on ${p.target}, first ${sim} test samples only (synaptic events = spikes × fan-out delivered; effective SOPs = events on non-zero weights; the simulated steps are T plus the hold steps the target's spike delays need, with the input held, and the SOPs count them all).`);
  L.push('');
  L.push(markdownTable(
    ['model', 'T', 'simulated steps', 'float accuracy', 'test samples', `simulator accuracy (${sim})`, 'synaptic events / inference', 'effective SOPs / inference'],
    p.conversion.map((c) => [c.model, String(c.timesteps), String(c.simSteps), formatPercent(c.floatAccuracy), String(c.testSamples), formatPercent(c.simAccuracy), sops(c.synapticEventsPerInference), sops(c.effectiveSopsPerInference)]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  ));
  L.push('');
  const r = p.robustness;
  L.push(`### Noise robustness (${r.split} split, first ${r.samples} samples, noise seed ${r.seed})`);
  L.push('');
  L.push('The same perturbed images for every model (`snnc robustness` code path, default noise sweep); the teacher runs in onnxruntime-node, the students (T = 4) in the float reference executor.');
  L.push('');
  L.push(robustnessMarkdownTable(r));
  L.push('');
  const mean = (id: string) => {
    const e = r.results.filter((x) => x.model === id && x.noise !== 'clean');
    return e.length ? e.reduce((a, x) => a + x.accuracy, 0) / e.length : Number.NaN;
  };
  L.push(`Mean accuracy over the noisy conditions: ${r.models.map((m) => `${m.id} ${formatPercent(mean(m.id))}`).join(', ')}.`);
  L.push('');
  return L.join('\n');
}

/** What the results page says for a data set whose comparison has not been run. */
export function renderComparisonMissing(dataset: string): string {
  return [
    `## KD vs direct training vs conversion — ${dataset}`,
    '',
    `Not run yet. To run it: \`npm run experiments:compare -- --dataset ${dataset}\` (writes bench/results/results.compare-${dataset}.json and re-renders this page).`,
    '',
  ].join('\n');
}
