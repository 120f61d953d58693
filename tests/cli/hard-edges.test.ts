/**
 * The hard edges a new user meets (issue 6): every command, given a missing file, a file of the wrong
 * type, a bad flag value or an unknown target, answers with ONE line naming what is wrong and exit code 2,
 * and leaves no output behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCliCaptured } from '../fixtures/capture.js';

const lenet = resolve('tests/fixtures/onnx/lenet.onnx');
const notOnnx = resolve('package.json');
let tmp = '';
let textFile = '';

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'snnc-edges-'));
  textFile = join(tmp, 'notes.txt');
  writeFileSync(textFile, 'this is not a model\n');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Case = [what: string, args: () => string[], mentions: RegExp];
/** Each case writes (if it wrongly writes at all) under its own folder, named after the output. */
const out = (name: string) => join(tmp, `out-${name}`, name);

const cases: Record<string, Case[]> = {
  inspect: [
    ['missing file', () => ['inspect', join(tmp, 'nope.onnx')], /nope\.onnx/],
    ['wrong file type', () => ['inspect', textFile], /notes\.txt/],
    ['bad flag value', () => ['inspect', lenet, '--json', 'sideways'], /sideways/],
    ['unknown target', () => ['inspect', lenet, '--target', 'nosuch-chip'], /target/],
  ],
  compile: [
    ['missing file', () => ['compile', join(tmp, 'nope.onnx'), '-t', 'loihi-like', '-o', out('c1')], /nope\.onnx/],
    ['wrong file type', () => ['compile', textFile, '-t', 'loihi-like', '-o', out('c2')], /notes\.txt/],
    ['bad flag value', () => ['compile', lenet, '-t', 'loihi-like', '--timesteps', '-4', '-o', out('c3')], /timesteps/],
    ['unknown target', () => ['compile', lenet, '-t', 'nosuch-chip', '-o', out('c4')], /nosuch-chip/],
  ],
  targets: [
    ['missing file', () => ['targets', join(tmp, 'nope.json')], /nope\.json/],
    ['wrong file type', () => ['targets', notOnnx], /package\.json|field|property/],
    ['bad flag value', () => ['targets', '--json', 'sideways'], /sideways/],
    ['unknown target', () => ['targets', 'nosuch-chip'], /nosuch-chip/],
  ],
  simulate: [
    ['missing file', () => ['simulate', join(tmp, 'nope-dir')], /nope-dir/],
    ['wrong file type', () => ['simulate', textFile], /notes\.txt/],
    ['bad flag value', () => ['simulate', '--vector', textFile, '--steps', '-3'], /steps/],
    ['unknown target', () => ['simulate', '--vector', textFile, '--target', 'nosuch-chip'], /nosuch-chip/],
  ],
  verify: [
    ['missing file', () => ['verify', join(tmp, 'nope.onnx')], /nope\.onnx/],
    ['wrong file type', () => ['verify', textFile, '--samples', '10'], /notes\.txt/],
    ['bad flag value', () => ['verify', lenet, '--samples', '-5'], /samples/],
    ['unknown target', () => ['verify', lenet, '--target', 'nosuch-chip', '--samples', '10'], /nosuch-chip/],
  ],
  train: [
    ['missing file', () => ['train', '--teacher', join(tmp, 'nope.onnx'), '-o', out('s1.onnx')], /nope\.onnx/],
    ['wrong file type', () => ['train', '--teacher', textFile, '-o', out('s2.onnx'), '--epochs', '1', '--train-limit', '64', '--test-limit', '64'], /notes\.txt/],
    ['bad flag value', () => ['train', '--teacher', lenet, '--kd', 'sideways', '-o', out('s3.onnx')], /sideways/],
    ['unknown target', () => ['train', '--teacher', lenet, '--dataset', 'nosuch-data', '-o', out('s4.onnx')], /nosuch-data/],
  ],
  'train-teacher': [
    ['missing file', () => ['train-teacher', '--dataset', `idx:${join(tmp, 'nope-images')},${join(tmp, 'nope-labels')}`, '-o', out('t1.onnx')], /nope-images/],
    ['wrong file type', () => ['train-teacher', '--dataset', `idx:${textFile},${textFile}`, '-o', out('t2.onnx')], /notes\.txt/],
    ['bad flag value', () => ['train-teacher', '--epochs', '-1', '-o', out('t3.onnx')], /epochs/],
    ['unknown target', () => ['train-teacher', '--arch', 'transformer', '-o', out('t4.onnx')], /transformer/],
  ],
  robustness: [
    ['missing file', () => ['robustness', join(tmp, 'nope.onnx'), '-o', out('r1')], /nope\.onnx/],
    ['wrong file type', () => ['robustness', textFile, '-o', out('r2')], /notes\.txt/],
    ['bad flag value', () => ['robustness', lenet, '--noise', 'gaussian:abc', '-o', out('r3')], /gaussian/],
    ['unknown target', () => ['robustness', lenet, '--target', 'nosuch-chip', '-o', out('r4')], /nosuch-chip/],
  ],
  report: [
    ['missing file', () => ['report', join(tmp, 'nope-dir')], /nope-dir/],
    ['wrong file type', () => ['report', textFile], /notes\.txt/],
    ['bad flag value', () => ['report', tmp, '--html', ''], /html/],
    ['unknown target', () => ['report', tmp, '--target', 'nosuch-chip'], /target/],
  ],
  compare: [
    ['missing file', () => ['compare', join(tmp, 'nope.onnx')], /nope\.onnx/],
    ['wrong file type', () => ['compare', textFile], /notes\.txt/],
    ['bad flag value', () => ['compare', lenet, '--samples', '0'], /samples/],
    ['unknown target', () => ['compare', lenet, '--target', 'nosuch-chip'], /nosuch-chip/],
  ],
  demo: [
    ['missing file', () => ['demo', '--target', join(tmp, 'nope-chip.json'), '-o', out('d1')], /nope-chip\.json/],
    ['wrong file type', () => ['demo', '--target', textFile, '-o', out('d2')], /notes\.txt/],
    ['bad flag value', () => ['demo', '--quick', 'sideways', '-o', out('d3')], /sideways/],
    ['unknown target', () => ['demo', '--target', 'nosuch-chip', '-o', out('d4')], /nosuch-chip/],
  ],
};

describe.each(Object.entries(cases))('snnc %s on bad input', (_command, list) => {
  it.each(list)('%s: one clear line, exit 2, nothing written', async (_what, args, mentions) => {
    const argv = args();
    const r = await runCliCaptured(argv);
    expect(r.code, `stderr: ${r.stderr}`).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^snnc: error: /);
    expect(lines[0]).toMatch(mentions);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const outputs = argv.filter((a) => a.includes(`${tmp}/out-`)).map((a) => join(a, '..'));
    for (const dir of outputs) {
      let written: string[] = [];
      try { written = readdirSync(dir); } catch { /* nothing written at all */ }
      expect(written, dir).toEqual([]);
    }
  });
});
