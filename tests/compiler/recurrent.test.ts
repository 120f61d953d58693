/**
 * A recurrent current-based network in the Braille reader's shape (input 12 → 38 recurrent CubaLIF → 7 CubaLIF,
 * as snnTorch exports it to NIR) compiled for loihi-like and run on spike trains over time: the chip is
 * bit-identical with the fixed-point reference on every sample, and its counts (synaptic events, spikes,
 * messages) equal an independent count made from the reference's spike rasters and the placement. Targets
 * without recurrence or current-based neurons refuse it, naming the feature, the layer and the target.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { FeatureError } from '../../compiler/features.js';
import { buildGraph, tensor, type Graph } from '../../src/ir/graph.js';
import { runGraph } from '../../src/ir/execute.js';
import { createRng } from '../../src/data/rng.js';
import { ChipSimulator, FixedPointReference } from '../../simulator/index.js';
import { loadTarget } from '../../targets/load.js';

const IN = 12, HIDDEN = 38, OUT = 7, T = 40, SAMPLES = 12;

function seeded(n: number, seed: number, scale: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
}

/** The Braille reader's topology, flattened as snnTorch exports it: lif1 ⟲ w_rec. */
export function brailleNet(): Graph {
  const cuba = (n: number) => ({
    kind: 'CubaLIF' as const, tauSyn: tensor([n], new Array(n).fill(5e-4)), tauMem: tensor([n], new Array(n).fill(1e-3)),
    r: 1, vLeak: 0, wIn: 1, threshold: 0.35, reset: 'zero' as const,
  });
  return buildGraph([
    ['input', { kind: 'Input', shape: [IN] }],
    ['fc1', { kind: 'Affine', weight: tensor([HIDDEN, IN], seeded(HIDDEN * IN, 1, 1.6)), bias: tensor([HIDDEN], seeded(HIDDEN, 2, 0.05)) }],
    ['lif1', cuba(HIDDEN)],
    ['w_rec', { kind: 'Affine', weight: tensor([HIDDEN, HIDDEN], seeded(HIDDEN * HIDDEN, 3, 0.5)), bias: tensor([HIDDEN], new Array(HIDDEN).fill(0)) }],
    ['fc2', { kind: 'Affine', weight: tensor([OUT, HIDDEN], seeded(OUT * HIDDEN, 4, 1.2)), bias: tensor([OUT], seeded(OUT, 5, 0.05)) }],
    ['lif2', cuba(OUT)],
    ['output', { kind: 'Output' }],
  ], [['input', 'fc1'], ['fc1', 'lif1'], ['lif1', 'w_rec'], ['w_rec', 'lif1'], ['lif1', 'fc2'], ['fc2', 'lif2'], ['lif2', 'output']], { name: 'braille', dt: 1e-4 });
}

/** Spike trains: each of 12 channels fires with its own rate, per sample. */
function spikeTrains(): Float32Array {
  const rng = createRng(77);
  const x = new Float32Array(SAMPLES * T * IN);
  for (let s = 0; s < SAMPLES; s++) {
    const rates = Array.from({ length: IN }, () => rng.next() * 0.6);
    for (let t = 0; t < T; t++) for (let i = 0; i < IN; i++) x[(s * T + t) * IN + i] = rng.next() < rates[i] ? 1 : 0;
  }
  return x;
}

describe('a recurrent CubaLIF network on loihi-like', () => {
  const graph = brailleNet();
  const data = spikeTrains();

  it('has one recurrent edge, and runs in float with inputs over time', () => {
    expect([...graph.recurrent].map((e) => graph.edges[e])).toEqual([['w_rec', 'lif1']]);
    const counts = runGraph(graph, data, SAMPLES, { inputSteps: T });
    expect(counts.length).toBe(SAMPLES * OUT);
    expect(counts.some((c) => c > 0)).toBe(true);
  });

  it('compiles, and the chip is bit-identical with the fixed-point reference on every sample', () => {
    const { chip } = compile(graph, { target: 'loihi-like', timesteps: T });
    const q = chip.placement.graph;
    const lif1 = q.populations.find((p) => p.name === 'lif1')!;
    expect(lif1.neuron.model).toBe('CubaLIF');
    expect(lif1.neuron.currentDecay).toBe(Math.round((1 - 1e-4 / 5e-4) * 4096));
    expect(lif1.neuron.decay).toBe(Math.round((1 - 1e-4 / 1e-3) * 4096));
    expect(q.projections.filter((p) => p.recurrent).map((p) => [p.from, p.to])).toEqual([['lif1', 'lif1']]);
    for (const delay of ['hardware', 'same-step'] as const) {
      const sim = new ChipSimulator(chip, { delay, record: true });
      const ref = new FixedPointReference(q, { delay, timesteps: sim.timesteps, record: true });
      let spikesSeen = 0;
      for (let s = 0; s < SAMPLES; s++) {
        const x = data.subarray(s * T * IN, (s + 1) * T * IN);
        const a = sim.runSample(x, s, T);
        const b = ref.runSample(x, s, T);
        expect(a.spikeDigest, `sample ${s}, ${delay}`).toBe(b.spikeDigest);
        expect(Array.from(a.readout)).toEqual(Array.from(b.readout));
        for (const [name, raster] of a.raster!) expect(Array.from(raster), `${name}, sample ${s}`).toEqual(Array.from(b.raster!.get(name)!));
        spikesSeen += a.raster!.get('lif1')!.reduce((m, v) => m + v, 0);
      }
      expect(spikesSeen, 'the hidden layer is active').toBeGreaterThan(SAMPLES * 10);
    }
  });

  it('counts synaptic events, spikes and messages as an independent count from the rasters and placement does', () => {
    const { chip } = compile(graph, { target: 'loihi-like', timesteps: T });
    const q = chip.placement.graph;
    const sim = new ChipSimulator(chip, { record: true });
    const size = (n: string) => q.populations.find((p) => p.name === n)!.size;
    const coresOf = (n: string) => new Set(chip.placement.cores.filter((c) => c.slices.some((sl) => sl.population === n)).map((c) => c.id));
    const expected = { events: new Map<string, number>(), spikes: new Map<string, number>(), packets: 0 };
    const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
    for (let s = 0; s < SAMPLES; s++) {
      const x = data.subarray(s * T * IN, (s + 1) * T * IN);
      const r = sim.runSample(x, s, T);
      // Input events: one per non-zero input value at each step the input lasts; every one reaches fc1's whole row.
      let inputEvents = 0;
      for (let t = 0; t < Math.min(T, sim.timesteps); t++) for (let i = 0; i < IN; i++) if (x[t * IN + i] !== 0) inputEvents++;
      add(expected.events, 'lif1', inputEvents * size('lif1'));
      for (const pop of q.populations) {
        const raster = r.raster!.get(pop.name)!;
        const fired = raster.reduce((m, v) => m + v, 0);
        add(expected.spikes, pop.name, fired);
        // Every spike goes through each outgoing dense projection to all of its target's neurons (the readout's is a
        // 1×1 identity convolution: one synapse per spike), and as one packet to each core holding some of them.
        const out = q.projections.filter((p) => p.from === pop.name);
        for (const p of out) {
          const s = p.synapse;
          if (s.kind === 'conv') expect([s.kernel, s.groups]).toEqual([[1, 1], p.postShape[0]]);
          add(expected.events, p.to, fired * (s.kind === 'dense' ? size(p.to) : 1));
        }
        const destinations = new Set(out.flatMap((p) => [...coresOf(p.to)]));
        expected.packets += fired * destinations.size;
      }
    }
    for (const layer of sim.counts.layers) {
      expect(layer.spikes, `spikes of ${layer.name}`).toBe(expected.spikes.get(layer.name) ?? 0);
      expect(layer.synapticEvents, `synaptic events into ${layer.name}`).toBe(expected.events.get(layer.name) ?? 0);
    }
    expect(sim.counts.network.packets).toBe(expected.packets);
    expect(expected.packets).toBeGreaterThan(0);
  });

  it('targets without recurrence or current-based neurons refuse it, naming the feature, layer and target', () => {
    const refused = (target: string) => {
      try {
        compile(graph, { target, timesteps: T });
      } catch (e) {
        expect(e).toBeInstanceOf(FeatureError);
        return (e as Error).message;
      }
      throw new Error(`${target} compiled the recurrent network`);
    };
    expect(refused('speck-like')).toMatch(/layer 'lif1' needs recurrent connections, which speck-like does not have/);
    expect(refused('truenorth-like')).toMatch(/layer 'lif1' needs current-based neurons \(CubaLIF\), which truenorth-like does not have/);
    const noDelay = structuredClone(loadTarget('loihi-like'));
    noDelay.features!.currentBased!.value = false;
    expect(() => compile(graph, { target: noDelay, timesteps: T })).toThrow(/current-based neurons/);
  });
});
