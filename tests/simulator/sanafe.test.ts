import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../targets/load.js';
import { simulateVector, loadSanafeVector, vectorFromJson, VectorError, ChipSimulator, FixedPointReference, routedChip } from '../../simulator/index.js';

// CI keeps shared/ beside the clone: ../shared relative to the repo root.
const VECTOR = resolve('../shared/vectors/sanafe-ff/network.json');
const present = existsSync(VECTOR);

describe.skipIf(!present)('SANA-FE conformance vector (784-256-128-10 on sanafe-loihi)', () => {
  it('reproduces SANA-FE\'s counts exactly, energy per category within 1 %, time within 10 %', () => {
    const target = loadTarget('sanafe-loihi');
    const { report, comparison, expected } = simulateVector(VECTOR, target, { steps: 100 });
    expect(expected).toBeDefined();
    const t = report.totals;
    expect(t.synapticEvents).toBe(3_649_752);
    expect(t.packets).toBe(18_585);
    expect(t.spikes).toBe(18_774);
    expect(t.neuronUpdates).toBe(117_100);
    const rel = (a: number, b: number) => Math.abs(a - b) / b;
    expect(rel(t.energyJ.synapticJ, 1.295662e-4)).toBeLessThan(0.01);
    expect(rel(t.energyJ.neuronJ, 9.861758e-6)).toBeLessThan(0.01);
    expect(rel(t.energyJ.networkJ, 2.062935e-6)).toBeLessThan(0.01);
    expect(rel(t.energyJ.totalJ, 1.414909e-4)).toBeLessThan(0.01);
    expect(rel(t.timeNs * 1e-9, 1.169101e-2)).toBeLessThan(0.10);
    expect(comparison!.every((r) => Number.isFinite(r.relDiff))).toBe(true);
    // Zero weights: the dense count includes them, NeuroBench's effective count does not.
    expect(t.effectiveSynapticOps).toBeLessThan(t.synapticEvents);
  });

  it('the fixed-point reference fires the same spikes as the mapped chip on the vector', () => {
    const target = loadTarget('sanafe-loihi');
    const { mapped } = loadSanafeVector(VECTOR, target);
    const chip = new ChipSimulator(mapped, { timesteps: 100 }).runSample(new Float32Array(0));
    const ref = new FixedPointReference(mapped.placement.graph, { timesteps: 100 }).runSample(new Float32Array(0));
    expect(ref.spikeDigest).toBe(chip.spikeDigest);
    expect(ref.spikesPerLayer.get('in')! + ref.spikesPerLayer.get('h1')! + ref.spikesPerLayer.get('h2')! + ref.spikesPerLayer.get('out')!).toBe(18_774);
  });

  it('moving the layers apart on the mesh adds hop energy and latency by tile position', () => {
    const target = loadTarget('sanafe-loihi');
    const { mapped } = loadSanafeVector(VECTOR, target);
    // Put h1 on tile 7 (x = 7, y = 0) and h2 on tile 31 (x = 7, y = 3): in→h1 is 7 east hops, h1→h2 3 south hops.
    const cores = mapped.placement.cores;
    const h1 = cores.find((c) => c.slices[0].population === 'h1')!;
    Object.assign(h1, { id: 28, tile: 7, x: 7, y: 0 });
    const h2 = cores.find((c) => c.slices[0].population === 'h2')!;
    Object.assign(h2, { id: 124, tile: 31, x: 7, y: 3 });
    // The old routes no longer lead to the moved cores: the simulator refuses them, and routing anew fixes that.
    expect(() => new ChipSimulator(mapped, { timesteps: 100 })).toThrow(/no route from core 0 to core 28/);
    mapped.routes = routedChip(mapped.placement.graph, cores).routes;
    const sim = new ChipSimulator(mapped, { timesteps: 100 });
    sim.runSample(new Float32Array(0));
    const net = sim.counts.network;
    const inSpikes = sim.counts.layers[0].spikes, h1Spikes = sim.counts.layers[1].spikes, h2Spikes = sim.counts.layers[2].spikes;
    // The out layer stays on tile 0 with `in`: h2 → out goes 7 west, 3 north.
    expect(net.hopsEastWest).toBe(7 * inSpikes + 7 * h2Spikes);
    expect(net.hopsNorthSouth).toBe(3 * h1Spikes + 3 * h2Spikes);
    expect(sim.counts.network.packets).toBe(18_585);
  });
});

describe.runIf(!present)('SANA-FE conformance vector', () => {
  // CI always has shared/ beside the clone: there a missing vector is a broken setup, not a reason to skip.
  (process.env.CI ? it : it.skip)(`${VECTOR} is present (CI keeps shared/ beside the clone)`, () => {
    expect(present).toBe(true);
  });
});

describe('malformed SANA-FE vectors are user errors naming the fault', () => {
  const good = () => ({
    network: {
      layers: [
        { name: 'a', size: 2, threshold: 3, bias: 1, reset_mode: 'soft', reset_value: 0, initial_potential: [0, 1] },
        { name: 'b', size: 1, threshold: 1, bias: 0, reset_mode: 'hard', reset_value: 0, initial_potential: 0 },
      ],
      edges: [{ from: 'a', to: 'b', weights: [1, -1] }],
    },
    mapping: [{ layer: 'a', first: 0, last: 1, tile: 0, core: 0 }, { layer: 'b', first: 0, last: 0, tile: 9, core: 2 }],
  });
  const target = () => loadTarget('sanafe-loihi');

  it('a small well-formed vector runs, with hops by tile position', () => {
    const { mapped } = vectorFromJson(good(), target());
    const sim = new ChipSimulator(mapped, { timesteps: 6 });
    sim.runSample(new Float32Array(0));
    // a0: 1,2,3,4>3 fires at t=4; a1: 2,3,4>3 fires at t=3 and t=6 (4−3=1 → 2,3,4). Tile 0 → tile 9 = (1,1).
    expect(sim.counts.layers[0].spikes).toBe(3);
    expect(sim.counts.network.packets).toBe(3);
    expect(sim.counts.network.hopsEastWest).toBe(3);
    expect(sim.counts.network.hopsNorthSouth).toBe(3);
  });

  const cases: [string, (v: ReturnType<typeof good>) => unknown, RegExp][] = [
    ['no network', () => ({ mapping: [] }), /no "network" object/],
    ['empty layers', (v) => { v.network.layers = []; return v; }, /non-empty list/],
    ['duplicate layer', (v) => { v.network.layers[1].name = 'a'; return v; }, /declared twice/],
    ['fractional threshold', (v) => { v.network.layers[0].threshold = 2.5; return v; }, /threshold must be an integer/],
    ['absurd size', (v) => { v.network.layers[0].size = 2 ** 40; return v; }, /size .* out of range/],
    ['bad reset', (v) => { v.network.layers[0].reset_mode = 'maybe'; return v; }, /reset_mode/],
    ['initial potentials length', (v) => { v.network.layers[0].initial_potential = [1]; return v; }, /1 initial potentials for 2 neurons/],
    ['edge to nowhere', (v) => { v.network.edges[0].to = 'zzz'; return v; }, /unknown layer "zzz"/],
    ['weights count', (v) => { v.network.edges[0].weights = [1]; return v; }, /needs 2 weights/],
    ['NaN weight', (v) => { (v.network.edges[0].weights as unknown[])[1] = 'x'; return v; }, /weight \[1, 0\] must be an integer/],
    ['tile off the mesh', (v) => { v.mapping[1].tile = 32; return v; }, /tile 32 is not on the 8×4 mesh/],
    ['core off the tile', (v) => { v.mapping[1].core = 4; return v; }, /core 4/],
    ['unmapped neuron', (v) => { v.mapping[0].last = 0; return v; }, /neuron 1 of layer 'a' is not mapped/],
    ['neurons outside the layer', (v) => { v.mapping[0].last = 5; return v; }, /outside layer 'a'/],
    ['no mapping', (v) => { delete (v as Partial<typeof v>).mapping; return v; }, /no "mapping" list/],
  ];
  for (const [name, mutate, message] of cases) {
    it(name, () => {
      expect(() => vectorFromJson(mutate(good()), target(), 'v.json')).toThrow(VectorError);
      expect(() => vectorFromJson(mutate(good()), target(), 'v.json')).toThrow(message);
    });
  }
});

describe.skipIf(!present)('the pinned vector mapping survives the mapped artifact', () => {
  it('writeMapped → readMapped keeps the placement, initial potentials and biases: same counts', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { writeMapped, readMapped } = await import('../../compiler/emit.js');
    const dir = mkdtempSync(join(tmpdir(), 'snnc-vector-'));
    try {
      const { mapped } = loadSanafeVector(VECTOR, loadTarget('sanafe-loihi'));
      writeMapped(dir, mapped);
      const back = readMapped(dir);
      expect(back.placement.pinned).toBe(true);
      expect(back.placement.cores.map((c) => [c.id, c.tile, c.x, c.y])).toEqual(mapped.placement.cores.map((c) => [c.id, c.tile, c.x, c.y]));
      const sim = new ChipSimulator(back, { timesteps: 100 });
      sim.runSample(new Float32Array(0));
      expect(sim.counts.layers.reduce((a, l) => a + l.synapticEvents, 0)).toBe(3_649_752);
      expect(sim.counts.network.packets).toBe(18_585);
      expect(sim.counts.layers.reduce((a, l) => a + l.spikes, 0)).toBe(18_774);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
