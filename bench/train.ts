/**
 * `npm run bench:train`: samples/s of KD training (`snnc train`'s own loop, src/train/trainer.ts) on random
 * 28×28 data, for the issue's reference student (`cnn`: two 3×3 convolutions of 16 and 32 channels 'same',
 * each followed by IF neurons and 2×2 average pooling, a linear readout 32·7·7 → 10) and for the zoo's `vgg`
 * and `resnet` students (src/train/student.ts), each on 1 worker (this thread) and on every core the process may
 * use (data-parallel worker threads, `--workers N`). LeNet teacher (onnxruntime, its outputs computed once up
 * front, as `snnc train` does), T = 4, batch 64, Adam, response KD. The first batches are warm-up and not timed.
 *
 * When PyTorch is importable (`python3 -c "import torch"`, or Debian's /usr/bin/python3 with python3-torch), it
 * runs ../shared/bench/torch_kd_bench.py (the same reference student and KD step in PyTorch) beside it with the
 * same thread counts and prints the ratio measured in the same run. The machine may be shared: every figure
 * carries the 1-minute load average measured with it.
 *
 *   npm run bench:train [-- --students cnn,vgg,resnet] [-- --record]
 *   npm run bench:train -- --profile [--record --label before|after]   where one in-thread batch spends its time
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initTrainingBackend, tf } from '../src/train/backend.js';
import { createStudent, imagesToNhwc, studentSpec, trainableVariables } from '../src/train/student.js';
import { DEFAULT_NEURON, neuronClock } from '../src/train/spiking.js';
import { openTeacher, runTeacher, type FrozenTeacher } from '../src/train/frozen-teacher.js';
import { shippedTeacher } from '../src/demo.js';
import { mulberry32 } from '../src/data/rng.js';
import { DEFAULT_CONFIG, trainStudent } from '../src/train/trainer.js';
import { studentBatchLoss, type StudentLossSettings } from '../src/train/replica.js';
import type { Dataset } from '../src/data/dataset.js';
import { writeFileAtomic } from '../src/util/fs.js';

const B = 64, T = 4;
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const args = process.argv.slice(2);
const flag = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const students = (flag('--students') ?? 'cnn,vgg,resnet').split(',');
/** Timed batches after the warm-up ones, per student (the deeper students take seconds a batch on one core). */
const STEPS: Record<string, number> = { cnn: Number(process.env.BENCH_STEPS ?? 30), vgg: Number(process.env.BENCH_DEEP_STEPS ?? 6), resnet: Number(process.env.BENCH_DEEP_STEPS ?? 6) };
const WARMUP: Record<string, number> = { cnn: 4, vgg: 2, resnet: 2 };
const DESCRIPTION: Record<string, string> = {
  cnn: 'cnn (conv3x3 16 + IF + avgpool2, conv3x3 32 + IF + avgpool2, linear 1568→10)',
  vgg: 'vgg (2× conv3x3 32 + IF, avgpool2, 2× conv3x3 64 + IF, avgpool2, fc 3136→256 + IF, linear 256→10)',
  resnet: 'resnet (stem conv 32, residual block 32, avgpool2, conv 64, residual block 64, avgpool2, linear 3136→10)',
};
const load = () => Number(loadavg()[0].toFixed(2));

const backend = await initTrainingBackend();
const teacherPath = shippedTeacher();
const teacher = await openTeacher(teacherPath, [1, 28, 28], []);
const all = availableParallelism();
const workerCounts = [...new Set([1, all])];

function randomDigits(count: number, seed: number): Dataset {
  const rand = mulberry32(seed);
  return {
    name: 'random', shape: [1, 28, 28], classes: 10, count,
    images: Float32Array.from({ length: count * 784 }, () => rand()),
    labels: Uint8Array.from({ length: count }, () => Math.floor(rand() * 10)),
  };
}

interface Run { student: string; workers: number; samplesPerSecond: number; samplesPerCpuSecond: number; msPerBatch: number; loadAverage1m: number }

/** One epoch of `snnc train`'s loop: batches after the warm-up are timed (wall clock and the process's CPU time, worker threads included). */
async function measure(student: string, workers: number): Promise<Run> {
  const steps = STEPS[student], warm = WARMUP[student];
  const train = randomDigits(B * (warm + steps), 42), test = randomDigits(B, 43);
  let t0 = 0, t1 = 0, cpu0 = process.cpuUsage(), cpu = cpu0;
  // From the end of the last warm-up batch to the end of the last batch (the epoch's evaluation is not timed).
  await trainStudent(train, test, teacher, { student, kd: 'response', epochs: 1, timesteps: T, batchSize: B, seed: 1 }, { workers }, {
    onBatch: (_e, done, total) => {
      if (done === warm) { t0 = performance.now(); cpu0 = process.cpuUsage(); }
      if (done === total) { t1 = performance.now(); cpu = process.cpuUsage(cpu0); }
    },
  });
  const wall = (t1 - t0) / 1000;
  return {
    student, workers, samplesPerSecond: Number((steps * B / wall).toFixed(1)), samplesPerCpuSecond: Number((steps * B / ((cpu.user + cpu.system) / 1e6)).toFixed(1)),
    msPerBatch: Number((1000 * wall / steps).toFixed(1)), loadAverage1m: load(),
  };
}

/** The Python that imports torch: `python3` on the path, else Debian's (python3-torch installs there). */
function torchPython(): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return undefined;
}

function torchRun(py: string, threads: number): { threads: number; samplesPerSecond: number; version: string; loadAverage1m: number } {
  const script = join(root, '../shared/bench/torch_kd_bench.py');
  const out = execFileSync(py, [script, String(T), String(threads)], { encoding: 'utf8' });
  const m = /torch (\S+) .*samples\/s=([\d.]+)/.exec(out);
  if (!m) throw new Error(`torch_kd_bench.py printed no samples/s: ${out}`);
  return { threads, samplesPerSecond: Number(m[2]), version: m[1], loadAverage1m: load() };
}

/**
 * Where one in-thread batch of `student` spends its time: the teacher (onnxruntime on the batch), the forward
 * pass with the loss, the backward pass, the optimizer step; tfjs kernels by name (forward and backward), and the
 * spiking-neuron layers (src/train/spiking.ts: the wasm kernel and the copies between it and tfjs's heap).
 */
async function profile(student: string, t: FrozenTeacher): Promise<{ student: string; phases: Record<string, number>; kernels: { name: string; forward: number; backward: number }[]; loadAverage1m: number }> {
  const REPEAT = student === 'cnn' ? 5 : 2;
  const s = createStudent(studentSpec(student, 10), [1, 28, 28], 10, DEFAULT_NEURON, T, 'direct', 1);
  const vars = trainableVariables(s);
  const optimizer = tf.train.adam(1e-3);
  const data = randomDigits(B, 44);
  const settings: StudentLossSettings = { useResponse: true, useFeature: false, alpha: DEFAULT_CONFIG.alpha, tau: DEFAULT_CONFIG.tau, kdStandardize: DEFAULT_CONFIG.kdStandardize };
  const logits = (await runTeacher(t, data.images, B, [1, 28, 28], B)).logits;
  const loss = () => {
    const x = imagesToNhwc(data.images, B, [1, 28, 28]);
    return studentBatchLoss(s, [], settings, x, tf.tensor1d(Float32Array.from(data.labels)), tf.tensor2d(logits, [B, 10]), undefined, 0, 1).total;
  };
  const forward = () => tf.tidy(() => { loss().dataSync(); });
  const both = () => tf.tidy(() => { const { grads } = tf.variableGrads(loss, vars); for (const g of Object.values(grads)) g.dataSync(); });
  const step = () => tf.tidy(() => { optimizer.minimize(loss, false, vars); vars[0].dataSync(); });
  for (let i = 0; i < 2; i++) step();
  const time = async (f: () => unknown) => { const t0 = performance.now(); for (let i = 0; i < REPEAT; i++) await f(); return (performance.now() - t0) / REPEAT; };
  const teacherMs = await time(() => runTeacher(t, data.images, B, [1, 28, 28], B));
  const forwardMs = await time(forward);
  neuronClock.forwardMs = 0; neuronClock.backwardMs = 0;
  const bothMs = await time(both);
  const neuronForward = neuronClock.forwardMs / REPEAT, neuronBackward = neuronClock.backwardMs / REPEAT;
  const stepMs = await time(step);
  // The optimizer alone: Adam's update from gradients computed once.
  const { grads } = tf.variableGrads(loss, vars);
  const optimizerMs = await time(() => { optimizer.applyGradients(grads as unknown as Parameters<typeof optimizer.applyGradients>[0]); vars.at(-1)!.dataSync(); });
  tf.dispose(Object.values(grads));
  const byName = async (f: () => void) => {
    const info = await tf.profile(f);
    const m = new Map<string, number>();
    for (const k of info.kernels) { const ms = await k.kernelTimeMs; m.set(k.name, (m.get(k.name) ?? 0) + (typeof ms === 'number' ? ms : 0)); }
    return m;
  };
  const fwd = await byName(forward), fb = await byName(both);
  // The neuron layers run as a custom op (tfjs names it 'forward' where gradients are recorded); their backward is not a
  // kernel: both come from the neuron layers' own clock.
  const kernels = [...fb.keys()].map((name) => ({ name: name === 'forward' ? 'spiking neuron (wasm kernel + copies)' : name, forward: fwd.get(name) ?? 0, backward: Math.max(0, fb.get(name)! - (fwd.get(name) ?? 0)) }));
  const neuron = kernels.find((k) => k.name.startsWith('spiking'));
  if (neuron) { neuron.forward = neuronForward; neuron.backward = neuronBackward; }
  kernels.sort((a, b) => (b.forward + b.backward) - (a.forward + a.backward));
  const r2 = (x: number) => Number(x.toFixed(1));
  optimizer.dispose();
  return {
    student,
    phases: {
      teacherMs: r2(teacherMs), forwardMs: r2(forwardMs), backwardMs: r2(bothMs - forwardMs), optimizerMs: r2(optimizerMs),
      neuronForwardMs: r2(neuronForward), neuronBackwardMs: r2(neuronBackward), stepMs: r2(stepMs),
    },
    kernels: kernels.filter((k) => k.forward + k.backward >= 0.5).map((k) => ({ name: k.name, forward: r2(k.forward), backward: r2(k.backward) })),
    loadAverage1m: load(),
  };
}

if (args.includes('--profile')) {
  const label = flag('--label') ?? 'current';
  const profiles = [];
  for (const student of students) {
    const p = await profile(student, teacher);
    profiles.push(p);
    const ph = p.phases;
    process.stdout.write(`profile ${student}, one in-thread batch of ${B}, T=${T} (load average ${p.loadAverage1m}): teacher ${ph.teacherMs} ms (not in a training step: cached up front), `
      + `forward ${ph.forwardMs} ms, backward ${ph.backwardMs} ms, optimizer ${ph.optimizerMs} ms; whole step ${ph.stepMs} ms; spiking-neuron layers ${ph.neuronForwardMs} ms forward, ${ph.neuronBackwardMs} ms backward\n`);
    for (const k of p.kernels) process.stdout.write(`  ${k.name.padEnd(40)} ${String(k.forward).padStart(7)} ms forward ${String(k.backward).padStart(7)} ms backward\n`);
  }
  const record = { bench: 'train-profile', label, backend, batch: B, timesteps: T, profiles, measured: new Date().toISOString() };
  process.stdout.write(`${JSON.stringify(record)}\n`);
  if (args.includes('--record')) {
    const file = join(root, 'bench/results/results.bench-train-profile.json');
    const stored = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> : {};
    writeFileAtomic(file, `${JSON.stringify({ ...stored, [label]: record }, null, 2)}\n`);
  }
  await teacher.close();
} else {
  const runs: Run[] = [];
  for (const student of students) {
    for (const workers of workerCounts) {
      const r = await measure(student, workers);
      runs.push(r);
      process.stdout.write(`train bench: ${student}, ${workers} worker${workers > 1 ? 's' : ''}: ${r.samplesPerSecond} samples/s wall (${r.samplesPerCpuSecond} per CPU-second), ${r.msPerBatch} ms per batch of ${B}, T=${T}; load average ${r.loadAverage1m} on ${all} cores\n`);
    }
  }
  await teacher.close();
  const py = students.includes('cnn') ? torchPython() : undefined;
  const torch = py ? workerCounts.map((threads) => torchRun(py, threads)) : [];
  for (const t of torch) {
    const ours = runs.find((r) => r.student === 'cnn' && r.workers === t.threads)!;
    process.stdout.write(`torch ${t.version} (../shared/bench/torch_kd_bench.py ${T} ${t.threads}): ${t.samplesPerSecond} samples/s on ${t.threads} thread${t.threads > 1 ? 's' : ''}; snnc ${ours.samplesPerSecond} on ${t.threads} worker${t.threads > 1 ? 's' : ''}: ${(ours.samplesPerSecond / t.samplesPerSecond).toFixed(3)}x; load average ${t.loadAverage1m}\n`);
  }
  if (torch.some((t) => t.threads > 1 && t.loadAverage1m > all)) process.stdout.write(`note: load average above the ${all} cores during PyTorch's multi-threaded run: its OpenMP threads wait on each other on shared cores, so that ratio is not a valid comparison\n`);
  if (!py && students.includes('cnn')) process.stdout.write('torch: not importable here (python3-torch): no PyTorch reference in this run\n');
  const ref = runs.find((r) => r.student === 'cnn' && r.workers === 1);
  const refAll = runs.find((r) => r.student === 'cnn' && r.workers === all);
  const torchAll = torch.find((t) => t.threads === all);
  const result = {
    bench: 'train', backend, student: DESCRIPTION.cnn,
    teacher: 'src/assets/mnist-lenet-teacher.onnx (onnxruntime, outputs computed once up front as in snnc train)',
    timesteps: T, batch: B, steps: STEPS.cnn, kd: 'response (z-scored logits, the default)',
    // The reference student on one worker (this thread), as before; every run below.
    samplesPerSecond: ref?.samplesPerSecond, samplesPerCpuSecond: ref?.samplesPerCpuSecond, msPerBatch: ref?.msPerBatch,
    loadAverage1m: ref?.loadAverage1m ?? load(), target: 340,
    cores: all, allCoresSamplesPerSecond: refAll?.samplesPerSecond,
    runs, students: Object.fromEntries(students.map((s) => [s, DESCRIPTION[s]])),
    torch, torchRatioAllCores: refAll && torchAll ? Number((refAll.samplesPerSecond / torchAll.samplesPerSecond).toFixed(3)) : undefined, torchTargetRatio: 0.6,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (args.includes('--record')) {
    // docs/results.md quotes the recorded run (npm run experiments -- --merge renders it).
    writeFileAtomic(join(root, 'bench/results/results.bench-train.json'), `${JSON.stringify({ ...result, measured: new Date().toISOString() }, null, 2)}\n`);
  }
}
