/**
 * The NIR paper's LIF experiment: lif_norse.nir driven by the same input on 11 platforms (../shared/nir/data/
 * nir-paper-01_lif). snnc reads the file and runs it in float (forward Euler at dt = 1e-4 s, v > θ, reset to 0) and
 * quantized for loihi-like. The forward-Euler platforms' traces (Norse, snnTorch, SpiNNaker 2) are snnc's exactly,
 * up to each platform's unit of potential; Lava's is snnc's one step later (its Dense process delivers a step late);
 * the others integrate differently, and the test says how.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { ChipSimulator, FixedPointReference } from '../../simulator/index.js';
import { readNir } from '../../src/nir/read.js';
import { compareLif, lifTrace, snncLif, spikeSteps, type LifPlatform } from '../../bench/nir-lif.js';
import { NIR_DIR, nirPath, nirPresent } from './helpers.js';

describe.skipIf(!nirPresent)('the NIR paper\'s LIF neuron on 11 platforms', () => {
  const input = nirPresent ? lifTrace(NIR_DIR, 'norse').input : [];
  const run = nirPresent ? snncLif(NIR_DIR, input) : null!;
  const compare = (p: LifPlatform) => compareLif(run, p, lifTrace(NIR_DIR, p));

  it('reads the neuron as the paper states it: Affine 1×1, LIF τ = 2.5 ms, r = 1, θ = 0.1, fire v > θ, reset to 0', () => {
    const { graph } = readNir(nirPath('norse-lif_norse.nir'));
    const lif = graph.nodes.get('1')!;
    expect(lif.kind).toBe('LIF');
    if (lif.kind !== 'LIF') return;
    expect(lif.fire).toBe('gt');
    expect(lif.reset).toBe('zero');
    expect(Array.from((lif.tau as { data: Float32Array }).data)).toEqual([Math.fround(0.0025)]);
    expect(run.keep).toBeCloseTo(0.96, 7);
    expect(run.gain).toBeCloseTo(0.04, 7);
    expect(input.filter((x) => x !== 0)).toHaveLength(34);
  });

  it('reproduces the spike steps of the forward-Euler platforms (Norse, snnTorch, SpiNNaker 2) and their voltage up to a unit', () => {
    expect(run.spikes).toEqual([460, 510, 710, 760]);
    for (const [platform, unit] of [['norse', 1], ['snntorch', 25], ['spinnaker2', 24.995]] as const) {
      const c = compare(platform);
      expect(c.spikes, platform).toEqual(run.spikes);
      expect(c.voltage.shift, platform).toBe(0);
      expect(c.voltage.reset, platform).toBe('after');
      // snnTorch's membrane is in units of dt/τ (its input is not scaled by dt/τ): 25 = τ/dt.
      expect(c.voltage.scale, platform).toBeCloseTo(unit, 3);
      expect(c.voltage.maxRelError, platform).toBeLessThan(1e-6);
    }
  });

  it('is Lava\'s float trace one step later (Lava delivers the Dense output the next step)', () => {
    const c = compare('lava_cpu_float');
    expect(c.spikes).toEqual(run.spikes.map((t) => t + 1));
    expect(c.voltage).toMatchObject({ shift: 1, reset: 'after' });
    expect(c.voltage.scale).toBeCloseTo(1, 5);
    expect(c.voltage.maxRelError).toBeLessThan(1e-6);
  });

  it('differs from the platforms that integrate otherwise, and says how', () => {
    // Exact solution and Nengo: zero-order hold (increment 1 − e^(−dt/τ), decay e^(−dt/τ)); same spikes on this input, other voltage.
    for (const p of ['exact', 'nengo'] as const) {
      const c = compare(p);
      expect(c.sameSpikes, p).toBe(true);
      expect(c.voltage.maxRelError, p).toBeGreaterThan(1e-3);
    }
    // Rockpool and Sinabs: decay e^(−dt/τ) with the forward-Euler increment: they reach θ earlier.
    for (const p of ['rockpool', 'sinabs'] as const) expect(compare(p).spikes, p).toEqual([450, 500, 710, 760]);
    // Spyx: the spike is taken from the previous step's potential (one step late), the potential itself is snnc's.
    const spyx = compare('spyx');
    expect(spyx.lag).toBe(1);
    expect(spyx.voltage).toMatchObject({ shift: 0, reset: 'before' });
    expect(spyx.voltage.scale).toBeCloseTo(1, 4);
  });

  it('quantized for loihi-like, fires at the float run\'s steps, one step before Lava on Loihi, with the same decay arithmetic', () => {
    const { graph } = readNir(nirPath('norse-lif_norse.nir'));
    const { chip } = compile(graph, { target: 'loihi-like', timesteps: input.length });
    const q = chip.placement.graph;
    const pop = q.populations.find((p) => p.name === '1')!;
    const x = Float32Array.from(input);
    for (const delay of ['hardware', 'same-step'] as const) {
      const ref = new FixedPointReference(q, { delay, timesteps: input.length, record: true }).runSample(x, 0, input.length);
      const sim = new ChipSimulator(chip, { delay, timesteps: input.length, record: true }).runSample(x, 0, input.length);
      expect(sim.spikeDigest, delay).toBe(ref.spikeDigest);
      expect(spikeSteps(ref.raster!.get('1')!), delay).toEqual(run.spikes);
    }
    const loihi = lifTrace(NIR_DIR, 'lava_loihi_fixed');
    expect(spikeSteps(loihi.spike)).toEqual(run.spikes.map((t) => t + 1));
    // Loihi's 12-bit decay of dt/τ · 2^12 = 163.84: snnc rounds it to δv = 164, Lava's NIR conversion truncates it to
    // 163. Lava's trace follows v ← trunc(v · (2^12 − 163) / 2^12) + 640 · (input of the step before) at every step but
    // the four spikes and the resets after them: the same register arithmetic as snnc's (simulator/arith.ts decayBy),
    // one unit of retention apart, which moves no spike of this input.
    expect(pop.neuron.decay).toBe(4096 - 164);
    const lavaDecay = 4096 - Math.trunc((1e-4 / Math.fround(0.0025)) * 4096);
    expect(lavaDecay).toBe(4096 - 163);
    const v = loihi.voltage;
    let checked = 0;
    for (let t = 1; t < v.length; t++) {
      if (loihi.spike[t] || loihi.spike[t - 1]) continue;
      expect(v[t], `step ${t}`).toBe(Math.trunc((v[t - 1] * lavaDecay) / 4096) + 640 * input[t - 1]);
      checked++;
    }
    expect(checked).toBeGreaterThan(990);
  });
});
