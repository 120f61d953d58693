/**
 * compose() in compiler/linear.ts is exact: for every pair of operators lowering meets — dense, convolution
 * (strided, padded, grouped, depthwise), pooling, a per-channel scale, the IndexMap's forms (a one-hot 1×1
 * convolution that places channels and pads, a gather that permutes, repeats and zeroes) — and across a change of
 * view (a Flatten or Reshape between them), applying the composition equals applying one after the other.
 */
import { describe, expect, it } from 'vitest';
import { applyOp, compose, type LinOp, type Shape3 } from '../../compiler/linear.js';
import { IndexMap } from '../../src/ir/kinds/index-map.js';
import { SeededRandom } from '../fixtures/models.js';
import { tensor } from '../../src/ir/graph.js';
import { convertToSnn } from '../../compiler/passes/convert.js';
import { lowerToPopulations } from '../../compiler/passes/lower.js';
import { chain, seeded } from './helpers.js';

const rnd = new SeededRandom(3);
const values = (n: number) => Float32Array.from({ length: n }, () => rnd.uniform() - 0.5);
const size = (s: Shape3) => s[0] * s[1] * s[2];

function conv(inShape: Shape3, cout: number, k: number, o: { stride?: number; pad?: [number, number, number, number]; groups?: number; dilation?: number } = {}): LinOp {
  const stride = o.stride ?? 1, dil = o.dilation ?? 1, groups = o.groups ?? 1, pad = o.pad ?? [0, 0, 0, 0];
  const out = (n: number, a: number, b: number) => Math.floor((n + a + b - (k - 1) * dil - 1) / stride) + 1;
  return {
    kind: 'conv', inShape, outShape: [cout, out(inShape[1], pad[0], pad[2]), out(inShape[2], pad[1], pad[3])], w: values(cout * (inShape[0] / groups) * k * k),
    kernel: [k, k], stride: [stride, stride], padding: pad, dilation: [dil, dil], groups,
  };
}
const dense = (inShape: Shape3, out: number): LinOp => ({ kind: 'dense', inShape, outShape: [out, 1, 1], w: values(out * size(inShape)) });
const pool = (s: Shape3): LinOp => ({ kind: 'conv', inShape: s, outShape: [s[0], s[1] / 2, s[2] / 2], w: new Float32Array(s[0] * 4).fill(0.25), kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0], dilation: [1, 1], groups: s[0] });
const scale = (s: Shape3): LinOp => ({ kind: 'conv', inShape: s, outShape: s, w: values(s[0]), kernel: [1, 1], stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], groups: s[0] });
/** An IndexMap node's operator over a per-sample shape. */
const indexMap = (shape: number[], node: { perm?: number[]; index: number[][] }): LinOp => {
  const n = { kind: 'IndexMap' as const, ...node };
  return IndexMap.linear!('m', n, { input: shape, output: IndexMap.inferShape('m', n, shape) })!;
};
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function check(a: LinOp, b: LinOp, what: string): void {
  const c = compose(a, b);
  expect(c, what).not.toBeNull();
  for (let trial = 0; trial < 3; trial++) {
    const x = values(size(a.inShape));
    const want = applyOp(b, applyOp(a, x));
    const got = applyOp(c!, x);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - got[i]));
    expect(worst, what).toBeLessThan(1e-5);
  }
}

describe('compose is exact', () => {
  const s: Shape3 = [4, 6, 6];
  const place = indexMap([4, 6, 6], { index: [[-1, -1, 0, 1, 2, 3], range(6), range(6)] });
  const padded = indexMap([4, 6, 6], { index: [range(4), [-1, ...range(6), -1, -1], [-1, ...range(6)]] });
  const shuffle = indexMap([4, 6, 6], { perm: [0, 2, 1], index: [[3, 3, 1, -1], range(6).reverse(), [0, 2, -1, 4, 5, 1]] });
  const upsample = indexMap([4, 6, 6], { index: [range(4), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5], [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]] });
  const features = indexMap([144], { index: [[...range(144).reverse(), -1, 7]] });

  it('the IndexMap lowers to a convolution where it only places channels or pads, else to a gather', () => {
    expect(place.kind).toBe('conv');
    expect(padded.kind).toBe('conv');
    expect(shuffle.kind).toBe('gather');
    expect(upsample.kind).toBe('gather');
    expect(features.kind).toBe('gather');
    // Concat's placement after a convolution is still a convolution (zero rows for the other slice).
    expect(compose(conv(s, 4, 3, { pad: [1, 1, 1, 1] }), place)!.kind).toBe('conv');
    // A pooling before a grouped convolution keeps its groups.
    expect((compose(pool([4, 8, 8]), conv([4, 4, 4], 6, 3, { groups: 2 })) as { groups: number }).groups).toBe(2);
  });

  it('for every pair, including gathers and changes of view', () => {
    const cases: [string, LinOp, LinOp][] = [
      ['conv then placement', conv(s, 4, 3, { pad: [1, 1, 1, 1] }), place],
      ['placement then padded conv', place, conv([6, 6, 6], 3, 3, { pad: [1, 1, 1, 1] })],
      ['depthwise conv then placement', conv(s, 4, 3, { groups: 4, pad: [1, 1, 1, 1] }), place],
      ['pooling then grouped conv (stays grouped)', pool([4, 8, 8]), conv([4, 4, 4], 6, 3, { groups: 2, pad: [1, 1, 1, 1] })],
      ['grouped conv then scale (stays grouped)', conv([4, 6, 6], 6, 3, { groups: 2 }), scale([6, 4, 4])],
      ['grouped conv then placement', conv([4, 6, 6], 4, 3, { groups: 2 }), indexMap([4, 4, 4], { index: [[-1, 0, 1, 2, 3, -1], range(4), range(4)] })],
      ['padding then padded conv', padded, conv([4, 9, 7], 2, 3, { pad: [1, 0, 1, 2] })],
      ['pooling then placement', pool(s), indexMap([4, 3, 3], { index: [[-1, 0, 1, 2, 3], range(3), range(3)] })],
      ['scale then gather', scale(s), shuffle],
      ['gather then scale', shuffle, scale([4, 6, 6])],
      ['gather then dense', shuffle, dense([4, 6, 6], 5)],
      ['dense then gather', dense([7, 1, 1], 144), features],
      ['gather then gather', shuffle, indexMap([4, 6, 6], { index: [[2, 0], [5, -1, 0], range(6)] })],
      ['conv then gather (upsampling)', conv(s, 4, 3, { stride: 1, pad: [1, 1, 1, 1] }), upsample],
      ['upsampling then conv', upsample, conv([4, 12, 12], 3, 3, { stride: 2, dilation: 2 })],
      ['conv then change of view then conv', conv(s, 4, 3), { kind: 'conv', inShape: [4, 1, 16], outShape: [2, 1, 14], w: values(2 * 4 * 3), kernel: [1, 3], stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], groups: 1 }],
      ['pooling then flatten then dense', pool(s), dense([36, 1, 1], 3)],
      ['conv then flatten then gather', conv(s, 2, 3), indexMap([32], { index: [[31, -1, 0, 5, 5]] })],
    ];
    for (const [what, a, b] of cases) check(a, b, what);
  });
});

describe('a composition too large to build', () => {
  it('is refused naming the layer it leads into: an NHWC input transposed before a convolution (tf2onnx style)', () => {
    const g = chain('nhwc', [
      ['in', { kind: 'Input', shape: [64, 64, 16] }],
      ['to-nchw', { kind: 'IndexMap', perm: [2, 0, 1], index: [Array.from({ length: 16 }, (_, i) => i), Array.from({ length: 64 }, (_, i) => i), Array.from({ length: 64 }, (_, i) => i)] }],
      ['conv', { kind: 'Conv2d', weight: tensor([32, 16, 3, 3], seeded(32 * 16 * 9)), stride: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 1 }],
      ['relu', { kind: 'ReLU' }],
      ['pool', { kind: 'AvgPool2d', kernel: [64, 64], stride: [1, 1], padding: [0, 0, 0, 0] }],
      ['flat', { kind: 'Flatten' }],
      ['fc', { kind: 'Linear', weight: tensor([10, 32], seeded(320)) }],
      ['out', { kind: 'Output' }],
    ]);
    expect(() => lowerToPopulations(convertToSnn(g))).toThrow(/node 'relu': the path into this layer: .* is exact only as a dense projection of 131072 × 65536 weights/);
  });
});
