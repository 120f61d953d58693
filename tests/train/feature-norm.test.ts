import { describe, expect, it } from 'vitest';
import { channelStats, standardizeChannels, validateConfig, DEFAULT_CONFIG } from '../../src/train/trainer.js';

describe('feature KD target standardisation (--feature-norm channel)', () => {
  // Two samples, two channels of 1×2: channel 0 holds 1,3 | 5,7 (mean 4, sd √5); channel 1 is constant 2 (a dead map).
  const shape = [2, 1, 2];
  const maps = Float32Array.from([1, 3, 2, 2, 5, 7, 2, 2]);

  it('computes each channel\'s mean and 1/sd over samples and positions', () => {
    const { mean, inverseStd } = channelStats(maps, shape);
    expect(Array.from(mean)).toEqual([4, 2]);
    expect(inverseStd[0]).toBeCloseTo(1 / Math.sqrt(5), 12);
    expect(inverseStd[1]).toBe(1); // no spread: only centred
  });

  it('standardises a batch channel by channel, leaving the input untouched', () => {
    const stats = channelStats(maps, shape);
    const out = standardizeChannels(maps, shape, stats);
    const s = Math.sqrt(5);
    expect(Array.from(out).map((v) => Number(v.toFixed(6)))).toEqual([-3 / s, -1 / s, 0, 0, 1 / s, 3 / s, 0, 0].map((v) => Number(v.toFixed(6))));
    expect(maps[0]).toBe(1);
  });

  it('rejects unknown settings by name', () => {
    expect(() => validateConfig({ ...DEFAULT_CONFIG, featureNorm: 'batch' as 'none' })).toThrow(/--feature-norm/);
    expect(() => validateConfig({ ...DEFAULT_CONFIG, betaSchedule: 'linear' as 'constant' })).toThrow(/--beta-schedule/);
  });
});
