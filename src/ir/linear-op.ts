/**
 * IR nodes as linear operators: what lowering (compiler/passes/lower.ts) composes into projections. Shapes
 * are always 3-D [C, H, W] (`view3`: a sequence [C, L] is [C, 1, L], a flat vector [N] is [N, 1, 1], same
 * memory order), so Flatten and Reshape are changes of view and never operators. Each kind's operator is in
 * its registry entry (`linear`).
 */
import { shapeSize, view3 } from './nodes.js';

export type Shape3 = [number, number, number];

export interface DenseOp {
  kind: 'dense';
  inShape: Shape3;
  outShape: Shape3;
  /** [out][in] */
  w: Float32Array;
}

export interface ConvOp {
  kind: 'conv';
  inShape: Shape3;
  outShape: Shape3;
  /** [out][in/groups][kh][kw] */
  w: Float32Array;
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number, number, number];
  dilation: [number, number];
  groups: number;
}

/** y[j] = w[j] · x[index[j]], or 0 where index[j] is −1 (w absent: 1). An index map, possibly scaled. */
export interface GatherOp {
  kind: 'gather';
  inShape: Shape3;
  outShape: Shape3;
  index: Int32Array;
  w?: Float32Array;
}

export type LinOp = DenseOp | ConvOp | GatherOp;

export const as3 = view3;

/** A depthwise op maps channel c to channel c only (pooling, Scale, identity). */
export function isDepthwise(op: ConvOp): boolean {
  return op.groups === op.inShape[0] && op.groups === op.outShape[0];
}

/** The identity on a shape, as a depthwise 1×1 convolution. */
export function identityOp(shape: readonly number[]): ConvOp {
  const s = as3(shape);
  return {
    kind: 'conv', inShape: s, outShape: s, w: new Float32Array(s[0]).fill(1),
    kernel: [1, 1], stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], groups: s[0],
  };
}

/** y = op(x) for one sample (x of size inShape). */
export function applyOp(op: LinOp, x: Float32Array): Float32Array {
  const out = new Float32Array(shapeSize(op.outShape));
  if (op.kind === 'gather') {
    for (let j = 0; j < out.length; j++) { const i = op.index[j]; if (i >= 0) out[j] = (op.w ? op.w[j] : 1) * x[i]; }
    return out;
  }
  if (op.kind === 'dense') {
    const n = x.length;
    for (let o = 0; o < out.length; o++) {
      let s = 0;
      const base = o * n;
      for (let i = 0; i < n; i++) s += op.w[base + i] * x[i];
      out[o] = s;
    }
    return out;
  }
  const [cin, ih, iw] = op.inShape;
  const [cout, oh, ow] = op.outShape;
  const [kh, kw] = op.kernel;
  const cinG = cin / op.groups;
  const coutG = cout / op.groups;
  for (let o = 0; o < cout; o++) {
    const g = Math.floor(o / coutG);
    for (let ci = 0; ci < cinG; ci++) {
      const c = g * cinG + ci;
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          const wv = op.w[((o * cinG + ci) * kh + ky) * kw + kx];
          if (wv === 0) continue;
          for (let y = 0; y < oh; y++) {
            const iy = y * op.stride[0] - op.padding[0] + ky * op.dilation[0];
            if (iy < 0 || iy >= ih) continue;
            const inRow = (c * ih + iy) * iw;
            const outRow = (o * oh + y) * ow;
            for (let xx = 0; xx < ow; xx++) {
              const ix = xx * op.stride[1] - op.padding[1] + kx * op.dilation[1];
              if (ix < 0 || ix >= iw) continue;
              out[outRow + xx] += wv * x[inRow + ix];
            }
          }
        }
      }
    }
  }
  return out;
}

