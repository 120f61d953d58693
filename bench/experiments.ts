/**
 * `npm run experiments`: the evidence of issue 8, written to docs/results.md (runs stored in bench/results/).
 * For each data set: train an ANN teacher (`train-teacher`), then spiking students of another architecture
 * without KD and with response, feature and both KD, at T = 4 and T = 2, with the same seed.
 *
 *   node dist/bench/experiments.js [--only mnist|fashion-mnist-t4|fashion-mnist-t2] [--merge]
 *
 * `--only LABEL` runs one part (mnist, fashion-mnist-t4, fashion-mnist-t2) and stores it in bench/results/results.<label>.json
 * (parts can run side by side); `--merge` (or a full run) renders every stored part into docs/results.md. Sizes (epochs, training
 * subset) are in PLANS below and recorded in the output; nothing in the Markdown is typed by hand.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/util/fs.js';
import { formatPercent } from '../src/report/robustness.js';
import { runStudentTraining, runTeacherTraining } from '../src/train/run.js';
import { DEFAULT_CONFIG, usesFeatureLoss, usesResponseLoss, type KdMode, type TrainConfig } from '../src/train/trainer.js';
import { renderComparison, renderComparisonMissing, type ComparePart } from './comparisons-render.js';

interface Plan {
  /** Part name (bench/results/results.<label>.json); defaults to the data set. Parts of one data set share one table. */
  label?: string;
  /** Time steps this part runs (all four KD modes at each). */
  timesteps: number[];
  dataset: string;
  /** The teacher: trained by the first part of its data set, cached in the work folder, reused by the others. */
  teacher: { arch: string; epochs: number };
  student: string;
  epochs: number;
  trainLimit?: number;
  /** Students train on only the first N training samples (the teacher still on the whole split): KD with few labels. */
  studentTrainLimit?: number;
  testLimit?: number;
  /** The students' seed (initialisation and batch order). */
  seed: number;
  /** The teacher's seed (default 1): every seed of a data set distils the same teacher. */
  teacherSeed?: number;
  /** KD modes this part runs (default all four). */
  kds?: KdMode[];
  /** Response KD on z-scored logits (the default of `snnc train`); false: on raw logits (`--no-kd-standardize`). */
  kdStandardize?: boolean;
  /** Response KD weight α and temperature τ when not the defaults (0.5, 4). */
  alpha?: number;
  tau?: number;
  /** Feature KD's target and β schedule when not `snnc train`'s defaults. */
  featureNorm?: TrainConfig['featureNorm'];
  betaSchedule?: TrainConfig['betaSchedule'];
  /** Feature KD's teacher tensors, comma-separated, when not the deepest ReLU map. */
  teacherFeatures?: string;
  /** Feature KD's weight β when not 1. */
  beta?: number;
}

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
// MNIST: the embedded 8,004/1,996 split. Fashion-MNIST: the full 60,000/10,000 Debian files. Each data set is
// split by time steps so that its two parts can run side by side on the two cores.
const PLANS: Plan[] = [
  // MNIST: a VGG-style teacher. The LeNet teacher (98.35 % after 10 epochs) was barely above the directly trained
  // student (98.05 %), and distilling it lowered the student's accuracy (97.55 % with τ = 4, 97.65 % with τ = 2).
  { label: 'mnist', timesteps: [4, 2], dataset: 'mnist', teacher: { arch: process.env.EXP_MNIST_TEACHER ?? 'vgg', epochs: env('EXP_MNIST_TEACHER_EPOCHS', 10) }, student: 'cnn', epochs: env('EXP_MNIST_EPOCHS', 8), seed: 1 },
  ...[4, 2].map((T): Plan => ({
    label: `fashion-mnist-t${T}`, timesteps: [T], dataset: 'fashion-mnist',
    teacher: { arch: 'lenet', epochs: env('EXP_FASHION_TEACHER_EPOCHS', 6) }, student: 'cnn',
    epochs: env('EXP_FASHION_EPOCHS', 4), trainLimit: process.env.EXP_FASHION_TRAIN ? Number(process.env.EXP_FASHION_TRAIN) : undefined,
    testLimit: process.env.EXP_FASHION_TEST ? Number(process.env.EXP_FASHION_TEST) : undefined, seed: 1,
  })),
];
// MNIST and Fashion-MNIST again with logit-standardised response KD (Sun et al., CVPR 2024) for the two modes it changes: Hinton's
// loss asks this small student to reach the teacher's logit magnitudes, and lowered its accuracy above.
PLANS.push({ ...PLANS[0], label: 'mnist-std', kds: ['response', 'both'], kdStandardize: true });
// T = 4 in two parts (one KD mode each) so that they run side by side.
PLANS.push({ ...PLANS[1], label: 'fashion-mnist-std-t4-response', kds: ['response'], kdStandardize: true });
PLANS.push({ ...PLANS[1], label: 'fashion-mnist-std-t4-both', kds: ['both'], kdStandardize: true });
PLANS.push({ ...PLANS[2], label: 'fashion-mnist-std-t2', kds: ['response', 'both'], kdStandardize: true });
// More student seeds at T = 4 (same teachers): the seed-1 differences there were a tenth of a point or two, within
// what the seed alone moves. Fashion-MNIST in two parts per seed (two KD modes each) that run side by side.
for (const seed of [2, 3]) {
  PLANS.push({ ...PLANS[0], label: `mnist-t4-s${seed}`, timesteps: [4], seed, teacherSeed: 1, kdStandardize: true });
  PLANS.push({ ...PLANS[1], label: `fashion-mnist-t4-s${seed}-a`, kds: ['none', 'response'], seed, teacherSeed: 1, kdStandardize: true });
  PLANS.push({ ...PLANS[1], label: `fashion-mnist-t4-s${seed}-b`, kds: ['feature', 'both'], seed, teacherSeed: 1, kdStandardize: true });
}
// MNIST response and both KD with α = 0.9, τ = 2: the best of a sweep on a validation split (the last 1,600 training
// digits held out, `snnc train --validation 1600`; the test split unread): docs/kd-sweep.md, `npm run experiments:kd-sweep`.
for (const seed of [1, 2, 3]) {
  PLANS.push({ ...PLANS[0], label: `mnist-a09-t2-s${seed}`, timesteps: seed === 1 ? [4, 2] : [4], kds: ['response', 'both'], seed, teacherSeed: 1, kdStandardize: true, alpha: 0.9, tau: 2 });
}
// Every 16-epoch MNIST plan: the same teacher, z-scored response KD, T = 4 unless it says.
const mnistE16: Plan = { ...PLANS[0], timesteps: [4], epochs: 16, seed: 1, teacherSeed: 1, kdStandardize: true };
// MNIST with twice the epochs (16), T = 4: does KD's regularisation matter once the student fits its training digits
// (99.3 % after 8 epochs against 98.1 % on the test split)? Ten seeds: 4 and 5 were added when three left differences
// of a digit or two; 6 to 10 when five left feature KD 0.03 pt ± 0.06 below no KD, a difference smaller than its
// standard error (this plan was committed before any of their results came in). The ten are the estimate, whichever
// way the added seeds go. Seeds 6–10 in two parts each (no KD and feature KD, response and both) that run side by side.
for (const seed of [1, 2, 3, 4, 5]) {
  PLANS.push({ ...mnistE16, label: `mnist-e16-s${seed}`, seed });
}
for (const seed of [6, 7, 8, 9, 10]) {
  PLANS.push({ ...mnistE16, label: `mnist-e16-s${seed}-a`, kds: ['none', 'feature'], seed });
  PLANS.push({ ...mnistE16, label: `mnist-e16-s${seed}-b`, kds: ['response', 'both'], seed });
}
// Feature KD with the best variants of the validation sweep (docs/feature-sweep.md: the teacher map standardised channel
// by channel, β decayed with the learning rate; then the same on the teacher's pre-ReLU map conv4), on the test split,
// beside the default rows.
for (const seed of [1, 2, 3, 4, 5]) {
  PLANS.push({ ...mnistE16, label: `mnist-e16-fcc-s${seed}`, kds: ['feature'], seed, featureNorm: 'channel', betaSchedule: 'cosine' });
  PLANS.push({ ...mnistE16, label: `mnist-e16-fpre-s${seed}`, kds: ['feature'], seed, featureNorm: 'channel', betaSchedule: 'cosine', teacherFeatures: 'conv4' });
}
// The standardised map with cosine β from β = 0.1: the best of the validation sweep once β was swept (+0.19 pt there).
for (const seed of [1, 2, 3, 4, 5]) {
  PLANS.push({ ...mnistE16, label: `mnist-e16-fcc01-s${seed}`, kds: ['feature'], seed, featureNorm: 'channel', betaSchedule: 'cosine', beta: 0.1 });
}
// T = 2 on the same schedule, the same five seeds.
for (const seed of [1, 2, 3, 4, 5]) {
  PLANS.push({ ...mnistE16, label: `mnist-e16-t2-s${seed}`, timesteps: [2], seed });
}
// The fewer-label students again with longer schedules: at the full split's epoch count they see a quarter (MNIST) or a
// sixth (Fashion-MNIST) of the optimisation steps and end under-fitted (training accuracy 96–98 % and 88–89 %), where
// KD's extra targets mostly slow the fit. MNIST 2,000 for 32 epochs (the steps of 8 epochs on 8,004); Fashion-MNIST
// 10,000 for 12 epochs. One part per seed and T (MNIST) or per seed and pair of modes (Fashion-MNIST).
for (const seed of [1, 2, 3]) {
  for (const T of [4, 2]) {
    PLANS.push({ ...PLANS[0], label: `mnist-n2000-e32-t${T}-s${seed}`, timesteps: [T], epochs: 32, studentTrainLimit: 2000, seed, teacherSeed: 1, kdStandardize: true });
  }
}
for (const seed of [1, 2]) {
  PLANS.push({ ...PLANS[1], label: `fashion-mnist-n10000-e12-s${seed}-a`, kds: ['none', 'feature'], epochs: 12, studentTrainLimit: 10000, seed, teacherSeed: 1, kdStandardize: true });
  PLANS.push({ ...PLANS[1], label: `fashion-mnist-n10000-e12-s${seed}-b`, kds: ['response', 'both'], epochs: 12, studentTrainLimit: 10000, seed, teacherSeed: 1, kdStandardize: true });
}
// Fewer labelled samples for the student (the same teachers, trained on the whole split): the regime where the
// teacher's soft labels carry most. MNIST: the first 2,000 of the 8,004 training digits, T = 4 and 2, three seeds.
// Fashion-MNIST: the first 10,000 of 60,000, T = 4, two seeds. The full split's epoch count (superseded by the longer
// schedules above). Each seed in two parts: no KD and feature KD ('-a'), response and both ('-b').
for (const seed of [1, 2, 3]) {
  PLANS.push({ ...PLANS[0], label: `mnist-n2000-s${seed}-a`, kds: ['none', 'feature'], studentTrainLimit: 2000, seed, teacherSeed: 1, kdStandardize: true });
  PLANS.push({ ...PLANS[0], label: `mnist-n2000-s${seed}-b`, kds: ['response', 'both'], studentTrainLimit: 2000, seed, teacherSeed: 1, kdStandardize: true });
}
for (const seed of [1, 2]) {
  PLANS.push({ ...PLANS[1], label: `fashion-mnist-n10000-t4-s${seed}-a`, kds: ['none', 'feature'], studentTrainLimit: 10000, seed, teacherSeed: 1, kdStandardize: true });
  PLANS.push({ ...PLANS[1], label: `fashion-mnist-n10000-t4-s${seed}-b`, kds: ['response', 'both'], studentTrainLimit: 10000, seed, teacherSeed: 1, kdStandardize: true });
}
const KDS: KdMode[] = ['none', 'response', 'feature', 'both'];
const TIMESTEPS = [4, 2];

interface RunRow {
  /** Present and true for response KD on z-scored logits. */
  standardized?: boolean;
  /** The student's seed (absent in parts written before seeds varied: the part's seed). */
  seed?: number;
  /** Response KD α and τ when not the defaults (0.5, 4). */
  alpha?: number;
  tau?: number;
  /** Feature KD's target and β schedule (absent in parts written before they were options: raw map, constant β). */
  featureNorm?: TrainConfig['featureNorm'];
  betaSchedule?: TrainConfig['betaSchedule'];
  /** Feature KD's teacher tensor when not the deepest ReLU map. */
  teacherFeatures?: string;
  /** Feature KD's weight β when not 1. */
  beta?: number;
  kd: KdMode; timesteps: number; testAccuracy: number; parameters: number; secondsPerEpoch: number;
  samplesPerSecond: number; epochs: number; executorAgreement: string; peakRssMB: number;
}
interface Part {
  label?: string;
  dataset: string; seed: number; epochs: number; trainSamples: number; testSamples: number;
  teacher: { arch: string; file: string; testAccuracy: number; parameters: number; epochs: number; command: string };
  student: string; runs: RunRow[]; started: string; finished: string; loadAverage: number[]; cores: number;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const docs = join(root, 'docs');
/** Stored runs (the lab notebook behind docs/results.md). */
const results = join(root, 'bench', 'results');
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const mergeOnly = args.includes('--merge');

const teacherCache = join(tmpdir(), 'snnc-exp-teachers');

function teacherSeedOf(plan: Plan): number {
  return plan.teacherSeed ?? plan.seed;
}

/**
 * The plan's teacher: trained once per (data set, arch, epochs, seed, subset) and cached with its measured
 * accuracy, so that the other part of the data set (running at the same time in another process) reuses it.
 */
async function teacherFor(plan: Plan): Promise<{ file: string; testAccuracy: number; parameters: number }> {
  mkdirSync(teacherCache, { recursive: true });
  const teacherSeed = teacherSeedOf(plan);
  const base = join(teacherCache, `${plan.dataset}-${plan.teacher.arch}-e${plan.teacher.epochs}-s${teacherSeed}-n${plan.trainLimit ?? 'all'}-t${plan.testLimit ?? 'all'}`);
  const file = `${base}.onnx`, meta = `${base}.json`, lock = `${base}.lock`;
  for (;;) {
    if (existsSync(meta)) return { file, ...(JSON.parse(readFileSync(meta, 'utf8')) as { testAccuracy: number; parameters: number }) };
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const owner = Number(readFileSync(lock, 'utf8'));
      let alive = true;
      try { process.kill(owner, 0); } catch { alive = false; }
      if (!alive) { rmSync(lock, { force: true }); continue; }
      process.stderr.write(`waiting for process ${owner} to train the ${plan.dataset} teacher\n`);
      await new Promise((r) => setTimeout(r, 15000));
    }
  }
  try {
    const t = await runTeacherTraining({
      dataset: plan.dataset, output: file, trainLimit: plan.trainLimit, testLimit: plan.testLimit, quiet: false,
      config: { arch: plan.teacher.arch, epochs: plan.teacher.epochs, batchSize: 64, learningRate: 2e-3, seed: teacherSeed },
    });
    writeFileSync(meta, JSON.stringify({ testAccuracy: t.testAccuracy, parameters: t.parameters }));
    return { file, testAccuracy: t.testAccuracy, parameters: t.parameters };
  } finally {
    rmSync(lock, { force: true });
  }
}

async function runPlan(plan: Plan): Promise<Part> {
  const started = new Date().toISOString();
  const work = mkdtempSync(join(tmpdir(), `snnc-exp-${plan.dataset}-`));
  const teacherCmd = `snnc train-teacher --arch ${plan.teacher.arch} --dataset ${plan.dataset} --epochs ${plan.teacher.epochs} --lr 0.002 --seed ${teacherSeedOf(plan)}${plan.trainLimit ? ` --train-limit ${plan.trainLimit}` : ''} -o ${plan.dataset}-${plan.teacher.arch}.onnx`;
  const t = await teacherFor(plan);
  const runs: RunRow[] = [];
  let trainSamples = 0, testSamples = 0;
  for (const timesteps of plan.timesteps) {
    for (const kd of plan.kds ?? KDS) {
      process.stderr.write(`\n== ${plan.dataset}: ${plan.teacher.arch} → ${plan.student}, kd ${kd}, T=${timesteps}\n`);
      const out = join(work, `${plan.student}-${kd}-T${timesteps}.onnx`);
      const r = await runStudentTraining({
        teacher: kd === 'none' ? undefined : t.file, dataset: plan.dataset, output: out,
        trainLimit: plan.studentTrainLimit ?? plan.trainLimit, testLimit: plan.testLimit, teacherFeatures: plan.teacherFeatures?.split(',') ?? 'auto', quiet: false,
        logPath: out.replace(/\.onnx$/, '.log.jsonl'),
        config: {
          student: plan.student, kd, timesteps, epochs: plan.epochs, seed: plan.seed, kdStandardize: plan.kdStandardize ?? false,
          ...(plan.alpha !== undefined ? { alpha: plan.alpha } : {}), ...(plan.tau !== undefined ? { tau: plan.tau } : {}),
          ...(plan.featureNorm !== undefined ? { featureNorm: plan.featureNorm } : {}), ...(plan.betaSchedule !== undefined ? { betaSchedule: plan.betaSchedule } : {}),
          ...(plan.beta !== undefined ? { beta: plan.beta } : {}),
        },
      });
      const h = r.result.history;
      trainSamples = Math.round(h[0].samplesPerSecond * h[0].seconds);
      testSamples = r.roundTrip?.total ?? 0;
      runs.push({
        // Standardisation changes only the response loss: a feature-only or no-KD run is the same run with or without it.
        ...(plan.kdStandardize && usesResponseLoss(kd) ? { standardized: true } : {}), seed: plan.seed, kd, timesteps,
        ...(plan.alpha !== undefined && usesResponseLoss(kd) ? { alpha: plan.alpha, tau: plan.tau } : {}),
        ...(usesFeatureLoss(kd) ? { featureNorm: plan.featureNorm ?? DEFAULT_CONFIG.featureNorm, betaSchedule: plan.betaSchedule ?? DEFAULT_CONFIG.betaSchedule } : {}),
        ...(usesFeatureLoss(kd) && plan.teacherFeatures ? { teacherFeatures: plan.teacherFeatures } : {}),
        ...(usesFeatureLoss(kd) && plan.beta !== undefined ? { beta: plan.beta } : {}),
        testAccuracy: r.result.testAccuracy, parameters: r.result.parameters,
        secondsPerEpoch: h.reduce((a, e) => a + e.seconds, 0) / h.length,
        samplesPerSecond: h.reduce((a, e) => a + e.samplesPerSecond, 0) / h.length,
        epochs: h.length, executorAgreement: r.roundTrip ? `${r.roundTrip.agree}/${r.roundTrip.total}` : 'n/a',
        peakRssMB: Math.max(...h.map((e) => e.peakRssMB)),
      });
    }
  }
  return {
    label: plan.label ?? plan.dataset, dataset: plan.dataset, seed: plan.seed, epochs: plan.epochs, trainSamples, testSamples,
    teacher: { arch: plan.teacher.arch, file: '(temporary)', testAccuracy: t.testAccuracy, parameters: t.parameters, epochs: plan.teacher.epochs, command: teacherCmd },
    student: plan.student, runs, started, finished: new Date().toISOString(), loadAverage: loadavg(), cores: cpus().length,
  };
}

/** Response or both KD on raw logits (Hinton's loss as written, `--no-kd-standardize`): the ablation table. */
function isRawResponse(r: RunRow): boolean {
  return usesResponseLoss(r.kd) && !r.standardized;
}

/** A feature-KD run's target and β schedule when they are not `snnc train`'s defaults, as a label ('' otherwise). */
function featureSetting(r: RunRow): string {
  if (!usesFeatureLoss(r.kd)) return '';
  const norm = r.featureNorm ?? 'none', schedule = r.betaSchedule ?? 'constant';
  if (norm === DEFAULT_CONFIG.featureNorm && schedule === DEFAULT_CONFIG.betaSchedule && !r.teacherFeatures && r.beta === undefined) return '';
  return `${norm === 'channel' ? 'standardised' : 'raw'} ${r.teacherFeatures ?? 'teacher'} map, ${schedule === 'cosine' ? 'cosine' : 'constant'} β${r.beta !== undefined ? ` from ${r.beta}` : ''}`;
}

/** The table rows of one T: each KD mode, then its runs with non-default α and τ, each with its label. */
function variants(at: RunRow[]): { kd: KdMode; label: string; rows: RunRow[] }[] {
  const out: { kd: KdMode; label: string; rows: RunRow[] }[] = [];
  for (const kd of KDS) {
    const mine = at.filter((r) => r.kd === kd);
    const keyOf = (r: RunRow) => [r.alpha === undefined ? '' : `α ${r.alpha}, τ ${r.tau}`, featureSetting(r)].filter(Boolean).join(', ');
    for (const key of [...new Set(mine.map(keyOf))].sort()) {
      const rows = mine.filter((r) => keyOf(r) === key);
      out.push({ kd, label: key ? `${kd} (${key})` : kd, rows });
    }
  }
  return out;
}

function signedPt(x: number): string { return `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)} pt`; }
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Sample standard deviation (n − 1). */
function sd(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}
/** Sample standard deviation over seeds, as "± x" in points (empty for one seed). */
function spread(xs: number[]): string { return xs.length < 2 ? '' : ` ± ${(100 * sd(xs)).toFixed(2)}`; }
/** Standard error of a mean of per-seed differences, as "(± x)" in points (empty for one seed). */
function standardError(xs: number[]): string { return xs.length < 2 ? '' : ` (± ${(100 * sd(xs) / Math.sqrt(xs.length)).toFixed(2)})`; }

function render(parts: Part[]): string {
  const L: string[] = [];
  L.push('# Results: spiking students distilled from ANN teachers');
  L.push('');
  L.push('Written by `npm run experiments` (bench/experiments.ts) from the runs themselves; nothing here is typed by hand.');
  L.push('Teachers are trained with `snnc train-teacher`, students with the `snnc train` code path (same library calls), all on the');
  L.push('CPU with tfjs-backend-wasm on a shared 2-core machine (two runs side by side, often with other jobs: seconds per epoch are pessimistic).');
  L.push('Readout is the accumulated membrane potential of the last layer; "executor" counts test samples on which the exported');
  L.push('graph, run by the float reference executor (src/ir/execute.ts), predicts the same class as the trainer (all seeds together).');
  L.push('Response KD is on per-sample z-scored logits (logit standardisation, Sun et al., CVPR 2024: the default of `snnc train`);');
  L.push('the last table of each data set is Hinton\'s loss on raw logits (`--no-kd-standardize`), the same α and τ.');
  L.push('');
  // One section per data set and student training-set size.
  const full = new Map<string, number>();
  for (const q of parts) full.set(q.dataset, Math.max(full.get(q.dataset) ?? 0, q.trainSamples));
  // Each data set and student training-set size is reported at its longest schedule; shorter schedules of the same
  // students (earlier runs, kept because they were measured) follow in a section of their own.
  const sizeKey = (q: Part) => `${q.dataset}|${q.trainSamples}`;
  const longest = new Map<string, number>();
  for (const q of parts) longest.set(sizeKey(q), Math.max(longest.get(sizeKey(q)) ?? 0, q.epochs));
  const isShorter = (q: Part) => q.epochs < (longest.get(sizeKey(q)) ?? 0);
  const sectionKey = (q: Part) => `${q.dataset}|${q.trainSamples}|${q.epochs}`;
  // Longest schedules first; within each, data sets in plan order, the full split before its subsets.
  const datasets = [...new Set(parts.map((q) => q.dataset))];
  const heads = [...new Map(parts.map((q) => [sectionKey(q), q])).values()].sort((a, b) =>
    Number(isShorter(a)) - Number(isShorter(b)) || datasets.indexOf(a.dataset) - datasets.indexOf(b.dataset)
    || b.trainSamples - a.trainSamples || b.epochs - a.epochs);
  const ordered = heads.map(sectionKey);
  let shorterHeading = false;
  for (const key of ordered) {
    const group = parts.filter((q) => sectionKey(q) === key);
    const p = group[0];
    const dataset = p.dataset;
    const runs = group.flatMap((g) => g.runs.map((r) => ({ ...r, seed: r.seed ?? g.seed })));
    const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
    const fewer = p.trainSamples < (full.get(dataset) ?? 0);
    const shorter = isShorter(p);
    if (shorter && !shorterHeading) {
      shorterHeading = true;
      L.push('## Shorter schedules (earlier runs of the same students)');
      L.push('');
      L.push('The same teacher/student pairs trained for fewer epochs: runs made before the schedules above, which supersede them');
      L.push('(on these, the students were still fitting their training samples when training stopped). They stay here because');
      L.push("they were measured; each table's closing line says where KD's mean falls below direct training's.");
      L.push('');
    }
    L.push(`${shorter ? '###' : '##'} ${dataset}${fewer ? `, students on the first ${p.trainSamples.toLocaleString('en-US')} training samples` : ''}, ${p.epochs} student epochs`);
    if (fewer) {
      L.push('');
      L.push(`The same teacher (trained on all ${(full.get(dataset) ?? 0).toLocaleString('en-US')} training samples); the students see only the first ${p.trainSamples.toLocaleString('en-US')}, with their labels and, with KD, the teacher's outputs on them. The test split is the same.`);
    }
    L.push('');
    const seedsAt = TIMESTEPS.filter((T) => runs.some((r) => r.timesteps === T)).map((T) => `T = ${T}: ${[...new Set(runs.filter((r) => r.timesteps === T).map((r) => r.seed))].sort((a, b) => a - b).join(', ')}`).join('; ');
    L.push(`- Training samples: ${p.trainSamples}; test samples: ${p.testSamples}; student epochs: ${p.epochs}; student seeds (initialisation and batch order) ${seedsAt}. Every seed distils the same teacher.`);
    L.push(`- Teacher: ${p.teacher.arch} (ANN), ${p.teacher.parameters.toLocaleString('en-US')} parameters, test accuracy **${formatPercent(p.teacher.testAccuracy)}** after ${p.teacher.epochs} epochs (\`${p.teacher.command}\`).`);
    L.push(`- Pair: ${p.teacher.arch} teacher → spiking ${p.student} student (IF neurons, θ = 1, subtract reset, arctan surrogate α = 2, direct encoding; response KD α = 0.5, τ = 4; feature KD β = 1${DEFAULT_CONFIG.betaSchedule === 'cosine' ? ' decayed to 0 with the learning rate' : ''} with a 1×1 adapter from the student's last spiking map to the teacher's last ReLU map${DEFAULT_CONFIG.featureNorm === 'channel' ? ', standardised channel by channel' : ''}; rows with other settings say so).`);
    for (const g of group) L.push(`- Part ${g.label ?? g.dataset} (T = ${[...new Set(g.runs.map((r) => r.timesteps))].join(', ')}; ${[...new Set(g.runs.map((r) => (isRawResponse(r) ? `${r.kd} raw` : r.kd)))].join(', ')}; seed ${g.seed}) ran ${g.started} → ${g.finished}; load average at the end ${g.loadAverage.map((x) => x.toFixed(1)).join(' / ')} on ${g.cores} cores.`);
    L.push('');
    L.push(`| T | KD | ${seeds.map((s) => `seed ${s}`).join(' | ')} | mean (± sd over seeds) | Δ vs no KD, same seeds (± standard error of the paired differences) | parameters | s/epoch | samples/s | executor | peak RSS |`);
    L.push(`|---|---|${seeds.map(() => '---|').join('')}---|---|---|---|---|---|---|`);
    const main = runs.filter((r) => !isRawResponse(r));
    const verdicts: string[] = [];
    let pairs = 0, pairsOk = 0;
    for (const T of TIMESTEPS) {
      const at = main.filter((r) => r.timesteps === T);
      const none = at.filter((r) => r.kd === 'none');
      const below: string[] = [];
      for (const { kd, label, rows } of variants(at)) {
        const m = mean(rows.map((r) => r.testAccuracy));
        const cells = seeds.map((s) => { const r = rows.find((x) => x.seed === s); return r ? formatPercent(r.testAccuracy) : '—'; });
        // Δ over the seeds both rows have (a seed's runs share initialisation and batch order).
        const matched = rows.filter((r) => none.some((x) => x.seed === r.seed));
        const diffs = kd === 'none' ? [] : matched.map((r) => r.testAccuracy - none.find((x) => x.seed === r.seed)!.testAccuracy);
        // Rounded to 1e-9: accuracies are multiples of 1/test samples, and differences that cancel must give 0, not −1e-17.
        const d = diffs.length ? Math.round(mean(diffs) * 1e9) / 1e9 : undefined;
        const delta = d === undefined ? '—'
          : `${signedPt(d)}${standardError(diffs)}${matched.length < rows.length || matched.length < none.length ? ` (seeds ${matched.map((r) => r.seed).join(', ')})` : ''}`;
        if (d !== undefined && d < 0) below.push(label);
        pairs += diffs.length;
        pairsOk += diffs.filter((x) => x >= 0).length;
        const agree = rows.reduce((a, r) => a + Number(r.executorAgreement.split('/')[0]), 0);
        const total = rows.reduce((a, r) => a + Number(r.executorAgreement.split('/')[1]), 0);
        L.push(`| ${T} | ${label} | ${cells.join(' | ')} | **${formatPercent(m)}**${spread(rows.map((r) => r.testAccuracy))} | ${delta} | ${rows[0].parameters.toLocaleString('en-US')} | ${mean(rows.map((r) => r.secondsPerEpoch)).toFixed(1)} | ${mean(rows.map((r) => r.samplesPerSecond)).toFixed(0)} | ${agree}/${total} | ${Math.max(...rows.map((r) => r.peakRssMB))} MB |`);
      }
      if (none.length) verdicts.push(below.length ? `At T = ${T} the seed-matched mean of KD (${below.join(', ')}) is below no KD's.` : `At T = ${T} every KD mode's seed-matched mean is at least no KD's.`);
    }
    L.push('');
    const t4 = main.filter((r) => r.timesteps === 4);
    const best = variants(t4).reduce<{ kd: KdMode; label: string; m: number } | undefined>((acc, x) => {
      const m = mean(x.rows.map((r) => r.testAccuracy));
      return !acc || m > acc.m ? { kd: x.kd, label: x.label, m } : acc;
    }, undefined);
    const target = fewer || shorter ? undefined : dataset === 'mnist' ? 0.97 : dataset === 'fashion-mnist' ? 0.9 : undefined;
    if (best && target !== undefined) {
      L.push(`Target at T = 4: ≥ ${formatPercent(target)}. Best T = 4 mean: ${best.kd === 'none' ? 'no KD' : `${best.label} KD`}, ${formatPercent(best.m)} — target ${best.m >= target ? '**met**' : '**not met**'}.`);
    }
    L.push(`${verdicts.join(' ')} Seed by seed, KD is at least as good as no KD in ${pairsOk} of ${pairs} comparisons.`);
    L.push('');
    const raw = runs.filter(isRawResponse);
    if (raw.length) {
      L.push(`Ablation, Hinton's loss on raw logits (\`--no-kd-standardize\`), against the same seed's no-KD student:`);
      L.push('');
      L.push('| T | KD, raw logits | seed | test accuracy | Δ vs no KD (same seed) | z-scored (default), same seed |');
      L.push('|---|---|---|---|---|---|');
      for (const r of raw) {
        const base = main.find((x) => x.timesteps === r.timesteps && x.kd === 'none' && x.seed === r.seed);
        const z = main.find((x) => x.timesteps === r.timesteps && x.kd === r.kd && x.seed === r.seed && x.alpha === undefined);
        L.push(`| ${r.timesteps} | ${r.kd} | ${r.seed} | ${formatPercent(r.testAccuracy)} | ${base ? signedPt(r.testAccuracy - base.testAccuracy) : '—'} | ${z ? formatPercent(z.testAccuracy) : '—'} |`);
      }
      L.push('');
    }
  }
  // The comparisons of bench/comparisons.ts (KD vs direct vs conversion, robustness), one part per data set.
  for (const dataset of ['mnist', 'fashion-mnist']) {
    const f = join(results, `results.compare-${dataset}.json`);
    L.push(existsSync(f) ? renderComparison(JSON.parse(readFileSync(f, 'utf8')) as ComparePart) : renderComparisonMissing(dataset));
  }
  const benchFile = join(results, 'results.bench-train.json');
  if (existsSync(benchFile)) L.push(...renderTrainBench(JSON.parse(readFileSync(benchFile, 'utf8')) as TrainBench));
  const profileFile = join(results, 'results.bench-train-profile.json');
  if (existsSync(profileFile)) L.push(...renderTrainProfile(JSON.parse(readFileSync(profileFile, 'utf8')) as Record<string, TrainProfile>));
  return `${L.join('\n')}\n`;
}

interface TrainRun { student: string; workers: number; samplesPerSecond: number; samplesPerCpuSecond: number; msPerBatch: number; loadAverage1m: number }
interface TrainBench {
  student: string; teacher: string; timesteps: number; batch: number; kd: string; backend: string; measured: string; cores?: number;
  samplesPerSecond: number; samplesPerCpuSecond: number; msPerBatch: number; loadAverage1m: number; target: number;
  runs?: TrainRun[]; students?: Record<string, string>; torch?: { threads: number; samplesPerSecond: number; version: string; loadAverage1m: number }[];
  torchRatioAllCores?: number; torchTargetRatio?: number;
}
interface TrainProfile {
  label: string; batch: number; timesteps: number; measured: string;
  profiles: { student: string; phases: Record<string, number>; kernels: { name: string; forward: number; backward: number }[]; loadAverage1m: number }[];
}

/** The `npm run bench:train -- --record` run: samples/s per student and worker count, and PyTorch beside it. */
function renderTrainBench(b: TrainBench): string[] {
  const L: string[] = ['## Training speed (`npm run bench:train`)', ''];
  L.push(`KD training (\`snnc train\`'s loop; teacher ${b.teacher}; T = ${b.timesteps}, batch ${b.batch}, Adam, ${b.kd} KD) on random data, backend ${b.backend}, measured ${b.measured}`
    + ` on ${b.cores ?? 2} cores shared with other work (the load average is given with each figure).`);
  L.push('');
  if (b.runs?.length) {
    L.push('| student | workers | samples/s | samples per CPU-second | ms per batch | load average (1 min) |');
    L.push('|---|--:|--:|--:|--:|--:|');
    for (const r of b.runs) L.push(`| ${b.students?.[r.student] ?? r.student} | ${r.workers} | ${r.samplesPerSecond} | ${r.samplesPerCpuSecond} | ${r.msPerBatch} | ${r.loadAverage1m} |`);
    L.push('');
  } else {
    L.push(`**${b.samplesPerSecond} samples/s** wall clock, ${b.samplesPerCpuSecond} samples per CPU-second of the process, ${b.msPerBatch} ms per batch; load average ${b.loadAverage1m}.`);
    L.push('');
  }
  if (b.torch?.length) {
    L.push(`PyTorch ${b.torch[0].version} in the same run (../shared/bench/torch_kd_bench.py: the reference student, LeNet teacher run on every batch, the same KD step):`);
    const cores = b.cores ?? 2;
    let oversubscribed = false;
    for (const t of b.torch) {
      const ours = b.runs?.find((r) => r.student === 'cnn' && r.workers === t.threads);
      const busy = t.threads > 1 && t.loadAverage1m > cores;
      oversubscribed ||= busy && t.threads === cores;
      L.push(`- ${t.threads} thread${t.threads > 1 ? 's' : ''}: ${t.samplesPerSecond} samples/s (load average ${t.loadAverage1m})${ours ? `; snnc on ${t.threads} worker${t.threads > 1 ? 's' : ''}: ${ours.samplesPerSecond}, **${(ours.samplesPerSecond / t.samplesPerSecond).toFixed(3)}x**` : ''}${busy ? ' (cores oversubscribed: not a valid comparison)' : ''}`);
    }
    L.push(`- target (issue 19): all cores >= ${b.torchTargetRatio ?? 0.6}x PyTorch on the same cores; measured ${b.torchRatioAllCores ?? '–'}x`
      + (oversubscribed ? `, at a load average above the ${cores} cores: PyTorch's OpenMP threads wait on each other when another process holds a core, and every thread of both runs got only a share of one, so this run neither meets nor misses the target (rerun \`npm run bench:train\` on idle cores).`
        : b.torchRatioAllCores === undefined ? '.' : `: ${b.torchRatioAllCores >= (b.torchTargetRatio ?? 0.6) ? 'met' : 'not met'} in this run.`));
    L.push('');
  }
  L.push('What it takes (a straightforward tfjs-wasm version runs at about 45 samples/s): time folded into the batch dimension, so each');
  L.push('convolution runs once over all T steps; the stock Conv2D filter gradient (Conv3DBackpropFilterV2) replaced by one Conv2D on');
  L.push('batch/channel-transposed tensors and the AvgPool gradient by a fused one (src/train/backend.ts); dense-layer gradients as');
  L.push('untransposed GEMMs and bias gradients as one GEMV each (src/train/gradients.ts: tfjs-wasm runs transposed matrix products');
  L.push('outside XNNPACK); each IF/LIF layer with its 2×2 average pooling as one op with its own BPTT gradient, run by a WebAssembly');
  L.push('kernel image by image, two channels per float64x2 instruction, the backward pass replaying the forward recurrence');
  L.push('(src/train/neuron-kernel.ts; the label `simd` below is that change, the same bits as before); the first layer\'s');
  L.push('current computed once and read at every step (direct encoding); with `--workers N`, each batch cut into N shards whose');
  L.push('gradients worker threads compute (src/train/data-parallel.ts). `npm run bench:train` prints the figures;');
  L.push('`node dist/bench/train.js --record` stores them here.');
  L.push('');
  return L;
}

/** `npm run bench:train -- --profile --record --label L`: where one in-thread batch spends its time, per stored label. */
function renderTrainProfile(stored: Record<string, TrainProfile>): string[] {
  const labels = Object.keys(stored);
  if (labels.length === 0) return [];
  const first = stored[labels[0]];
  const L: string[] = ['### Where a training batch spends its time (`npm run bench:train -- --profile`)', ''];
  L.push(`One in-thread batch of ${first.batch}, T = ${first.timesteps}, response KD, milliseconds (tfjs kernels timed by \`tf.profile\`, the spiking-neuron`);
  L.push(`layers by their own clock; the teacher's outputs are computed once before training, so its time is not in a step). Labels: ${labels.map((l) => `${l} (${stored[l].measured})`).join(', ')}.`);
  L.push('The machine was shared (load average per table), and labels measured on different days may come from different machines of the');
  L.push('same class: compare rows within a column, and the kernels that changed between columns against those that did not.');
  L.push('An optimizer time of 0 is below the noise of step − (forward + backward), which is how the first version of the script measured it; it now times Adam\'s update alone.');
  L.push('');
  const students = [...new Set(labels.flatMap((l) => stored[l].profiles.map((p) => p.student)))];
  for (const student of students) {
    const per = labels.map((l) => stored[l].profiles.find((p) => p.student === student));
    L.push(`**${student}**`);
    L.push('');
    L.push(`| | ${labels.join(' | ')} |`);
    L.push(`|---|${labels.map(() => '--:').join('|')}|`);
    const row = (name: string, f: (p: NonNullable<(typeof per)[number]>) => number | undefined) => L.push(`| ${name} | ${per.map((p) => (p ? (f(p) ?? 0) : '–')).join(' | ')} |`);
    row('whole step (forward, backward, Adam)', (p) => p.phases.stepMs);
    row('forward (with the loss)', (p) => p.phases.forwardMs);
    row('backward', (p) => p.phases.backwardMs);
    row('optimizer (Adam)', (p) => p.phases.optimizerMs);
    row('spiking-neuron layers, forward / backward', (p) => `${p.phases.neuronForwardMs} / ${p.phases.neuronBackwardMs}` as unknown as number);
    const kernels = [...new Set(per.flatMap((p) => p?.kernels.map((k) => k.name) ?? []))].filter((k) => !k.startsWith('spiking'));
    for (const k of kernels) row(`${k} (kernel), forward / backward`, (p) => { const x = p.kernels.find((y) => y.name === k); return (x ? `${x.forward} / ${x.backward}` : '–') as unknown as number; });
    row('load average (1 min)', (p) => p.loadAverage1m);
    L.push('');
  }
  return L;
}

function loadParts(): Part[] {
  return PLANS.map((p) => join(results, `results.${p.label ?? p.dataset}.json`)).filter(existsSync).map((f) => JSON.parse(readFileSync(f, 'utf8')) as Part);
}

if (!mergeOnly) {
  for (const plan of PLANS) {
    const label = plan.label ?? plan.dataset;
    if (only && label !== only) continue;
    const part = await runPlan(plan);
    writeFileAtomic(join(results, `results.${label}.json`), `${JSON.stringify(part, null, 2)}\n`);
  }
}
writeFileAtomic(join(docs, 'results.md'), render(loadParts()));
process.stderr.write(`wrote ${join(docs, 'results.md')}\n`);
