/**
 * Shape computations and ops that only relabel or move neurons: Constant, ConstantOfShape, Shape, Gather,
 * Unsqueeze, Squeeze, Concat, Cast, Range, Slice, Transpose and Reshape fold when their inputs are constants (the
 * chains exporters write for `x.view(x.size(0), -1)` or `F.pad`). Of computed values, Reshape, Flatten, Squeeze and
 * Unsqueeze relabel the per-sample shape (Flatten, Reshape); Transpose, Gather and Concat move neurons (IndexMap:
 * a Concat places each input in its slice of the result and the slices add); Identity and Dropout pass their
 * input through.
 */
import { shapeSize } from '../../ir/graph.js';
import { DataType, int64 } from '../proto.js';
import { decodeTensor, type ConstTensor } from '../tensor.js';
import { axesInput, constantsOnly, indexMap, MAX_SHAPE_VALUES, normaliseAxes, range, sameShape, smallConst } from './common.js';
import { Attr, defineOp, type Act, type ImportContext, type OpContext } from './types.js';

const INTEGER_TYPES: readonly number[] = [
  DataType.INT64, DataType.INT32, DataType.INT16, DataType.INT8, DataType.UINT8, DataType.UINT16, DataType.UINT32, DataType.UINT64,
];

export const SHAPE_OPS = [
  defineOp({ op: 'Identity', domain: '', attributes: {}, handler: (imp, ctx) => imp.alias(ctx, imp.value(ctx, 0)) }),
  defineOp({
    op: 'Dropout', domain: '', until: 11, attributes: { ratio: Attr.float(0.5) },
    handler: (imp, ctx) => dropout(imp, ctx),
  }),
  defineOp({
    op: 'Dropout', domain: '', since: 12, attributes: { seed: Attr.int() },
    handler: (imp, ctx) => dropout(imp, ctx),
  }),

  // ONNX added the value_* forms in opset 12; they are read from 11 on, as onnxruntime does.
  defineOp({
    op: 'Constant', domain: '',
    attributes: {
      value: Attr.tensor(), sparse_value: Attr.sparseTensor(), value_float: Attr.float(), value_floats: Attr.floats(),
      value_int: Attr.int(), value_ints: Attr.ints(), value_string: Attr.string(), value_strings: Attr.strings(),
    },
    handler: constantsOnly,
    fold: (imp, ctx) => constant(imp, ctx),
  }),
  defineOp({
    op: 'ConstantOfShape', domain: '', attributes: { value: Attr.tensor() }, handler: constantsOnly,
    fold: (imp, ctx, attrs, [shape]) => {
      const dims = Array.from(smallConst(imp, shape!, 'the shape').data);
      if (shape!.dims.length !== 1 || dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw imp.error(`the shape [${dims}] is not a list of sizes`);
      const size = dims.reduce((a, b) => a * b, 1);
      if (size > MAX_SHAPE_VALUES) throw imp.error(`the result has ${size} values; shape computations are limited to ${MAX_SHAPE_VALUES}`);
      const value = attrs.value ? decodeTensor(attrs.value, `the value of ${ctx.op} '${ctx.name}'`) : { dims: [1], data: Float64Array.of(0) };
      if (value.data.length !== 1) throw imp.error(`value must hold one element, it holds ${value.data.length}`);
      return { dims, data: new Float64Array(size).fill(value.data[0]) };
    },
  }),

  defineOp({
    op: 'Shape', domain: '', until: 14, attributes: {},
    handler: (imp, ctx) => imp.setValue(ctx.outputs[0], { kind: 'const', t: shapeOf(imp, ctx, {}) }),
    fold: (imp, ctx) => shapeOf(imp, ctx, {}),
  }),
  defineOp({
    op: 'Shape', domain: '', since: 15, attributes: { start: Attr.int(0), end: Attr.int() },
    handler: (imp, ctx, attrs) => imp.setValue(ctx.outputs[0], { kind: 'const', t: shapeOf(imp, ctx, attrs) }),
    fold: (imp, ctx, attrs) => shapeOf(imp, ctx, attrs),
  }),

  defineOp({
    op: 'Gather', domain: '', attributes: { axis: Attr.int(0) }, handler: (imp, ctx, attrs) => gatherComputed(imp, ctx, attrs.axis),
    fold: (imp, _ctx, attrs, [d, i]) => {
      const data = smallConst(imp, d!, 'Gather data');
      const indices = smallConst(imp, i!, 'Gather indices');
      if (data.dims.length !== 1 || (attrs.axis !== 0 && attrs.axis !== -1)) throw imp.error('Gather is only supported on 1-D constants (shape computations)');
      const n = data.dims[0];
      const out = Array.from(indices.data).map((k) => {
        const j = k < 0 ? k + n : k;
        if (!Number.isInteger(j) || j < 0 || j >= n) throw imp.error(`index ${k} is out of range for ${n} values`);
        return data.data[j];
      });
      return { dims: [...indices.dims], data: Float64Array.from(out) };
    },
  }),

  // `axes` became an input in opset 13.
  defineOp({
    op: 'Unsqueeze', domain: '', until: 12, attributes: { axes: Attr.ints() },
    handler: (imp, ctx, attrs) => unsqueezeComputed(imp, ctx, attrs.axes),
    fold: (imp, _ctx, attrs, [data]) => unsqueeze(imp, data!, attrs.axes),
  }),
  defineOp({
    op: 'Unsqueeze', domain: '', since: 13, attributes: {},
    handler: (imp, ctx) => unsqueezeComputed(imp, ctx, axesInput(imp, ctx, 1)),
    fold: (imp, _ctx, _attrs, [data, axes]) => unsqueeze(imp, data!, axes && Array.from(axes.data)),
  }),
  defineOp({
    op: 'Squeeze', domain: '', until: 12, attributes: { axes: Attr.ints() },
    handler: (imp, ctx, attrs) => squeezeComputed(imp, ctx, attrs.axes),
    fold: (imp, _ctx, attrs, [data]) => squeeze(imp, data!, attrs.axes),
  }),
  defineOp({
    op: 'Squeeze', domain: '', since: 13, attributes: {},
    handler: (imp, ctx) => squeezeComputed(imp, ctx, axesInput(imp, ctx, 1)),
    fold: (imp, _ctx, _attrs, [data, axes]) => squeeze(imp, data!, axes && Array.from(axes.data)),
  }),

  defineOp({
    op: 'Concat', domain: '', attributes: { axis: Attr.int(0) },
    handler: (imp, ctx, attrs) => concatComputed(imp, ctx, attrs.axis),
    fold: (imp, _ctx, attrs, inputs) => {
      const parts = inputs.map((t, i) => smallConst(imp, t!, `Concat input ${i}`));
      if (parts.some((p) => p.dims.length !== 1) || (attrs.axis !== 0 && attrs.axis !== -1)) throw imp.error('Concat is only supported on 1-D constants (shape computations)');
      const data = Float64Array.from(parts.flatMap((p) => Array.from(p.data)));
      return { dims: [data.length], data };
    },
  }),

  // `saturate` (for float8 targets) appeared in opset 19.
  defineOp({ op: 'Cast', domain: '', until: 18, attributes: { to: Attr.int(DataType.FLOAT) }, handler: castComputed, fold: castConstant }),
  defineOp({ op: 'Cast', domain: '', since: 19, attributes: { to: Attr.int(DataType.FLOAT), saturate: Attr.int(1) }, handler: castComputed, fold: castConstant }),

  defineOp({
    op: 'Range', domain: '', attributes: {}, handler: constantsOnly,
    fold: (imp, _ctx, _attrs, inputs) => {
      const [start, limit, delta] = inputs.map((t, i) => {
        if (t!.data.length !== 1) throw imp.error(`input ${i} must be a scalar`);
        return t!.data[0];
      });
      if (delta === 0 || !Number.isFinite(start + limit + delta)) throw imp.error(`cannot make a range from ${start} to ${limit} by ${delta}`);
      const n = Math.max(Math.ceil((limit - start) / delta), 0);
      if (n > MAX_SHAPE_VALUES) throw imp.error(`the range has ${n} values; shape computations are limited to ${MAX_SHAPE_VALUES}`);
      return { dims: [n], data: Float64Array.from({ length: n }, (_, i) => start + i * delta) };
    },
  }),
  defineOp({ op: 'Slice', domain: '', attributes: {}, handler: constantsOnly, fold: (imp, _ctx, _attrs, inputs) => slice(imp, inputs) }),
  defineOp({
    op: 'Transpose', domain: '', attributes: { perm: Attr.ints() },
    handler: (imp, ctx, attrs) => transposeComputed(imp, ctx, attrs.perm),
    fold: (imp, _ctx, attrs, [t]) => transpose(imp, smallConst(imp, t!, 'Transpose data'), attrs.perm),
  }),

  // `allowzero` appeared in opset 14.
  defineOp({
    op: 'Reshape', domain: '', until: 13, attributes: {},
    handler: (imp, ctx) => reshapeComputed(imp, ctx, false),
    fold: (imp, _ctx, _attrs, [data, shape]) => reshapeConstant(imp, data!, shape!, false),
  }),
  defineOp({
    op: 'Reshape', domain: '', since: 14, attributes: { allowzero: Attr.int(0) },
    handler: (imp, ctx, attrs) => reshapeComputed(imp, ctx, attrs.allowzero === 1),
    fold: (imp, _ctx, attrs, [data, shape]) => reshapeConstant(imp, data!, shape!, attrs.allowzero === 1),
  }),
  defineOp({
    op: 'Flatten', domain: '', attributes: { axis: Attr.int(1) },
    handler: (imp, ctx, attrs) => {
      const x = imp.act(ctx, 0);
      const rank = x.shape.length + 1;
      const axis = attrs.axis < 0 ? attrs.axis + rank : attrs.axis;
      if (axis !== 1) throw imp.error(`Flatten axis ${attrs.axis} is not supported (only 1: keep the batch)`);
      if (x.shape.length === 1) { imp.alias(ctx, x); return; }
      imp.emit(ctx, { kind: 'Flatten' }, x);
    },
  }),
];

function castComputed(imp: ImportContext, ctx: OpContext, attrs: { to: number }): void {
  if (attrs.to !== DataType.FLOAT) throw imp.error('casting computed values to a non-float type is not supported');
  imp.alias(ctx, imp.act(ctx, 0));
}

function castConstant(_imp: ImportContext, _ctx: OpContext, attrs: { to: number }, [t]: (ConstTensor | undefined)[]): ConstTensor {
  return { dims: t!.dims, data: INTEGER_TYPES.includes(attrs.to) ? t!.data.map(Math.trunc) : t!.data };
}

function dropout(imp: ImportContext, ctx: OpContext): void {
  if (ctx.outputs[1] && imp.isUsed(ctx.outputs[1])) throw imp.error('the mask output of Dropout is not supported');
  imp.record(`Dropout (node '${ctx.name}')`);
  imp.alias(ctx, imp.value(ctx, 0));
}

function constant(imp: ImportContext, ctx: OpContext): ConstTensor {
  const [name, attr] = [...ctx.attrs][0] ?? [];
  if (ctx.attrs.size !== 1 || !attr) throw imp.error('a Constant needs exactly one value attribute');
  if (name === 'value') {
    if (!attr.t) throw imp.error("attribute 'value' holds no tensor");
    return decodeTensor(attr.t, `Constant '${ctx.name}'`, {});
  }
  if (name === 'value_float') return { dims: [], data: Float64Array.of(attr.f ?? 0) };
  if (name === 'value_floats') return { dims: [attr.floats?.length ?? 0], data: Float64Array.from(attr.floats ?? []) };
  if (name === 'value_int') return { dims: [], data: Float64Array.of(int64(attr.i)) };
  if (name === 'value_ints') return { dims: [attr.ints?.length ?? 0], data: Float64Array.from((attr.ints ?? []).map(int64)) };
  throw imp.error(`Constant attribute '${name}' is not supported`);
}

/** Shape of a constant, or of an activation with the batch size unknown (NaN: only Reshape's first position may use it). */
function shapeOf(imp: ImportContext, ctx: OpContext, attrs: { start?: number; end?: number }): ConstTensor {
  const v = imp.value(ctx, 0);
  const dims = v.kind === 'act' ? [NaN, ...v.shape] : v.t.dims;
  let start = attrs.start ?? 0;
  let end = attrs.end ?? dims.length;
  if (start < 0) start += dims.length;
  if (end < 0) end += dims.length;
  const part = dims.slice(Math.max(0, start), Math.min(dims.length, end));
  return { dims: [part.length], data: Float64Array.from(part) };
}

function unsqueeze(imp: ImportContext, t: ConstTensor, axes: number[] | undefined): ConstTensor {
  const data = smallConst(imp, t, 'Unsqueeze data');
  if (!axes) throw imp.error('axes are required');
  const dims = [...data.dims];
  for (const a of normaliseAxes(imp, axes, data.dims.length + axes.length)) dims.splice(a, 0, 1);
  return { dims, data: data.data };
}

function squeeze(imp: ImportContext, t: ConstTensor, axes: number[] | undefined): ConstTensor {
  const data = smallConst(imp, t, 'Squeeze data');
  const rank = data.dims.length;
  const norm = (axes ?? data.dims.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => (a < 0 ? a + rank : a));
  if (norm.some((a) => data.dims[a] !== 1)) throw imp.error(`cannot squeeze axes [${axes}] of shape [${data.dims}]`);
  return { dims: data.dims.filter((_, i) => !norm.includes(i)), data: data.data };
}

/**
 * Gives an activation a new per-sample shape, which only relabels it: the same shape (alias), a flat one
 * (Flatten), the graph input's own shape when nothing else reads the unreshaped input, else a Reshape node.
 * Undefined when the shape has more than the IR's 3 per-sample dimensions.
 */
function relabel(imp: ImportContext, ctx: OpContext, x: Act, shape: number[]): true | undefined {
  if (sameShape(shape, x.shape)) { imp.alias(ctx, x); return true; }
  if (shape.length > 3) return undefined;
  if (shape.length === 1) { imp.emit(ctx, { kind: 'Flatten' }, x); return true; }
  // Reshaping the graph input itself (e.g. [N, 784] → [N, 1, 28, 28]) only relabels its layout: give the
  // Input node the new per-sample shape when nothing else reads the unreshaped input.
  const src = imp.foldable(x);
  const prev = src ? imp.irNode(src) : undefined;
  if (src && (prev?.kind === 'Input' || prev?.kind === 'Reshape')) {
    imp.replaceNode(src, { ...prev, shape });
    imp.rebind(ctx, src, shape);
    return true;
  }
  imp.emit(ctx, { kind: 'Reshape', shape }, x);
  return true;
}

/** Transpose of a computed tensor: the batch stays first, the per-sample axes move (an IndexMap). */
function transposeComputed(imp: ImportContext, ctx: OpContext, perm: number[] | undefined): void {
  const x = imp.act(ctx, 0);
  const rank = x.shape.length + 1;
  const p = perm ?? [...Array(rank).keys()].reverse();
  if (p.length !== rank || [...p].sort((a, b) => a - b).some((a, i) => a !== i)) throw imp.error(`perm [${p}] is not a permutation of ${rank} axes`);
  if (p[0] !== 0) throw imp.error(`perm [${p}] moves the batch axis; only the per-sample axes may be permuted`);
  const axes = p.slice(1).map((a) => a - 1);
  if (axes.every((a, i) => a === i)) { imp.alias(ctx, x); return; }
  indexMap(imp, ctx, x, { kind: 'IndexMap', perm: axes, index: axes.map((a) => range(x.shape[a])) }, true);
}

/** Gather along a per-sample axis of a computed tensor with constant indices: an IndexMap (a scalar index drops the axis). */
function gatherComputed(imp: ImportContext, ctx: OpContext, axis: number): void {
  const x = imp.act(ctx, 0);
  const indices = smallConst(imp, imp.constant(ctx, 1), 'Gather indices');
  const rank = x.shape.length + 1;
  const a = axis < 0 ? axis + rank : axis;
  if (!(a >= 1 && a < rank)) throw imp.error(`axis ${axis} is not a per-sample axis of [batch, ${x.shape}] (gathering along the batch is not supported)`);
  if (indices.dims.length > 1) throw imp.error(`indices of shape [${indices.dims}] add axes; only a list or a single index is supported on computed values`);
  const n = x.shape[a - 1];
  const picked = Array.from(indices.data, (k) => {
    const j = k < 0 ? k + n : k;
    if (!Number.isInteger(j) || j < 0 || j >= n) throw imp.error(`index ${k} is out of range for ${n} values`);
    return j;
  });
  const node = { kind: 'IndexMap' as const, index: x.shape.map((d, i) => (i === a - 1 ? picked : range(d))) };
  if (indices.dims.length === 1) { indexMap(imp, ctx, x, node, true); return; }
  // A single index removes the axis.
  const shape = x.shape.filter((_, i) => i !== a - 1);
  if (shape.length === 0) throw imp.error(`gathering one element of [batch, ${x.shape}] leaves no per-sample dimension`);
  const picked1 = indexMap(imp, ctx, x, node, false, '/pick');
  imp.emit(ctx, shape.length === 1 ? { kind: 'Flatten' } : { kind: 'Reshape', shape }, picked1);
}

/**
 * Concat of computed tensors along a per-sample axis (channels or features, or any other): each input placed in
 * its slice of the result by an IndexMap (zeros elsewhere); the placed inputs add, as every IR node's inputs do.
 */
function concatComputed(imp: ImportContext, ctx: OpContext, axis: number): void {
  const values = ctx.inputs.map((_, i) => imp.value(ctx, i));
  const constant = values.findIndex((v) => v.kind === 'const');
  if (constant >= 0) throw imp.error(`Concat of a computed tensor with the constant '${ctx.inputs[constant]}' is not supported (only of computed tensors, or of constants in shape computations)`);
  const xs = values.map((_, i) => imp.act(ctx, i));
  const rank = xs[0].shape.length + 1;
  const a = axis < 0 ? axis + rank : axis;
  if (!(a >= 1 && a < rank)) throw imp.error(`axis ${axis} is not a per-sample axis of [batch, ${xs[0].shape}] (concatenating along the batch is not supported)`);
  const k = a - 1;
  for (const x of xs) {
    if (x.shape.length !== xs[0].shape.length || x.shape.some((d, i) => i !== k && d !== xs[0].shape[i])) {
      throw imp.error(`inputs of shapes ${xs.map((y) => `[batch, ${y.shape}]`).join(', ')} do not agree off axis ${axis}`);
    }
  }
  if (xs.length === 1) { imp.alias(ctx, xs[0]); return; }
  const total = xs.reduce((t, x) => t + x.shape[k], 0);
  const shape = xs[0].shape.map((d, i) => (i === k ? total : d));
  let offset = 0;
  const parts = xs.map((x, j) => {
    const slice = Array.from({ length: total }, (_, c) => (c >= offset && c < offset + x.shape[k] ? c - offset : -1));
    offset += x.shape[k];
    return indexMap(imp, ctx, x, { kind: 'IndexMap', index: x.shape.map((d, i) => (i === k ? slice : range(d))) }, false, `/part${j}`);
  });
  imp.emitSum(ctx, parts, shape);
}

function unsqueezeComputed(imp: ImportContext, ctx: OpContext, axes: number[] | undefined): void {
  const x = imp.act(ctx, 0);
  if (!axes) throw imp.error('axes are required');
  const rank = x.shape.length + 1 + axes.length;
  const norm = normaliseAxes(imp, axes, rank);
  if (norm.includes(0)) throw imp.error('unsqueezing before the batch axis is not supported');
  const dims = [NaN, ...x.shape];
  for (const a of norm) dims.splice(a, 0, 1);
  const shape = dims.slice(1);
  if (!relabel(imp, ctx, x, shape)) throw imp.error(`Unsqueeze of [batch, ${x.shape}] to [batch, ${shape}] is not supported: the IR holds at most 3 per-sample dimensions`);
}

function squeezeComputed(imp: ImportContext, ctx: OpContext, axes: number[] | undefined): void {
  const x = imp.act(ctx, 0);
  const rank = x.shape.length + 1;
  // Without axes ONNX drops every dimension of size 1; the batch is kept (as Flatten and Reshape do).
  const norm = axes ? normaliseAxes(imp, axes, rank) : x.shape.map((d, i) => (d === 1 ? i + 1 : -1)).filter((i) => i > 0);
  if (norm.includes(0)) throw imp.error('squeezing the batch axis is not supported');
  if (norm.some((a) => x.shape[a - 1] !== 1)) throw imp.error(`cannot squeeze axes [${axes}] of shape [batch, ${x.shape}]`);
  const shape = x.shape.filter((_, i) => !norm.includes(i + 1));
  if (shape.length === 0) throw imp.error(`squeezing [batch, ${x.shape}] leaves no per-sample dimension`);
  relabel(imp, ctx, x, shape);
}

function reshapeComputed(imp: ImportContext, ctx: OpContext, allowZero: boolean): void {
  const x = imp.act(ctx, 0);
  const target = smallConst(imp, imp.constant(ctx, 1), 'the target shape');
  const shape = reshapeTarget(imp, target.data, x.shape, allowZero);
  if (!relabel(imp, ctx, x, shape)) throw imp.error(`reshape of [batch, ${x.shape}] to [batch, ${shape}] is not supported: the IR holds at most 3 per-sample dimensions`);
}

/** Resolves a Reshape target against a per-sample shape. Position 0 is the batch (symbolic NaN, 0, -1 or fixed). */
function reshapeTarget(imp: ImportContext, target: Float64Array, shape: number[], allowZero: boolean): number[] {
  const size = shapeSize(shape);
  const t = Array.from(target);
  if (t.length < 1) throw imp.error('the target shape is empty');
  const rest = t.slice(1).map((d, i) => {
    if (Number.isNaN(d)) throw imp.error('the target shape uses the batch size outside the first position');
    if (d === 0 && !allowZero) {
      if (i + 1 >= shape.length + 1) throw imp.error(`target dimension ${i + 1} is 0 (copy) but the input has no such dimension`);
      return shape[i];
    }
    return d;
  });
  const first = t[0];
  const unknown = rest.filter((d) => d === -1).length + (first === -1 ? 1 : 0);
  if (unknown > 1) throw imp.error(`target shape [${t}] has more than one -1`);
  if (rest.some((d) => !Number.isSafeInteger(d) || d < -1 || d === 0)) throw imp.error(`target shape [${t}] is invalid`);
  const known = rest.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  if (rest.includes(-1)) {
    if (first !== -1 && !Number.isNaN(first) && first !== 0 && first !== 1) {
      throw imp.error(`target shape [${t}] fixes the batch size to ${first}`);
    }
    if (size % known !== 0) throw imp.error(`cannot reshape [${shape}] to [${t}]`);
    return rest.map((d) => (d === -1 ? size / known : d));
  }
  if (known !== size) throw imp.error(`cannot reshape per-sample [${shape}] (${size} values) to [${t.slice(1)}] (${known} values)`);
  return rest;
}

/** Reshape of a constant (no batch axis involved): 0 copies a dimension unless allowzero, one -1 is inferred. */
function reshapeConstant(imp: ImportContext, data: ConstTensor, shape: ConstTensor, allowZero: boolean): ConstTensor {
  const t = Array.from(smallConst(imp, shape, 'the target shape').data);
  if (t.some((d) => Number.isNaN(d))) throw imp.error('the target shape of a constant uses the batch size');
  const dims = t.map((d, i) => (d === 0 && !allowZero ? data.dims[i] : d));
  const size = data.data.length;
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const unknown = dims.filter((d) => d === -1).length;
  if (unknown > 1 || dims.some((d) => d === undefined || !Number.isSafeInteger(d) || d < -1)) throw imp.error(`target shape [${t}] is invalid for a constant of shape [${data.dims}]`);
  const out = unknown ? dims.map((d) => (d === -1 ? (known === 0 ? 0 : size / known) : d)) : dims;
  if (out.reduce((a, b) => a * b, 1) !== size || out.some((d) => !Number.isInteger(d))) throw imp.error(`cannot reshape a constant of shape [${data.dims}] to [${t}]`);
  return { dims: out, data: data.data };
}

/** Row-major strides of a shape. */
function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

function transpose(imp: ImportContext, t: ConstTensor, perm: number[] | undefined): ConstTensor {
  const rank = t.dims.length;
  const p = perm ?? [...Array(rank).keys()].reverse();
  if (p.length !== rank || [...p].sort((a, b) => a - b).some((a, i) => a !== i)) throw imp.error(`perm [${p}] is not a permutation of ${rank} axes`);
  const dims = p.map((a) => t.dims[a]);
  const inStrides = strides(t.dims);
  const outStrides = strides(dims);
  const data = new Float64Array(t.data.length);
  for (let o = 0; o < data.length; o++) {
    let rest = o;
    let i = 0;
    for (let k = 0; k < rank; k++) {
      const coord = Math.floor(rest / outStrides[k]);
      rest -= coord * outStrides[k];
      i += coord * inStrides[p[k]];
    }
    data[o] = t.data[i];
  }
  return { dims, data };
}

/** Slice (opset 10 on: starts, ends, axes and steps are inputs) of a small constant. */
function slice(imp: ImportContext, [d, s, e, a, st]: (ConstTensor | undefined)[]): ConstTensor {
  const data = smallConst(imp, d!, 'Slice data');
  const rank = data.dims.length;
  const starts = Array.from(s!.data);
  const ends = Array.from(e!.data);
  const axes = a ? Array.from(a.data) : starts.map((_, i) => i);
  const steps = st ? Array.from(st.data) : starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) throw imp.error('starts, ends, axes and steps must have the same length');
  const begin = data.dims.map(() => 0);
  const end = [...data.dims];
  const step = data.dims.map(() => 1);
  normaliseAxes(imp, axes, rank);
  axes.forEach((axis0, i) => {
    const axis = axis0 < 0 ? axis0 + rank : axis0;
    const dim = data.dims[axis];
    const k = steps[i];
    if (!Number.isInteger(k) || k === 0) throw imp.error(`step ${k} is invalid`);
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    const from = starts[i] < 0 ? starts[i] + dim : starts[i];
    const to = ends[i] < 0 ? ends[i] + dim : ends[i];
    begin[axis] = k > 0 ? clamp(from, 0, dim) : clamp(from, 0, dim - 1);
    end[axis] = k > 0 ? clamp(to, 0, dim) : clamp(to, -1, dim - 1);
    step[axis] = k;
  });
  const counts = data.dims.map((_, i) => Math.max(0, Math.ceil((end[i] - begin[i]) / step[i])));
  const inStrides = strides(data.dims);
  const outStrides = strides(counts);
  const out = new Float64Array(counts.reduce((p, c) => p * c, 1));
  for (let o = 0; o < out.length; o++) {
    let rest = o;
    let i = 0;
    for (let k = 0; k < rank; k++) {
      const coord = Math.floor(rest / outStrides[k]);
      rest -= coord * outStrides[k];
      i += (begin[k] + coord * step[k]) * inStrides[k];
    }
    out[o] = data.data[i];
  }
  return { dims: counts, data: out };
}
