/**
 * `npm run bench:train`: samples/s of KD training of the reference student on random data —
 * two 3×3 convolutions (16, 32 channels, 'same') each followed by IF neurons and 2×2 average pooling, a
 * linear readout 32·7·7 → 10; a LeNet teacher run frozen by onnxruntime on every batch; T = 4, batch 64,
 * Adam, response KD. Prints wall-clock samples/s and samples per CPU-second of this process (the machine is
 * shared: the second figure is what one free core gives).
 */
import { loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initTrainingBackend, tf } from '../src/train/backend.js';
import { createStudent, imagesToNhwc, runStudent, studentSpec, trainableVariables } from '../src/train/student.js';
import { DEFAULT_NEURON } from '../src/train/spiking.js';
import { responseKdLoss } from '../src/train/losses.js';
import { openTeacher, runTeacher } from '../src/train/frozen-teacher.js';
import { shippedTeacher } from '../src/demo.js';
import { mulberry32 } from '../src/data/rng.js';
import { DEFAULT_CONFIG } from '../src/train/trainer.js';

const B = 64, T = 4, STEPS = Number(process.env.BENCH_STEPS ?? 30), WARMUP = 3;

const backend = await initTrainingBackend();
const here = dirname(fileURLToPath(import.meta.url));
const teacherPath = shippedTeacher();
const teacher = await openTeacher(teacherPath, [1, 28, 28], []);
const student = createStudent(studentSpec('cnn', 10), [1, 28, 28], 10, DEFAULT_NEURON, T, 'direct', 1);
const vars = trainableVariables(student);
const optimizer = tf.train.adam(1e-3);
const rand = mulberry32(42);
const images = Float32Array.from({ length: B * 784 }, () => rand());
const labels = Float32Array.from({ length: B }, () => Math.floor(rand() * 10));

async function step(): Promise<void> {
  // Teacher logits per batch (random data, so nothing to precompute), then one student update.
  const t = await runTeacher(teacher, images, B, [1, 28, 28], B);
  tf.tidy(() => {
    const x = imagesToNhwc(images, B, [1, 28, 28]);
    const tl = tf.tensor2d(t.logits, [B, 10]);
    const y = tf.tensor1d(labels);
    optimizer.minimize(() => responseKdLoss(runStudent(student, x).logits, tl, y, DEFAULT_CONFIG.alpha, DEFAULT_CONFIG.tau, DEFAULT_CONFIG.kdStandardize).total, false, vars);
  });
}

for (let i = 0; i < WARMUP; i++) await step();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < STEPS; i++) await step();
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
await teacher.close();
const samples = STEPS * B;
const result = {
  bench: 'train', backend, student: 'cnn (conv3x3 16 + IF + avgpool2, conv3x3 32 + IF + avgpool2, linear 1568→10)',
  teacher: 'src/assets/mnist-lenet-teacher.onnx (onnxruntime, per batch)',
  timesteps: T, batch: B, steps: STEPS, kd: 'response (z-scored logits, the default)',
  samplesPerSecond: Number((samples / wall).toFixed(1)),
  samplesPerCpuSecond: Number((samples / cpuSeconds).toFixed(1)),
  msPerBatch: Number((1000 * wall / STEPS).toFixed(1)),
  loadAverage1m: Number(loadavg()[0].toFixed(2)),
  target: 340,
};
process.stdout.write(`train bench: ${result.samplesPerSecond} samples/s wall (${result.samplesPerCpuSecond} per CPU-second), ${result.msPerBatch} ms per batch of ${B}, T=${T}, backend ${backend}; load average ${result.loadAverage1m} on ${'2'} cores (shared machine)\n`);
process.stdout.write(`${JSON.stringify(result)}\n`);
if (process.argv.includes('--record')) {
  // docs/results.md quotes the recorded run (npm run experiments -- --merge renders it).
  const { writeFileAtomic } = await import('../src/util/fs.js');
  writeFileAtomic(join(here, '../../bench/results/results.bench-train.json'), `${JSON.stringify({ ...result, measured: new Date().toISOString() }, null, 2)}\n`);
}
