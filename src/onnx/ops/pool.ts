/** MaxPool, AveragePool (incl. a preceding zero Pad), GlobalAveragePool; 2-D, and 1-D over [C, L] (the 2-D pool over [C, 1, L]). */
import type { IRNode } from '../../ir/graph.js';
import { addPads, lift1d, pair, positiveInts, windowPads, type WindowPadding } from './common.js';
import { Attr, defineOp, type ImportContext, type OpContext } from './types.js';

interface PoolAttributes extends WindowPadding {
  ceil_mode: number;
  count_include_pad?: number;
  dilations: number[] | undefined;
  kernel_shape: number[] | undefined;
  strides: number[] | undefined;
}

const WINDOW = {
  auto_pad: Attr.string('NOTSET'), ceil_mode: Attr.int(0), dilations: Attr.ints(), kernel_shape: Attr.ints(),
  pads: Attr.ints(), strides: Attr.ints(),
};

export const POOL_OPS = [
  defineOp({
    op: 'MaxPool',
    domain: '',
    attributes: { ...WINDOW, storage_order: Attr.int(0) },
    handler: (imp, ctx, attrs) => pool(imp, ctx, attrs, 'MaxPool2d'),
  }),
  // AveragePool has `dilations` from opset 19 (only 1 is supported).
  defineOp({
    op: 'AveragePool',
    domain: '',
    until: 18,
    attributes: { auto_pad: WINDOW.auto_pad, ceil_mode: WINDOW.ceil_mode, kernel_shape: WINDOW.kernel_shape, pads: WINDOW.pads, strides: WINDOW.strides, count_include_pad: Attr.int(0) },
    handler: (imp, ctx, attrs) => pool(imp, ctx, { ...attrs, dilations: undefined }, 'AvgPool2d'),
  }),
  defineOp({
    op: 'AveragePool',
    domain: '',
    since: 19,
    attributes: { ...WINDOW, count_include_pad: Attr.int(0) },
    handler: (imp, ctx, attrs) => pool(imp, ctx, attrs, 'AvgPool2d'),
  }),
  defineOp({
    op: 'GlobalAveragePool',
    domain: '',
    attributes: {},
    handler: (imp, ctx) => {
      const x = imp.act(ctx, 0);
      if (x.shape.length !== 3 && x.shape.length !== 2) throw imp.error(`needs [batch, C, H, W] or [batch, C, L] input, got [batch, ${x.shape}]`);
      const kernel: [number, number] = x.shape.length === 3 ? [x.shape[1], x.shape[2]] : [1, x.shape[1]];
      imp.emit(ctx, { kind: 'AvgPool2d', kernel, stride: [1, 1], padding: [0, 0, 0, 0], countIncludePad: true }, x);
    },
  }),
];

function pool(imp: ImportContext, ctx: OpContext, attrs0: PoolAttributes, kind: 'MaxPool2d' | 'AvgPool2d'): void {
  const x = imp.paddedAct(ctx, 0);
  if (x.shape.length !== 3 && x.shape.length !== 2) throw imp.error(`needs [batch, C, H, W] or [batch, C, L] input, got [batch, ${x.shape}]`);
  const oneD = x.shape.length === 2;
  const attrs = oneD ? lift1d(imp, attrs0) : attrs0;
  const view = oneD ? [x.shape[0], 1, x.shape[1]] : x.shape;
  if (kind === 'MaxPool2d' && ctx.outputs.length > 1 && ctx.outputs[1] && imp.isUsed(ctx.outputs[1])) {
    throw imp.error('the Indices output of MaxPool is not supported');
  }
  if (!attrs.kernel_shape) throw imp.error('kernel_shape is required');
  const kernel = pair(imp, attrs.kernel_shape, 1, 'kernel_shape');
  const stride = pair(imp, attrs.strides, 1, 'strides');
  const dilation = pair(imp, attrs.dilations, 1, 'dilations');
  positiveInts(imp, [...kernel, ...stride, ...dilation], 'kernel_shape, strides and dilations');
  if (dilation[0] !== 1 || dilation[1] !== 1) throw imp.error(`dilations [${dilation}] are not supported for pooling`);
  const own = windowPads(imp, attrs, view, kernel, stride, dilation);
  let countIncludePad = attrs.count_include_pad === 1;
  let padding = own;
  if (x.pad) {
    if (kind === 'MaxPool2d') throw imp.error('a zero Pad before MaxPool is not supported (MaxPool pads with −∞)');
    // The Pad node's zeros are real elements, so they are always counted; that equals count_include_pad
    // only when the pool adds no padding of its own or counts its own padding too.
    if (!countIncludePad && own.some((p) => p > 0)) throw imp.error('a Pad before an AveragePool that pads on its own with count_include_pad=0 is not supported');
    padding = addPads(own, x.pad);
    countIncludePad = true;
  }
  if (attrs.ceil_mode === 1) {
    for (let axis = 0; axis < 2; axis++) {
      const span = view[1 + axis] + padding[axis] + padding[axis + 2] - kernel[axis];
      if (span % stride[axis] !== 0) throw imp.error('ceil_mode=1 changes the output size here; it is not supported');
    }
  }
  const node: IRNode = kind === 'MaxPool2d'
    ? { kind, kernel, stride, padding }
    : { kind, kernel, stride, padding, countIncludePad };
  imp.emit(ctx, node, { ...x, pad: undefined });
}
