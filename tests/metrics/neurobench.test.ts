import { describe, expect, it } from 'vitest';
import { ChipSimulator, buildReport, sequentialMapping } from '../../simulator/index.js';
import { neuroBenchMetrics, energyComparison, footprintBytes, connectionSparsity, HOROWITZ_PJ } from '../../src/metrics/index.js';
import { buildGraph, tensor } from '../../src/ir/graph.js';
import { dense, graphOf, ifPopulation, targetWith } from '../simulator/helpers.js';

/** input(2, graded) → H (2 IF, θ 5) → R (1 readout); weights with zeros so both SOP counts differ. */
function tiny() {
  const target = targetWith('loihi-like');
  const graph = graphOf(target, [ifPopulation('H', 2, 5), ifPopulation('R', 1, 1000, { readout: true })], [
    dense('input', 'H', [[3, 0], [0, 0]]),
    dense('H', 'R', [[2, 0]]),
  ], 2, { timesteps: 3, delay: 'same-step', input: { shape: [2], encoding: 'direct', inputScale: 2 } });
  return graph;
}

describe('NeuroBench metrics, worked out by hand', () => {
  it('effective ACs/MACs, dense SOPs, activation and connection sparsity, footprint', () => {
    const graph = tiny();
    const sim = new ChipSimulator(sequentialMapping(graph), { delay: 'same-step' });
    // Input [1, 1] → graded events [2, 2] every step. H0 gets 3·2 = 6 per step: v 6 fires (1 left), 7 fires (2), 8 fires.
    // H1 gets 0: never fires. R gets 2 per H0 spike.
    const r = sim.runSample([1, 1]);
    expect(Array.from(r.readout)).toEqual([6]);
    const report = buildReport(sim);
    const m = neuroBenchMetrics(graph, report);
    // Input: 2 events per step, but input 1's row holds only zeros, so it connects to nothing (simulator/synapses.ts:
    // no axon, no synapses): input 0's event × 2 connections = 2 dense, 1 non-zero (input 0 → H0) = 1 MAC per step;
    // 3 steps. Spikes: H0 three times × 1 connection (to R, weight 2) = 3 dense, 3 ACs.
    expect(m.denseSynapticOps).toBe(3 * 2 + 3);
    expect(m.effectiveSynapticOps).toEqual({ acs: 3, macs: 3, total: 6 });
    // Spiking outputs: H has 2 neurons × 3 steps = 6 outputs, 3 spikes; the readout does not count.
    expect(m.activationSparsity).toBeCloseTo(0.5, 12);
    // Weights: 4 + 2 = 6, zeros 3 + 1 = 4.
    expect(connectionSparsity(graph)).toBeCloseTo(4 / 6, 12);
    // 6 weights × 8 bits + 2 thresholds × 17 bits + 3 neurons × 24-bit state = 48 + 34 + 72 = 154 bits → 20 bytes.
    expect(footprintBytes(graph)).toBe(20);
    expect(m.footprintBytes).toBe(20);
    // Membrane updates: H active every step (input), R active when it receives or holds state: steps 1..3.
    expect(m.membraneUpdates).toBe(6 + 3);
  });

  it('counts rate-encoded (spike) input as ACs, not MACs', () => {
    const target = targetWith('loihi-like');
    const graph = graphOf(target, [ifPopulation('H', 2, 5), ifPopulation('R', 1, 1000, { readout: true })], [
      dense('input', 'H', [[3, 0], [0, 0]]),
      dense('H', 'R', [[2, 0]]),
    ], 2, { timesteps: 3, delay: 'same-step', input: { shape: [2], encoding: 'rate', inputScale: 1, seed: 1 } });
    const sim = new ChipSimulator(sequentialMapping(graph), { delay: 'same-step' });
    // Probability 1: both inputs spike at every step; one non-zero synapse (input 0 → H0) per step. H0 gets 3 a step:
    // 3, 6 fires (1 left), 4, so one spike, one AC into R.
    sim.runSample([1, 1]);
    const m = neuroBenchMetrics(graph, buildReport(sim));
    expect(m.effectiveSynapticOps).toEqual({ acs: 3 + 1, macs: 0, total: 4 });
  });

  it('ANN MACs × 4.6 pJ against SNN ACs × 0.9 pJ (+ graded MACs × 4.6 pJ) and the target\'s own energy', () => {
    const graph = tiny();
    const sim = new ChipSimulator(sequentialMapping(graph), { delay: 'same-step' });
    sim.runSample([1, 1]);
    const report = buildReport(sim);
    const m = neuroBenchMetrics(graph, report);
    const ann = buildGraph([
      ['x', { kind: 'Input', shape: [2] }],
      ['fc1', { kind: 'Linear', weight: tensor([2, 2], [3, 0, 0, 0]) }],
      ['relu', { kind: 'ReLU' }],
      ['fc2', { kind: 'Linear', weight: tensor([1, 2], [2, 0]) }],
      ['y', { kind: 'Output' }],
    ], [['x', 'fc1'], ['fc1', 'relu'], ['relu', 'fc2'], ['fc2', 'y']], { name: 'ann' });
    const e = energyComparison(m, report, graph, ann);
    expect(e.annMacs).toBe(6);
    expect(e.annHorowitzJ).toBeCloseTo(6 * HOROWITZ_PJ.mac * 1e-12, 24);
    expect(e.snnHorowitzJ).toBeCloseTo((3 * HOROWITZ_PJ.ac + 3 * HOROWITZ_PJ.mac) * 1e-12, 24);
    expect(e.snnTargetSynapticJ).toBeCloseTo(9 * graph.target.energy.synapticOpPJ.value * 1e-12, 24);
    expect(e.snnTargetTotalJ).toBeGreaterThan(e.snnTargetSynapticJ);
  });
});
