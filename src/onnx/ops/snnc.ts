/** snnc's spiking neurons: `snnc::IF` and `snnc::LIF` nodes written by `snnc train` and `snnc export`. */
import type { IRNode, ResetMode } from '../../ir/graph.js';
import { Attr, defineOp, type ImportContext, type OpContext } from './types.js';

/** The domain of snnc's spiking neuron nodes. */
export const SNNC_DOMAIN = 'snnc';

interface NeuronAttributes { threshold: number; reset: string; leak?: number; v_init: number | undefined }

export const SNNC_OPS = [
  defineOp({
    op: 'IF',
    domain: SNNC_DOMAIN,
    attributes: { threshold: Attr.float(1), reset: Attr.string('subtract'), v_init: Attr.float() },
    handler: (imp, ctx, attrs) => neuron(imp, ctx, attrs, 'IF'),
  }),
  defineOp({
    op: 'LIF',
    domain: SNNC_DOMAIN,
    attributes: { threshold: Attr.float(1), reset: Attr.string('subtract'), leak: Attr.float(0), v_init: Attr.float() },
    handler: (imp, ctx, attrs) => neuron(imp, ctx, attrs, 'LIF'),
  }),
];

function neuron(imp: ImportContext, ctx: OpContext, attrs: NeuronAttributes, kind: 'IF' | 'LIF'): void {
  const x = imp.act(ctx, 0);
  const { threshold, reset, v_init: vInit } = attrs;
  if (reset !== 'subtract' && reset !== 'zero') throw imp.error(`reset must be 'subtract' or 'zero', got '${reset}'`);
  if (vInit !== undefined && !Number.isFinite(vInit)) throw imp.error(`v_init must be finite, got ${vInit}`);
  const base = { threshold, reset: reset as ResetMode, ...(vInit !== undefined ? { vInit } : {}) };
  const node: IRNode = kind === 'IF' ? { kind, ...base } : { kind, ...base, leak: attrs.leak ?? 0 };
  imp.emit(ctx, node, x);
}
