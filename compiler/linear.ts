/**
 * The linear part of a network between two spiking layers, as composable operators. Lowering folds every
 * chain of stateless nodes (pooling, flatten, scale, convolution, affine) between two neuron populations
 * into one projection by composing these operators; biases are handled apart (evaluated with zero input).
 *
 * Shapes are always 3-D [C, H, W]; a flat vector [N] is viewed as [N, 1, 1] (same memory order), so
 * Flatten is a change of view and never an operator.
 */
import { GraphError, shapeSize, type IRNode } from '../src/ir/graph.js';

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

export type LinOp = DenseOp | ConvOp;

export function as3(shape: readonly number[]): Shape3 {
  if (shape.length === 3) return [shape[0], shape[1], shape[2]];
  return [shapeSize(shape), 1, 1];
}

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

/** The linear operator of one stateless IR node (its bias is not included), or null for Flatten/Sum. */
export function opOfNode(name: string, node: IRNode, inShape: readonly number[], outShape: readonly number[]): LinOp | null {
  const i3 = as3(inShape);
  const o3 = as3(outShape);
  switch (node.kind) {
    case 'Flatten': case 'Sum':
      return null;
    case 'Affine': case 'Linear':
      return { kind: 'dense', inShape: i3, outShape: o3, w: node.weight.data };
    case 'Conv2d':
      return {
        kind: 'conv', inShape: i3, outShape: o3, w: node.weight.data, kernel: [node.weight.shape[2], node.weight.shape[3]],
        stride: [...node.stride], padding: [...node.padding], dilation: [...node.dilation], groups: node.groups,
      };
    case 'AvgPool2d': case 'SumPool2d': {
      const [kh, kw] = node.kernel;
      const padded = node.padding.some((p) => p > 0);
      if (node.kind === 'AvgPool2d' && padded && node.countIncludePad === false) {
        throw new GraphError('average pooling that excludes padding from its divisor is not a convolution; re-export with count_include_pad=1 or without padding', name);
      }
      const value = node.kind === 'AvgPool2d' ? 1 / (kh * kw) : 1;
      return {
        kind: 'conv', inShape: i3, outShape: o3, w: new Float32Array(i3[0] * kh * kw).fill(value),
        kernel: [kh, kw], stride: [...node.stride], padding: [...node.padding], dilation: [1, 1], groups: i3[0],
      };
    }
    case 'Scale': {
      const c = i3[0];
      const w = new Float32Array(c);
      for (let k = 0; k < c; k++) w[k] = node.scale.data.length === 1 ? node.scale.data[0] : node.scale.data[k];
      return { kind: 'conv', inShape: i3, outShape: i3, w, kernel: [1, 1], stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], groups: c };
    }
    default:
      throw new GraphError(`a ${node.kind} node cannot sit between two spiking layers`, name);
  }
}

/** The node's bias as a per-channel vector (or null). */
export function biasOfNode(node: IRNode): Float32Array | null {
  if (node.kind === 'Affine') return node.bias.data;
  if (node.kind === 'Conv2d') return node.bias?.data ?? null;
  if (node.kind === 'Scale') return node.bias?.data ?? null;
  return null;
}

/** y = op(x) for one sample (x of size inShape). */
export function applyOp(op: LinOp, x: Float32Array): Float32Array {
  const out = new Float32Array(shapeSize(op.outShape));
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

/** x = opᵀ(g): the adjoint of a convolution applied to one output-sized vector. */
function applyConvTranspose(op: ConvOp, g: Float32Array): Float32Array {
  const [cin, ih, iw] = op.inShape;
  const [cout, oh, ow] = op.outShape;
  const [kh, kw] = op.kernel;
  const cinG = cin / op.groups;
  const coutG = cout / op.groups;
  const out = new Float32Array(cin * ih * iw);
  for (let o = 0; o < cout; o++) {
    const grp = Math.floor(o / coutG);
    for (let ci = 0; ci < cinG; ci++) {
      const c = grp * cinG + ci;
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          const wv = op.w[((o * cinG + ci) * kh + ky) * kw + kx];
          if (wv === 0) continue;
          for (let y = 0; y < oh; y++) {
            const iy = y * op.stride[0] - op.padding[0] + ky * op.dilation[0];
            if (iy < 0 || iy >= ih) continue;
            for (let xx = 0; xx < ow; xx++) {
              const ix = xx * op.stride[1] - op.padding[1] + kx * op.dilation[1];
              if (ix < 0 || ix >= iw) continue;
              out[(c * ih + iy) * iw + ix] += wv * g[(o * oh + y) * ow + xx];
            }
          }
        }
      }
    }
  }
  return out;
}

/** a convolution whose windows tile its input exactly: padding of the next op maps to zeros of the input. */
function tiles(op: ConvOp): boolean {
  return op.stride[0] === op.kernel[0] && op.stride[1] === op.kernel[1] && op.dilation[0] === 1 && op.dilation[1] === 1
    && op.padding.every((p) => p === 0) && op.inShape[1] === op.outShape[1] * op.stride[0] && op.inShape[2] === op.outShape[2] * op.stride[1];
}

/** Composes two convolutions exactly (first a, then b), or returns null when no single convolution equals them. */
function composeConv(a: ConvOp, b: ConvOp): ConvOp | null {
  if (!(b.padding.every((p) => p === 0) || tiles(a))) return null;
  const aDw = isDepthwise(a);
  const bDw = isDepthwise(b);
  if (!(a.groups === 1 || aDw) || !(b.groups === 1 || bDw)) return null;
  const [cin] = a.inShape;
  const [cout] = b.outShape;
  const kh = (b.kernel[0] - 1) * b.dilation[0] * a.stride[0] + (a.kernel[0] - 1) * a.dilation[0] + 1;
  const kw = (b.kernel[1] - 1) * b.dilation[1] * a.stride[1] + (a.kernel[1] - 1) * a.dilation[1] + 1;
  const depthwise = aDw && bDw;
  const cinG = depthwise ? 1 : cin;
  const w = new Float32Array(cout * cinG * kh * kw);
  const aCinG = aDw ? 1 : a.inShape[0];
  const bCinG = bDw ? 1 : b.inShape[0];
  for (let o = 0; o < cout; o++) {
    const mids = bDw ? [o] : Array.from({ length: b.inShape[0] }, (_, m) => m);
    for (const m of mids) {
      const bm = bDw ? 0 : m;
      const ins = aDw ? [m] : Array.from({ length: cin }, (_, i) => i);
      for (const i of ins) {
        const am = aDw ? 0 : i;
        const ci = depthwise ? 0 : i;
        for (let by = 0; by < b.kernel[0]; by++) for (let bx = 0; bx < b.kernel[1]; bx++) {
          const wb = b.w[((o * bCinG + bm) * b.kernel[0] + by) * b.kernel[1] + bx];
          if (wb === 0) continue;
          for (let ay = 0; ay < a.kernel[0]; ay++) for (let ax = 0; ax < a.kernel[1]; ax++) {
            const wa = a.w[((m * aCinG + am) * a.kernel[0] + ay) * a.kernel[1] + ax];
            if (wa === 0) continue;
            const y = by * b.dilation[0] * a.stride[0] + ay * a.dilation[0];
            const x = bx * b.dilation[1] * a.stride[1] + ax * a.dilation[1];
            w[((o * cinG + ci) * kh + y) * kw + x] += wb * wa;
          }
        }
      }
    }
  }
  return {
    kind: 'conv', inShape: a.inShape, outShape: b.outShape, w, kernel: [kh, kw],
    stride: [a.stride[0] * b.stride[0], a.stride[1] * b.stride[1]],
    padding: [
      a.padding[0] + b.padding[0] * a.stride[0], a.padding[1] + b.padding[1] * a.stride[1],
      a.padding[2] + b.padding[2] * a.stride[0], a.padding[3] + b.padding[3] * a.stride[1],
    ],
    dilation: [1, 1], groups: depthwise ? cout : 1,
  };
}

/** Composes a then b into one operator, or null when that is not exact (the caller inserts a relay layer). */
export function compose(a: LinOp, b: LinOp): LinOp | null {
  const inSize = shapeSize(a.inShape);
  if (b.kind === 'dense') {
    const outSize = shapeSize(b.outShape);
    const midSize = shapeSize(a.outShape);
    const w = new Float32Array(outSize * inSize);
    for (let o = 0; o < outSize; o++) {
      const row = b.w.subarray(o * midSize, (o + 1) * midSize);
      if (a.kind === 'dense') {
        const acc = w.subarray(o * inSize, (o + 1) * inSize);
        for (let m = 0; m < midSize; m++) {
          const v = row[m];
          if (v === 0) continue;
          const base = m * inSize;
          for (let i = 0; i < inSize; i++) acc[i] += v * a.w[base + i];
        }
      } else {
        w.set(applyConvTranspose(a, row), o * inSize);
      }
    }
    return { kind: 'dense', inShape: a.inShape, outShape: b.outShape, w };
  }
  if (a.kind === 'dense') {
    // A convolution after a dense layer (a Scale on a vector): apply it to every column of a.
    const outSize = shapeSize(b.outShape);
    const midSize = shapeSize(a.outShape);
    const w = new Float32Array(outSize * inSize);
    const col = new Float32Array(midSize);
    for (let i = 0; i < inSize; i++) {
      for (let m = 0; m < midSize; m++) col[m] = a.w[m * inSize + i];
      const y = applyOp(b, col);
      for (let o = 0; o < outSize; o++) w[o * inSize + i] = y[o];
    }
    return { kind: 'dense', inShape: a.inShape, outShape: b.outShape, w };
  }
  return composeConv(a, b);
}
