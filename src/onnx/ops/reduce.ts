/**
 * ReduceMean and ReduceSum over the spatial axes, [2, 3] of [batch, C, H, W] (`x.mean(dim=(2, 3))`, how many
 * classifier heads pool) or [2] of [batch, C, L] (pooling over time): average or sum pooling over the whole map,
 * then a Flatten when keepdims=0. `axes` became an input in opset 13 for ReduceSum and in opset 18 for
 * ReduceMean, hence two entries each.
 */
import type { IRNode } from '../../ir/graph.js';
import { axesInput, normaliseAxes } from './common.js';
import { Attr, defineOp, type ImportContext, type OpContext } from './types.js';

type Reduction = 'ReduceMean' | 'ReduceSum';

const reduction = (op: Reduction, axesBecameInput: number) => [
  defineOp({
    op, domain: '', until: axesBecameInput - 1, attributes: { axes: Attr.ints(), keepdims: Attr.int(1) },
    handler: (imp, ctx, attrs) => reduceSpatial(imp, ctx, op, attrs.axes, attrs.keepdims, 0),
  }),
  defineOp({
    op, domain: '', since: axesBecameInput, attributes: { keepdims: Attr.int(1), noop_with_empty_axes: Attr.int(0) },
    handler: (imp, ctx, attrs) => reduceSpatial(imp, ctx, op, axesInput(imp, ctx, 1), attrs.keepdims, attrs.noop_with_empty_axes),
  }),
];

export const REDUCE_OPS = [...reduction('ReduceMean', 18), ...reduction('ReduceSum', 13)];

function reduceSpatial(imp: ImportContext, ctx: OpContext, op: Reduction, axes: number[] | undefined, keepdims: number, noopWithEmptyAxes: number): void {
  const x = imp.act(ctx, 0);
  if (!axes || axes.length === 0) {
    if (noopWithEmptyAxes === 1) { imp.alias(ctx, x); return; }
    throw imp.error(`${op} over every axis (no axes given) is not supported; only over the spatial axes [2, 3]`);
  }
  const rank = x.shape.length + 1;
  const norm = normaliseAxes(imp, axes, rank);
  const spatial = rank === 4 ? [2, 3] : rank === 3 ? [2] : [];
  if (spatial.length === 0 || norm.length !== spatial.length || norm.some((a, i) => a !== spatial[i])) {
    throw imp.error(`${op} over axes [${axes}] of [batch, ${x.shape}] is not supported; only over the spatial axes [2, 3] of [batch, C, H, W] or [2] of [batch, C, L]`);
  }
  const kernel: [number, number] = rank === 4 ? [x.shape[1], x.shape[2]] : [1, x.shape[1]];
  const window = { kernel, stride: [1, 1] as [number, number], padding: [0, 0, 0, 0] as [number, number, number, number] };
  const node: IRNode = op === 'ReduceMean' ? { kind: 'AvgPool2d', ...window, countIncludePad: true } : { kind: 'SumPool2d', ...window };
  if (keepdims !== 0) { imp.emit(ctx, node, x); return; }
  imp.emit(ctx, { kind: 'Flatten' }, imp.addNode(ctx, node, x), '/flatten');
}
