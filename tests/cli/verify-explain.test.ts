/**
 * `snnc verify --explain` (issue 20): the error budget after the verify table, and in the JSON report. On the
 * PyTorch-exported average-pooling CNN (tests/fixtures/onnx/avgpool-cnn, converted), every cause has its row —
 * weight rounding and the shared exponent of each projection, the threshold register, bias and potential
 * rounding, the state width, the input's quantization, spike delivery, all at once — and the rows that another
 * engine measures too agree with it: the baseline is the verify's quantized SNN, and same-step delivery without
 * hold steps is what the delay study's chip simulator measured at exactly T steps.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { captureOutput } from '../fixtures/capture.js';
import type { ErrorBudget } from '../../compiler/error-budget.js';

const cnn = 'tests/fixtures/onnx/avgpool-cnn/avgpool-cnn.onnx';
const dir = mkdtempSync(join(tmpdir(), 'snnc-explain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const json = join(dir, 'verify.json');
const args = ['verify', cnn, '--target', 'loihi-like', '--samples', '40', '--timesteps', '8', '--calibrate', 'mnist', '--calibrate-samples', '64', '--workers', '1', '--explain', '-o', json];

describe('snnc verify --explain', () => {
  const io = captureOutput();

  // One run: the text on stdout, the JSON report in --out.
  it('prints the error budget layer by layer after the verify table, saying it ran in this thread; its JSON rows agree with the other engines', async () => {
    expect(await runCli(args), io.stderr).toBe(0);
    const text = io.stdout;
    expect(text.indexOf('BIT-IDENTICAL')).toBeLessThan(text.indexOf('error budget on loihi-like: 40 samples, T = 8'));
    expect(text).toMatch(/^as compiled\s+\d+\s+hardware\s+\d+\.\d\d %\s+\d+\.\d\d %\s*$/m);
    expect(text).toMatch(/^shared exponent \(every projection\)\s+\d+\s+hardware\s+\d+\.\d\d %\s+\d+\.\d\d %\s+[+−]\d+\.\d\d pt$/m);
    expect(text).toMatch(/^bias and potential rounding \(2\^7 finer\)\s+\d+\s+hardware .* pt$/m);
    expect(text).toMatch(/^all of the above\s+8\s+same-step .* pt$/m);
    expect(text).toMatch(/ran in this thread/);

    const r = JSON.parse(readFileSync(json, 'utf8'));
    const b: ErrorBudget = r.errorBudget;
    expect(b.samples).toBe(40);
    expect(b.timesteps).toBe(8);
    const causes = b.rows.map((row) => row.cause);
    const projections = b.rows.filter((row) => row.cause.startsWith('weight rounding of ')).map((row) => row.layer);
    // Input → conv1, conv1 → conv2 (pooling folded in), conv2 → the Linear readout.
    expect(projections).toHaveLength(3);
    for (const p of projections) {
      expect(causes).toContain(`weight rounding of ${p}`);
      expect(causes).toContain(`shared exponent of ${p}`);
    }
    expect(causes).toEqual(['as compiled', 'spike delivery: same step, no hold', 'weight rounding (every projection)',
      ...projections.map((p) => `weight rounding of ${p}`), 'shared exponent (every projection)', ...projections.map((p) => `shared exponent of ${p}`),
      'threshold register', 'bias and potential rounding (2^7 finer)', 'state width (saturation)', 'input quantization', 'all of the above']);
    const quantized = r.rows.find((row: { stage: string }) => row.stage === 'quantized-snn');
    const float = r.rows.find((row: { stage: string }) => row.stage === 'float-snn');
    expect(b.rows[0].accuracy).toBe(quantized.accuracy);
    expect(b.rows[0].steps).toBe(r.chipSteps);
    expect(b.floatAccuracy).toBe(float.accuracy);
    const sameStep = b.rows[1];
    expect(sameStep.steps).toBe(8);
    expect(sameStep.delay).toBe('same-step');
    expect(sameStep.accuracy).toBe(r.delayAnalysis.sameStepAccuracy);
    for (const row of b.rows) expect(row.recovered).toBeCloseTo(row.accuracy - b.rows[0].accuracy, 12);
    // With every cause off the reference is the float SNN but for float rounding: it agrees on (nearly) every digit.
    expect(b.rows.at(-1)!.agreeFloat).toBeGreaterThanOrEqual(0.95);
  });
});
