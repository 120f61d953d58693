import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { initTrainingBackend } from '../../src/train/backend.js';
import { loadMnist } from '../../src/data/mnist.js';
import { take } from '../../src/data/dataset.js';
import { openTeacher } from '../../src/train/frozen-teacher.js';
import { trainStudent, type TrainResult } from '../../src/train/trainer.js';
import { studentToGraph } from '../../src/train/student.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { hasOnnxChecker, officialCheck } from '../fixtures/onnx-checker.js';
import { loadSplits, runTeacherTraining } from '../../src/train/run.js';
import { annLogits } from '../../src/train/teacher-train.js';
import { createAnn, annToGraph } from '../../src/train/teacher.js';
import { importOnnx } from '../../src/onnx/import.js';
import { runGraph, predict } from '../../src/ir/execute.js';
import { runCli } from '../../src/cli/main.js';

const TEACHER = join(import.meta.dirname, '../../src/assets/mnist-lenet-teacher.onnx');
const dir = mkdtempSync(join(tmpdir(), 'snnc-train-test-'));
const train = take(loadMnist('train'), 1200);
const test = take(loadMnist('test'), 400);
let first: TrainResult;

beforeAll(async () => {
  await initTrainingBackend({ quiet: true });
  expect(existsSync(TEACHER), 'the shipped MNIST teacher (src/assets) is missing').toBe(true);
  const teacher = await openTeacher(TEACHER, [1, 28, 28], []);
  try {
    first = await trainStudent(train, test, teacher, { kd: 'response', epochs: 1, timesteps: 4, seed: 3 }, {
      logPath: join(dir, 'log.jsonl'), checkpointPath: join(dir, 'ckpt.json'),
    });
  } finally {
    await teacher.close();
  }
});

describe('KD training on real digits', () => {
  it('a short response-KD run rises far above chance and logs the epoch', () => {
    expect(first.testAccuracy).toBeGreaterThan(0.6); // chance is 0.10
    const lines = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    for (const key of ['loss', 'ce', 'kd', 'trainAccuracy', 'testAccuracy', 'seconds', 'peakRssMB']) expect(lines[0]).toHaveProperty(key);
    expect(lines[0].kd).toBeGreaterThan(0);
    expect(lines[0].testAccuracy).toBeCloseTo(first.testAccuracy, 10);
  });

  it('export round trip: ONNX → import → float executor gives the trainer\'s prediction on every test sample', async () => {
    const graph = studentToGraph(first.student);
    const bytes = exportOnnx(graph);
    const imported = importOnnx(bytes);
    const kinds = new Set([...imported.graph.nodes.values()].map((n) => n.kind));
    for (const k of ['Conv2d', 'IF', 'AvgPool2d', 'Flatten', 'Affine']) expect(kinds.has(k as never)).toBe(true);
    expect(imported.graph.meta.timesteps).toBe(4);
    const logits = runGraph(imported.graph, test.images, test.count, { mode: 'snn' });
    const p = predict(logits, test.count);
    expect(Array.from(p)).toEqual(Array.from(first.testPredictions));
  });

  it('the student ONNX passes the official checker (python3-onnx; required in CI)', (ctx) => {
    if (!hasOnnxChecker) ctx.skip();
    const file = join(dir, 'student.onnx');
    writeFileSync(file, exportOnnx(studentToGraph(first.student)));
    officialCheck(file);
  });

  it('resumes from the checkpoint and continues the same run', async () => {
    const teacher = await openTeacher(TEACHER, [1, 28, 28], []);
    const r = await trainStudent(train, test, teacher, { kd: 'response', epochs: 2, seed: 99 }, { checkpointPath: join(dir, 'ckpt.json'), resume: true });
    await teacher.close();
    expect(r.config.seed).toBe(3); // the stored run's settings win; only the epoch budget grows
    expect(r.history).toHaveLength(2);
    expect(r.history[0]).toEqual(first.history[0]);
  }, 300_000);
});

describe('feature KD on several maps', () => {
  it('pairs each teacher map with a student map of its size through its own adapter, and resumes them', async () => {
    const teacher = await openTeacher(TEACHER, [1, 28, 28], ['relu1', 'relu2']);
    const lines: string[] = [];
    const ckpt = join(dir, 'multi.ckpt.json');
    const few = take(train, 300), check = take(test, 100);
    try {
      const r = await trainStudent(few, check, teacher, { kd: 'feature', featureNorm: 'channel', epochs: 1, seed: 4 }, { checkpointPath: ckpt }, { log: (l) => lines.push(l) });
      expect(lines.filter((l) => l.startsWith('feature KD:'))).toEqual([
        'feature KD: student if1 [28,28,16] → 1×1 adapter → teacher relu1 [16,28,28]',
        'feature KD: student if2 [14,14,32] → 1×1 adapter → teacher relu2 [32,14,14]',
      ]);
      expect(r.history[0].feature).toBeGreaterThan(0);
      const weights = JSON.parse(readFileSync(ckpt, 'utf8')).weights;
      expect(weights['adapter/w'].shape).toEqual([1, 1, 16, 16]);
      expect(weights['adapter1/w'].shape).toEqual([1, 1, 32, 32]);
      const resumed = await trainStudent(few, check, teacher, { kd: 'feature', epochs: 2 }, { checkpointPath: ckpt, resume: true });
      expect(resumed.history).toHaveLength(2);
      expect(resumed.history[0]).toEqual(r.history[0]);
      // One student layer named for two teacher maps is refused, naming both.
      await expect(trainStudent(few, check, teacher, { kd: 'feature', epochs: 1, studentTap: 'if2' })).rejects.toThrow(/1 student layer\(s\) for 2 teacher feature map\(s\) \(relu1, relu2\)/);
      await expect(trainStudent(few, check, teacher, { kd: 'feature', epochs: 1, studentTap: 'if1,readout' })).rejects.toThrow(/no spiking feature map 'readout'/);
    } finally {
      await teacher.close();
    }
  }, 300_000);
});

describe('teacher export', () => {
  it('onnxruntime on the exported teacher gives the tfjs logits', async () => {
    const m = createAnn('lenet', [1, 28, 28], 10, 5);
    const few = take(test, 16);
    const tfjsLogits = annLogits(m, few);
    const session = await ort.InferenceSession.create(exportOnnx(annToGraph(m)));
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', few.images, [16, 1, 28, 28]) });
    const ortLogits = out[session.outputNames[0]].data as Float32Array;
    for (let i = 0; i < ortLogits.length; i++) expect(ortLogits[i]).toBeCloseTo(tfjsLogits[i], 3);
    await session.release();
  });

  it('train-teacher trains and writes a loadable model', async () => {
    const out = join(dir, 'teacher.onnx');
    const r = await runTeacherTraining({ dataset: 'mnist', output: out, trainLimit: 600, testLimit: 200, quiet: true, config: { arch: 'lenet', epochs: 1, batchSize: 64, learningRate: 2e-3, seed: 1 } });
    expect(r.testAccuracy).toBeGreaterThan(0.5);
    expect(existsSync(out)).toBe(true);
  }, 300_000);
});

describe('validation split', () => {
  it('holds out the last training samples and never reads the test split', () => {
    const { train: t, test: v } = loadSplits('mnist', undefined, 300, undefined, 100);
    const all = take(loadMnist('train'), 300);
    expect(t.count).toBe(200);
    expect(v.count).toBe(100);
    expect(Array.from(v.labels)).toEqual(Array.from(all.labels.slice(200)));
    expect(v.images).toEqual(all.images.slice(200 * 784));
    expect(v.name).toContain('validation');
  });
});

describe('snnc train output paths', () => {
  it('creates the folders of -o and its log, and a rerun starts a fresh log', async () => {
    const out = join(dir, 'new', 'nested', 's.onnx');
    const argv = ['train', '--kd', 'none', '--train-limit', '64', '--test-limit', '32', '--epochs', '1', '--quiet', '-o', out];
    expect(await runCli(argv)).toBe(0);
    expect(await runCli(argv)).toBe(0);
    const log = readFileSync(join(dir, 'new', 'nested', 's.log.jsonl'), 'utf8').trim().split('\n');
    expect(log).toHaveLength(1);
    expect(existsSync(out)).toBe(true);
  }, 120_000);
});

describe('snnc train: bad input is a one-line user error (exit 2)', () => {
  const cases: [string, string[]][] = [
    ['KD without a teacher', ['train', '--kd', 'response', '-o', join(dir, 'a.onnx')]],
    ['a missing teacher file', ['train', '--teacher', join(dir, 'nope.onnx'), '-o', join(dir, 'a.onnx')]],
    ['zero time steps', ['train', '--kd', 'none', '--timesteps', '0', '--train-limit', '10', '-o', join(dir, 'a.onnx')]],
    ['an output that is not .onnx', ['train', '--kd', 'none', '-o', join(dir, 'a.txt')]],
    ['an unknown student', ['train', '--kd', 'none', '--student', 'transformer', '-o', join(dir, 'a.onnx')]],
    ['a validation split as large as the training data', ['train', '--kd', 'none', '--train-limit', '20', '--validation', '20', '-o', join(dir, 'a.onnx')]],
  ];
  for (const [what, argv] of cases) {
    it(what, async () => {
      expect(await runCli(argv)).toBe(2);
      expect(existsSync(join(dir, 'a.onnx'))).toBe(false);
    });
  }
  it('a teacher file that is not ONNX', async () => {
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, 'this is not a protobuf');
    expect(await runCli(['train', '--teacher', bad, '--train-limit', '10', '--test-limit', '10', '-o', join(dir, 'a.onnx')])).toBe(2);
  });
});
