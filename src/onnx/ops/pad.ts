/**
 * Pad with zeros. Over H and W (or L) with non-negative pads it is not a node of its own: the padding is handed
 * to the Conv or AveragePool that reads it (any other reader gets it as an IndexMap). Pads on other axes, and
 * negative pads (cropping), are an IndexMap at once. Its pads may come from a constant chain (F.pad's
 * ConstantOfShape/Concat/Slice/Transpose), which the importer folds before this runs.
 */
import { addPads, indexMap } from './common.js';
import { Attr, defineOp } from './types.js';

export const PAD_OPS = [
  defineOp({
    op: 'Pad',
    domain: '',
    attributes: { mode: Attr.string('constant') },
    handler: (imp, ctx, attrs) => {
      const x = imp.paddedAct(ctx, 0);
      if (attrs.mode !== 'constant') throw imp.error(`Pad mode '${attrs.mode}' is not supported (only constant zero padding: '${attrs.mode}' repeats input values, which is no linear map of zeros)`);
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
      const full = new Array(2 * rank).fill(0);
      axes.forEach((a, i) => {
        if (!Number.isInteger(a) || a < 0 || a >= rank) throw imp.error(`axis ${a} is out of range`);
        full[a] = pads[i];
        full[a + rank] = pads[i + axes.length];
      });
      if (full.some((p) => !Number.isSafeInteger(p) || Math.abs(p) > 1 << 16)) throw imp.error(`pads [${pads}] are invalid`);
      if (full[0] || full[rank]) throw imp.error('padding the batch axis is not supported');
      const before = (k: number) => full[k + 1];
      const after = (k: number) => full[k + 1 + rank];
      const spatial = x.shape.length === 3 ? [1, 2] : x.shape.length === 2 ? [1] : [];
      const onlySpatial = x.shape.every((_, k) => spatial.includes(k) || (before(k) === 0 && after(k) === 0)) && full.every((p) => p >= 0);
      if (onlySpatial && spatial.length > 0) {
        // The activation keeps its unpadded shape; the consumer (Conv, AveragePool) adds `pad` to its own padding.
        const pad = x.shape.length === 3 ? [before(1), before(2), after(1), after(2)] as const : [0, before(1), 0, after(1)] as const;
        imp.alias(ctx, { kind: 'act', srcs: x.srcs, shape: x.shape, pad: addPads([...pad], x.pad) });
        return;
      }
      // Any other padding or cropping: each axis's coordinates with zeros (−1) before and after.
      const index = x.shape.map((n, k) => {
        const out = n + before(k) + after(k);
        if (out < 1) throw imp.error(`pads [${pads}] leave nothing of axis ${k + 1} (size ${n})`);
        return Array.from({ length: out }, (_, j) => { const i = j - before(k); return i >= 0 && i < n ? i : -1; });
      });
      indexMap(imp, ctx, imp.unpadded(ctx, x), { kind: 'IndexMap', index }, true);
    },
  }),
];
