/**
 * The NIR paper's networks on snnc's chips: the Sinabs N-MNIST CNN on event input (MNIST digits as N-MNIST-style
 * saccade events, src/data/saccades.ts) compiles for speck-like and loihi-like, where the chip is bit-identical
 * with the fixed-point reference on every sample, and `snnc compare` puts energy and synaptic operations per target
 * side by side; the snnTorch Braille reader compiles for loihi-like and is refused by the targets without
 * recurrence or current-based neurons, naming why.
 */
import { describe, expect, it } from 'vitest';
import { saccadeEvents, SACCADE_CONTRAST } from '../../src/data/saccades.js';
import { loadDataset, take, type Dataset } from '../../src/data/index.js';
import { loadMnist } from '../../src/data/mnist.js';
import { verifyModel } from '../../src/verify.js';
import { compareTargets } from '../../src/report/compare.js';
import { compile } from '../../compiler/index.js';
import { FeatureError } from '../../compiler/features.js';
import { nirPath, nirPresent } from './helpers.js';

describe('MNIST as saccade events', () => {
  /** One bright pixel at row 10, column 12 of an otherwise black digit. */
  function dot(): Dataset {
    const images = new Float32Array(784);
    images[10 * 28 + 12] = 1;
    return { name: 'mnist-dot', shape: [1, 28, 28], classes: 10, count: 1, images, labels: Uint8Array.from([3]) };
  }

  it('moves the digit along the three saccades and emits ON where it arrives, OFF where it leaves', () => {
    // T = 3: the offsets after each step are the triangle's corners (2, 4), (4, 0), (0, 0), whole pixels, so the
    // dot moves without interpolation: from (row 11, col 13) to (15, 15), then (11, 17), then back to (11, 13).
    const ev = saccadeEvents(dot(), 3);
    expect(ev.shape).toEqual([2, 34, 34]);
    expect(ev.steps).toBe(3);
    const at = (t: number, ch: number) => {
      const plane = ev.images.subarray((t * 2 + ch) * 34 * 34, (t * 2 + ch + 1) * 34 * 34);
      return [...plane].flatMap((v, i) => (v ? [[Math.floor(i / 34), i % 34]] : []));
    };
    expect([at(0, 0), at(0, 1)]).toEqual([[[15, 15]], [[11, 13]]]);
    expect([at(1, 0), at(1, 1)]).toEqual([[[11, 17]], [[15, 15]]]);
    expect([at(2, 0), at(2, 1)]).toEqual([[[11, 13]], [[11, 17]]]);
    expect(Array.from(ev.labels)).toEqual([3]);
  });

  it('makes sparse 0/1 frames of both polarities from real digits, and nothing from a blank one', () => {
    const digits = take(loadMnist('test'), 5);
    const ev = saccadeEvents(digits, 30);
    expect(ev.images.every((v) => v === 0 || v === 1)).toBe(true);
    const plane = 34 * 34;
    let on = 0, off = 0;
    for (let f = 0; f < 5 * 30; f++) {
      for (let i = 0; i < plane; i++) { on += ev.images[f * 2 * plane + i]; off += ev.images[f * 2 * plane + plane + i]; }
    }
    expect(on).toBeGreaterThan(5 * 30 * 5);
    expect(off).toBeGreaterThan(5 * 30 * 5);
    expect((on + off) / (5 * 30 * 2 * plane)).toBeLessThan(0.2);
    const blank = saccadeEvents({ ...digits, count: 1, images: new Float32Array(784), labels: Uint8Array.from([0]) }, 30);
    expect(blank.images.every((v) => v === 0)).toBe(true);
    expect(SACCADE_CONTRAST).toBeGreaterThan(0);
  });

  it('is a data set spec with its time axis: mnist-saccades[:T]', () => {
    const ev = loadDataset('mnist-saccades:12', { split: 'test', limit: 4 });
    expect([ev.count, ev.steps, ev.shape]).toEqual([4, 12, [2, 34, 34]]);
    expect(() => loadDataset('mnist-saccades:0', { split: 'test' })).toThrow(/mnist-saccades:T with T steps from 1 to 1000/);
  });
});

describe.skipIf(!nirPresent)('the NIR paper\'s networks on snnc\'s chips', () => {
  const cnn = nirPath('sinabs-cnn_sinabs.nir');
  const braille = nirPath('snntorch-braille_noDelay_bias_zero.nir');

  for (const target of ['speck-like', 'loihi-like']) {
    it(`runs the Sinabs N-MNIST CNN on saccade events on ${target}: chip bit-identical with the fixed-point reference`, async () => {
      const r = await verifyModel(cnn, { target, dataset: 'mnist-saccades', samples: 16, workers: 1 });
      expect(r.inputFrames).toBe(30);
      expect(r.rows.map((x) => x.stage)).toEqual(['float-snn', 'quantized-snn', 'mapped-chip']);
      expect(r.bitIdentical).toEqual({ identical: 16, checked: 16, all: true });
      // The network was trained on N-MNIST; these events only model it, yet it reads them (97 % on 100 digits).
      expect(r.rows[0].accuracy).toBeGreaterThanOrEqual(0.75);
      expect(r.sim.perInference.spikes).toBeGreaterThan(0);
    }, 300_000);
  }

  it('compares energy and synaptic operations per target side by side, and names why a target cannot hold it', async () => {
    const r = await compareTargets(cnn, { dataset: 'mnist-saccades:20', samples: 6, targets: ['loihi-like', 'speck-like', 'truenorth-like'], workers: 1 });
    expect(r.software).toMatchObject({ engine: 'float', timesteps: 20 });
    expect(r.warnings.some((w) => /no v_reset/.test(w))).toBe(true);
    const row = (t: string) => r.rows.find((x) => x.target === t)!;
    for (const t of ['loihi-like', 'speck-like']) {
      expect(row(t).fits).toBe(true);
      expect(row(t).energyJ).toBeGreaterThan(0);
      expect(row(t).synapticOps).toBeGreaterThan(0);
      expect(row(t).spikes).toBeGreaterThan(0);
    }
    // Different chips, different costs: the per-target figures are the simulator's, not one shared number.
    expect(row('loihi-like').energyJ).not.toBe(row('speck-like').energyJ);
    expect(row('truenorth-like')).toMatchObject({ fits: false, energyJ: null, synapticOps: null });
    expect(row('truenorth-like').reason).toMatch(/does not fit truenorth-like: input axons per core/);
  }, 300_000);

  it('compiles the snnTorch Braille reader for loihi-like; speck-like and truenorth-like refuse it, naming why', () => {
    const { chip } = compile(braille, { target: 'loihi-like', timesteps: 64 });
    expect(chip.placement.graph.projections.some((p) => p.recurrent)).toBe(true);
    const refusal = (target: string) => {
      try {
        compile(braille, { target, timesteps: 64 });
      } catch (e) {
        expect(e).toBeInstanceOf(FeatureError);
        return (e as Error).message;
      }
      throw new Error(`${target} compiled the Braille reader`);
    };
    expect(refusal('speck-like')).toMatch(/layer 'lif1.lif' needs recurrent connections, which speck-like does not have/);
    expect(refusal('truenorth-like')).toMatch(/layer 'lif1.lif' needs current-based neurons \(CubaLIF\), which truenorth-like does not have/);
  });
});
