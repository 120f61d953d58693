import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { verifyModel } from '../../src/verify.js';
import { buildTemplateStudent } from '../fixtures/template-student.js';
import { captureOutput } from '../fixtures/capture.js';

const dir = mkdtempSync(join(tmpdir(), 'snnc-verify-'));
const student = join(dir, 'student.onnx');
const teacher = join(dir, 'teacher.onnx');
beforeAll(() => {
  writeFileSync(teacher, buildTemplateStudent({ relays: 2, timesteps: 4, ann: true }));
  writeFileSync(student, buildTemplateStudent({ relays: 2, timesteps: 4 }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('snnc verify', () => {
  it('a deep student trained at T=4 on a delayed chip: the loss is reported and the run extension that recovers it', async () => {
    const r = await verifyModel(student, { target: 'loihi-like', dataset: 'mnist', samples: 200, teacher });
    expect(r.rows.map((row) => row.stage)).toEqual(['ann', 'float-snn', 'quantized-snn', 'mapped-chip']);
    const [ann, float, quant, chip] = r.rows.map((row) => row.accuracy);
    expect(ann).toBeGreaterThan(0.7);
    expect(float).toBeGreaterThan(0.5);
    expect(r.bitIdentical).toEqual({ identical: 200, checked: 200, all: true });
    expect(quant).toBe(chip);
    expect(r.agreement[2][3]).toBe(1);
    // Three spiking layers before the readout: it lags the input by 3 of the 4 steps under hardware delay.
    const d = r.delayAnalysis;
    expect(d.chipDelay).toBe('hardware');
    expect(d.readoutLag).toBe(3);
    expect(d.sameStepAccuracy).toBeGreaterThan(d.hardwareAccuracy + 0.2);
    expect(d.recoveredWith).toBe(3);
    expect(d.sweep.at(-1)!.accuracy).toBeGreaterThanOrEqual(d.sameStepAccuracy);
    // The float SNN and the quantized SNN under the trainer's (same-step) semantics agree in accuracy here.
    expect(Math.abs(d.sameStepAccuracy - float)).toBeLessThan(0.03);
    expect(r.energy.annMacs).toBe(7840 + 200 + 100);
    expect(r.metrics.effectiveSynapticOps.total).toBeGreaterThan(0);
  });

  describe('CLI', () => {
    const io = captureOutput();

    it('prints one table and exits 0 when quantized and mapped are bit-identical', async () => {
      const code = await runCli(['verify', student, '--teacher', teacher, '--target', 'loihi-like', '--samples', '60', '--delay', 'same-step']);
      expect(code, io.stderr).toBe(0);
      expect(io.stdout).toMatch(/ANN teacher\s+onnxruntime-node/);
      expect(io.stdout).toMatch(/float SNN/);
      expect(io.stdout).toMatch(/quantized SNN \(same-step\)/);
      expect(io.stdout).toMatch(/mapped chip \(same-step\)/);
      expect(io.stdout).toMatch(/BIT-IDENTICAL .* 60\/60 samples/);
      io.stdout = '';
      expect(await runCli(['verify', student, '--teacher', teacher, '--samples', '30', '--json'])).toBe(0);
      const json = JSON.parse(io.stdout);
      expect(json.format).toBe('snnc-verify-report');
      expect(json.delayAnalysis.recoveredWith).toBe(3);
    });

    it('an ANN: converted with calibration data, its onnxruntime row first', async () => {
      const code = await runCli(['verify', 'tests/fixtures/onnx/mlp.onnx', '--samples', '20', '--timesteps', '4', '--calibrate', 'mnist', '--calibrate-samples', '32', '--json']);
      expect(code, io.stderr).toBe(0);
      const json = JSON.parse(io.stdout);
      expect(json.rows.map((r: { engine: string }) => r.engine)).toEqual(['onnxruntime-node', 'IR executor', 'fixed-point reference', 'simulator, loihi-like']);
      expect(json.bitIdentical.all).toBe(true);
      expect(json.energy.annMacs).toBeGreaterThan(0);
    });

    it('exits non-zero when the quantized SNN and the mapped chip differ', async () => {
      // Corrupt the reference's readout: the comparison must notice and fail the command (in this thread,
      // where the mock is: --workers 1).
      const { FixedPointReference } = await import('../../simulator/reference.js');
      const original = FixedPointReference.prototype.runSample;
      const spy = vi.spyOn(FixedPointReference.prototype, 'runSample').mockImplementation(function (this: InstanceType<typeof FixedPointReference>, image, index) {
        const r = original.call(this, image, index);
        if (index === 3) r.readout[0] += 1;
        return r;
      });
      try {
        const code = await runCli(['verify', student, '--teacher', teacher, '--samples', '10', '--workers', '1']);
        expect(code).toBe(1);
        expect(io.stdout).toMatch(/DIFFERENT .* 9\/10 samples/);
      } finally {
        spy.mockRestore();
        // The handler sets process.exitCode for the CLI; this test process must not inherit it.
        process.exitCode = 0;
      }
    });

    it('refuses bad input with one line and exit 2', async () => {
      for (const args of [
        ['verify', join(dir, 'missing.onnx')],
        ['verify', student, '--samples', '0'],
        ['verify', student, '--target', 'nope'],
        ['verify', student, '--dataset', 'idx:/nonexistent,/nonexistent'],
      ]) {
        io.stderr = '';
        expect(await runCli(args), args.join(' ')).toBe(2);
        expect(io.stderr).toMatch(/^snnc: error: \S.*\n$/);
      }
    });
  });
});
