import { describe, expect, it } from 'vitest';
import { runGraph, accuracy } from '../../src/ir/execute.js';
import { loadMnist } from '../../src/data/mnist.js';
import { runPipeline } from '../../compiler/pipeline.js';
import { loadCalibration } from '../../compiler/index.js';
import { loadTarget } from '../../targets/load.js';
import { FixedPointReference } from '../../simulator/reference.js';
import { trainAvgPoolCnn, trainMlp } from './trained.js';

// The acceptance bar: converted at T = 64, the float SNN (runGraph) stays within 1 point of the ANN on the
// embedded MNIST test split (all 1,996 digits), for an MLP and an average-pooling CNN trained here on the
// training split.
describe('ANN → SNN conversion accuracy (T = 64, embedded MNIST test split)', () => {
  const calibration = loadCalibration('mnist', 256);
  const target = loadTarget('loihi-like');
  const cases = [
    ['MLP', () => trainMlp(), loadMnist('test')],
    ['avg-pool CNN', () => trainAvgPoolCnn(), loadMnist('test')],
  ] as const;
  for (const [name, train, test] of cases) {
    it(`${name}: SNN within 1 point of the ANN`, { timeout: 240_000 }, () => {
      const ann = train();
      const annAcc = accuracy(runGraph(ann, test.images, test.count, { mode: 'ann' }), test.labels, test.count);
      expect(annAcc).toBeGreaterThan(0.8);
      const { spikingGraph, chip } = runPipeline(ann, { target, timesteps: 64, calibration });
      const snnLogits = runGraph(spikingGraph, test.images, test.count, { mode: 'snn', timesteps: 64 });
      const snnAcc = accuracy(snnLogits, test.labels, test.count);
      expect(Math.abs(annAcc - snnAcc)).toBeLessThanOrEqual(0.01);
      // The integer model for loihi-like, run by the simulator's fixed-point reference (same-step delay, as
      // the float SNN), classifies as the float SNN does on the first 300 digits, within 1 point.
      const n = 300;
      const ref = new FixedPointReference(chip.placement.graph, { delay: 'same-step' });
      let ok = 0;
      for (let s = 0; s < n; s++) if (ref.runSample(test.images.subarray(s * 784, (s + 1) * 784), s).prediction === test.labels[s]) ok++;
      const snnFirst = accuracy(snnLogits.subarray(0, n * 10), test.labels.subarray(0, n), n);
      console.log(`${name} on ${test.count} test digits: ANN ${(annAcc * 100).toFixed(2)} %, converted SNN at T=64 ${(snnAcc * 100).toFixed(2)} %; first ${n}: float SNN ${(snnFirst * 100).toFixed(1)} %, quantized ${(ok / n * 100).toFixed(1)} %`);
      expect(Math.abs(ok / n - snnFirst)).toBeLessThanOrEqual(0.01);
    });
  }
});
