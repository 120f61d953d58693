import { describe, expect, it } from 'vitest';
import type { CoreAssignment, MappedChip, QuantGraph } from '../../compiler/types.js';
import type { TargetSpec } from '../../targets/target.js';
import { ChipSimulator, FixedPointReference, buildReport, routedChip } from '../../simulator/index.js';
import { dense, graphOf, ifPopulation, targetWith } from './helpers.js';

/** Round figures so every expected number below can be worked out by hand. */
function handTarget(edit: (t: TargetSpec) => void = () => {}): TargetSpec {
  return targetWith('sanafe-loihi', (t) => {
    t.precision.fireCondition.value = 'ge';
    t.timing.delay.value = 'hardware';
    t.timing.clockHz.value = 1e9;
    t.timing.synapticOpNs.value = 2;
    t.timing.neuronUpdateActiveNs.value = 10;
    t.timing.neuronUpdateIdleNs.value = 5;
    t.timing.spikeOutNs = { value: 3, source: 'test' };
    t.timing.messageOutNs = { value: 1, source: 'test' };
    t.timing.messageInNs = { value: 4, source: 'test' };
    t.timing.hopEastWestNs.value = 7;
    t.timing.hopNorthSouthNs.value = 9;
    t.timing.syncNs.value = [[1, 50], [32, 50]];
    t.energy.syncPJ = { value: 10, source: 'test' };
    t.energy.staticW = { value: 0.001, source: 'test' };
    edit(t);
  });
}

function core(id: number, target: TargetSpec, population: string, start: number, end: number): CoreAssignment {
  const perTile = target.mesh.coresPerTile.value, width = target.mesh.width.value;
  const tile = Math.floor(id / perTile);
  return { id, tile, x: tile % width, y: Math.floor(tile / width), slices: [{ population, start, end }], usage: { neurons: end - start, inputAxons: 0, outputAxons: 0, synapseBits: 0 } };
}

function chip(graph: QuantGraph, cores: CoreAssignment[]): MappedChip {
  return routedChip(graph, cores);
}

/** input(2) → A (2 IF, θ 10) on core 0, tile (0,0) → B (3, readout) on core 36, tile 9 = (1,1): one east and one south hop. */
function twoCore(target: TargetSpec) {
  const graph = graphOf(target, [
    ifPopulation('A', 2, 10),
    ifPopulation('B', 3, 1000, { readout: true }),
  ], [
    dense('input', 'A', [[1, 5], [2, 7]]),
    dense('A', 'B', [[1, 2], [3, 4], [0, 0]]),
  ], 2, { timesteps: 2, input: { shape: [2], encoding: 'direct', inputScale: 10 } });
  return chip(graph, [core(0, target, 'A', 0, 2), core(36, target, 'B', 0, 3)]);
}

describe('two cores, counts and timing worked out by hand', () => {
  it('hardware delay: packets, hops, cycles, critical core, energy = counts × table', () => {
    const target = handTarget();
    const sim = new ChipSimulator(twoCore(target));
    const r = sim.runSample([1, 0]);
    // Step 1: A0 = 10, A1 = 20 both fire (A1 keeps 10). Core 0: A0 done at 10, spike out 13, packet leaves 14;
    // A1 done 24, spike 27, packet 28. Route (0,0)→(1,1): 7 + 9 ns, arrivals 30 and 44; core 36 integrates each
    // in 4 + 3 × 2 = 10 ns: finished 40, then 54. Step = 54 + 50 barrier = 104 ns. Step 2 repeats it.
    expect(r.stepNs).toEqual([104, 104]);
    expect(r.criticalCore).toEqual([36, 36]);
    // Spikes of step 1 reach B in step 2; those of step 2 would land in step 3.
    expect(Array.from(r.readout)).toEqual([3, 7, 0]);
    expect(r.prediction).toBe(1);
    const c = sim.counts;
    expect(c.network.packets).toBe(4);
    expect(c.network.hopsEastWest).toBe(4);
    expect(c.network.hopsNorthSouth).toBe(4);
    expect(c.layers.map((l) => l.spikes)).toEqual([4, 0]);
    expect(c.layers.map((l) => l.synapticEvents)).toEqual([4, 12]);
    expect(c.layers.map((l) => l.effectiveSynapticOps)).toEqual([4, 8]);
    expect(c.layers.map((l) => [l.neuronUpdatesActive, l.neuronUpdatesIdle])).toEqual([[4, 0], [3, 3]]);
    expect(c.cores.map((k) => [k.packetsOut, k.packetsIn, k.hopsOut])).toEqual([[4, 0, 8], [0, 4, 0]]);
    expect(c.layers.map((l) => [l.packetsOut, l.hopsOut])).toEqual([[4, 8], [0, 0]]);
    const report = buildReport(sim);
    expect(report.perInference.latency.ns).toBe(208);
    expect(report.perInference.latency.cycles).toBe(208);
    expect(report.perInference.latency.criticalCore).toBe(36);
    const e = target.energy;
    const pj = 1e-12;
    expect(report.perInference.energyJ.synapticJ).toBeCloseTo(16 * e.synapticOpPJ.value * pj, 20);
    expect(report.perInference.energyJ.neuronJ).toBeCloseTo((7 * e.neuronUpdateActivePJ.value + 3 * e.neuronUpdateIdlePJ.value + 4 * e.spikeOutPJ!.value) * pj, 20);
    expect(report.perInference.energyJ.networkJ).toBeCloseTo((4 * e.messageOutPJ!.value + 4 * e.hopEastWestPJ.value + 4 * e.hopNorthSouthPJ.value) * pj, 20);
    expect(report.perInference.energyJ.syncJ).toBeCloseTo(2 * 10 * pj, 20);
    expect(report.perInference.energyJ.staticJ).toBeCloseTo(0.001 * 208e-9, 20);
    const parts = report.perInference.energyJ;
    expect(parts.totalJ).toBeCloseTo(parts.synapticJ + parts.neuronJ + parts.networkJ + parts.syncJ + parts.staticJ, 20);
  });

  it('same-step delay integrates spikes in the step they fire; the reference agrees in both modes', () => {
    const target = handTarget();
    const mapped = twoCore(target);
    const same = new ChipSimulator(mapped, { delay: 'same-step' }).runSample([1, 0]);
    expect(Array.from(same.readout)).toEqual([6, 14, 0]);
    for (const delay of ['hardware', 'same-step'] as const) {
      const a = new ChipSimulator(mapped, { delay, timesteps: 5 }).runSample([1, 0.3]);
      const b = new FixedPointReference(mapped.placement.graph, { delay, timesteps: 5 }).runSample([1, 0.3]);
      expect(b.spikeDigest).toBe(a.spikeDigest);
      expect(Array.from(b.readout)).toEqual(Array.from(a.readout));
    }
  });
});

describe('link contention', () => {
  /** Four cores on tile 0, one neuron each, all firing at once towards one core on tile 1 (one east hop). */
  function fourToOne(target: TargetSpec) {
    const graph = graphOf(target, [
      ifPopulation('A', 4, 1),
      ifPopulation('B', 1, 1000, { readout: true }),
    ], [
      dense('input', 'A', [[1], [1], [1], [1]]),
      dense('A', 'B', [[1, 1, 1, 1]]),
    ], 1, { timesteps: 1, input: { shape: [1], encoding: 'direct', inputScale: 1 } });
    return chip(graph, [0, 1, 2, 3].map((k) => ({ ...core(k, target, 'A', k, k + 1) })).concat([core(4, target, 'B', 0, 1)]));
  }

  it('packets queue on a shared link and the step takes longer', () => {
    // A cycle of 10 ns: one packet holds the link for 10 ns.
    const slow = new ChipSimulator(fourToOne(handTarget((t) => { t.timing.clockHz.value = 1e8; })));
    const queued = slow.runSample([1]);
    // Each core sends at 14 ns; the east link serves them at 14, 24, 34, 44 (+7 hop): arrivals 21, 31, 41, 51,
    // each integrated in 4 + 2 ns → the last finishes at 57; plus the 50 ns barrier.
    expect(queued.stepNs).toEqual([107]);
    expect(slow.counts.network.maxLinkQueue).toBe(3);
    expect(slow.counts.network.linkWaitNs).toBe(10 + 20 + 30);
    const fast = new ChipSimulator(fourToOne(handTarget((t) => { t.timing.clockHz.value = 1e12; })));
    const free = fast.runSample([1]);
    // A 1 ps cycle: the same queue forms but drains at once; all arrive at ≈21 and only the receiving core
    // serialises them: 27, 33, 39, 45 (+ a few ps).
    expect(free.stepNs[0]).toBeCloseTo(95, 1);
    expect(fast.counts.network.linkWaitNs).toBeLessThan(0.01);
    expect(queued.stepNs[0]).toBeGreaterThan(free.stepNs[0]);
  });
});

describe('saturation at the state width', () => {
  it('clamps the membrane at ±2^(bits−1) in the chip and in the reference', () => {
    const target = handTarget();
    const graph = graphOf(target, [
      ifPopulation('R', 2, 1000, { readout: true, stateBits: 8 }),
    ], [dense('input', 'R', [[100], [-100]])], 1, { timesteps: 4, input: { shape: [1], encoding: 'direct', inputScale: 1 } });
    const mapped = chip(graph, [core(0, target, 'R', 0, 2)]);
    const r = new ChipSimulator(mapped).runSample([1]);
    expect(Array.from(r.readout)).toEqual([127, -128]);
    const ref = new FixedPointReference(graph).runSample([1]);
    expect(Array.from(ref.readout)).toEqual([127, -128]);
  });

  it('a saturated spiking neuron still fires and resets from the clamped value', () => {
    const target = handTarget();
    const graph = graphOf(target, [
      ifPopulation('S', 1, 100, { stateBits: 8 }),
      ifPopulation('R', 1, 1000, { readout: true }),
    ], [dense('input', 'S', [[300]]), dense('S', 'R', [[1]])], 1, { timesteps: 3, input: { shape: [1], encoding: 'direct', inputScale: 1 } });
    const mapped = chip(graph, [core(0, target, 'S', 0, 1), core(1, target, 'R', 0, 1)]);
    const r = new ChipSimulator(mapped, { record: true, delay: 'same-step' }).runSample([1]);
    // v = min(0 + 300, 127) = 127 ≥ 100: spike, 27 left; next 27 + 300 → 127 again: fires every step.
    expect(Array.from(r.raster!.get('S')!)).toEqual([1, 1, 1]);
    expect(Array.from(r.readout)).toEqual([3]);
  });
});

describe('bad mappings are user errors', () => {
  it('names a neuron that is not placed, or placed twice', () => {
    const target = handTarget();
    const mapped = twoCore(target);
    mapped.placement.cores[1].slices[0].end = 2;
    expect(() => new ChipSimulator(mapped)).toThrow(/neuron 2 of population 'B' is not placed/);
    const twice = twoCore(target);
    twice.placement.cores[1].slices.push({ population: 'A', start: 1, end: 2 });
    expect(() => new ChipSimulator(twice)).toThrow(/placed on two cores/);
  });
});

describe('multicast routing', () => {
  /** One neuron on tile (0,0) feeding cores on tiles (1,0) and (2,0). */
  function fanOut(target: TargetSpec) {
    const graph = graphOf(target, [
      ifPopulation('S', 1, 1),
      ifPopulation('B', 2, 1000, { readout: true }),
    ], [dense('input', 'S', [[1]]), dense('S', 'B', [[1], [1]])], 1, { timesteps: 1, input: { shape: [1], encoding: 'direct', inputScale: 1 } });
    return chip(graph, [core(0, target, 'S', 0, 1), core(4, target, 'B', 0, 1), core(8, target, 'B', 1, 2)]);
  }

  it('unicast sends one packet per destination core; multicast one packet whose tree shares the first link', () => {
    const uni = new ChipSimulator(fanOut(handTarget()));
    uni.runSample([1]);
    expect(uni.counts.network.packets).toBe(2);
    expect(uni.counts.network.hopsEastWest).toBe(1 + 2);
    const multi = new ChipSimulator(fanOut(handTarget((t) => { t.mesh.multicast.value = true; })));
    const r = multi.runSample([1]);
    expect(multi.counts.network.packets).toBe(1);
    expect(multi.counts.network.hopsEastWest).toBe(2);
    expect(multi.counts.cores.map((k) => k.packetsIn)).toEqual([0, 1, 1]);
    // S: update 10 + spike 3 + one message 1 = 14; tile 1 at 21, tile 2 at 28; each integrates in 4 + 2 ns.
    expect(r.stepNs).toEqual([28 + 6 + 50]);
  });
});
