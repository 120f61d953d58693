import { checkTensor, GraphError, shapeSize, type ScaleNode, type Tensor } from '../nodes.js';
import type { KindSpec } from '../kind.js';
import { as3 } from '../linear-op.js';

function scale(node: ScaleNode, input: Float32Array, out: Float32Array, n: number, shape: number[]): void {
  const s = node.scale.data;
  const bias = node.bias?.data;
  const channels = shape[0];
  const inner = shapeSize(shape) / channels;
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < channels; c++) {
      const sv = s.length === 1 ? s[0] : s[c];
      const bv = bias ? (bias.length === 1 ? bias[0] : bias[c]) : 0;
      const base = (b * channels + c) * inner;
      for (let i = base; i < base + inner; i++) out[i] = sv * input[i] + bv;
    }
  }
}

/** The ONNX shape of a per-channel vector that broadcasts over [C, H, W], [C, L] or [C] (a scalar for one value). */
function channelShape(shape: readonly number[], length: number): number[] {
  return length === 1 ? [] : [length, ...shape.slice(1).map(() => 1)];
}

/**
 * y = scale ⊙ x + bias, scale and bias scalar (shape `[1]`) or per channel (shape `[C]`).
 * NIR Scale has no bias; snnc adds one so that input normalisation ((x − mean) / std) stays exact.
 */
export const Scale: KindSpec<ScaleNode> = {
  role: 'stateless',
  tensors: ['scale', 'bias'],
  inferShape(name, node, input) {
    checkTensor(name, 'scale', node.scale);
    const channels = input[0];
    const ok = (t: Tensor) => t.data.length === 1 || t.data.length === channels;
    if (!ok(node.scale)) throw new GraphError(`scale has ${node.scale.data.length} values, input has ${channels} channels`, name);
    if (node.bias) { checkTensor(name, 'bias', node.bias); if (!ok(node.bias)) throw new GraphError(`bias has ${node.bias.data.length} values, input has ${channels} channels`, name); }
    return [...input];
  },
  parameters: (node) => node.scale.data.length + (node.bias?.data.length ?? 0),
  macs: () => 0,
  kernel: (_name, node, shapes) => ({ run: (input, out, n) => scale(node, input, out, n, shapes.input) }),
  toOnnx(e, node, x, shapes) {
    const s = e.init('.scale', channelShape(shapes.input, node.scale.data.length), node.scale.data);
    if (!node.bias) return e.node('Mul', [x, s]);
    const scaled = e.node('Mul', [x, s], {}, { suffix: '/mul' });
    return e.node('Add', [scaled, e.init('.shift', channelShape(shapes.input, node.bias.data.length), node.bias.data)]);
  },
  linear(_name, node, shapes) {
    const i3 = as3(shapes.input);
    const c = i3[0];
    const w = new Float32Array(c);
    for (let k = 0; k < c; k++) w[k] = node.scale.data.length === 1 ? node.scale.data[0] : node.scale.data[k];
    return { kind: 'conv', inShape: i3, outShape: i3, w, kernel: [1, 1], stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], groups: c };
  },
  bias: (node) => node.bias?.data ?? null,
  bounds(node, x) {
    const at = (t: Float32Array, c: number) => (t.length === 1 ? t[0] : t[c]);
    const n = x.lo.length;
    const lo = new Float64Array(n);
    const hi = new Float64Array(n);
    for (let c = 0; c < n; c++) {
      const sc = at(node.scale.data, c);
      const b = node.bias ? at(node.bias.data, c) : 0;
      const a1 = sc * x.lo[c];
      const a2 = sc * x.hi[c];
      lo[c] = Math.min(a1, a2) + b; hi[c] = Math.max(a1, a2) + b;
    }
    return { lo, hi };
  },
};
