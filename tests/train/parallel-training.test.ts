/**
 * Data-parallel training (src/train/data-parallel.ts) on real digits: the gradient that N workers' shards add up
 * to is the in-thread gradient of the whole batch; `--workers 1` is the in-thread path byte for byte; two
 * workers train to the same accuracy band as one and reproduce themselves; a worker that fails ends the
 * command with one line and its exit code, writing no student and leaving no thread.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initTrainingBackend, tf } from '../../src/train/backend.js';
import { loadMnist } from '../../src/data/mnist.js';
import { take } from '../../src/data/dataset.js';
import { openTeacher } from '../../src/train/frozen-teacher.js';
import { gatherBatch, trainStudent } from '../../src/train/trainer.js';
import { createStudent, studentSpec, studentToGraph } from '../../src/train/student.js';
import { DEFAULT_NEURON } from '../../src/train/spiking.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { featureTensors, studentBatchLoss, type LossHint, type StudentLossSettings } from '../../src/train/replica.js';
import { GradientPool, shardBounds } from '../../src/train/data-parallel.js';
import { liveWorkerThreads } from '../../src/parallel/index.js';
import { mulberry32 } from '../../src/data/rng.js';
import { runCli } from '../../src/cli/main.js';
import { trainTeacher } from '../../src/train/teacher-train.js';

const TEACHER = join(import.meta.dirname, '../../src/assets/mnist-lenet-teacher.onnx');
const bin = resolve('dist/src/cli/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'snnc-parallel-train-'));
const train = take(loadMnist('train'), 2000);
const test = take(loadMnist('test'), 500);

beforeAll(async () => {
  await initTrainingBackend({ quiet: true });
});

describe('shards', () => {
  it('cut a batch into contiguous shards that differ by at most one sample and skip empty ones', () => {
    expect(shardBounds(64, 2)).toEqual([[0, 32], [32, 64]]);
    expect(shardBounds(13, 3)).toEqual([[0, 4], [4, 8], [8, 13]]);
    expect(shardBounds(2, 4)).toEqual([[0, 1], [1, 2]]);
  });
});

describe('the combined gradient', () => {
  it('of 3 workers\' shards is the in-thread gradient of the whole batch (response + feature KD, with an adapter)', async () => {
    const n = 48;
    const student = createStudent(studentSpec('cnn', 10), [1, 28, 28], 10, DEFAULT_NEURON, 4, 'direct', 7);
    const rand = mulberry32(11);
    // A 1×1 adapter from the student's if2 map (32 channels) to an 8-channel 7×7 "teacher" map.
    const hint: LossHint = { tap: 'if2', shape: [8, 7, 7], adapter: { w: tf.variable(tf.randomUniform([1, 1, 32, 8], -0.3, 0.3, 'float32', 5)), b: tf.variable(tf.zeros([8])) } };
    const vars = [...student.weights.values()].flatMap((p) => [p.w, p.b]).concat([hint.adapter.w, hint.adapter.b]);
    const settings: StudentLossSettings = { useResponse: true, useFeature: true, alpha: 0.5, tau: 4, kdStandardize: true };
    const idx = Int32Array.from({ length: n }, (_, i) => i);
    const batch = gatherBatch(train, idx, 0, n);
    const teacherLogits = Float32Array.from({ length: n * 10 }, () => rand() * 6 - 3);
    const features = Float32Array.from({ length: n * 8 * 49 }, () => rand());
    const { grads } = tf.variableGrads(() => studentBatchLoss(
      student, [hint], settings, tf.reshape(tf.tensor(batch.images), [n, 28, 28, 1]) as tf.Tensor4D, tf.tensor1d(batch.labels),
      tf.tensor2d(teacherLogits, [n, 10]), featureTensors([features], [hint], n), 0.8, 3,
    ).total, vars);
    const before = vars.map((v) => v.dataSync().slice());
    const pool = new GradientPool(3, {
      kind: 'student', spec: student.spec, inputShape: [1, 28, 28], classes: 10, neuron: DEFAULT_NEURON, timesteps: 4, encoding: 'direct', loss: settings,
      adapters: [{ tap: 'if2', shape: [8, 7, 7], channels: 32 }],
    }, vars);
    try {
      // Plain SGD with rate 1: each variable moves by minus the combined gradient.
      await pool.step(tf.train.sgd(1), { samples: idx, images: batch.images, labels: batch.labels, teacherLogits, features: [features] }, { image: 784, classes: 10, features: [8 * 49] }, 3, 0.8);
    } finally {
      await pool.close();
    }
    expect(liveWorkerThreads()).toBe(0);
    vars.forEach((v, i) => {
      const g = grads[v.name].dataSync();
      const after = v.dataSync();
      let scale = 0;
      for (const x of g) scale = Math.max(scale, Math.abs(x));
      expect(scale, v.name).toBeGreaterThan(0);
      for (let k = 0; k < g.length; k++) expect(Math.abs(before[i][k] - after[k] - g[k]), `${v.name}[${k}]`).toBeLessThan(1e-5 * scale + 1e-7);
    });
  }, 60_000);
});

describe('snnc train --workers', () => {
  let oneWorker: Awaited<ReturnType<typeof trainStudent>>;
  let twoWorkers: Awaited<ReturnType<typeof trainStudent>>;

  it('--workers 1 writes the student the in-thread trainer trains, byte for byte', async () => {
    const teacher = await openTeacher(TEACHER, [1, 28, 28], []);
    try {
      oneWorker = await trainStudent(train, test, teacher, { kd: 'response', epochs: 1, seed: 5 });
    } finally {
      await teacher.close();
    }
    const out = join(dir, 'one.onnx');
    const code = await runCli(['train', '--teacher', TEACHER, '--train-limit', '2000', '--test-limit', '500', '--epochs', '1', '--seed', '5', '--workers', '1', '--quiet', '-o', out]);
    expect(code).toBe(0);
    expect(Buffer.compare(readFileSync(out), Buffer.from(exportOnnx(studentToGraph(oneWorker.student))))).toBe(0);
  }, 120_000);

  it('2 workers reach the accuracy band of 1 (2,000 digits, 1 epoch), and a second 2-worker run is the same student', async () => {
    const teacher = await openTeacher(TEACHER, [1, 28, 28], []);
    let again: typeof twoWorkers;
    try {
      twoWorkers = await trainStudent(train, test, teacher, { kd: 'response', epochs: 1, seed: 5 }, { workers: 2 });
      again = await trainStudent(train, test, teacher, { kd: 'response', epochs: 1, seed: 5 }, { workers: 2 });
    } finally {
      await teacher.close();
    }
    expect(liveWorkerThreads()).toBe(0);
    expect(oneWorker.testAccuracy).toBeGreaterThan(0.7); // chance is 0.10
    expect(twoWorkers.testAccuracy).toBeGreaterThan(0.7);
    expect(Math.abs(twoWorkers.testAccuracy - oneWorker.testAccuracy)).toBeLessThan(0.04);
    expect(Math.abs(twoWorkers.history[0].loss - oneWorker.history[0].loss)).toBeLessThan(0.02 * oneWorker.history[0].loss);
    expect(Buffer.compare(Buffer.from(exportOnnx(studentToGraph(again.student))), Buffer.from(exportOnnx(studentToGraph(twoWorkers.student))))).toBe(0);
  }, 120_000);

  it('feature KD (kd both, two teacher maps, their adapters on the workers) trains with 2 workers as with 1', async () => {
    const teacher = await openTeacher(TEACHER, [1, 28, 28], ['relu1', 'relu2']);
    const few = take(train, 512), check = take(test, 200);
    try {
      const one = await trainStudent(few, check, teacher, { kd: 'both', epochs: 1, seed: 2 }, { workers: 1 });
      const two = await trainStudent(few, check, teacher, { kd: 'both', epochs: 1, seed: 2 }, { workers: 2 });
      expect(two.history[0].feature).toBeGreaterThan(0);
      expect(Math.abs(two.history[0].feature - one.history[0].feature)).toBeLessThan(0.02 * one.history[0].feature);
      expect(Math.abs(two.history[0].loss - one.history[0].loss)).toBeLessThan(0.02 * one.history[0].loss);
    } finally {
      await teacher.close();
    }
  }, 120_000);

  it('train-teacher: 2 workers reach the accuracy band of 1', async () => {
    const few = take(train, 1000), check = take(test, 300);
    const config = { arch: 'lenet', epochs: 1, batchSize: 64, learningRate: 2e-3, seed: 1 };
    const one = await trainTeacher(few, check, config);
    const two = await trainTeacher(few, check, config, {}, { workers: 2 });
    expect(one.testAccuracy).toBeGreaterThan(0.7);
    expect(Math.abs(two.testAccuracy - one.testAccuracy)).toBeLessThan(0.04);
    expect(liveWorkerThreads()).toBe(0);
  }, 120_000);
});

describe('--workers on train and train-teacher', () => {
  it('is refused in one line (exit 2) unless a positive integer', async () => {
    for (const argv of [['train', '--kd', 'none', '--workers', '0'], ['train-teacher', '--workers', '1.5']]) {
      expect(await runCli([...argv, '--train-limit', '64', '--epochs', '1', '--quiet', '-o', join(dir, 'refused.onnx')])).toBe(2);
    }
    expect(existsSync(join(dir, 'refused.onnx'))).toBe(false);
  });
});

describe('Ctrl-C during data-parallel training', () => {
  it('stops after the running batch and writes the last complete epoch, as with one worker (exit 130, no thread left)', async () => {
    const out = join(dir, 'ctrlc.onnx');
    const child = spawn(process.execPath, [bin, 'train', '--teacher', TEACHER, '--train-limit', '1024', '--test-limit', '100', '--epochs', '30', '--workers', '2', '-o', out]);
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
      if (/^epoch 1: /m.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    // The child exits on its own: a worker thread left running would keep it alive until the test's timeout.
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/stopping after this batch/);
    expect(stderr).toMatch(/stopped early: the written student is the last complete epoch/);
    expect(existsSync(out)).toBe(true);
    const ckpt = JSON.parse(readFileSync(out.replace(/\.onnx$/, '.ckpt.json'), 'utf8')) as { epoch: number };
    expect(ckpt.epoch).toBeGreaterThanOrEqual(1);
    expect(ckpt.epoch).toBeLessThan(30);
  }, 120_000);
});

describe('a training worker that fails', () => {
  it('ends train with one line and exit 2 (user error) or 1 (bug), no student written, no thread left', () => {
    const cases: [string, number, RegExp][] = [
      ['user:7', 2, /^snnc: error: training sample 7: injected fault \(user error\)\n$/],
      ['bug:7', 1, /^snnc: internal error: training sample 7: injected fault \(internal error\)\n$/],
      ['oom:7', 2, /^snnc: error: a worker thread ran out of memory \(2 workers\): run fewer with --workers\n$/],
    ];
    for (const [fault, code, line] of cases) {
      const out = join(dir, `fault-${fault.replace(':', '-')}.onnx`);
      // The child exits on its own (bin.js sets process.exitCode): a thread left running would keep it alive until the timeout.
      const r = spawnSync(process.execPath, [bin, 'train', '--teacher', TEACHER, '--train-limit', '256', '--test-limit', '64', '--epochs', '1', '--workers', '2', '--quiet', '-o', out], {
        env: { ...process.env, SNNC_WORKER_FAULT: fault }, encoding: 'utf8', timeout: 60_000,
      });
      expect(r.signal, fault).toBeNull();
      expect(r.status, `${fault}: ${r.stderr}`).toBe(code);
      expect(r.stderr, fault).toMatch(line);
      expect(r.stdout).toBe('');
      for (const f of [out, out.replace(/\.onnx$/, '.snn.json'), out.replace(/\.onnx$/, '.ckpt.json')]) expect(existsSync(f), f).toBe(false);
    }
  }, 180_000);
});
