/** Helpers shared by several op families. */
import { tensor, type IndexMapNode, type IRNode, type Pads, type Pair } from '../../ir/graph.js';
import { composeIndexMaps } from '../../ir/kinds/index-map.js';
import type { ConstTensor } from '../tensor.js';
import type { Act, ImportContext, OpContext } from './types.js';

/** Per-channel (or scalar) values of a constant broadcast against a per-sample shape, or undefined. */
export function channelVector(t: ConstTensor, shape: number[]): Float64Array | undefined {
  const dims = [...t.dims];
  const total = t.data.length;
  if (total === 1) return Float64Array.of(t.data[0]);
  // Align to the full [batch, ...shape] rank from the right (numpy broadcasting).
  const full = [1, ...shape];
  if (dims.length > full.length) return undefined;
  while (dims.length < full.length) dims.unshift(1);
  // Only the channel axis (index 1) may differ from 1.
  for (let i = 0; i < dims.length; i++) if (i !== 1 && dims[i] !== 1) return undefined;
  if (dims[1] !== shape[0]) return undefined;
  return t.data;
}

function scaleNode(scale: ArrayLike<number>, bias: ArrayLike<number> | undefined): IRNode {
  const s = tensor([scale.length], scale);
  return bias ? { kind: 'Scale', scale: s, bias: tensor([bias.length], bias) } : { kind: 'Scale', scale: s };
}

/**
 * y = a ⊙ x + b on an activation, per channel or scalar: folded into a sole Scale producer when possible,
 * otherwise a new Scale node. Used by Sub/Div/Mul/Add with constants and by BatchNormalization.
 */
export function applyAffine(imp: ImportContext, ctx: OpContext, x: Act, a: Float64Array, b: Float64Array | undefined): void {
  const src = imp.foldable(x);
  const prev = src ? imp.irNode(src) : undefined;
  if (src && prev?.kind === 'Scale') {
    const len = Math.max(a.length, b?.length ?? 1, prev.scale.data.length, prev.bias?.data.length ?? 1);
    const at = (v: ArrayLike<number> | undefined, i: number, d: number) => (v ? (v.length === 1 ? v[0] : v[i]) : d);
    const s = new Float64Array(len);
    const bb = new Float64Array(len);
    for (let i = 0; i < len; i++) {
      s[i] = at(a, i, 1) * at(prev.scale.data, i, 1);
      bb[i] = at(a, i, 1) * at(prev.bias?.data, i, 0) + at(b, i, 0);
    }
    checkFinite(imp, s, 'folded scale'); checkFinite(imp, bb, 'folded bias');
    imp.replaceNode(src, scaleNode(s, bb));
    imp.rebind(ctx, src, x.shape);
    return;
  }
  checkFinite(imp, a, 'scale'); if (b) checkFinite(imp, b, 'bias');
  imp.emit(ctx, scaleNode(a, b), x);
}

export function checkFinite(imp: ImportContext, v: ArrayLike<number>, what: string): void {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw imp.error(`${what} holds a non-finite value (${v[i]}) at index ${i}`);
}

export function pair(imp: ImportContext, v: number[] | undefined, fallback: number, what: string): Pair {
  if (!v) return [fallback, fallback];
  if (v.length !== 2) throw imp.error(`${what} must have 2 values for a 2-D op, got [${v}]`);
  return [v[0], v[1]];
}

/** The attributes Conv and the pools share: how the window is padded. */
export interface WindowPadding { auto_pad: string; pads: number[] | undefined }

/** Padding from pads / auto_pad for a 2-D window op. */
export function windowPads(imp: ImportContext, attrs: WindowPadding, input: number[], kernel: Pair, stride: Pair, dilation: Pair): Pads {
  const { auto_pad: autoPad, pads } = attrs;
  if (autoPad === 'NOTSET') {
    if (!pads) return [0, 0, 0, 0];
    if (pads.length !== 4) throw imp.error(`pads must have 4 values for a 2-D op, got [${pads}]`);
    if (pads.some((p) => !Number.isSafeInteger(p) || p < 0 || p > 1 << 16)) throw imp.error(`pads [${pads}] are invalid`);
    return [pads[0], pads[1], pads[2], pads[3]];
  }
  if (pads) throw imp.error(`pads [${pads}] cannot be combined with auto_pad '${autoPad}'`);
  if (autoPad === 'VALID') return [0, 0, 0, 0];
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') throw imp.error(`auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  const result: number[] = [0, 0, 0, 0];
  for (let axis = 0; axis < 2; axis++) {
    const size = input[1 + axis];
    const out = Math.ceil(size / stride[axis]);
    const total = Math.max(0, (out - 1) * stride[axis] + (kernel[axis] - 1) * dilation[axis] + 1 - size);
    const small = Math.floor(total / 2);
    const [before, after] = autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    result[axis] = before;
    result[axis + 2] = after;
  }
  return result as Pads;
}

export function addPads(a: Pads, b: Pads | undefined): Pads {
  return b ? [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]] : a;
}

export function positiveInts(imp: ImportContext, v: readonly number[], what: string): void {
  if (!v.every((x) => Number.isSafeInteger(x) && x >= 1 && x <= 1 << 16)) throw imp.error(`${what} must be positive integers, got [${v}]`);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Largest constant a shape computation may read or make: a hostile file cannot blow the importer up. */
export const MAX_SHAPE_VALUES = 4096;

/** Shape-chain ops run on small integer constants; refuse anything large so a hostile file cannot blow up. */
export function smallConst(imp: ImportContext, t: ConstTensor, what: string): ConstTensor {
  if (t.data.length > MAX_SHAPE_VALUES) throw imp.error(`${what} has ${t.data.length} values; shape computations are limited to ${MAX_SHAPE_VALUES}`);
  return t;
}

/** Axes from a constant input (the opsets where `axes` became an input); undefined when the input is absent. */
export function axesInput(imp: ImportContext, ctx: OpContext, inputIndex: number): number[] | undefined {
  const v = imp.optionalValue(ctx, inputIndex);
  if (!v) return undefined;
  if (v.kind !== 'const') throw imp.error('axes must be a constant');
  return Array.from(v.t.data);
}

/** Axes normalised to [0, rank), sorted; refuses out-of-range or repeated ones. */
export function normaliseAxes(imp: ImportContext, axes: readonly number[], rank: number): number[] {
  const norm = axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
  if (norm.some((a) => !Number.isInteger(a) || a < 0 || a >= rank) || new Set(norm).size !== norm.length) throw imp.error(`axes [${axes}] are invalid`);
  return norm;
}

/** The handler of ops that only compute constants: refuses the first computed input. */
export function constantsOnly(imp: ImportContext, ctx: OpContext): void {
  ctx.inputs.forEach((name, i) => { if (name) imp.constant(ctx, i); });
  throw imp.error(`${ctx.op} is only supported on constants`);
}

/** 0, 1, …, n − 1: the coordinates of an axis an index map leaves as it is. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * Adds an index map reading `x`: folded into a sole IndexMap producer when there is one (two index maps are one),
 * else a new IndexMap node. `bind` binds ONNX output 0 to it; otherwise it is one part of this op's output (emitSum).
 */
export function indexMap(imp: ImportContext, ctx: OpContext, x: Act, node: IndexMapNode, bind: boolean, suffix = ''): Act {
  const shape = node.index.map((t) => t.length);
  const src = imp.foldable(x);
  const prev = src ? imp.irNode(src) : undefined;
  if (src && prev?.kind === 'IndexMap') {
    imp.replaceNode(src, composeIndexMaps(prev, node));
    if (bind) imp.rebind(ctx, src, shape);
    return { kind: 'act', srcs: [src], shape };
  }
  return bind ? imp.emit(ctx, node, x, suffix) : imp.addNode(ctx, node, x, suffix);
}

/** The window attributes of a 1-D op over [C, L] as those of the 2-D op over [C, 1, L] (kernel [1, k]). */
export function lift1d<A extends { kernel_shape?: number[]; strides?: number[]; dilations?: number[]; pads?: number[]; output_padding?: number[]; output_shape?: number[] }>(imp: ImportContext, attrs: A): A {
  const one = (v: number[] | undefined, what: string, fill: number) => {
    if (!v) return v;
    if (v.length !== 1) throw imp.error(`${what} must have 1 value for a 1-D op, got [${v}]`);
    return [fill, v[0]];
  };
  const pads = attrs.pads;
  if (pads && pads.length !== 2) throw imp.error(`pads must have 2 values for a 1-D op, got [${pads}]`);
  return {
    ...attrs,
    kernel_shape: one(attrs.kernel_shape, 'kernel_shape', 1), strides: one(attrs.strides, 'strides', 1), dilations: one(attrs.dilations, 'dilations', 1),
    output_padding: one(attrs.output_padding, 'output_padding', 0), output_shape: one(attrs.output_shape, 'output_shape', 1),
    pads: pads ? [0, pads[0], 0, pads[1]] : pads,
  };
}
