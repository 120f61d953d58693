import { describe, expect, it } from 'vitest';
import type { Projection, QuantGraph } from '../../compiler/types.js';
import { loadMnist } from '../../src/data/mnist.js';
import { listTargets, loadTarget } from '../../targets/load.js';
import { ChipSimulator, FixedPointReference } from '../../simulator/index.js';
import { sequentialMapping } from '../../simulator/sequential.js';
import { denseFlat, ifPopulation, intWeights } from './helpers.js';

const SAMPLES = 12;
const mnist = loadMnist('test');

/**
 * A conv → dense → readout network in one target's integer formats (weights within its width, its state
 * width, graded or binary input as it accepts). Hand-built so the engine is checked on every shipped
 * target whatever the compiler's own limits.
 */
function handNetwork(targetName: string, kind: 'cnn' | 'mlp'): QuantGraph {
  const target = loadTarget(targetName);
  const wMax = Math.min(2 ** (target.precision.weightBits.value - 1) - 1, 7);
  const stateBits = target.precision.stateBits.value;
  const graded = target.precision.inputBits.value > 1;
  if (kind === 'mlp') {
    return {
      name: 'hand-mlp', target, timesteps: 5, delay: target.timing.delay.value,
      input: graded ? { shape: [784], encoding: 'direct', inputScale: 2 ** Math.min(7, target.precision.inputBits.value - 1) } : { shape: [784], encoding: 'rate', inputScale: 1, seed: 9 },
      populations: [
        ifPopulation('h1', 48, graded ? 300 : 6, { stateBits }),
        ifPopulation('h2', 24, graded ? 10 : 4, { stateBits }),
        ifPopulation('out', 10, 1 << 20, { stateBits, readout: true }),
      ],
      projections: [
        denseFlat('input', 'h1', [784], 48, intWeights(48 * 784, -wMax, wMax, 3)),
        denseFlat('h1', 'h2', [48], 24, intWeights(48 * 24, -wMax, wMax, 4), 1),
        denseFlat('h2', 'out', [24], 10, intWeights(240, -wMax, wMax, 5)),
      ],
      quantError: {},
    };
  }
  const conv: Projection = {
    name: 'conv', from: 'input', to: 'c1', preShape: [1, 28, 28], postShape: [4, 14, 14], weightExponent: 0, weightBits: 8,
    synapse: { kind: 'conv', weights: intWeights(4 * 9, -wMax, wMax, 7), kernel: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 1 },
  };
  const fc = denseFlat('c1', 'h', [4, 14, 14], 32, intWeights(32 * 784, -wMax, wMax, 11));
  // A negative exponent exercises the shift of an accumulated sum.
  const out = denseFlat('h', 'out', [32], 10, intWeights(320, -wMax, wMax, 13), -1);
  return {
    name: 'hand-cnn', target, timesteps: 6, delay: target.timing.delay.value,
    input: graded ? { shape: [1, 28, 28], encoding: 'direct', inputScale: 2 ** Math.min(7, target.precision.inputBits.value - 1) } : { shape: [1, 28, 28], encoding: 'rate', inputScale: 1, seed: 5 },
    populations: [
      { ...ifPopulation('c1', 784, graded ? 200 : 4, { stateBits }), shape: [4, 14, 14] },
      ifPopulation('h', 32, graded ? 12 : 6, { stateBits, reset: 'zero' }),
      ifPopulation('out', 10, 1 << 20, { stateBits, readout: true }),
    ],
    projections: [conv, fc, out],
    quantError: {},
  };
}

describe('the mapped chip matches the fixed-point reference bit for bit on MNIST digits', () => {
  for (const name of listTargets()) for (const kind of ['cnn', 'mlp'] as const) {
    it(`${name}, ${kind}: identical spike trains and readouts, both delay modes`, () => {
      const graph = handNetwork(name, kind);
      const perCore = Math.min(graph.target.core.neurons.value, 256);
      const mapped = sequentialMapping(graph, perCore);
      let spikes = 0;
      for (const delay of ['hardware', 'same-step'] as const) {
        const chip = new ChipSimulator(mapped, { delay, record: true });
        const ref = new FixedPointReference(graph, { delay, record: true });
        for (let s = 0; s < SAMPLES; s++) {
          const image = mnist.images.subarray(s * 784, (s + 1) * 784);
          const a = chip.runSample(image, s);
          const b = ref.runSample(image, s);
          for (const pop of graph.populations) expect(Array.from(a.raster!.get(pop.name)!)).toEqual(Array.from(b.raster!.get(pop.name)!));
          expect(a.spikeDigest).toBe(b.spikeDigest);
          expect(Array.from(a.readout)).toEqual(Array.from(b.readout));
        }
        spikes += chip.counts.layers[0].spikes + chip.counts.layers[1].spikes;
        // The network is alive: the comparison is not between two silent runs.
        expect(chip.counts.layers[1].spikes).toBeGreaterThan(0);
      }
      expect(spikes).toBeGreaterThan(SAMPLES);
    });
  }

  it('convolutions walked through the kernel (no expanded rows) give the same spikes, readouts and counts', () => {
    const graph = handNetwork('loihi-like', 'cnn');
    const mapped = sequentialMapping(graph, 200);
    const expanded = new ChipSimulator(mapped, { record: true });
    const walked = new ChipSimulator(mapped, { record: true, expandLimit: 0 });
    expect(walked.projections[0].format).toBe('conv-geometry');
    expect(expanded.projections[0].format).toBe('conv-taps');
    for (let s = 0; s < SAMPLES; s++) {
      const image = mnist.images.subarray(s * 784, (s + 1) * 784);
      const a = expanded.runSample(image, s);
      const b = walked.runSample(image, s);
      expect(b.spikeDigest).toBe(a.spikeDigest);
      expect(Array.from(b.readout)).toEqual(Array.from(a.readout));
      expect(b.stepNs).toEqual(a.stepNs);
    }
    expect(walked.counts.layers).toEqual(expanded.counts.layers);
    expect(walked.counts.cores).toEqual(expanded.counts.cores);
    expect(walked.counts.network).toEqual(expanded.counts.network);
  });
});
