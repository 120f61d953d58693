/**
 * The linear part of a network between two spiking layers, as composable operators. Lowering folds every
 * chain of stateless nodes (pooling, flatten, scale, convolution, affine) between two neuron populations
 * into one projection by composing these operators; biases are handled apart (evaluated with zero input).
 *
 * Shapes are always 3-D [C, H, W]; a flat vector [N] is viewed as [N, 1, 1] (same memory order), so
 * Flatten is a change of view and never an operator.
 */
import { GraphError, shapeSize, type IRNode, type NodeShapes } from '../src/ir/nodes.js';
import { KINDS } from '../src/ir/kinds/index.js';
import { applyOp, isDepthwise, type ConvOp, type LinOp } from '../src/ir/linear-op.js';

export { as3, applyOp, identityOp, isDepthwise, type ConvOp, type DenseOp, type LinOp, type Shape3 } from '../src/ir/linear-op.js';

/** The linear operator of one node between two spiking layers (its registry entry's `linear`), or null for a relabelling. */
export function opOfNode(name: string, node: IRNode, shapes: NodeShapes): LinOp | null {
  const spec = KINDS[node.kind] as { linear?: (n: string, node: IRNode, s: NodeShapes) => LinOp | null };
  if (!spec.linear) throw new GraphError(`a ${node.kind} node cannot sit between two spiking layers`, name);
  return spec.linear(name, node, shapes);
}

/** The node's constant offset per channel (its registry entry's `bias`), or null. */
export function biasOfNode(node: IRNode): Float32Array | null {
  const spec = KINDS[node.kind] as { bias?: (node: IRNode) => Float32Array | null };
  return spec.bias ? spec.bias(node) : null;
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
