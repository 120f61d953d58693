/**
 * Resume reproducibility (issue 22, defect 10): a seeded run interrupted in its second epoch and resumed
 * from its checkpoint exports the same student, byte for byte, as the same run left alone; and a
 * hand-edited checkpoint is refused as strictly as the flags (exit 2, one line, nothing written).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initTrainingBackend } from '../../src/train/backend.js';
import { loadMnist } from '../../src/data/mnist.js';
import { take } from '../../src/data/dataset.js';
import { openTeacher, type FrozenTeacher } from '../../src/train/frozen-teacher.js';
import { trainStudent, type TrainConfig } from '../../src/train/trainer.js';
import { studentToGraph } from '../../src/train/student.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { runCliCaptured } from '../fixtures/capture.js';

const TEACHER = resolve('src/assets/mnist-lenet-teacher.onnx');
const dir = mkdtempSync(join(tmpdir(), 'snnc-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const train = take(loadMnist('train'), 320);
const test = take(loadMnist('test'), 64);
// Every source of state a resume must restore: Adam, shuffling, augmentation, rate-encoded input, feature adapters.
const config: Partial<TrainConfig> = { kd: 'both', epochs: 3, timesteps: 2, batchSize: 64, seed: 11, augmentShift: 1, encoding: 'rate', featureNorm: 'channel' };
let teacher: FrozenTeacher;
const exported = (r: Awaited<ReturnType<typeof trainStudent>>) => Buffer.from(exportOnnx(studentToGraph(r.student)));

beforeAll(async () => {
  await initTrainingBackend({ quiet: true });
  teacher = await openTeacher(TEACHER, [1, 28, 28], 'auto');
});
afterAll(async () => { await teacher?.close(); });

describe('resume', () => {
  it('interrupted in epoch 2 and resumed = uninterrupted, byte for byte', async () => {
    const whole = await trainStudent(train, test, teacher, config, { checkpointPath: join(dir, 'whole.ckpt.json') });
    expect(whole.history).toHaveLength(3);

    const ckpt = join(dir, 'cut.ckpt.json');
    let batches = 0;
    const cut = await trainStudent(train, test, teacher, config, { checkpointPath: ckpt }, {
      onBatch: (epoch) => { if (epoch === 1) batches++; },
      shouldStop: () => batches >= 2, // two batches into the second epoch
    });
    expect(cut.stopped).toBe(true);
    expect(cut.history).toHaveLength(1);
    expect(JSON.parse(readFileSync(ckpt, 'utf8')).epoch).toBe(1);

    const resumed = await trainStudent(train, test, teacher, config, { checkpointPath: ckpt, resume: true });
    expect(resumed.history).toHaveLength(3);
    expect(exported(resumed).equals(exported(whole))).toBe(true);
    expect(resumed.history.map((h) => h.loss)).toEqual(whole.history.map((h) => h.loss));
    // The final checkpoints agree too: weights and Adam's whole state.
    const a = JSON.parse(readFileSync(join(dir, 'whole.ckpt.json'), 'utf8'));
    const b = JSON.parse(readFileSync(ckpt, 'utf8'));
    expect(b.weights).toEqual(a.weights);
    expect(b.optimizer).toEqual(a.optimizer);
  }, 300_000);
});

describe('hand-edited checkpoints are checked as strictly as the flags', () => {
  let good: Record<string, any>;
  beforeAll(async () => {
    const ckpt = join(dir, 'small.ckpt.json');
    await trainStudent(take(train, 64), take(test, 16), undefined, { kd: 'none', epochs: 1, seed: 2 }, { checkpointPath: ckpt });
    good = JSON.parse(readFileSync(ckpt, 'utf8'));
  }, 120_000);

  const cases: [string, (c: Record<string, any>) => void, RegExp][] = [
    ['negative learning rate', (c) => { c.config.learningRate = -0.01; }, /config\.learningRate must be a number in \(0, 10\), got -0\.01/],
    ['1e9 epochs', (c) => { c.config.epochs = 1e9; }, /config\.epochs must be an integer from 1 to 10000, got 1000000000/],
    ['T = 100,000', (c) => { c.config.timesteps = 100_000; }, /config\.timesteps must be an integer from 1 to 256, got 100000/],
    ['batch 0', (c) => { c.config.batchSize = 0; }, /config\.batchSize must be an integer from 1 to 4096, got 0/],
    ['epoch "abc"', (c) => { c.epoch = 'abc'; }, /epoch must be integer/],
    ['an unknown student', (c) => { c.config.student = 'transformer'; }, /config\.student must be one of cnn, vgg, resnet, got 'transformer'/],
    ['more epochs done than planned', (c) => { c.epoch = 5; }, /epoch 5 is beyond its own config\.epochs 1/],
    ['weights of the wrong length', (c) => { const k = Object.keys(c.weights)[0]; c.weights[k].data = c.weights[k].data.slice(8); }, /weights '.*': shape \[.*\] needs \d+ bytes/],
    ['a format of an older snnc', (c) => { c.format = 'snnc-train-checkpoint/1'; }, /older snnc \(format 1/],
  ];
  it.each(cases)('%s', async (_name, edit, mentions) => {
    const c = JSON.parse(JSON.stringify(good));
    edit(c);
    const ckpt = join(dir, `edited-${_name.replace(/\W+/g, '-')}.json`);
    writeFileSync(ckpt, JSON.stringify(c));
    const before = readFileSync(ckpt, 'utf8');
    const out = join(dir, `edited-${_name.replace(/\W+/g, '-')}.onnx`);
    const r = await runCliCaptured(['train', '--kd', 'none', '--resume', '--checkpoint', ckpt, '--train-limit', '64', '--test-limit', '16', '--quiet', '-o', out]);
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^snnc: error: checkpoint '.*'/);
    expect(lines[0]).toMatch(mentions);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(ckpt, 'utf8')).toBe(before);
  });
});
