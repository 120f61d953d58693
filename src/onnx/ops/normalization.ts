/**
 * BatchNormalization in inference mode, on [C, H, W] maps, [C] features (BatchNorm1d after a Linear) or
 * [C, L] sequences: folded into the sole Conv/Gemm before it, otherwise a per-channel Scale.
 */
import { tensor } from '../../ir/graph.js';
import { applyAffine, checkFinite } from './common.js';
import { Attr, defineOp, type ImportContext, type OpContext } from './types.js';

// `spatial` left ONNX in opset 9; it is still accepted (and ignored) because some exporters write it.
const BATCH_NORM_9 = { epsilon: Attr.float(1e-5), momentum: Attr.float(0.9), spatial: Attr.int(1) };

export const NORMALIZATION_OPS = [
  defineOp({
    op: 'BatchNormalization', domain: '', until: 13, attributes: BATCH_NORM_9,
    handler: (imp, ctx, attrs) => batchNormalization(imp, ctx, { ...attrs, training_mode: 0 }),
  }),
  defineOp({
    op: 'BatchNormalization', domain: '', since: 14, attributes: { ...BATCH_NORM_9, training_mode: Attr.int(0) },
    handler: batchNormalization,
  }),
];

function batchNormalization(imp: ImportContext, ctx: OpContext, attrs: { epsilon: number; training_mode: number }): void {
  const x = imp.act(ctx, 0);
  if (attrs.training_mode !== 0) throw imp.error('training_mode=1 is not supported');
  if (ctx.outputs.slice(1).some((o) => o && imp.isUsed(o))) throw imp.error('running mean/var outputs are not supported');
  const eps = attrs.epsilon;
  const channels = x.shape[0];
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => {
    const t = imp.constant(ctx, i);
    if (t.data.length !== channels) throw imp.error(`input ${i} has ${t.data.length} values, the input has ${channels} channels`);
    checkFinite(imp, t.data, ['', 'scale', 'B', 'input_mean', 'input_var'][i]);
    return t.data;
  });
  const a = new Float64Array(channels);
  const b = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    if (!(variance[c] + eps > 0)) throw imp.error(`variance + epsilon of channel ${c} is not positive (${variance[c] + eps})`);
    a[c] = gamma[c] / Math.sqrt(variance[c] + eps);
    b[c] = beta[c] - mean[c] * a[c];
  }
  checkFinite(imp, a, 'folded scale'); checkFinite(imp, b, 'folded shift');
  const src = imp.foldable(x);
  const node = src ? imp.irNode(src) : undefined;
  if (src && node && (node.kind === 'Conv2d' || node.kind === 'Affine' || node.kind === 'Linear')) {
    const weight = tensor(node.weight.shape, node.weight.data);
    const per = weight.data.length / channels;
    for (let c = 0; c < channels; c++) for (let i = 0; i < per; i++) weight.data[c * per + i] *= a[c];
    const oldBias = node.kind === 'Linear' ? undefined : node.bias?.data;
    const bias = tensor([channels]);
    for (let c = 0; c < channels; c++) bias.data[c] = a[c] * (oldBias ? oldBias[c] : 0) + b[c];
    imp.replaceNode(src, node.kind === 'Conv2d' ? { ...node, weight, bias } : { kind: 'Affine', weight, bias });
    imp.rebind(ctx, src, x.shape);
    return;
  }
  applyAffine(imp, ctx, x, a, b);
}
