/**
 * `verify` on a network whose fan-in had to be split over cores reports what the split costs: the float SNN with
 * and without the relays on the same samples (PyTorch's Linear over 32 × 14 × 14 = 6,272 inputs, issue 21's case).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyModel } from '../../src/verify.js';
import { formatVerifyReport } from '../../src/cli/verify.js';

const patterns = join(import.meta.dirname, '..', 'fixtures', 'onnx', 'patterns');

describe('verify and the fan-in split', () => {
  it('reports the layers split and the accuracy the split costs; nothing for a network that fits', async () => {
    const r = await verifyModel(join(patterns, 'wide_linear.onnx'), { target: 'loihi-like', dataset: 'mnist', samples: 20, timesteps: 8, workers: 1 });
    const split = r.fanInSplit!;
    expect(split.layers.map((l) => [l.layer, l.fanIn, l.parts, l.relays.length])).toEqual([['/head/Gemm', 6272, 2, 4]]);
    expect(split.samples).toBe(20);
    // The split network is the float SNN row of the report; the cost is the unsplit network's accuracy minus it.
    expect(split.split).toBe(r.rows.find((x) => x.stage === 'float-snn')!.accuracy);
    expect(split.cost).toBeCloseTo(split.unsplit - split.split, 12);
    expect(split.agreement).toBeGreaterThan(0);
    expect(formatVerifyReport(r)).toMatch(/fan-in split: '\/head\/Gemm' \(6272 inputs in 2 parts, 4 relay layers\) costs -?\d+\.\d\d pt in the float SNN/);
    const fits = await verifyModel(join(patterns, '..', 'lenet.onnx'), { target: 'loihi-like', dataset: 'mnist', samples: 10, timesteps: 8, workers: 1 });
    expect(fits.fanInSplit).toBeUndefined();
  }, 240_000);
});
