import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnist } from '../../src/data/mnist.js';
import { take } from '../../src/data/dataset.js';
import { encodeIdx } from '../../src/data/idx.js';
import { loadDataset } from '../../src/data/index.js';
import { writeGraphJson } from '../../src/ir/json.js';
import { importOnnxFile } from '../../src/onnx/import.js';
import { runRobustness } from '../../src/cli/robustness.js';
import { runCli } from '../../src/cli/main.js';
import { validateSchema } from '../../src/util/schema.js';
import { loadModelEvaluators } from '../../src/report/models.js';
import type { RobustnessReport } from '../../src/report/robustness.js';
import { writeCentroidClassifier, writeSpikingCentroid } from './fixtures.js';

let dir: string;
let teacher: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'snnc-rob-'));
  teacher = join(dir, 'centroid.onnx');
  writeCentroidClassifier(teacher, loadMnist('train'));
  writeCentroidClassifier(join(dir, 'flat.onnx'), take(loadMnist('train'), 2000), { flatInput: true });
  writeSpikingCentroid(join(dir, 'student.onnx'), loadMnist('train'), 32);
  writeSpikingCentroid(join(dir, 'student16.onnx'), loadMnist('train'), 16);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('snnc robustness', () => {
  it('evaluates ANN models under noise, writes schema-valid JSON, a table and a chart', async () => {
    const out = join(dir, 'rob');
    const { report, table } = await runRobustness({
      models: [teacher, join(dir, 'flat.onnx')], dataset: 'mnist', split: 'test', samples: 300, seed: 5, output: out,
      noise: ['gaussian:0.1,0.4', 'saltpepper:0.3', 'occlusion:0.5', 'rotation:45', 'blur:2', 'background:0.5'],
    });
    const json = JSON.parse(readFileSync(join(out, 'robustness.json'), 'utf8'));
    validateSchema<RobustnessReport>('robustness.schema.json', json, 'robustness.json');
    expect(json.results.length).toBe(2 * 8);
    const acc = (model: string, noise: string, level: number) => report.results.find((e) => e.model === model && e.noise === noise && e.level === level)!.accuracy;
    // the fitted classifier is far above chance on clean digits and loses accuracy under strong noise
    expect(acc('centroid', 'clean', 0)).toBeGreaterThan(0.7);
    expect(acc('centroid', 'occlusion', 0.5)).toBeLessThan(acc('centroid', 'clean', 0) - 0.3);
    expect(acc('centroid', 'rotation', 45)).toBeLessThan(acc('centroid', 'clean', 0) - 0.1);
    expect(acc('centroid', 'blur', 2)).toBeLessThan(acc('centroid', 'clean', 0));
    // every entry's accuracy is its correct count over the samples
    for (const e of report.results) {
      expect(e.samples).toBe(300);
      expect(e.accuracy).toBe(e.correct / e.samples);
    }
    expect(table).toContain(`${(acc('centroid', 'clean', 0) * 100).toFixed(2)} %`);
    const svg = readFileSync(join(out, 'robustness.svg'), 'utf8');
    expect((svg.match(/class="mark series"/g) ?? []).length).toBe(2 * 6);
    expect(existsSync(join(out, 'robustness.md'))).toBe(true);

    // deterministic: the same seed gives the same counts
    const again = await runRobustness({ models: [teacher], dataset: 'mnist', split: 'test', samples: 300, seed: 5, output: join(dir, 'rob2'), noise: ['gaussian:0.4', 'saltpepper:0.3'] });
    expect(again.report.results.map((e) => e.correct)).toEqual(report.results.filter((e) => e.model === 'centroid' && ['clean', 'gaussian', 'saltpepper'].includes(e.noise) && e.level !== 0.1).map((e) => e.correct));
  });

  it('runs spiking students in the float SNN executor on the same perturbed inputs', async () => {
    const { report } = await runRobustness({
      models: [teacher, join(dir, 'student.onnx')], dataset: 'mnist', split: 'test', samples: 200, seed: 2, output: join(dir, 'rob-snn'),
      noise: ['gaussian:0.2', 'occlusion:0.4'],
    });
    expect(report.models.map((m) => [m.id, m.type, m.engine, m.timesteps])).toEqual([['centroid', 'ann', 'onnxruntime', null], ['student', 'snn', 'float', 32]]);
    const acc = (model: string, noise: string) => report.results.find((e) => e.model === model && e.noise === noise)!.accuracy;
    // the converted student tracks its ANN within a few points, clean and under noise, and occlusion hurts both
    for (const noise of ['clean', 'gaussian', 'occlusion']) expect(Math.abs(acc('student', noise) - acc('centroid', noise))).toBeLessThan(0.06);
    expect(acc('student', 'occlusion')).toBeLessThan(acc('student', 'clean') - 0.2);
    // --timesteps overrides the model's own: at T=2 the rate code is too coarse to keep up
    const short = await runRobustness({ models: [join(dir, 'student.onnx')], dataset: 'mnist', split: 'test', samples: 200, seed: 2, output: join(dir, 'rob-snn2'), noise: ['none'], timesteps: 2 });
    expect(short.report.results.length).toBe(1);
    expect(short.report.models[0].timesteps).toBe(2);
    expect(short.report.results[0].accuracy).toBeLessThan(acc('student', 'clean') - 0.1);
  });

  it('runs a student mapped onto a chip target through the simulator on the same inputs', async () => {
    const { report } = await runRobustness({
      models: [join(dir, 'student16.onnx')], dataset: 'mnist', split: 'test', samples: 100, seed: 4, output: join(dir, 'rob-chip'),
      noise: ['occlusion:0.4'], target: ['loihi-like'],
    });
    expect(report.models.map((m) => [m.id, m.engine, m.target])).toEqual([['student16', 'float', null], ['student16@loihi-like', 'simulator', 'loihi-like']]);
    const acc = (model: string, noise: string) => report.results.find((e) => e.model === model && e.noise === noise)!.accuracy;
    // integer weights and one step of delay per layer cost little: the chip tracks the float student
    expect(acc('student16@loihi-like', 'clean')).toBeGreaterThan(0.55);
    expect(Math.abs(acc('student16@loihi-like', 'clean') - acc('student16', 'clean'))).toBeLessThan(0.15);
    expect(acc('student16@loihi-like', 'occlusion')).toBeLessThan(acc('student16@loihi-like', 'clean') - 0.15);
  });

  it('evaluates on Fashion-MNIST from the Debian files', async () => {
    const model = join(dir, 'fashion-centroid.onnx');
    writeCentroidClassifier(model, loadDataset('fashion-mnist', { split: 'train' }));
    const { report } = await runRobustness({ models: [model], dataset: 'fashion-mnist', split: 'test', samples: 300, seed: 0, output: join(dir, 'rob-fashion'), noise: ['blur:2'] });
    expect(report.dataset).toBe('fashion-mnist');
    const clean = report.results.find((e) => e.noise === 'clean')!.accuracy;
    // the nearest-mean rule scores about two thirds on Fashion-MNIST, far above the 10 % of chance
    expect(clean).toBeGreaterThan(0.55);
    expect(report.results.find((e) => e.noise === 'blur')!.accuracy).toBeLessThan(clean);
  });

  it('takes IR graphs (.json) too: the same figures as their ONNX forms', async () => {
    writeGraphJson(join(dir, 'student-ir.json'), importOnnxFile(join(dir, 'student.onnx')).graph);
    writeGraphJson(join(dir, 'teacher-ir.json'), importOnnxFile(teacher).graph);
    const noise = ['gaussian:0.2', 'rotation:20'];
    const a = await runRobustness({ models: [teacher, join(dir, 'student.onnx')], dataset: 'mnist', split: 'test', samples: 150, seed: 3, output: join(dir, 'ir-a'), noise });
    const b = await runRobustness({ models: [join(dir, 'teacher-ir.json'), join(dir, 'student-ir.json')], dataset: 'mnist', split: 'test', samples: 150, seed: 3, output: join(dir, 'ir-b'), noise });
    expect(b.report.models.map((m) => [m.type, m.engine])).toEqual([['ann', 'float'], ['snn', 'float']]);
    const pick = (r: typeof a.report, k: number) => r.results.filter((e) => e.model === r.models[k].id).map((e) => e.correct);
    expect(pick(b.report, 1)).toEqual(pick(a.report, 1));
    // float32 rounding may flip a near-tie between onnxruntime and the IR executor, nothing more
    pick(b.report, 0).forEach((c, i) => expect(Math.abs(c - pick(a.report, 0)[i])).toBeLessThanOrEqual(1));
    expect(b.table).toContain('teacher-ir (ANN, IR executor)');
  });

  it('agrees with a direct onnxruntime evaluation', async () => {
    const data = take(loadMnist('test'), 100);
    const [m] = await loadModelEvaluators([teacher], { sampleShape: data.shape });
    const p = await m.predict(data.images, data.count);
    await m.dispose();
    // a model exported with a fixed batch of 1 is fed one sample at a time, with the same answers
    writeCentroidClassifier(join(dir, 'fixed1.onnx'), loadMnist('train'), { fixedBatch: 1 });
    const [one] = await loadModelEvaluators([join(dir, 'fixed1.onnx')], { sampleShape: data.shape });
    expect(Array.from(await one.predict(data.images, data.count))).toEqual(Array.from(p));
    await one.dispose();
    // recompute the nearest-centroid rule in JS from the training data: same predictions
    const train = loadMnist('train');
    const means = new Float64Array(10 * 784);
    const counts = new Array(10).fill(0);
    for (let n = 0; n < train.count; n++) { counts[train.labels[n]]++; for (let i = 0; i < 784; i++) means[train.labels[n] * 784 + i] += train.images[n * 784 + i]; }
    for (let c = 0; c < 10; c++) for (let i = 0; i < 784; i++) means[c * 784 + i] /= counts[c];
    let same = 0;
    for (let n = 0; n < 100; n++) {
      let best = 0, bestD = Infinity;
      for (let c = 0; c < 10; c++) {
        let d = 0;
        for (let i = 0; i < 784; i++) d += (data.images[n * 784 + i] - means[c * 784 + i]) ** 2;
        if (d < bestD) { bestD = d; best = c; }
      }
      if (best === p[n]) same++;
    }
    expect(same).toBeGreaterThanOrEqual(99);
  });

  it('refuses bad input with one-line user errors (exit 2)', async () => {
    const run = async (...args: string[]) => {
      const chunks: string[] = [];
      const orig = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((s: string) => { chunks.push(String(s)); return true; }) as typeof process.stderr.write;
      try {
        return { code: await runCli(args), err: chunks.join('') };
      } finally {
        process.stderr.write = orig;
      }
    };
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, 'this is not a model');
    let r = await run('robustness', junk, '-o', join(dir, 'x1'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^snnc: error: .*junk\.onnx/);
    r = await run('robustness', teacher, '--noise', 'snow:0.1', '-o', join(dir, 'x2'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown noise kind 'snow'/);
    r = await run('robustness', teacher, '--samples', '0', '-o', join(dir, 'x3'));
    expect(r.err).toMatch(/--samples must be an integer from 1 to 10000000/);
    r = await run('robustness', join(dir, 'missing.onnx'), '-o', join(dir, 'x4'));
    expect(r.err).toMatch(/missing\.onnx' does not exist/);
    // a model whose input does not fit the data set
    writeFileSync(join(dir, 'small-i'), encodeIdx([4, 2, 3], new Uint8Array(24)));
    writeFileSync(join(dir, 'small-l'), encodeIdx([4], new Uint8Array(4)));
    r = await run('robustness', teacher, '--dataset', 'idx:small-i,small-l', '--data-dir', dir, '-o', join(dir, 'x5'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/expects inputs of shape \[1, 28, 28\].*gives \[1, 2, 3\]/);
    expect(existsSync(join(dir, 'x1', 'robustness.json'))).toBe(false);
  });
});
