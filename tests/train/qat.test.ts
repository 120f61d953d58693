/**
 * Quantization-aware training (issue 20 point 3): the forward pass under --quantize-for is the chip's arithmetic
 * (checked against the fixed-point reference run on the compiler's own integers), differs from the float one,
 * still trains (gradients pass the rounding straight through), and its student compiles for the target; bad
 * targets cost one line and exit 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, initTrainingBackend } from '../../src/train/backend.js';
import { loadMnist } from '../../src/data/mnist.js';
import { take } from '../../src/data/dataset.js';
import { createStudent, imagesToNhwc, runStudent, studentSpec, studentToGraph, trainableVariables } from '../../src/train/student.js';
import { DEFAULT_NEURON } from '../../src/train/spiking.js';
import { createQat, runQuantized } from '../../src/train/qat.js';
import { crossEntropy } from '../../src/train/losses.js';
import { trainStudent } from '../../src/train/trainer.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { compile } from '../../compiler/index.js';
import { quantizeForTarget } from '../../compiler/pipeline.js';
import { loadTarget } from '../../targets/load.js';
import { FixedPointReference } from '../../simulator/reference.js';
import { runCliCaptured } from '../fixtures/capture.js';

const dir = mkdtempSync(join(tmpdir(), 'snnc-qat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const train = take(loadMnist('train'), 256);
const test = take(loadMnist('test'), 32);
const T = 4;

beforeAll(async () => { await initTrainingBackend({ quiet: true }); });

/** A student after a few float training steps (its weights then have the spread of a trained one). */
async function warmStudent(seed: number) {
  const student = createStudent(studentSpec('cnn', 10), [1, 28, 28], 10, DEFAULT_NEURON, T, 'direct', seed);
  const opt = tf.train.adam(2e-3);
  const x = imagesToNhwc(train.images, train.count, train.shape);
  const y = tf.tensor1d(train.labels);
  for (let i = 0; i < 5; i++) opt.minimize(() => crossEntropy(runStudent(student, x).logits, y), false, trainableVariables(student));
  x.dispose(); y.dispose(); opt.dispose();
  return student;
}

describe('quantization-aware forward pass', () => {
  it('equals the fixed-point reference on the compiler\'s integers (float units) and differs from the float forward', async () => {
    const student = await warmStudent(3);
    const target = loadTarget('loihi-like');
    const qat = createQat(student, 'loihi-like', target);
    const x = imagesToNhwc(test.images, test.count, test.shape);
    const quantized = tf.tidy(() => runQuantized(qat, student, x).logits.dataSync() as Float32Array);
    const float = tf.tidy(() => runStudent(student, x).logits.dataSync() as Float32Array);
    x.dispose();
    // The chip's own numbers: the compiler's integers, run in exact integer arithmetic, same-step delivery over T
    // steps (the trainer's time base), the readout potential read back in float units.
    const { quant } = quantizeForTarget(studentToGraph(student), { target, timesteps: T });
    const readout = quant.populations.find((p) => p.readout)!;
    const unit = quant.stateUnits![readout.name];
    const ref = new FixedPointReference(quant, { delay: 'same-step', timesteps: T });
    const size = 28 * 28;
    let worst = 0, scale = 0, floatGap = 0;
    for (let i = 0; i < test.count; i++) {
      const r = ref.runSample(test.images.subarray(i * size, (i + 1) * size), i);
      for (let c = 0; c < 10; c++) {
        const chip = r.readout[c] * unit;
        worst = Math.max(worst, Math.abs(chip - quantized[i * 10 + c]));
        scale = Math.max(scale, Math.abs(chip));
        floatGap = Math.max(floatGap, Math.abs(float[i * 10 + c] - quantized[i * 10 + c]));
      }
    }
    expect(scale).toBeGreaterThan(0);
    expect(worst / scale).toBeLessThan(1e-4);
    expect(floatGap / scale).toBeGreaterThan(1e-3);
  }, 60_000);

  it('trains: the loss under the target\'s rounding falls over a few steps', async () => {
    const student = createStudent(studentSpec('cnn', 10), [1, 28, 28], 10, DEFAULT_NEURON, T, 'direct', 5);
    const qat = createQat(student, 'loihi-like');
    const opt = tf.train.adam(2e-3);
    const x = imagesToNhwc(train.images, train.count, train.shape);
    const y = tf.tensor1d(train.labels);
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const cost = opt.minimize(() => crossEntropy(runQuantized(qat, student, x).logits, y), true, trainableVariables(student))!;
      losses.push(cost.dataSync()[0]);
      cost.dispose();
    }
    x.dispose(); y.dispose(); opt.dispose();
    expect(losses.at(-1)!).toBeLessThan(0.8 * losses[0]);
  }, 60_000);
});

describe('snnc train --quantize-for', () => {
  it('refuses an unknown target in one line, exit 2', async () => {
    const r = await runCliCaptured(['train', '--kd', 'none', '--quantize-for', 'no-such-chip', '--train-limit', '64', '--test-limit', '16', '--quiet', '-o', join(dir, 'bad.onnx')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--quantize-for: unknown target 'no-such-chip'/);
  });

  it('refuses a target the student cannot be mapped onto in one line, exit 2', async () => {
    const file = JSON.parse(readFileSync('targets/loihi-like.json', 'utf8'));
    file.name = 'tiny-loihi';
    file.core.count = { value: 2, source: 'test: too few cores for the student' };
    const path = join(dir, 'tiny.json');
    writeFileSync(path, JSON.stringify(file));
    const r = await runCliCaptured(['train', '--kd', 'none', '--quantize-for', path, '--train-limit', '64', '--test-limit', '16', '--quiet', '-o', join(dir, 'tiny.onnx')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot be mapped onto tiny-loihi/);
  });

  it('refuses an output that is the --quantize-for target file, leaving the file as it was', async () => {
    const path = join(dir, 'own-target.json');
    const text = readFileSync('targets/loihi-like.json', 'utf8');
    writeFileSync(path, text);
    const r = await runCliCaptured(['train', '--kd', 'none', '--quantize-for', path, '--ir', path, '--train-limit', '64', '--test-limit', '16', '--quiet', '-o', join(dir, 'own.onnx')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--ir '.*own-target\.json' is the input/);
    expect(readFileSync(path, 'utf8')).toBe(text);
    expect(existsSync(join(dir, 'own.onnx'))).toBe(false);
  });

  it('a QAT run keeps the option in its checkpoint, and its student compiles for the target', async () => {
    const ckpt = join(dir, 'qat.ckpt.json');
    const r = await trainStudent(train, test, undefined, { kd: 'none', epochs: 1, timesteps: T, batchSize: 64, seed: 2, quantizeFor: 'loihi-like' }, { checkpointPath: ckpt });
    expect(r.history[0].quantizedTestAccuracy).toBeGreaterThan(0.2);
    const saved = readCheckpoint<{ quantizeFor?: string }, unknown>(ckpt, () => {});
    expect(saved.config.quantizeFor).toBe('loihi-like');
    // Resumed without the flag, the run stays quantization-aware.
    const resumed = await trainStudent(train, test, undefined, { kd: 'none', epochs: 2, timesteps: T, batchSize: 64, seed: 2 }, { checkpointPath: ckpt, resume: true });
    expect(resumed.config.quantizeFor).toBe('loihi-like');
    expect(resumed.history[1].quantizedTestAccuracy).toBeGreaterThan(0);
    const compiled = compile(studentToGraph(resumed.student), { target: 'loihi-like' });
    expect(compiled.summary.coresUsed).toBeGreaterThan(0);
  }, 60_000);
});
