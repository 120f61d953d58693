/**
 * simulator/merge.ts: counters of samples run one at a time (in any thread), added up in sample order, are the
 * counters of one simulator that ran them all: integer counts exactly, float sums to rounding.
 */
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { compile } from '../../compiler/index.js';
import { ChipSampleRunner, ChipSimulator, mergeCounts, zeroCounts, type SimCounts } from '../../simulator/index.js';
import { loadMnist } from '../../src/data/mnist.js';

const chip = compile(resolve('tests/fixtures/onnx/lenet.onnx'), { target: 'loihi-like', calibrate: 'mnist', samples: 32, timesteps: 4 }).chip;
const test = loadMnist('test');
const image = (s: number) => test.images.subarray(s * 784, (s + 1) * 784);
const N = 40;

describe('mergeCounts', () => {
  it('per-sample counters summed in sample order = one simulator over every sample', () => {
    const whole = new ChipSimulator(chip);
    for (let s = 0; s < N; s++) whole.runSample(image(s), s);
    const runner = new ChipSampleRunner(chip);
    const total = zeroCounts(structuredClone(runner.sim.counts));
    for (let s = 0; s < N; s++) mergeCounts(total, runner.run(image(s), s).counts);
    const c = whole.counts;
    // The float sums exist and differ from zero: the comparison below is not vacuous.
    expect(c.network.linkWaitNs).toBeGreaterThan(0);
    expect(c.timing.totalNs).toBeGreaterThan(0);
    const floats = (x: SimCounts) => [x.network.linkWaitNs, x.timing.totalNs, x.timing.syncNs];
    for (const [a, b] of floats(total).map((v, i) => [v, floats(c)[i]])) expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * b);
    const integers = (x: SimCounts) => ({ ...x, network: { ...x.network, linkWaitNs: 0 }, timing: { ...x.timing, totalNs: 0, syncNs: 0 } });
    expect(integers(total)).toEqual(integers(c));
    expect(total.samples).toBe(N);
    expect(total.timing.maxStepNs).toBe(c.timing.maxStepNs);
    expect(total.cores.some((k) => k.maxLinkQueue > 0)).toBe(true);
  });

  it('refuses counters of another chip or run, and fields without a rule', () => {
    const a = new ChipSimulator(chip).counts;
    const other = structuredClone(a);
    other.layers[0].name = 'elsewhere';
    expect(() => mergeCounts(structuredClone(a), other)).toThrow(/counts\.layers\[0\]\.name/);
    expect(() => mergeCounts(structuredClone(a), { ...structuredClone(a), cores: a.cores.slice(1) })).toThrow(/lengths differ/);
    expect(() => mergeCounts(structuredClone(a), { ...structuredClone(a), timesteps: a.timesteps + 1 })).toThrow(/timesteps/);
    expect(() => mergeCounts(structuredClone(a), { ...structuredClone(a), note: 'x' } as unknown as SimCounts)).toThrow(/no merge rule/);
  });

  it('zeroCounts keeps what is counted (names, sizes, core positions, steps, delay)', () => {
    const sim = new ChipSimulator(chip);
    sim.runSample(image(0), 0);
    const z = zeroCounts(structuredClone(sim.counts));
    expect(z.layers.map((l) => [l.name, l.size])).toEqual(sim.counts.layers.map((l) => [l.name, l.size]));
    expect(z.cores.map((k) => [k.id, k.x, k.y, k.neurons])).toEqual(sim.counts.cores.map((k) => [k.id, k.x, k.y, k.neurons]));
    expect([z.timesteps, z.delay, z.samples, z.timing.totalNs, z.layers[0].spikes]).toEqual([sim.counts.timesteps, sim.counts.delay, 0, 0, 0]);
  });
});
