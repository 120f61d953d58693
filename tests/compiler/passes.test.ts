import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/ir/graph.js';
import { foldScale } from '../../compiler/passes/fold-scale.js';
import { convertToSnn } from '../../compiler/passes/convert.js';
import { lowerMaxPool, MaxPoolError } from '../../compiler/passes/lower-maxpool.js';
import { lowerToPopulations } from '../../compiler/passes/lower.js';
import { quantize } from '../../compiler/quantize.js';
import { loadTarget } from '../../targets/load.js';
import { chain } from './helpers.js';

describe('fold-scale', () => {
  it('folds a per-channel Scale (left-over BatchNorm) into the Affine before it', () => {
    const g = chain('t', [
      ['in', { kind: 'Input', shape: [2] }],
      ['fc', { kind: 'Affine', weight: tensor([2, 2], [1, 2, 3, 4]), bias: tensor([2], [1, 1]) }],
      ['bn', { kind: 'Scale', scale: tensor([2], [2, 3]), bias: tensor([2], [0.5, 0]) }],
      ['out', { kind: 'Output' }],
    ]);
    const f = foldScale(g);
    expect(f.nodes.has('bn')).toBe(false);
    const fc = f.nodes.get('fc')!;
    if (fc.kind !== 'Affine') throw new Error('kind');
    expect(Array.from(fc.weight.data)).toEqual([2, 4, 9, 12]);
    expect(Array.from(fc.bias.data)).toEqual([2.5, 3]);
  });
});

describe('lower-maxpool', () => {
  const g = chain('t', [
    ['in', { kind: 'Input', shape: [1, 4, 4] }],
    ['mp', { kind: 'MaxPool2d', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] }],
    ['f', { kind: 'Flatten' }],
    ['fc', { kind: 'Linear', weight: tensor([2, 4], [1, 1, 1, 1, 1, 1, 1, 1]) }],
    ['out', { kind: 'Output' }],
  ]);
  it('replaces max by average pooling with a warning, never silently', () => {
    const warnings: string[] = [];
    const l = lowerMaxPool(g, 'avg', (m) => warnings.push(m));
    expect(l.nodes.get('mp')!.kind).toBe('AvgPool2d');
    expect(warnings.join()).toMatch(/max pooling replaced by average pooling.*'mp'/);
  });
  it('refuses when asked to, naming the node', () => {
    expect(() => lowerMaxPool(g, 'refuse', () => {})).toThrow(MaxPoolError);
    expect(() => lowerMaxPool(g, 'refuse', () => {})).toThrow(/'mp'.*--maxpool avg/);
  });
});

describe('convert (threshold balancing)', () => {
  const ann = chain('t', [
    ['in', { kind: 'Input', shape: [2] }],
    ['fc1', { kind: 'Affine', weight: tensor([2, 2], [2, -1, 0.5, 0.5]), bias: tensor([2], [0, 0]) }],
    ['relu', { kind: 'ReLU' }],
    ['fc2', { kind: 'Linear', weight: tensor([1, 2], [1, 1]) }],
    ['out', { kind: 'Output' }],
  ]);
  it('data-based: max activation → IF threshold λ, spikes amplified by λ, reset by subtraction', () => {
    // activations: [1,0] → [2, .5]; [0,1] → [0, .5]; [1,1] → [1, 1]; max 2
    const cal = { images: Float32Array.from([1, 0, 0, 1, 1, 1]), count: 3, name: 'hand' };
    const s = convertToSnn(ann, { calibration: cal, balance: 'max' });
    expect(s.nodes.get('relu')).toEqual({ kind: 'IF', threshold: 2, reset: 'subtract' });
    const amp = s.nodes.get('relu.amp')!;
    expect(amp.kind === 'Scale' && Array.from(amp.scale.data)).toEqual([2]);
    expect(s.succs.get('relu')).toEqual(['relu.amp']);
    expect(s.succs.get('relu.amp')).toEqual(['fc2']);
  });
  it('data-based percentile: the 50th percentile of the positive activations', () => {
    // positive activations: 2, .5, .5, 1, 1 → sorted .5 .5 1 1 2 → 50th percentile = 1
    const cal = { images: Float32Array.from([1, 0, 0, 1, 1, 1]), count: 3, name: 'hand' };
    const s = convertToSnn(ann, { calibration: cal, percentile: 50 });
    expect(s.nodes.get('relu')).toMatchObject({ threshold: 1 });
  });
  it('weight-based without data: the largest activation inputs in [0, 1] can cause', () => {
    // positive weights with all inputs 1: [2, 1] → λ = 2
    const s = convertToSnn(ann);
    expect(s.nodes.get('relu')).toMatchObject({ kind: 'IF', threshold: 2 });
  });
  it('leaves spiking students unchanged', () => {
    const student = chain('s', [
      ['in', { kind: 'Input', shape: [2] }],
      ['fc', { kind: 'Linear', weight: tensor([2, 2], [1, 0, 0, 1]) }],
      ['lif', { kind: 'LIF', threshold: 0.5, reset: 'zero', leak: 0.1 }],
      ['head', { kind: 'Linear', weight: tensor([1, 2], [1, 1]) }],
      ['out', { kind: 'Output' }],
    ]);
    expect(convertToSnn(student)).toBe(student);
  });
});

describe('lower (populations and projections)', () => {
  it('folds average pooling and flatten into the dense readout: w / 4 per pooled pixel', () => {
    const g = chain('t', [
      ['in', { kind: 'Input', shape: [1, 4, 4] }],
      ['c', { kind: 'Conv2d', weight: tensor([1, 1, 1, 1], [1]), stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], groups: 1 }],
      ['if', { kind: 'IF', threshold: 1, reset: 'subtract' }],
      ['p', { kind: 'AvgPool2d', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] }],
      ['f', { kind: 'Flatten' }],
      ['fc', { kind: 'Affine', weight: tensor([1, 4], [1, 2, 3, 4]), bias: tensor([1], [0.5]) }],
      ['out', { kind: 'Output' }],
    ]);
    const net = lowerToPopulations(convertToSnn(g));
    expect(net.populations.map((p) => p.name)).toEqual(['if', 'fc']);
    const head = net.projections.find((p) => p.to === 'fc')!;
    expect(head.synapse.kind).toBe('dense');
    const expected = [];
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) expected.push([1, 2, 3, 4][Math.floor(y / 2) * 2 + Math.floor(x / 2)] / 4);
    expect(Array.from(head.synapse.weights)).toEqual(expected);
    expect(Array.from(net.populations[1].bias)).toEqual([0.5]);
    expect(net.populations[1].readout).toBe(true);
  });
  it('composes pooling then convolution into one strided convolution', () => {
    const g = chain('t', [
      ['in', { kind: 'Input', shape: [1, 4, 4] }],
      ['if0', { kind: 'IF', threshold: 1, reset: 'subtract' }],
      ['p', { kind: 'AvgPool2d', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0] }],
      ['c', { kind: 'Conv2d', weight: tensor([1, 1, 2, 2], [1, 2, 3, 4]), stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], groups: 1 }],
      ['if1', { kind: 'IF', threshold: 1, reset: 'subtract' }],
      ['f', { kind: 'Flatten' }],
      ['fc', { kind: 'Linear', weight: tensor([1, 1], [1]) }],
      ['out', { kind: 'Output' }],
    ]);
    const net = lowerToPopulations(convertToSnn(g));
    const p = net.projections.find((x) => x.to === 'if1')!;
    if (p.synapse.kind !== 'conv') throw new Error('kind');
    expect(p.synapse.kernel).toEqual([4, 4]);
    expect(p.synapse.stride).toEqual([2, 2]);
    const expected = [];
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) expected.push([1, 2, 3, 4][Math.floor(y / 2) * 2 + Math.floor(x / 2)] / 4);
    expect(Array.from(p.synapse.weights)).toEqual(expected);
    // the input → if0 path has no synaptic layer: an identity projection
    const id = net.projections.find((x) => x.to === 'if0')!;
    expect(id.from).toBe('input');
    expect(Array.from(id.synapse.weights)).toEqual([1]);
  });
  it('splits a residual sum into one projection per path', () => {
    const g = chain('t', [
      ['in', { kind: 'Input', shape: [2] }],
      ['a', { kind: 'IF', threshold: 1, reset: 'subtract' }],
      ['fc', { kind: 'Linear', weight: tensor([2, 2], [1, 2, 3, 4]) }],
      ['b', { kind: 'IF', threshold: 1, reset: 'subtract' }],
      ['head', { kind: 'Linear', weight: tensor([1, 2], [1, 1]) }],
      ['out', { kind: 'Output' }],
    ]);
    // add the skip a → b (b = fc(a) + a)
    const withSkip = { ...g };
    const net = lowerToPopulations(convertToSnn(chainWithSkip(g)));
    void withSkip;
    const into = net.projections.filter((p) => p.to === 'b').map((p) => p.from).sort();
    expect(into).toEqual(['a', 'a']);
  });
});

import { buildGraph, type Graph } from '../../src/ir/graph.js';
function chainWithSkip(g: Graph): Graph {
  return buildGraph([...g.nodes], [...g.edges, ['a', 'b']], g.meta);
}

describe('quantize', () => {
  it('loihi-like: threshold 2^14 · 2^6, weight 0.5 θ → mantissa 64 with exponent 13', () => {
    const g = chain('t', [
      ['in', { kind: 'Input', shape: [1] }],
      ['a', { kind: 'IF', threshold: 1, reset: 'subtract' }],
      ['fc', { kind: 'Linear', weight: tensor([1, 1], [0.5]) }],
      ['b', { kind: 'IF', threshold: 1, reset: 'subtract' }],
      ['head', { kind: 'Linear', weight: tensor([1, 1], [1]) }],
      ['out', { kind: 'Output' }],
    ]);
    const q = quantize(lowerToPopulations(convertToSnn(g)), loadTarget('loihi-like'), { timesteps: 8 });
    const b = q.populations.find((p) => p.name === 'b')!;
    // θ_max = min((2^17 − 1) · 2^6, floor((2^23 − 1) / 2^3)) = 1,048,575 → θ = round(1,048,575 / 64) · 64
    expect(b.neuron.threshold).toBe(16384 * 64);
    const p = q.projections.find((x) => x.to === 'b')!;
    expect(p.weightExponent).toBe(13);
    expect(Array.from(p.synapse.weights)).toEqual([64]);
    expect(q.quantError[p.name]).toBeLessThan(1e-5);
  });
  it('LIF students keep their leak as a retention factor over 2^decayBits, reset to zero', () => {
    const g = chain('s', [
      ['in', { kind: 'Input', shape: [2] }],
      ['fc', { kind: 'Linear', weight: tensor([2, 2], [1, 0, 0, 1]) }],
      ['lif', { kind: 'LIF', threshold: 0.5, reset: 'zero', leak: 0.25 }],
      ['head', { kind: 'Linear', weight: tensor([1, 2], [1, 1]) }],
      ['out', { kind: 'Output' }],
    ]);
    const q = quantize(lowerToPopulations(convertToSnn(g)), loadTarget('loihi-like'), { timesteps: 4 });
    const lif = q.populations.find((p) => p.name === 'lif')!;
    expect(lif.neuron).toMatchObject({ model: 'LIF', reset: 'zero', decay: 3072, stateBits: 24 });
  });
  it('truenorth-like: at most 4 distinct weights per neuron, 9-bit signed', () => {
    const w = Array.from({ length: 3 * 20 }, (_, i) => Math.sin(i * 1.7));
    const g = chain('t', [
      ['in', { kind: 'Input', shape: [20] }],
      ['a', { kind: 'IF', threshold: 1, reset: 'subtract' }],
      ['fc', { kind: 'Linear', weight: tensor([3, 20], w) }],
      ['b', { kind: 'IF', threshold: 1, reset: 'subtract' }],
      ['head', { kind: 'Linear', weight: tensor([1, 3], [1, 1, 1]) }],
      ['out', { kind: 'Output' }],
    ]);
    const q = quantize(lowerToPopulations(convertToSnn(g)), loadTarget('truenorth-like'), { timesteps: 8 });
    const p = q.projections.find((x) => x.to === 'b')!;
    for (let row = 0; row < 3; row++) {
      const vals = new Set(Array.from(p.synapse.weights.slice(row * 20, row * 20 + 20)).filter((v) => v !== 0));
      expect(vals.size).toBeLessThanOrEqual(4);
      for (const v of vals) expect(Math.abs(v)).toBeLessThanOrEqual(255);
    }
    expect(q.quantError[p.name]).toBeGreaterThan(0);
    expect(q.input.encoding).toBe('rate');
  });
});
