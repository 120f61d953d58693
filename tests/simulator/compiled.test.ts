import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { FitError } from '../../compiler/errors.js';
import { simulate, ChipSimulator } from '../../simulator/index.js';
import { loadMnist } from '../../src/data/mnist.js';
import { take } from '../../src/data/dataset.js';
import { listTargets } from '../../targets/load.js';

const digits = take(loadMnist('test'), 16);

/**
 * Compiled networks (the ONNX fixtures through the real pipeline, calibrated on MNIST) on every shipped
 * target that can hold them: the mapped chip and the fixed-point reference agree bit for bit, sample by
 * sample, in the target's own delay mode and in same-step mode. A target the compiler refuses (FitError)
 * cannot hold the network and is reported as such.
 */
describe('compiled networks: chip = fixed-point reference, bit for bit, on real digits', () => {
  for (const model of ['mlp', 'padpool']) {
    it(`${model} on every shipped target that holds it`, () => {
      const held: string[] = [];
      for (const target of listTargets()) {
        let chip;
        try {
          chip = compile(`tests/fixtures/onnx/${model}.onnx`, { target, calibrate: 'mnist', samples: 32, timesteps: 6 }).chip;
        } catch (e) {
          if (e instanceof FitError) continue;
          throw e;
        }
        held.push(target);
        if (model === 'padpool' && held.length === 1) {
          // Spiking convolutions walked through the kernel instead of expanded rows: the same run.
          const a = new ChipSimulator(chip), b = new ChipSimulator(chip, { expandLimit: 0 });
          expect(b.projections.some((q) => q.from >= 0 && q.format === 'conv-geometry')).toBe(true);
          for (let s = 0; s < 4; s++) {
            const image = digits.images.subarray(s * 784, (s + 1) * 784);
            const ra = a.runSample(image, s), rb = b.runSample(image, s);
            expect(rb.spikeDigest).toBe(ra.spikeDigest);
            expect(rb.stepNs).toEqual(ra.stepNs);
          }
          expect(b.counts.layers).toEqual(a.counts.layers);
        }
        for (const delay of ['hardware', 'same-step'] as const) {
          const { report, identical } = simulate(chip, digits, { checkReference: true, delay });
          expect(report.referenceIdentical, `${model} on ${target}, ${delay}: ${Array.from(identical!).join('')}`).toBe(digits.count);
          expect(report.perInference.spikes, `${model} on ${target} is silent`).toBeGreaterThan(0);
        }
      }
      expect(held.length).toBeGreaterThanOrEqual(3);
    });
  }
});
