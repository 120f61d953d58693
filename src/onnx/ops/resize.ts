/**
 * Resize in nearest mode (`nn.Upsample(scale_factor=2)`, `F.interpolate(mode='nearest')`): every output element
 * is one input element, so the op is an IndexMap, one coordinate list per axis. The coordinate of output x is
 * ONNX's transform of x (coordinate_transformation_mode) rounded by nearest_mode, computed in float32 as
 * onnxruntime does. Opset 18 added antialias (no effect in nearest mode), axes and keep_aspect_ratio_policy
 * (only 'stretch' is read), hence two entries. Linear and cubic modes weigh several inputs and are refused.
 */
import { indexMap } from './common.js';
import { Attr, defineOp, type ImportContext, type OpContext } from './types.js';

const f = Math.fround;

const BASE = {
  coordinate_transformation_mode: Attr.string('half_pixel'), cubic_coeff_a: Attr.float(-0.75), exclude_outside: Attr.int(0),
  extrapolation_value: Attr.float(0), mode: Attr.string('nearest'), nearest_mode: Attr.string('round_prefer_floor'),
};

interface ResizeAttributes {
  coordinate_transformation_mode: string; mode: string; nearest_mode: string; axes?: number[]; keep_aspect_ratio_policy?: string;
}

export const RESIZE_OPS = [
  defineOp({ op: 'Resize', domain: '', until: 17, attributes: BASE, handler: (imp, ctx, attrs) => resize(imp, ctx, attrs) }),
  defineOp({
    op: 'Resize', domain: '', since: 18,
    attributes: { ...BASE, antialias: Attr.int(0), axes: Attr.ints(), keep_aspect_ratio_policy: Attr.string('stretch') },
    handler: (imp, ctx, attrs) => resize(imp, ctx, attrs),
  }),
];

/** The input coordinate (before rounding) of output coordinate x along an axis of n inputs and m outputs, scale s. */
function original(imp: ImportContext, mode: string, x: number, n: number, m: number, s: number): number {
  switch (mode) {
    case 'half_pixel': return f(f(f(x + 0.5) / s) - 0.5);
    case 'pytorch_half_pixel': return m > 1 ? f(f(f(x + 0.5) / s) - 0.5) : 0;
    case 'half_pixel_symmetric': {
      const adjustment = f(m / f(s * n));
      const offset = f(f(n / 2) * f(1 - adjustment));
      return f(offset + f(f(f(x + 0.5) / s) - 0.5));
    }
    case 'align_corners': return m === 1 ? 0 : f(f(x * (n - 1)) / (m - 1));
    case 'asymmetric': return f(x / s);
    case 'tf_half_pixel_for_nn': return f(f(x + 0.5) / s);
    default: throw imp.error(`coordinate_transformation_mode '${mode}' is not supported (tf_crop_and_resize reads outside the input)`);
  }
}

function nearest(imp: ImportContext, mode: string, v: number): number {
  const away = (u: number) => (u < 0 ? -Math.round(-u) : Math.round(u));
  const half = v === Math.trunc(v) + 0.5;
  switch (mode) {
    case 'round_prefer_floor': return half ? Math.floor(v) : away(v);
    case 'round_prefer_ceil': return half ? Math.ceil(v) : away(v);
    case 'floor': return Math.floor(v);
    case 'ceil': return Math.ceil(v);
    default: throw imp.error(`nearest_mode '${mode}' is not one of round_prefer_floor, round_prefer_ceil, floor, ceil`);
  }
}

function resize(imp: ImportContext, ctx: OpContext, attrs: ResizeAttributes): void {
  const x = imp.act(ctx, 0);
  if (attrs.mode !== 'nearest') {
    throw imp.error(`Resize mode '${attrs.mode}' is not supported: it weighs several neighbouring inputs by fractions; only mode 'nearest' (every output is one input, an index map) is imported — export the model with mode='nearest', or upsample with a ConvTranspose`);
  }
  const dims = [NaN, ...x.shape];
  const rank = dims.length;
  const axes = (attrs.axes ?? [...Array(rank).keys()]).map((a) => (a < 0 ? a + rank : a));
  if (axes.some((a) => !Number.isInteger(a) || a < 0 || a >= rank) || new Set(axes).size !== axes.length) throw imp.error(`axes [${attrs.axes}] are invalid`);
  const input = (i: number) => {
    const v = imp.optionalValue(ctx, i);
    if (v && v.kind !== 'const') throw imp.error(`input ${i} (${['', 'roi', 'scales', 'sizes'][i]}) must be a constant`);
    return v && v.t.data.length > 0 ? Array.from(v.t.data) : undefined;
  };
  const scales = input(2);
  const sizes = input(3);
  if (!!scales === !!sizes) throw imp.error('exactly one of scales and sizes must be given');
  const given = (scales ?? sizes)!;
  if (given.length !== axes.length) throw imp.error(`${scales ? 'scales' : 'sizes'} has ${given.length} values for ${axes.length} axes`);
  const scale = new Array<number>(rank).fill(1);
  const out = [...dims];
  if (scales) {
    axes.forEach((a, i) => {
      const s = f(scales[i]);
      if (!(s > 0) || !Number.isFinite(s)) throw imp.error(`scale ${scales[i]} is not positive`);
      scale[a] = s;
      if (a > 0) out[a] = Math.floor(f(dims[a] * s));
    });
  } else {
    if ((attrs.keep_aspect_ratio_policy ?? 'stretch') !== 'stretch') throw imp.error(`keep_aspect_ratio_policy '${attrs.keep_aspect_ratio_policy}' is not supported (only 'stretch': the sizes as given)`);
    axes.forEach((a, i) => {
      if (a === 0) { scale[0] = Number.isNaN(sizes![i]) ? 1 : NaN; return; }
      out[a] = sizes![i];
      scale[a] = f(out[a] / dims[a]);
    });
  }
  if (scale[0] !== 1) throw imp.error('resizing the batch axis is not supported');
  const index = x.shape.map((n, k) => {
    const a = k + 1;
    const m = out[a];
    if (!(Number.isSafeInteger(m) && m >= 1 && m <= 1 << 16)) throw imp.error(`output size ${m} along axis ${a} is invalid`);
    return Array.from({ length: m }, (_, o) => Math.min(n - 1, Math.max(0, nearest(imp, attrs.nearest_mode, original(imp, attrs.coordinate_transformation_mode, o, n, m, scale[a])))));
  });
  if (index.every((t, k) => t.length === x.shape[k] && t.every((c, i) => c === i))) { imp.alias(ctx, x); return; }
  indexMap(imp, ctx, x, { kind: 'IndexMap', index }, true);
}
