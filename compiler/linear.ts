/**
 * The linear part of a network between two spiking layers, as composable operators. Lowering folds every
 * chain of stateless nodes (pooling, flatten, scale, convolution, affine) between two neuron populations
 * into one projection by composing these operators; biases are handled apart (evaluated with zero input).
 *
 * Shapes are always 3-D [C, H, W] (`view3`: a flat vector [N] is [N, 1, 1], a sequence [C, L] is [C, 1, L], same
 * memory order), so Flatten and Reshape are changes of view and never operators. Every composition here is exact:
 * structured (a convolution, a gather) where one is, else dense.
 */
import { GraphError, sameShape, shapeSize, type IRNode, type NodeShapes } from '../src/ir/nodes.js';
import { KINDS } from '../src/ir/kinds/index.js';
import { applyOp, isDepthwise, type ConvOp, type DenseOp, type GatherOp, type LinOp, type Shape3 } from '../src/ir/linear-op.js';

export { as3, applyOp, identityOp, isDepthwise, type ConvOp, type DenseOp, type GatherOp, type LinOp, type Shape3 } from '../src/ir/linear-op.js';

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

/** A 1×1 stride-1 convolution: it commutes with zero padding (its own padding only adds zeros around it). */
function pointwise(op: ConvOp): boolean {
  return op.kernel[0] === 1 && op.kernel[1] === 1 && op.stride[0] === 1 && op.stride[1] === 1;
}

/** A per-channel scale: a depthwise 1×1 convolution without padding. */
function channelScale(op: LinOp): op is ConvOp {
  return op.kind === 'conv' && isDepthwise(op) && pointwise(op) && op.padding.every((p) => p === 0);
}

/** Composes two convolutions exactly (first a, then b), or returns null when no single convolution equals them. */
function composeConv(a: ConvOp, b: ConvOp): ConvOp | null {
  if (!(b.padding.every((p) => p === 0) || tiles(a) || pointwise(a))) return null;
  const aDw = isDepthwise(a);
  const bDw = isDepthwise(b);
  const [cin] = a.inShape;
  const [cout] = b.outShape;
  const kh = (b.kernel[0] - 1) * b.dilation[0] * a.stride[0] + (a.kernel[0] - 1) * a.dilation[0] + 1;
  const kw = (b.kernel[1] - 1) * b.dilation[1] * a.stride[1] + (a.kernel[1] - 1) * a.dilation[1] + 1;
  // A per-channel operator (pooling, a scale) keeps the other's grouping; two grouped ones compose into one kernel
  // over every input channel (groups 1).
  const groups = aDw && bDw ? cout : aDw ? b.groups : bDw ? a.groups : 1;
  const cinG = cin / groups;
  const coutR = cout / groups;
  const w = new Float32Array(cout * cinG * kh * kw);
  const aCinG = a.inShape[0] / a.groups;
  const aCoutG = a.outShape[0] / a.groups;
  const bCinG = b.inShape[0] / b.groups;
  const bCoutG = cout / b.groups;
  for (let o = 0; o < cout; o++) {
    const bGroup = Math.floor(o / bCoutG);
    for (let bm = 0; bm < bCinG; bm++) {
      const m = bGroup * bCinG + bm;
      const aGroup = Math.floor(m / aCoutG);
      for (let am = 0; am < aCinG; am++) {
        const i = aGroup * aCinG + am;
        const ci = i - Math.floor(o / coutR) * cinG;
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
    dilation: [1, 1], groups,
  };
}

/** Largest dense weight matrix (out × in) lowering builds when no structured form of a path is exact. */
export const MAX_DENSE_WEIGHTS = 1 << 26;

function denseMatrix(out: number, inSize: number, what: string): Float32Array {
  if (out * inSize > MAX_DENSE_WEIGHTS) {
    throw new GraphError(`${what} is exact only as a dense projection of ${out} × ${inSize} weights, more than the ${MAX_DENSE_WEIGHTS} lowering builds; make the layers around it smaller`);
  }
  return new Float32Array(out * inSize);
}

/** Calls `visit` with every non-zero synapse of an operator: output index, input index, weight. */
export function forEachSynapse(op: LinOp, visit: (o: number, i: number, w: number) => void): void {
  if (op.kind === 'dense') {
    const n = shapeSize(op.inShape);
    for (let k = 0; k < op.w.length; k++) if (op.w[k] !== 0) visit(Math.floor(k / n), k % n, op.w[k]);
    return;
  }
  if (op.kind === 'gather') {
    op.index.forEach((i, j) => { if (i >= 0 && (!op.w || op.w[j] !== 0)) visit(j, i, op.w ? op.w[j] : 1); });
    return;
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
      for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
        const wv = op.w[((o * cinG + ci) * kh + ky) * kw + kx];
        if (wv === 0) continue;
        for (let y = 0; y < oh; y++) {
          const iy = y * op.stride[0] - op.padding[0] + ky * op.dilation[0];
          if (iy < 0 || iy >= ih) continue;
          for (let xx = 0; xx < ow; xx++) {
            const ix = xx * op.stride[1] - op.padding[1] + kx * op.dilation[1];
            if (ix < 0 || ix >= iw) continue;
            visit((o * oh + y) * ow + xx, (c * ih + iy) * iw + ix, wv);
          }
        }
      }
    }
  }
}

/** The operator as one dense [out][in] matrix (exact; refused beyond MAX_DENSE_WEIGHTS). */
export function toDense(op: LinOp): DenseOp {
  if (op.kind === 'dense') return op;
  const inSize = shapeSize(op.inShape);
  const w = denseMatrix(shapeSize(op.outShape), inSize, `a ${op.kind === 'gather' ? 'relabelling' : 'convolution'} of [${op.inShape}] into [${op.outShape}] here`);
  forEachSynapse(op, (o, i, v) => { w[o * inSize + i] += v; });
  return { kind: 'dense', inShape: op.inShape, outShape: op.outShape, w };
}

/** A gather then a dense layer: the layer's columns, moved (and summed where the gather repeats an input). */
function gatherThenDense(a: GatherOp, b: DenseOp): DenseOp {
  const inSize = shapeSize(a.inShape);
  const mid = a.index.length;
  const outSize = shapeSize(b.outShape);
  const w = denseMatrix(outSize, inSize, `a relabelling of [${a.inShape}] before a dense layer of ${outSize} outputs`);
  for (let o = 0; o < outSize; o++) {
    for (let j = 0; j < mid; j++) {
      const i = a.index[j];
      const v = b.w[o * mid + j];
      if (i >= 0 && v !== 0) w[o * inSize + i] += v * (a.w ? a.w[j] : 1);
    }
  }
  return { kind: 'dense', inShape: a.inShape, outShape: b.outShape, w };
}

/** Two structured operators around a gather, exactly: a scaled gather where one side is a per-channel scale, else dense. */
function composeWithGather(a: LinOp, b: LinOp): LinOp {
  const plane = (s: Shape3) => s[1] * s[2];
  if (a.kind === 'gather' && b.kind === 'gather') {
    const index = new Int32Array(b.index.length).fill(-1);
    const w = new Float32Array(b.index.length);
    b.index.forEach((m, j) => { if (m >= 0 && a.index[m] >= 0) { index[j] = a.index[m]; w[j] = (b.w ? b.w[j] : 1) * (a.w ? a.w[m] : 1); } });
    return { kind: 'gather', inShape: a.inShape, outShape: b.outShape, index, ...(a.w || b.w ? { w } : {}) };
  }
  if (b.kind === 'gather' && channelScale(a)) {
    const w = Float32Array.from(b.index, (m, j) => (m < 0 ? 0 : a.w[Math.floor(m / plane(a.inShape))] * (b.w ? b.w[j] : 1)));
    return { kind: 'gather', inShape: a.inShape, outShape: b.outShape, index: b.index, w };
  }
  if (a.kind === 'gather' && channelScale(b)) {
    const w = Float32Array.from(a.index, (_, j) => b.w[Math.floor(j / plane(b.inShape))] * (a.w ? a.w[j] : 1));
    return { kind: 'gather', inShape: a.inShape, outShape: b.outShape, index: a.index, w };
  }
  const inSize = shapeSize(a.inShape);
  const outSize = shapeSize(b.outShape);
  const w = denseMatrix(outSize, inSize, `a relabelling of [${a.inShape}] composed with the operator into [${b.outShape}]`);
  if (a.kind === 'gather') {
    forEachSynapse(b, (o, m, v) => { const i = a.index[m]; if (i >= 0) w[o * inSize + i] += v * (a.w ? a.w[m] : 1); });
  } else {
    const g = b as GatherOp;
    // Output j of b copies output m = index[j] of a: a's synapses into m, once per such j.
    const readers = new Map<number, number[]>();
    g.index.forEach((m, j) => { if (m >= 0) (readers.get(m) ?? readers.set(m, []).get(m)!).push(j); });
    forEachSynapse(a, (m, i, v) => { for (const j of readers.get(m) ?? []) w[j * inSize + i] += v * (g.w ? g.w[j] : 1); });
  }
  return { kind: 'dense', inShape: a.inShape, outShape: b.outShape, w };
}

/**
 * Composes a then b into one operator, or null when that is not exact (the caller inserts a relay layer).
 * Operators meet in the same memory order; when their [C, H, W] views differ (a Flatten or Reshape between
 * them) only a dense form composes them.
 */
export function compose(a: LinOp, b: LinOp): LinOp | null {
  const inSize = shapeSize(a.inShape);
  if (b.kind === 'dense') {
    if (a.kind === 'gather') return gatherThenDense(a, b);
    const outSize = shapeSize(b.outShape);
    const midSize = shapeSize(a.outShape);
    const w = denseMatrix(outSize, inSize, `a dense layer of ${outSize} outputs over [${a.inShape}]`);
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
    const outSize = shapeSize(b.outShape);
    const midSize = shapeSize(a.outShape);
    const w = denseMatrix(outSize, inSize, `an operator into [${b.outShape}] after a dense layer over [${a.inShape}]`);
    if (b.kind === 'gather') {
      // Row j is row index[j] of a (scaled), or zeros.
      b.index.forEach((m, j) => {
        if (m < 0) return;
        const k = b.w ? b.w[j] : 1;
        for (let i = 0; i < inSize; i++) w[j * inSize + i] = k * a.w[m * inSize + i];
      });
      return { kind: 'dense', inShape: a.inShape, outShape: b.outShape, w };
    }
    // A convolution after a dense layer (a Scale on a vector): apply it to every column of a.
    const col = new Float32Array(midSize);
    for (let i = 0; i < inSize; i++) {
      for (let m = 0; m < midSize; m++) col[m] = a.w[m * inSize + i];
      const y = applyOp(b, col);
      for (let o = 0; o < outSize; o++) w[o * inSize + i] = y[o];
    }
    return { kind: 'dense', inShape: a.inShape, outShape: b.outShape, w };
  }
  // A gather works on flat indices, whatever the view.
  if (a.kind === 'gather' || b.kind === 'gather') return composeWithGather(a, b);
  // A change of view between two convolutions: the same values in another layout.
  if (!sameShape(a.outShape, b.inShape)) return compose(toDense(a), b);
  return composeConv(a, b);
}
