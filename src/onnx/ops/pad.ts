/**
 * Pad with zeros over H and W: not a node of its own, the padding is handed to the Conv or AveragePool that
 * reads it. Its pads may come from a constant chain (F.pad's ConstantOfShape/Concat/Slice/Transpose), which
 * the importer folds before this runs.
 */
import { addPads } from './common.js';
import { Attr, defineOp } from './types.js';

export const PAD_OPS = [
  defineOp({
    op: 'Pad',
    domain: '',
    attributes: { mode: Attr.string('constant') },
    handler: (imp, ctx, attrs) => {
      const x = imp.act(ctx, 0);
      if (attrs.mode !== 'constant') throw imp.error(`Pad mode '${attrs.mode}' is not supported (only constant zero padding)`);
      const pads = Array.from(imp.constant(ctx, 1).data);
      const value = imp.optionalValue(ctx, 2);
      if (value && (value.kind !== 'const' || value.t.data.some((v) => v !== 0))) throw imp.error('only zero padding is supported');
      const rank = x.shape.length + 1;
      let axes = [...Array(rank).keys()];
      const axesValue = imp.optionalValue(ctx, 3);
      if (axesValue) {
        if (axesValue.kind !== 'const') throw imp.error('axes must be a constant');
        axes = Array.from(axesValue.t.data).map((a) => (a < 0 ? a + rank : a));
      }
      if (pads.length !== 2 * axes.length) throw imp.error(`pads has ${pads.length} values for ${axes.length} axes`);
      if (x.shape.length !== 3) throw imp.error(`Pad is only supported on [batch, C, H, W] values, got [batch, ${x.shape}]`);
      const full = new Array(2 * rank).fill(0);
      axes.forEach((a, i) => {
        if (!Number.isInteger(a) || a < 0 || a >= rank) throw imp.error(`axis ${a} is out of range`);
        full[a] = pads[i];
        full[a + rank] = pads[i + axes.length];
      });
      if (full.some((p) => !Number.isSafeInteger(p) || p < 0 || p > 1 << 16)) throw imp.error(`pads [${pads}] are invalid (negative pads are not supported)`);
      if (full[0] || full[1] || full[rank] || full[rank + 1]) throw imp.error('only spatial (H, W) padding is supported');
      // The activation keeps its unpadded shape; the consumer (Conv, AveragePool) adds `pad` to its own padding.
      imp.alias(ctx, { kind: 'act', srcs: x.srcs, shape: x.shape, pad: addPads([full[2], full[3], full[6], full[7]], x.pad) });
    },
  }),
];
