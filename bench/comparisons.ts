/**
 * `npm run experiments:compare -- --dataset mnist|fashion-mnist`: the paper's comparisons on one data set.
 * A response-KD student and a directly trained student (same arch, T, seed, data, epochs); the teacher
 * converted ANN→SNN at T = 4, 8, 32 beside the KD student at T = 4 (float accuracy, simulator SOPs per
 * inference); wall time and peak memory of each; noise robustness of teacher, KD and direct students.
 * Writes bench/results/results.compare-<dataset>.json, then re-renders docs/results.md through
 * `experiments --merge` (which keeps every other section).
 *
 * Every costed step runs in a child process of this script (`--step FILE.json`) so its peak RSS is its own:
 * a process's maximum resident set never goes down.
 */
import { mkdtempSync, readFileSync, copyFileSync, existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { writeFileAtomic } from '../src/util/fs.js';
import { runStudentTraining, runTeacherTraining, loadSplits } from '../src/train/run.js';
import type { KdMode } from '../src/train/trainer.js';
import { compile } from '../compiler/index.js';
import { simulate } from '../simulator/index.js';
import { runGraph, accuracy } from '../src/ir/execute.js';
import { take } from '../src/data/dataset.js';
import { DEFAULT_NOISE } from '../src/data/noise.js';
import { loadModelEvaluators } from '../src/report/models.js';
import { evaluateRobustness } from '../src/report/robustness.js';
import type { ComparePart, ConversionRow, StepCost, TrainingRow } from './comparisons-render.js';

interface Plan {
  dataset: string;
  teacher: { arch: string; epochs: number; shipped?: string };
  student: string;
  epochs: number;
  trainLimit?: number;
  testLimit?: number;
  seed: number;
}

const env = (k: string, d: number) => Number(process.env[k] ?? d);
const PLANS: Record<string, Plan> = {
  mnist: { dataset: 'mnist', teacher: { arch: 'lenet', epochs: 3, shipped: 'src/assets/mnist-lenet-teacher.onnx' }, student: 'cnn', epochs: env('CMP_MNIST_EPOCHS', 2),
    trainLimit: process.env.CMP_MNIST_TRAIN ? env('CMP_MNIST_TRAIN', 0) : undefined, testLimit: process.env.CMP_MNIST_TEST ? env('CMP_MNIST_TEST', 0) : undefined, seed: 1 },
  'fashion-mnist': {
    dataset: 'fashion-mnist', teacher: { arch: 'lenet', epochs: env('CMP_FASHION_TEACHER_EPOCHS', 2) }, student: 'cnn',
    epochs: env('CMP_FASHION_EPOCHS', 1), trainLimit: env('CMP_FASHION_TRAIN', 12000), testLimit: env('CMP_FASHION_TEST', 2000), seed: 1,
  },
};
const TARGET = 'loihi-like';
const CALIBRATION = 256;
const CONVERT_T = [4, 8, 32];
const STUDENT_T = 4;
const SIM_SAMPLES = env('CMP_SIM_SAMPLES', 200);
const ROBUST_SAMPLES = env('CMP_ROBUST_SAMPLES', 500);

/** A step the parent hands to a child process. */
type Step =
  | { kind: 'teacher'; plan: Plan; output: string }
  | { kind: 'student'; plan: Plan; teacher: string; kd: KdMode; output: string }
  | { kind: 'compile'; plan: Plan; model: string; timesteps: number; label: ConversionRow['model'] };

const peakMB = () => process.resourceUsage().maxRSS / 1024;

async function runStep(step: Step): Promise<unknown> {
  const p = step.plan;
  if (step.kind === 'teacher') {
    const t0 = performance.now();
    const r = await runTeacherTraining({
      dataset: p.dataset, output: step.output, trainLimit: p.trainLimit, testLimit: p.testLimit, quiet: false,
      config: { arch: p.teacher.arch, epochs: p.teacher.epochs, batchSize: 64, learningRate: 2e-3, seed: p.seed },
    });
    return { testAccuracy: r.testAccuracy, cost: { seconds: (performance.now() - t0) / 1000, peakRssMB: peakMB() } };
  }
  if (step.kind === 'student') {
    const t0 = performance.now();
    const r = await runStudentTraining({
      teacher: step.kd === 'none' ? undefined : step.teacher, dataset: p.dataset, output: step.output,
      trainLimit: p.trainLimit, testLimit: p.testLimit, quiet: false,
      config: { student: p.student, kd: step.kd, timesteps: STUDENT_T, epochs: p.epochs, seed: p.seed },
    });
    const cost: StepCost = { seconds: (performance.now() - t0) / 1000, peakRssMB: peakMB() };
    const h = r.result.history;
    return {
      testAccuracy: r.result.testAccuracy, epochs: h.length, testSamples: r.roundTrip?.total ?? 0,
      trainSamples: Math.round(h[0].samplesPerSecond * h[0].seconds), cost,
    };
  }
  // compile: for the ANN teacher this is the ANN→SNN conversion; a spiking student passes through it.
  const { test } = loadSplits(p.dataset, undefined, undefined, p.testLimit);
  const t0 = performance.now();
  const c = compile(step.model, { target: TARGET, timesteps: step.timesteps, calibrate: p.dataset, samples: CALIBRATION });
  const cost: StepCost = { seconds: (performance.now() - t0) / 1000, peakRssMB: peakMB() };
  const logits = runGraph(c.spikingGraph, test.images, test.count, { mode: 'snn', timesteps: step.timesteps });
  const floatAccuracy = accuracy(logits, test.labels, test.count);
  process.stderr.write(`${step.label} T=${step.timesteps}: float ${(100 * floatAccuracy).toFixed(2)} %; simulating ${SIM_SAMPLES} samples\n`);
  const s = simulate(c.chip, take(test, SIM_SAMPLES));
  const row: ConversionRow = {
    model: step.label, timesteps: step.timesteps, floatAccuracy, testSamples: test.count,
    simAccuracy: s.report.accuracy ?? Number.NaN, simSamples: s.predictions.length, simSteps: s.report.timesteps,
    synapticEventsPerInference: s.report.perInference.synapticEvents,
    effectiveSopsPerInference: s.report.perInference.effectiveSynapticOps, compile: cost,
  };
  return row;
}

const self = fileURLToPath(import.meta.url);
const root = resolve(dirname(self), '../..');
const results = join(root, 'bench', 'results');
const args = process.argv.slice(2);
const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);

/** Runs one step in a fresh Node process and returns what it wrote. */
function inChild<T>(work: string, step: Step): T {
  const file = join(work, `step-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  writeFileAtomic(file, JSON.stringify(step));
  execFileSync(process.execPath, [self, '--step', file], { stdio: ['ignore', 'inherit', 'inherit'] });
  return JSON.parse(readFileSync(`${file}.out`, 'utf8')) as T;
}

async function runPlan(plan: Plan): Promise<ComparePart> {
  const started = new Date().toISOString();
  const work = mkdtempSync(join(tmpdir(), `snnc-cmp-${plan.dataset}-`));
  const teacher = join(work, 'teacher.onnx');
  const training: TrainingRow[] = [];
  let teacherAccuracy = Number.NaN;
  const teacherCmd = `snnc train-teacher --arch ${plan.teacher.arch} --dataset ${plan.dataset} --epochs ${plan.teacher.epochs} --lr 0.002 --seed ${plan.seed}${plan.trainLimit ? ` --train-limit ${plan.trainLimit}` : ''} -o teacher.onnx`;
  if (plan.teacher.shipped && existsSync(resolve(root, plan.teacher.shipped))) {
    copyFileSync(resolve(root, plan.teacher.shipped), teacher);
  } else {
    process.stderr.write(`\n== ${plan.dataset}: teacher ${plan.teacher.arch}, ${plan.teacher.epochs} epochs\n`);
    const t = inChild<{ testAccuracy: number; cost: StepCost }>(work, { kind: 'teacher', plan, output: teacher });
    teacherAccuracy = t.testAccuracy;
    training.push({ what: `ANN teacher ${plan.teacher.arch}`, kd: 'ANN', epochs: plan.teacher.epochs, trainSamples: plan.trainLimit ?? 0, testSamples: plan.testLimit ?? 0, testAccuracy: t.testAccuracy, cost: t.cost });
  }
  const students: Record<string, string> = {};
  for (const kd of ['response', 'none'] as KdMode[]) {
    const output = join(work, kd === 'none' ? 'direct-student.onnx' : 'kd-student.onnx');
    process.stderr.write(`\n== ${plan.dataset}: ${plan.student} student, kd ${kd}, T=${STUDENT_T}, ${plan.epochs} epochs\n`);
    const r = inChild<Omit<TrainingRow, 'what' | 'kd'>>(work, { kind: 'student', plan, teacher, kd, output });
    training.push({ what: `spiking ${plan.student} student`, kd: kd === 'none' ? 'direct, no KD' : 'response KD', ...r });
    students[kd] = output;
  }
  const conversion: ConversionRow[] = [];
  for (const T of CONVERT_T) {
    process.stderr.write(`\n== ${plan.dataset}: teacher ANN→SNN at T=${T}\n`);
    conversion.push(inChild<ConversionRow>(work, { kind: 'compile', plan, model: teacher, timesteps: T, label: 'teacher (converted)' }));
  }
  conversion.push(inChild<ConversionRow>(work, { kind: 'compile', plan, model: students.response, timesteps: STUDENT_T, label: 'KD student' }));

  process.stderr.write(`\n== ${plan.dataset}: robustness, first ${ROBUST_SAMPLES} test samples\n`);
  const { test } = loadSplits(plan.dataset, undefined, undefined, plan.testLimit);
  if (Number.isNaN(teacherAccuracy)) {
    // the shipped teacher: measured here on the same test samples as the students
    const [ann] = await loadModelEvaluators([teacher], { sampleShape: test.shape });
    const pred = await ann.predict(test.images, test.count);
    teacherAccuracy = pred.reduce((a, y, i) => a + (y === test.labels[i] ? 1 : 0), 0) / test.count;
    await ann.dispose();
  }
  const data = take(test, ROBUST_SAMPLES);
  const models = await loadModelEvaluators([teacher, students.response, students.none], { sampleShape: data.shape, timesteps: STUDENT_T, seed: plan.seed });
  let robustness;
  try {
    robustness = await evaluateRobustness(models, data, { datasetSpec: plan.dataset, split: 'test', seed: 1, noise: DEFAULT_NOISE });
  } finally {
    await Promise.all(models.map((m) => m.dispose()));
  }
  return {
    dataset: plan.dataset, seed: plan.seed, student: plan.student,
    teacher: { arch: plan.teacher.arch, file: plan.teacher.shipped ?? '(trained by this run, temporary)', testAccuracy: teacherAccuracy, command: teacherCmd },
    target: TARGET, calibrationSamples: CALIBRATION, training, conversion, robustness,
    started, finished: new Date().toISOString(), loadAverage: loadavg(), cores: cpus().length,
    command: `npm run experiments:compare -- --dataset ${plan.dataset}`,
  };
}

const stepFile = arg('--step');
if (stepFile) {
  const out = await runStep(JSON.parse(readFileSync(stepFile, 'utf8')) as Step);
  writeFileAtomic(`${stepFile}.out`, JSON.stringify(out));
} else {
  const dataset = arg('--dataset') ?? 'mnist';
  const plan = PLANS[dataset];
  if (!plan) throw new Error(`--dataset: one of ${Object.keys(PLANS).join(', ')}`);
  const part = await runPlan(plan);
  writeFileAtomic(join(results, `results.compare-${dataset}.json`), `${JSON.stringify(part, null, 2)}\n`);
  execFileSync(process.execPath, [join(dirname(self), 'experiments.js'), '--merge'], { stdio: 'inherit' });
}
