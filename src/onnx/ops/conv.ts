/**
 * Conv (2-D and 1-D, grouped and depthwise, dilated, auto_pad) and ConvTranspose. A 1-D convolution over
 * [C, L] is the IR's Conv2d over [C, 1, L] (kernel [1, k]), as NIR's Conv1d is read. A transposed convolution is
 * a linear map: zero insertion between the input samples and padding around them (an IndexMap), then a
 * stride-1 convolution with the kernel flipped and its in/out channels swapped.
 */
import type { IRNode, Pair } from '../../ir/graph.js';
import type { ConstTensor } from '../tensor.js';
import { addPads, indexMap, lift1d, pair, positiveInts, range, windowPads } from './common.js';
import { Attr, defineOp, type Act, type ImportContext, type OpContext } from './types.js';

const WINDOW = {
  auto_pad: Attr.string('NOTSET'), dilations: Attr.ints(), group: Attr.int(1), kernel_shape: Attr.ints(),
  pads: Attr.ints(), strides: Attr.ints(),
};

/** Input and weight of a 1-D or 2-D window op, with a 1-D op's attributes lifted to the [C, 1, L] view. */
function windowOperands<A extends { kernel_shape?: number[]; strides?: number[]; dilations?: number[]; pads?: number[] }>(imp: ImportContext, ctx: OpContext, attrs: A, op: string) {
  const x = imp.paddedAct(ctx, 0);
  const w = imp.constant(ctx, 1);
  const oneD = x.shape.length === 2 && w.dims.length === 3;
  if (!oneD && !(x.shape.length === 3 && w.dims.length === 4)) throw imp.error(`only 1-D and 2-D ${op} are supported (input [batch, ${x.shape}], weight [${w.dims}])`);
  const a = oneD ? lift1d(imp, attrs) : attrs;
  const dims = oneD ? [w.dims[0], w.dims[1], 1, w.dims[2]] : [...w.dims];
  const view = oneD ? [x.shape[0], 1, x.shape[1]] : x.shape;
  const kernel = pair(imp, a.kernel_shape ?? [dims[2], dims[3]], 1, 'kernel_shape');
  if (kernel[0] !== dims[2] || kernel[1] !== dims[3]) throw imp.error(`kernel_shape [${attrs.kernel_shape}] does not match weight [${w.dims}]`);
  const stride = pair(imp, a.strides, 1, 'strides');
  const dilation = pair(imp, a.dilations, 1, 'dilations');
  positiveInts(imp, [...stride, ...dilation], 'strides and dilations');
  return { x, w, a, dims, view, kernel, stride, dilation };
}

function constBias(imp: ImportContext, ctx: OpContext): ConstTensor | undefined {
  const b = imp.optionalValue(ctx, 2);
  if (b && b.kind !== 'const') throw imp.error('the bias must be a constant');
  return b?.t;
}

export const CONV_OPS = [
  defineOp({
    op: 'Conv',
    domain: '',
    attributes: WINDOW,
    handler: (imp, ctx, attrs) => {
      const { x, w, a, dims, view, kernel, stride, dilation } = windowOperands(imp, ctx, attrs, 'convolution');
      const padding = addPads(windowPads(imp, a, view, kernel, stride, dilation), x.pad);
      const b = constBias(imp, ctx);
      const node: IRNode = {
        kind: 'Conv2d', weight: imp.weights(w, 'weight', dims), stride, padding, dilation, groups: attrs.group,
        ...(b ? { bias: imp.weights(b, 'bias', [b.data.length]) } : {}),
      };
      imp.emit(ctx, node, { ...x, pad: undefined });
    },
  }),
  defineOp({
    op: 'ConvTranspose',
    domain: '',
    attributes: { ...WINDOW, output_padding: Attr.ints(), output_shape: Attr.ints() },
    handler: (imp, ctx, attrs) => convTranspose(imp, ctx, attrs),
  }),
];

interface ConvTransposeAttributes {
  auto_pad: string; dilations?: number[]; group: number; kernel_shape?: number[]; pads?: number[]; strides?: number[];
  output_padding?: number[]; output_shape?: number[];
}

/**
 * y[o, Y] = b[o] + Σ_{i, k} W[i, o, k] · x[i, Ys] where Y = Ys·s + k·d − p: the convolution, stride 1 and
 * dilation d, of the input with s − 1 zeros between samples and (k − 1)·d − p zeros before it (an IndexMap;
 * negative counts crop), by the kernel flipped with in and out channels swapped.
 */
function convTranspose(imp: ImportContext, ctx: OpContext, attrs: ConvTransposeAttributes): void {
  const { x: x0, w, a, dims, view, kernel, stride, dilation } = windowOperands(imp, ctx, attrs, 'transposed convolutions');
  const x: Act = imp.unpadded(ctx, x0);
  const groups = attrs.group;
  const cin = view[0];
  if (!(Number.isInteger(groups) && groups >= 1 && cin % groups === 0 && dims[0] === cin)) throw imp.error(`weight [${w.dims}] with group=${groups} does not match ${cin} input channels (ConvTranspose's weight is [in, out/group, …])`);
  const outPad = pair(imp, a.output_padding, 0, 'output_padding');
  // Per spatial axis: total padding, then its split (ONNX: explicit pads, or from output_shape / auto_pad SAME_*).
  const begin: number[] = [];
  const end: number[] = [];
  for (let axis = 0; axis < 2; axis++) {
    const n = view[1 + axis];
    const extent = (kernel[axis] - 1) * dilation[axis] + 1;
    if (!(Number.isInteger(outPad[axis]) && outPad[axis] >= 0 && outPad[axis] < Math.max(stride[axis], dilation[axis]))) throw imp.error(`output_padding [${attrs.output_padding}] must be below the stride or the dilation`);
    const full = stride[axis] * (n - 1) + outPad[axis] + extent;
    let wanted: number | undefined;
    if (a.output_shape) {
      if (a.output_shape.length !== 2) throw imp.error(`output_shape [${attrs.output_shape}] must have one value per spatial axis`);
      wanted = a.output_shape[axis];
    } else if (attrs.auto_pad === 'SAME_UPPER' || attrs.auto_pad === 'SAME_LOWER') {
      wanted = n * stride[axis];
    } else if (attrs.auto_pad !== 'NOTSET' && attrs.auto_pad !== 'VALID') {
      throw imp.error(`auto_pad '${attrs.auto_pad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
    }
    if (wanted !== undefined) {
      const total = full - wanted;
      if (!(Number.isInteger(total) && total >= 0)) throw imp.error(`output_shape [${attrs.output_shape ?? []}] cannot be reached from input [${x.shape}]`);
      const small = Math.floor(total / 2);
      const [b0, e0] = attrs.auto_pad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
      begin.push(b0); end.push(e0);
    } else if (a.pads && attrs.auto_pad === 'NOTSET') {
      if (a.pads.length !== 4 || a.pads.some((p) => !Number.isSafeInteger(p) || p < 0)) throw imp.error(`pads [${attrs.pads}] are invalid`);
      begin.push(a.pads[axis]); end.push(a.pads[axis + 2]);
    } else {
      begin.push(0); end.push(0);
    }
  }
  // Where each input sample lands in the zero-inserted, padded stream the flipped kernel slides over.
  const coords = [0, 1].map((axis) => {
    const n = view[1 + axis];
    const extent = (kernel[axis] - 1) * dilation[axis];
    const out = stride[axis] * (n - 1) + outPad[axis] + extent + 1 - begin[axis] - end[axis];
    if (out < 1) throw imp.error(`pads [${attrs.pads}] leave no output from input [${x.shape}]`);
    if (out + extent > 1 << 16) throw imp.error(`the output would be ${out} long along axis ${axis + 1}, more than ${1 << 16}`);
    const lead = extent - begin[axis];
    return Array.from({ length: out + extent }, (_, m) => {
      const u = m - lead;
      return u >= 0 && u % stride[axis] === 0 && u / stride[axis] < n ? u / stride[axis] : -1;
    });
  });
  const oneD = x.shape.length === 2;
  const index = oneD ? [range(cin), coords[1]] : [range(cin), coords[0], coords[1]];
  const identity = index.every((t, k) => t.length === x.shape[k] && t.every((c, i) => c === i));
  const dilated = identity ? x : indexMap(imp, ctx, x, { kind: 'IndexMap', index }, false, '/dilate');
  // W'[g·coutG + oc, ic, ky, kx] = W[g·cinG + ic, oc, kh − 1 − ky, kw − 1 − kx].
  const [kh, kw] = kernel;
  const cinG = cin / groups;
  const coutG = dims[1];
  const cout = coutG * groups;
  const flipped = new Float64Array(cout * cinG * kh * kw);
  for (let g = 0; g < groups; g++) for (let oc = 0; oc < coutG; oc++) for (let ic = 0; ic < cinG; ic++) {
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      flipped[(((g * coutG + oc) * cinG + ic) * kh + ky) * kw + kx] = w.data[(((g * cinG + ic) * coutG + oc) * kh + (kh - 1 - ky)) * kw + (kw - 1 - kx)];
    }
  }
  const b = constBias(imp, ctx);
  const node: IRNode = {
    kind: 'Conv2d', weight: imp.weights({ dims: [cout, cinG, kh, kw], data: flipped }, 'weight'), stride: [1, 1] as Pair,
    padding: [0, 0, 0, 0], dilation, groups, ...(b ? { bias: imp.weights(b, 'bias', [b.data.length]) } : {}),
  };
  imp.emit(ctx, node, dilated);
}
