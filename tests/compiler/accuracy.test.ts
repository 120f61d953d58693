import { describe, expect, it } from 'vitest';
import { runGraph, accuracy } from '../../src/ir/execute.js';
import { loadMnist } from '../../src/data/mnist.js';
import { runPipeline } from '../../compiler/pipeline.js';
import { loadCalibration } from '../../compiler/index.js';
import { loadTarget } from '../../targets/load.js';
import { trainAvgPoolCnn, trainMlp } from './trained.js';

// The acceptance bar: converted at T = 64 the float SNN stays within 1 point of the ANN on the whole
// embedded MNIST test split (1,996 digits), for an MLP and an average-pooling CNN trained here.
describe('ANN → SNN conversion accuracy (T = 64, embedded MNIST test split)', () => {
  const test = loadMnist('test');
  const calibration = loadCalibration('mnist', 256);
  const target = loadTarget('loihi-like');
  for (const [name, train] of [['MLP', () => trainMlp()], ['avg-pool CNN', () => trainAvgPoolCnn()]] as const) {
    it(`${name}: SNN within 1 point of the ANN`, () => {
      const ann = train();
      const annAcc = accuracy(runGraph(ann, test.images, test.count, { mode: 'ann' }), test.labels, test.count);
      expect(annAcc).toBeGreaterThan(0.8);
      const { spikingGraph } = runPipeline(ann, { target, timesteps: 64, calibration });
      const snnAcc = accuracy(runGraph(spikingGraph, test.images, test.count, { mode: 'snn', timesteps: 64 }), test.labels, test.count);
      console.log(`${name}: ANN ${(annAcc * 100).toFixed(2)} %, SNN T=64 ${(snnAcc * 100).toFixed(2)} %`);
      expect(Math.abs(annAcc - snnAcc)).toBeLessThanOrEqual(0.01);
    });
  }
});
