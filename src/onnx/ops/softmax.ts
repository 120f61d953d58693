/**
 * Softmax and LogSoftmax as the last op: dropped (the class is the argmax of the logits either way). The
 * default axis changed in opset 13 (1 before, −1 from then on), hence one entry per range.
 */
import { Attr, defineOp, type ImportContext, type OpContext } from './types.js';

const finalSoftmax = (op: 'Softmax' | 'LogSoftmax', range: { since?: number; until?: number }, defaultAxis: number) => defineOp({
  op,
  domain: '',
  ...range,
  attributes: { axis: Attr.int(defaultAxis) },
  handler: (imp, ctx, attrs) => dropFinal(imp, ctx, attrs.axis),
});

export const SOFTMAX_OPS = [
  finalSoftmax('Softmax', { until: 12 }, 1), finalSoftmax('Softmax', { since: 13 }, -1),
  finalSoftmax('LogSoftmax', { until: 12 }, 1), finalSoftmax('LogSoftmax', { since: 13 }, -1),
];

function dropFinal(imp: ImportContext, ctx: OpContext, axis: number): void {
  const x = imp.act(ctx, 0);
  if (!imp.isFinalOutput(ctx)) throw imp.error(`${ctx.op} is only supported as the last op before the graph output (it is dropped; the class is the argmax)`);
  if (x.shape.length !== 1) throw imp.error(`${ctx.op} over [batch, ${x.shape}] is not supported (only over class scores)`);
  if (axis !== -1 && axis !== 1) throw imp.error(`${ctx.op} axis ${axis} is not over the class scores`);
  imp.record(`${ctx.op} (node '${ctx.name}')`);
  imp.alias(ctx, x);
}
