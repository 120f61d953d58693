/**
 * The error budget (compiler/error-budget.ts) attributes the float-to-chip gap to its causes by switching each
 * off in the fixed-point reference. On a deep template student compiled for loihi-like with --hold none, the
 * delivery row must recover what the late readout costs, the baseline row must be the reference's own run,
 * and with every cause off the reference must agree with the float SNN at least as well as compiled.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { errorBudget, formatErrorBudget } from '../../compiler/error-budget.js';
import { importOnnx } from '../../src/onnx/import.js';
import { loadDataset, take } from '../../src/data/index.js';
import { FixedPointReference } from '../../simulator/reference.js';
import { quantize } from '../../compiler/quantize.js';
import { buildTemplateStudent } from '../fixtures/template-student.js';

describe('error budget', () => {
  const graph = importOnnx(buildTemplateStudent({ relays: 2, timesteps: 4 })).graph;
  const data = take(loadDataset('mnist', { split: 'test' }), 100);

  it('attributes the late readout to spike delivery, and every row names its cause', () => {
    const r = compile(graph, { target: 'loihi-like', hold: 'none' });
    const q = r.chip.placement.graph;
    const b = errorBudget(r.spikingGraph, r.floatNet, q.target, data, { timesteps: q.timesteps, hold: 'none' });
    const causes = b.rows.map((row) => row.cause);
    expect(causes[0]).toBe('as compiled');
    expect(causes).toEqual(expect.arrayContaining(['spike delivery: same step, no hold', 'weight rounding (every projection)', 'threshold register', 'state width (saturation)', 'input quantization', 'all of the above']));
    for (const p of r.floatNet.projections) expect(causes).toContain(`weight rounding of ${p.name}`);
    // The baseline is the reference as compiled.
    const ref = new FixedPointReference(q);
    let ok = 0;
    for (let s = 0; s < data.count; s++) if (ref.runSample(data.images.subarray(s * 784, (s + 1) * 784), s).prediction === data.labels[s]) ok++;
    expect(b.rows[0].accuracy).toBe(ok / data.count);
    // Three layers deep on a chip that delivers a spike a step late, without hold steps, the readout sees one step of
    // the four: switching delivery off recovers most of the accuracy.
    const delivery = b.rows.find((row) => row.cause.startsWith('spike delivery'))!;
    expect(delivery.recovered).toBeGreaterThan(0.2);
    const all = b.rows.at(-1)!;
    expect(all.agreeFloat).toBeGreaterThanOrEqual(b.rows[0].agreeFloat);
    expect(all.agreeFloat).toBeGreaterThan(0.95);
    expect(formatErrorBudget(b)).toMatch(/spike delivery: same step, no hold .* \+\d+\.\d\d pt/);
  });
});

describe('the error budget\'s switches in quantize', () => {
  const graph = importOnnx(buildTemplateStudent({ relays: 1, timesteps: 4 })).graph;
  const r = compile(graph, { target: 'loihi-like' });
  const target = r.chip.placement.graph.target;
  const base = quantize(r.floatNet, target, { timesteps: 4 });

  it('fineStateBits: potentials 2^k finer, thresholds and weights exactly as compiled', () => {
    const k = 7;
    const fine = quantize(r.floatNet, target, { timesteps: 4, fineStateBits: k });
    for (let i = 0; i < base.populations.length; i++) {
      const a = base.populations[i], b = fine.populations[i];
      expect(b.neuron.threshold).toBe(a.neuron.threshold * 2 ** k);
      expect(b.neuron.stateBits).toBe(a.neuron.stateBits + k);
      // A bias rounds 2^k finer: within half a coarse unit of 2^k times the compiled one.
      for (let j = 0; j < a.bias.length; j++) expect(Math.abs(b.bias[j] - a.bias[j] * 2 ** k)).toBeLessThanOrEqual(2 ** (k - 1));
    }
    const someBias = fine.populations.some((p, i) => p.bias.some((x, j) => x !== base.populations[i].bias[j] * 2 ** k));
    expect(someBias).toBe(true);
    for (let i = 0; i < base.projections.length; i++) {
      expect(fine.projections[i].weightExponent).toBe(base.projections[i].weightExponent + k);
      expect(fine.projections[i].synapse.weights).toEqual(base.projections[i].synapse.weights);
    }
  });

  it('ownExponents: every weight an 8-bit mantissa with its own power of two, nearer the float weight than the shared exponent allows', () => {
    const name = base.projections[0].name;
    const own = quantize(r.floatNet, target, { timesteps: 4, ownExponents: new Set([name]) });
    const p = own.projections[0];
    for (const m of p.synapse.weights) {
      const a = Math.abs(m);
      if (a === 0) continue;
      const shift = Math.max(0, Math.ceil(Math.log2(a / 127)));
      expect(a % 2 ** shift).toBe(0);
      expect(a / 2 ** shift).toBeLessThanOrEqual(127);
    }
    expect(own.quantError[name]).toBeLessThan(base.quantError[name]);
    // The other projections are as compiled.
    expect(own.projections[1].synapse.weights).toEqual(base.projections[1].synapse.weights);
  });
});
