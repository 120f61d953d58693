import { describe, it, expect } from 'vitest';
import { renderComparison, renderComparisonMissing, type ComparePart, type ConversionRow } from '../../bench/comparisons-render.js';
import { ROBUSTNESS_FORMAT, ROBUSTNESS_VERSION } from '../../src/report/robustness.js';

const conv = (model: ConversionRow['model'], T: number, acc: number, events: number): ConversionRow => ({
  model, timesteps: T, floatAccuracy: acc, testSamples: 1996, simAccuracy: acc - 0.01, simSamples: 200, simSteps: T + 3,
  synapticEventsPerInference: events, effectiveSopsPerInference: events - 100, compile: { seconds: 2.25, peakRssMB: 301.4 },
});

const part: ComparePart = {
  dataset: 'mnist', seed: 1, student: 'cnn', target: 'loihi-like', calibrationSamples: 256,
  teacher: { arch: 'lenet', file: 'src/assets/mnist-lenet-teacher.onnx', testAccuracy: 0.976, command: 'snnc train-teacher …' },
  training: [
    { what: 'spiking cnn student', kd: 'response KD', epochs: 2, trainSamples: 8004, testSamples: 1996, testAccuracy: 0.955, cost: { seconds: 321.04, peakRssMB: 668.2 } },
    { what: 'spiking cnn student', kd: 'direct, no KD', epochs: 2, trainSamples: 8004, testSamples: 1996, testAccuracy: 0.9564, cost: { seconds: 300, peakRssMB: 614 } },
  ],
  conversion: [conv('teacher (converted)', 4, 0.5, 3015194), conv('teacher (converted)', 8, 0.9, 4982442), conv('teacher (converted)', 32, 0.97, 17005322), conv('KD student', 4, 0.955, 2622764)],
  robustness: {
    format: ROBUSTNESS_FORMAT, version: ROBUSTNESS_VERSION, created: '2026-01-01T00:00:00Z', dataset: 'mnist', split: 'test', samples: 500, seed: 1,
    noise: [{ kind: 'gaussian', levels: [0.1, 0.2] }],
    models: [{ id: 'teacher', path: 't.onnx', type: 'ann', engine: 'onnxruntime', target: null, timesteps: null, encoding: null }],
    results: [
      { model: 'teacher', noise: 'clean', level: 0, correct: 490, samples: 500, accuracy: 0.98 },
      { model: 'teacher', noise: 'gaussian', level: 0.1, correct: 450, samples: 500, accuracy: 0.9 },
      { model: 'teacher', noise: 'gaussian', level: 0.2, correct: 400, samples: 500, accuracy: 0.8 },
    ],
  },
  started: 's', finished: 'f', loadAverage: [2, 2, 2], cores: 2, command: 'npm run experiments:compare -- --dataset mnist',
};

describe('comparison section of docs/results.md', () => {
  const md = renderComparison(part);
  const row = (start: string) => md.split('\n').find((l) => l.replace(/\s+/g, ' ').startsWith(start))?.split('|').map((c) => c.trim()).filter(Boolean);

  it('puts each measured figure in its row', () => {
    expect(row('| teacher (converted) | 8 |')).toEqual(['teacher (converted)', '8', '11', '90.00 %', '1996', '89.00 %', '4,982,442', '4,982,342']);
    expect(row('| KD student | 4 |')?.[6]).toBe('2,622,764');
    expect(row('| spiking cnn student (response KD) |')).toEqual(['spiking cnn student (response KD)', '2', '8004', '95.50 %', '1996', '321.0 s', '668 MB']);
    expect(row('| ANN→SNN conversion, T = 32 |')?.slice(-2)).toEqual(['2.3 s', '301 MB']);
  });

  it('renders the robustness table and the mean over the noisy conditions only', () => {
    expect(row('| gaussian | 0.2 |')).toEqual(['gaussian', '0.2', '80.00 %']);
    expect(md).toContain('teacher 85.00 %');
    expect(md).toContain('first 500 samples, noise seed 1');
  });

  it('says how to run a data set that has no part yet', () => {
    expect(renderComparisonMissing('fashion-mnist')).toContain('npm run experiments:compare -- --dataset fashion-mnist');
  });
});
