/**
 * Add/Sub/Mul/Div with a constant (input normalisation, biases, scales), Add of two computed values (a
 * residual sum), Relu and Clip. Add/Sub/Mul of two constants fold (shape arithmetic of exporters).
 */
import { tensor } from '../../ir/graph.js';
import type { ConstTensor } from '../tensor.js';
import { applyAffine, channelVector, checkFinite, MAX_SHAPE_VALUES, smallConst } from './common.js';
import { defineOp, type Act, type ImportContext, type OpContext } from './types.js';

type Arithmetic = 'Add' | 'Sub' | 'Mul' | 'Div';

const arithmetic = (op: Arithmetic) => defineOp({
  op,
  domain: '',
  attributes: {},
  handler: (imp, ctx) => binaryWithConstant(imp, ctx, op),
  // Div is not folded: constants carry no element type here, and integer division truncates.
  ...(op !== 'Div' ? { fold: (imp: ImportContext, _ctx: OpContext, _attrs: unknown, [a, b]: (ConstTensor | undefined)[]) => broadcast(imp, op, a!, b!) } : {}),
});

export const ELEMENTWISE_OPS = [
  arithmetic('Add'), arithmetic('Sub'), arithmetic('Mul'), arithmetic('Div'),
  defineOp({ op: 'Relu', domain: '', attributes: {}, handler: (imp, ctx) => { imp.emit(ctx, { kind: 'ReLU' }, imp.act(ctx, 0)); } }),
  defineOp({
    op: 'Clip',
    domain: '',
    // From opset 11 the bounds are inputs; earlier opsets (attributes min/max) are outside the importer's range.
    attributes: {},
    handler: (imp, ctx) => {
      const x = imp.act(ctx, 0);
      const bound = (i: number, fallback: number) => {
        const v = imp.optionalValue(ctx, i);
        if (!v) return fallback;
        if (v.kind !== 'const' || v.t.data.length !== 1) throw imp.error(`Clip bound ${i === 1 ? 'min' : 'max'} must be a scalar constant`);
        return v.t.data[0];
      };
      const lo = bound(1, -Infinity);
      const hi = bound(2, Infinity);
      if (Number.isNaN(lo) || Number.isNaN(hi)) throw imp.error('Clip bounds are NaN');
      if (lo === 0 && hi === Infinity) { imp.emit(ctx, { kind: 'ReLU' }, x); return; }
      const FLT_MAX = 3.4028234663852886e38;
      imp.emit(ctx, { kind: 'Clip', min: Math.max(lo, -FLT_MAX), max: Math.min(hi, FLT_MAX) }, x);
    },
  }),
];

/** Adds a per-output-channel bias into a sole synaptic producer; false if there is none. */
function foldBias(imp: ImportContext, ctx: OpContext, x: Act, bias: Float64Array): boolean {
  const src = imp.foldable(x);
  if (!src) return false;
  const node = imp.irNode(src);
  const channels = x.shape[0];
  const at = (i: number) => (bias.length === 1 ? bias[0] : bias[i]);
  const add = (old: Float32Array | undefined) => {
    const b = new Float64Array(channels);
    for (let i = 0; i < channels; i++) b[i] = (old ? old[i] : 0) + at(i);
    checkFinite(imp, b, 'bias');
    return tensor([channels], b);
  };
  if (node.kind === 'Conv2d') imp.replaceNode(src, { ...node, bias: add(node.bias?.data) });
  else if (node.kind === 'Affine') imp.replaceNode(src, { ...node, bias: add(node.bias.data) });
  else if (node.kind === 'Linear') imp.replaceNode(src, { kind: 'Affine', weight: node.weight, bias: add(undefined) });
  else return false;
  imp.rebind(ctx, src, x.shape);
  return true;
}

function binaryWithConstant(imp: ImportContext, ctx: OpContext, kind: Arithmetic): void {
  const a = imp.value(ctx, 0);
  const b = imp.value(ctx, 1);
  if (a.kind === 'act' && b.kind === 'act') {
    if (kind !== 'Add') throw imp.error(`${kind} of two computed values is not supported (only Add, as a residual sum)`);
    const [pa, pb] = [imp.unpadded(ctx, a), imp.unpadded(ctx, b)];
    if (pa.shape.length !== pb.shape.length || pa.shape.some((d, i) => d !== pb.shape[i])) {
      throw imp.error(`Add of shapes [${pa.shape}] and [${pb.shape}]: residual sums need equal shapes`);
    }
    imp.setValue(ctx.outputs[0], { kind: 'act', srcs: [...pa.srcs, ...pb.srcs], shape: pa.shape });
    return;
  }
  if (a.kind === 'const' && b.kind === 'const') throw imp.error(`${kind} of two constants is not supported`);
  const x = (a.kind === 'act' ? a : b) as Act;
  const c = (a.kind === 'const' ? a : b) as { kind: 'const'; t: ConstTensor };
  const constFirst = a.kind === 'const';
  const v = channelVector(c.t, x.shape);
  if (!v) throw imp.error(`${kind} with a constant of shape [${c.t.dims}] on values of shape [batch, ${x.shape}]: only scalar or per-channel constants are supported`);
  switch (kind) {
    case 'Add':
      if (!foldBias(imp, ctx, x, v)) applyAffine(imp, ctx, x, Float64Array.of(1), Float64Array.from(v));
      return;
    case 'Sub':
      if (constFirst) applyAffine(imp, ctx, x, Float64Array.of(-1), Float64Array.from(v));
      else if (!foldBias(imp, ctx, x, v.map((e) => -e))) applyAffine(imp, ctx, x, Float64Array.of(1), v.map((e) => -e));
      return;
    case 'Mul':
      applyAffine(imp, ctx, x, Float64Array.from(v), undefined);
      return;
    case 'Div':
      if (constFirst) throw imp.error('division of a constant by a computed value is not supported');
      applyAffine(imp, ctx, x, v.map((e) => 1 / e), undefined);
      return;
  }
}

/** a op b of two small constants, with numpy broadcasting. */
function broadcast(imp: ImportContext, op: 'Add' | 'Sub' | 'Mul', a: ConstTensor, b: ConstTensor): ConstTensor {
  smallConst(imp, a, `${op} input 0`); smallConst(imp, b, `${op} input 1`);
  const rank = Math.max(a.dims.length, b.dims.length);
  const pad = (d: number[]) => [...new Array(rank - d.length).fill(1), ...d];
  const da = pad(a.dims);
  const db = pad(b.dims);
  const dims = da.map((x, i) => {
    if (x !== db[i] && x !== 1 && db[i] !== 1) throw imp.error(`${op} of constants of shapes [${a.dims}] and [${b.dims}] that do not broadcast`);
    return x === 1 ? db[i] : x;
  });
  const size = dims.reduce((p, d) => p * d, 1);
  if (size > MAX_SHAPE_VALUES) throw imp.error(`the ${op} result has ${size} values; shape computations are limited to ${MAX_SHAPE_VALUES}`);
  const data = new Float64Array(size);
  const index = (d: number[], flat: number) => {
    let i = 0;
    let rest = flat;
    let stride = 1;
    for (let k = rank - 1; k >= 0; k--) {
      const coord = rest % dims[k];
      rest = Math.floor(rest / dims[k]);
      if (d[k] !== 1) i += coord * stride;
      stride *= d[k];
    }
    return i;
  };
  for (let i = 0; i < size; i++) {
    const x = a.data[index(da, i)];
    const y = b.data[index(db, i)];
    data[i] = op === 'Add' ? x + y : op === 'Sub' ? x - y : x * y;
  }
  return { dims, data };
}
