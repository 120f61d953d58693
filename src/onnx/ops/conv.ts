/** Conv (2-D, grouped and depthwise, dilated, auto_pad), and ConvTranspose (refused for now). */
import type { IRNode } from '../../ir/graph.js';
import { addPads, pair, positiveInts, windowPads } from './common.js';
import { Attr, defineOp, refuseOp } from './types.js';

export const CONV_OPS = [
  defineOp({
    op: 'Conv',
    domain: '',
    attributes: {
      auto_pad: Attr.string('NOTSET'), dilations: Attr.ints(), group: Attr.int(1), kernel_shape: Attr.ints(),
      pads: Attr.ints(), strides: Attr.ints(),
    },
    handler: (imp, ctx, attrs) => {
      const x = imp.act(ctx, 0);
      const w = imp.constant(ctx, 1);
      if (x.shape.length === 2 && w.dims.length === 3) throw imp.error(`1-D convolution (input [batch, ${x.shape}], weight [${w.dims}]) is not supported yet; only 2-D convolution is supported`);
      if (x.shape.length !== 3 || w.dims.length !== 4) throw imp.error(`only 2-D convolution is supported (input [batch, ${x.shape}], weight [${w.dims}])`);
      const kernel = pair(imp, attrs.kernel_shape ?? [w.dims[2], w.dims[3]], 1, 'kernel_shape');
      if (kernel[0] !== w.dims[2] || kernel[1] !== w.dims[3]) throw imp.error(`kernel_shape [${kernel}] does not match weight [${w.dims}]`);
      const stride = pair(imp, attrs.strides, 1, 'strides');
      const dilation = pair(imp, attrs.dilations, 1, 'dilations');
      positiveInts(imp, [...stride, ...dilation], 'strides and dilations');
      const padding = addPads(windowPads(imp, attrs, x.shape, kernel, stride, dilation), x.pad);
      const b = imp.optionalValue(ctx, 2);
      if (b && b.kind !== 'const') throw imp.error('the bias must be a constant');
      const node: IRNode = {
        kind: 'Conv2d', weight: imp.weights(w, 'weight'), stride, padding, dilation, groups: attrs.group,
        ...(b ? { bias: imp.weights(b.t, 'bias', [b.t.data.length]) } : {}),
      };
      imp.emit(ctx, node, { ...x, pad: undefined });
    },
  }),
  refuseOp('ConvTranspose', 'ConvTranspose is not supported yet (a transposed convolution is a linear map, but snnc has no IR node for it yet)'),
];
