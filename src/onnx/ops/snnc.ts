/**
 * snnc's neuron nodes: `snnc::IF` and `snnc::LIF` (written by `snnc train` for its students) and the NIR kinds
 * `snnc::CubaLIF`, `LI`, `CubaLI`, `I`, `Threshold`, `Delay` (written by `snnc export` for any graph snnc holds).
 * Each parameter is a float attribute named after it, or `<name>_values` (floats) holding one value per neuron;
 * reset and fire are strings. The writer is each kind's registry entry (src/ir/kinds/neuron.ts).
 */
import { KINDS, NODE_KINDS, tensor, type IRNode, type Param } from '../../ir/graph.js';
import { NEURON_ATTRIBUTES } from '../../ir/kinds/neuron.js';
import { SNNC_DOMAIN } from '../domain.js';
import { Attr, defineOp, type AttrSpec, type AttrSpecs, type ImportContext, type OpContext } from './types.js';

export { SNNC_DOMAIN } from '../domain.js';

/** The fields each kind may carry: its registry entry's (src/ir/kinds/neuron.ts). */
const FIELDS: Record<string, readonly string[]> = Object.fromEntries(
  NODE_KINDS.flatMap((k) => (KINDS[k].fields ? [[k, KINDS[k].fields!] as const] : [])),
);
const STRINGS = new Set(['reset', 'fire']);

function attributesOf(kind: string): AttrSpecs {
  const specs: Record<string, AttrSpec> = {};
  for (const field of FIELDS[kind]) {
    const name = NEURON_ATTRIBUTES.get(field)!;
    if (STRINGS.has(field)) specs[name] = field === 'reset' && (kind === 'IF' || kind === 'LIF') ? Attr.string('subtract') : Attr.string();
    else if (field === 'leak') specs[name] = Attr.float();
    else {
      // snnc's students always carried threshold (default 1) as a float.
      specs[name] = field === 'threshold' && (kind === 'IF' || kind === 'LIF') ? Attr.float(1) : Attr.float();
      specs[`${name}_values`] = Attr.floats();
    }
  }
  return specs;
}

function neuron(imp: ImportContext, ctx: OpContext, attrs: Record<string, unknown>, kind: string): void {
  const x = imp.act(ctx, 0);
  const node: Record<string, unknown> = { kind };
  for (const field of FIELDS[kind]) {
    const name = NEURON_ATTRIBUTES.get(field)!;
    const values = attrs[`${name}_values`] as number[] | undefined;
    const value = attrs[name];
    if (values !== undefined && value !== undefined && !(field === 'threshold' && value === 1)) throw imp.error(`give ${name} or ${name}_values, not both`);
    if (values !== undefined) {
      if (values.length === 0) throw imp.error(`${name}_values is empty`);
      // One value per neuron keeps the layer's shape; anything else is checked (and refused) by the graph.
      const size = x.shape.reduce((a, b) => a * b, 1);
      node[field] = tensor(values.length === size ? [...x.shape] : [values.length], values) as Param;
    } else if (value !== undefined) {
      if (typeof value === 'number' && !Number.isFinite(value)) throw imp.error(`${name} must be finite, got ${value}`);
      node[field] = value;
    }
  }
  if (kind === 'LIF' && node.leak === undefined && node.tau === undefined) node.leak = 0;
  imp.emit(ctx, node as unknown as IRNode, x);
}

export const SNNC_OPS = Object.keys(FIELDS).map((kind) => defineOp({
  op: kind,
  domain: SNNC_DOMAIN,
  attributes: attributesOf(kind),
  handler: (imp, ctx, attrs) => neuron(imp, ctx, attrs as Record<string, unknown>, kind),
}));
