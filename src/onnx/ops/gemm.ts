/** Gemm and MatMul by a constant: dense layers (Linear, or Affine with a bias). */
import { channelVector } from './common.js';
import { Attr, defineOp } from './types.js';

export const GEMM_OPS = [
  defineOp({
    op: 'Gemm',
    domain: '',
    attributes: { alpha: Attr.float(1), beta: Attr.float(1), transA: Attr.int(0), transB: Attr.int(0) },
    handler: (imp, ctx, attrs) => {
      const a = imp.act(ctx, 0);
      const bT = imp.constant(ctx, 1);
      if (attrs.transA !== 0) throw imp.error('transA=1 on the activation is not supported');
      if (a.shape.length !== 1) throw imp.error(`needs a flat [batch, features] input, got [batch, ${a.shape}]`);
      if (bT.dims.length !== 2) throw imp.error(`B must be 2-D, got [${bT.dims}]`);
      const transB = attrs.transB === 1;
      const { alpha, beta } = attrs;
      const [k, n] = transB ? [bT.dims[1], bT.dims[0]] : [bT.dims[0], bT.dims[1]];
      if (k !== a.shape[0]) throw imp.error(`B [${bT.dims}]${transB ? ' (transposed)' : ''} does not match ${a.shape[0]} input features`);
      const w = new Float64Array(n * k);
      for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) w[o * k + i] = alpha * (transB ? bT.data[o * k + i] : bT.data[i * n + o]);
      const weight = imp.weights({ dims: [n, k], data: w }, 'weight');
      const c = imp.optionalValue(ctx, 2);
      if (!c) { imp.emit(ctx, { kind: 'Linear', weight }, a); return; }
      if (c.kind !== 'const') throw imp.error('C must be a constant');
      const cv = channelVector(c.t, [n]);
      if (!cv) throw imp.error(`C of shape [${c.t.dims}] does not broadcast to [batch, ${n}] per output`);
      const bias = new Float64Array(n);
      for (let o = 0; o < n; o++) bias[o] = beta * (cv.length === 1 ? cv[0] : cv[o]);
      imp.emit(ctx, { kind: 'Affine', weight, bias: imp.weights({ dims: [n], data: bias }, 'bias') }, a);
    },
  }),
  defineOp({
    op: 'MatMul',
    domain: '',
    attributes: {},
    handler: (imp, ctx) => {
      const a = imp.act(ctx, 0);
      const b = imp.constant(ctx, 1);
      if (a.shape.length !== 1) throw imp.error(`needs a flat [batch, features] input, got [batch, ${a.shape}]`);
      if (b.dims.length !== 2 || b.dims[0] !== a.shape[0]) throw imp.error(`weight [${b.dims}] does not match ${a.shape[0]} input features`);
      const [k, n] = b.dims;
      const w = new Float64Array(n * k);
      for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) w[o * k + i] = b.data[i * n + o];
      imp.emit(ctx, { kind: 'Linear', weight: imp.weights({ dims: [n, k], data: w }, 'weight') }, a);
    },
  }),
];
