/**
 * `npm run experiments`: the evidence of issue 8, written to docs/results.md (and docs/results.json).
 * For each data set: train an ANN teacher (`train-teacher`), then spiking students of another architecture
 * without KD and with response, feature and both KD, at T = 4 and T = 2, with the same seed.
 *
 *   node dist/src/bench/experiments.js [--only mnist|fashion-mnist] [--merge]
 *
 * `--only` runs one data set and stores its part in docs/results.<dataset>.json (parts can run side by
 * side); `--merge` (or a full run) renders every stored part into docs/results.md. Sizes (epochs, training
 * subset) are in PLANS below and recorded in the output; nothing in the Markdown is typed by hand.
 */
import { existsSync, mkdtempSync, readFileSync, copyFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/fs.js';
import { runStudentTraining, runTeacherTraining } from '../train/run.js';
import type { KdMode } from '../train/trainer.js';
import { renderComparison, renderComparisonMissing, type ComparePart } from './comparisons-render.js';

interface Plan {
  /** Part name (docs/results.<label>.json); defaults to the data set. */
  label?: string;
  /** KD modes and time steps to run (default: all four at T = 4 and T = 2). */
  kds?: KdMode[];
  timesteps?: number[];
  dataset: string;
  teacher: { arch: string; epochs: number; shipped?: string; reuseShipped?: boolean };
  student: string;
  epochs: number;
  trainLimit?: number;
  testLimit?: number;
  seed: number;
}

const PLANS: Plan[] = [
  { dataset: 'mnist', teacher: { arch: 'lenet', epochs: Number(process.env.EXP_MNIST_TEACHER_EPOCHS ?? 3), shipped: 'src/assets/mnist-lenet-teacher.onnx' }, student: 'cnn', epochs: Number(process.env.EXP_MNIST_EPOCHS ?? 2), seed: 1 },
  {
    dataset: 'fashion-mnist', teacher: { arch: 'lenet', epochs: Number(process.env.EXP_FASHION_TEACHER_EPOCHS ?? 3) }, student: 'cnn',
    epochs: Number(process.env.EXP_FASHION_EPOCHS ?? 1), trainLimit: Number(process.env.EXP_FASHION_TRAIN ?? 12000), testLimit: Number(process.env.EXP_FASHION_TEST ?? 5000), seed: 1,
  },
];
// Longer MNIST runs (6 epochs) of the same pair in every KD mode, each its own part so that two can run side
// by side: do the T = 4 figures move with more training?
for (const kd of ['none', 'response', 'feature', 'both'] as KdMode[]) {
  PLANS.push({
    label: `mnist-long-${kd}`, kds: [kd], timesteps: [4], dataset: 'mnist',
    teacher: { arch: 'lenet', epochs: 3, shipped: 'src/assets/mnist-lenet-teacher.onnx', reuseShipped: true }, student: 'cnn',
    epochs: Number(process.env.EXP_MNIST_LONG_EPOCHS ?? 6), seed: 1,
  });
}
for (const kd of ['none', 'response'] as KdMode[]) {
  // Fashion-MNIST: more training data and epochs, with the teacher of the main Fashion-MNIST run
  // (EXP_FASHION_TEACHER names its file; the same train-teacher command reproduces it).
  PLANS.push({
    label: `fashion-mnist-long-${kd}`, kds: [kd], timesteps: [4], dataset: 'fashion-mnist',
    teacher: { arch: 'lenet', epochs: 3, shipped: process.env.EXP_FASHION_TEACHER, reuseShipped: true }, student: 'cnn',
    epochs: Number(process.env.EXP_FASHION_LONG_EPOCHS ?? 2), trainLimit: Number(process.env.EXP_FASHION_LONG_TRAIN ?? 30000),
    testLimit: Number(process.env.EXP_FASHION_TEST ?? 5000), seed: 1,
  });
}
const KDS: KdMode[] = ['none', 'response', 'feature', 'both'];
const TIMESTEPS = [4, 2];

interface RunRow {
  kd: KdMode; timesteps: number; testAccuracy: number; parameters: number; secondsPerEpoch: number;
  samplesPerSecond: number; epochs: number; executorAgreement: string; peakRssMB: number;
}
interface Part {
  label?: string;
  dataset: string; seed: number; epochs: number; trainSamples: number; testSamples: number;
  teacher: { arch: string; file: string; testAccuracy: number; parameters: number; epochs: number; command: string };
  student: string; runs: RunRow[]; started: string; finished: string; loadAverage: number[]; cores: number;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const docs = join(root, 'docs');
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const mergeOnly = args.includes('--merge');

async function runPlan(plan: Plan): Promise<Part> {
  const started = new Date().toISOString();
  const work = mkdtempSync(join(tmpdir(), `snnc-exp-${plan.dataset}-`));
  const teacherFile = join(work, `${plan.dataset}-${plan.teacher.arch}.onnx`);
  const teacherCmd = `snnc train-teacher --arch ${plan.teacher.arch} --dataset ${plan.dataset} --epochs ${plan.teacher.epochs} --lr 0.002 --seed ${plan.seed}${plan.trainLimit ? ` --train-limit ${plan.trainLimit}` : ''} -o ${plan.dataset}-${plan.teacher.arch}.onnx`;
  // Teacher accuracy is always measured here (on the same test samples as the students).
  const shipped = plan.teacher.shipped ? resolve(root, plan.teacher.shipped) : undefined;
  const reuse = plan.teacher.reuseShipped && shipped && existsSync(shipped);
  if (plan.teacher.reuseShipped && !reuse) throw new Error(`${plan.label}: the teacher to reuse (${shipped ?? 'unset'}) does not exist`);
  if (reuse) copyFileSync(shipped!, teacherFile);
  const t = reuse ? { testAccuracy: Number.NaN, parameters: 0 } : await runTeacherTraining({
    dataset: plan.dataset, output: teacherFile, trainLimit: plan.trainLimit, testLimit: plan.testLimit, quiet: false,
    config: { arch: plan.teacher.arch, epochs: plan.teacher.epochs, batchSize: 64, learningRate: 2e-3, seed: plan.seed },
  });
  if (shipped && !existsSync(shipped)) copyFileSync(teacherFile, shipped);
  const runs: RunRow[] = [];
  let trainSamples = 0, testSamples = 0;
  for (const timesteps of plan.timesteps ?? TIMESTEPS) {
    for (const kd of plan.kds ?? KDS) {
      process.stderr.write(`\n== ${plan.dataset}: ${plan.teacher.arch} → ${plan.student}, kd ${kd}, T=${timesteps}\n`);
      const out = join(work, `${plan.student}-${kd}-T${timesteps}.onnx`);
      const r = await runStudentTraining({
        teacher: kd === 'none' ? undefined : teacherFile, dataset: plan.dataset, output: out,
        trainLimit: plan.trainLimit, testLimit: plan.testLimit, teacherFeatures: 'auto', quiet: false,
        logPath: out.replace(/\.onnx$/, '.log.jsonl'),
        config: { student: plan.student, kd, timesteps, epochs: plan.epochs, seed: plan.seed },
      });
      const h = r.result.history;
      trainSamples = Math.round(h[0].samplesPerSecond * h[0].seconds);
      testSamples = r.roundTrip?.total ?? 0;
      runs.push({
        kd, timesteps, testAccuracy: r.result.testAccuracy, parameters: r.result.parameters,
        secondsPerEpoch: h.reduce((a, e) => a + e.seconds, 0) / h.length,
        samplesPerSecond: h.reduce((a, e) => a + e.samplesPerSecond, 0) / h.length,
        epochs: h.length, executorAgreement: r.roundTrip ? `${r.roundTrip.agree}/${r.roundTrip.total}` : 'n/a',
        peakRssMB: Math.max(...h.map((e) => e.peakRssMB)),
      });
    }
  }
  return {
    label: plan.label ?? plan.dataset, dataset: plan.dataset, seed: plan.seed, epochs: plan.epochs, trainSamples, testSamples,
    teacher: { arch: plan.teacher.arch, file: shipped && existsSync(shipped) ? plan.teacher.shipped! : '(temporary)', testAccuracy: t.testAccuracy, parameters: t.parameters, epochs: plan.teacher.epochs, command: teacherCmd },
    student: plan.student, runs, started, finished: new Date().toISOString(), loadAverage: loadavg(), cores: cpus().length,
  };
}

function pct(x: number): string { return `${(100 * x).toFixed(2)} %`; }

function render(parts: Part[]): string {
  const L: string[] = [];
  L.push('# Results: spiking students distilled from ANN teachers');
  L.push('');
  L.push('Written by `npm run experiments` (src/bench/experiments.ts) from the runs themselves; nothing here is typed by hand.');
  L.push('Teachers are trained with `snnc train-teacher`, students with the `snnc train` code path (same library calls), all on the');
  L.push('CPU with tfjs-backend-wasm on a shared 2-core machine (other engineers were loading it: seconds per epoch are pessimistic).');
  L.push('Readout is the accumulated membrane potential of the last layer; "executor" counts test samples on which the exported');
  L.push('graph, run by the float reference executor (src/ir/execute.ts), predicts the same class as the trainer.');
  L.push('');
  const main = parts.filter((p) => (p.label ?? p.dataset) === p.dataset);
  const extra = parts.filter((p) => (p.label ?? p.dataset) !== p.dataset);
  for (const p of main) {
    L.push(`## ${p.dataset}`);
    L.push('');
    L.push(`- Training samples: ${p.trainSamples}; test samples: ${p.testSamples}; student epochs: ${p.epochs}; seed ${p.seed} for every run.`);
    L.push(`- Teacher: ${p.teacher.arch} (ANN), ${p.teacher.parameters.toLocaleString('en-US')} parameters, test accuracy **${pct(p.teacher.testAccuracy)}** after ${p.teacher.epochs} epochs (\`${p.teacher.command}\`).`);
    L.push(`- Pair: ${p.teacher.arch} teacher → spiking ${p.student} student (IF neurons, θ = 1, subtract reset, arctan surrogate α = 2, direct encoding; response KD α = 0.5, τ = 4; feature KD β = 1 with a 1×1 adapter from the student's last spiking map to the teacher's last ReLU map).`);
    L.push(`- Ran ${p.started} → ${p.finished}; load average at the end ${p.loadAverage.map((x) => x.toFixed(1)).join(' / ')} on ${p.cores} cores.`);
    L.push('');
    L.push('| T | KD | test accuracy | Δ vs no KD | parameters | s/epoch | samples/s | executor | peak RSS |');
    L.push('|---|---|---|---|---|---|---|---|---|');
    for (const T of TIMESTEPS) {
      const base = p.runs.find((r) => r.timesteps === T && r.kd === 'none');
      for (const r of p.runs.filter((x) => x.timesteps === T)) {
        const delta = base && r.kd !== 'none' ? `${((r.testAccuracy - base.testAccuracy) * 100 >= 0 ? '+' : '')}${((r.testAccuracy - base.testAccuracy) * 100).toFixed(2)} pt` : '—';
        L.push(`| ${T} | ${r.kd} | ${pct(r.testAccuracy)} | ${delta} | ${r.parameters.toLocaleString('en-US')} | ${r.secondsPerEpoch.toFixed(1)} | ${r.samplesPerSecond.toFixed(0)} | ${r.executorAgreement} | ${r.peakRssMB} MB |`);
      }
    }
    L.push('');
    const t4 = p.runs.filter((r) => r.timesteps === 4);
    const best = t4.reduce((a, b) => (b.testAccuracy > a.testAccuracy ? b : a), t4[0]);
    const target = p.dataset === 'mnist' ? 0.97 : p.dataset === 'fashion-mnist' ? 0.9 : undefined;
    if (best && target !== undefined) {
      L.push(`Target at T = 4: ≥ ${pct(target)}. Best T = 4 student: ${best.kd} KD, ${pct(best.testAccuracy)} — target ${best.testAccuracy >= target ? '**met**' : '**not met**'}.`);
      const none4 = t4.find((r) => r.kd === 'none');
      const worse = t4.filter((r) => r.kd !== 'none' && none4 && r.testAccuracy < none4.testAccuracy).map((r) => r.kd);
      L.push(worse.length ? `KD below no-KD at T = 4 for: ${worse.join(', ')}.` : 'Every KD variant at T = 4 is at least as good as no KD.');
      L.push('');
    }
  }
  if (extra.length) {
    L.push('## Longer training (T = 4)');
    L.push('');
    L.push('The same teacher/student pairs and settings as above (MNIST: the shipped teacher src/assets/mnist-lenet-teacher.onnx, trained by the MNIST run above; Fashion-MNIST: the teacher of the Fashion-MNIST run above) with more student epochs and, for Fashion-MNIST, more training samples, to see whether the T = 4 figures move with training.');
    L.push('');
    L.push('| data set | KD | epochs | train samples | test samples | test accuracy | s/epoch | executor | seed |');
    L.push('|---|---|---|---|---|---|---|---|---|');
    for (const p of extra) {
      for (const r of p.runs) {
        L.push(`| ${p.dataset} | ${r.kd} | ${r.epochs} | ${p.trainSamples} | ${p.testSamples} | ${pct(r.testAccuracy)} | ${r.secondsPerEpoch.toFixed(1)} | ${r.executorAgreement} | ${p.seed} |`);
      }
    }
    L.push('');
  }
  // The comparisons of src/bench/comparisons.ts (KD vs direct vs conversion, robustness), one part per data set.
  for (const dataset of ['mnist', 'fashion-mnist']) {
    const f = join(docs, `results.compare-${dataset}.json`);
    L.push(existsSync(f) ? renderComparison(JSON.parse(readFileSync(f, 'utf8')) as ComparePart) : renderComparisonMissing(dataset));
  }
  const benchFile = join(docs, 'results.bench-train.json');
  if (existsSync(benchFile)) {
    const b = JSON.parse(readFileSync(benchFile, 'utf8')) as Record<string, unknown>;
    L.push('## Training speed (`npm run bench:train`)');
    L.push('');
    L.push(`KD training of the reference student (${b.student}; teacher ${b.teacher}; T = ${b.timesteps}, batch ${b.batch}, Adam, response KD) on random data, backend ${b.backend}, measured ${b.measured}:`);
    L.push(`**${b.samplesPerSecond} samples/s** wall clock, ${b.samplesPerCpuSecond} samples per CPU-second of the process, ${b.msPerBatch} ms per batch; load average ${b.loadAverage1m} on 2 cores (shared machine). Target: ${b.target} samples/s.`);
    L.push('');
  }
  return `${L.join('\n')}\n`;
}

function loadParts(): Part[] {
  return PLANS.map((p) => join(docs, `results.${p.label ?? p.dataset}.json`)).filter(existsSync).map((f) => JSON.parse(readFileSync(f, 'utf8')) as Part);
}

if (!mergeOnly) {
  for (const plan of PLANS) {
    const label = plan.label ?? plan.dataset;
    if (only ? label !== only : label !== plan.dataset) continue; // a full run skips the optional extra parts
    const part = await runPlan(plan);
    writeFileAtomic(join(docs, `results.${label}.json`), `${JSON.stringify(part, null, 2)}\n`);
  }
}
writeFileAtomic(join(docs, 'results.md'), render(loadParts()));
process.stderr.write(`wrote ${join(docs, 'results.md')}\n`);
