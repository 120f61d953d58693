/**
 * The op table: every ONNX op the importer knows, one entry per op and opset range, collected from one file
 * per op family. The supported-op list, the attribute checks and the refusals all derive from it.
 */
import { CONV_OPS } from './conv.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { GEMM_OPS } from './gemm.js';
import { NORMALIZATION_OPS } from './normalization.js';
import { PAD_OPS } from './pad.js';
import { POOL_OPS } from './pool.js';
import { REDUCE_OPS } from './reduce.js';
import { REFUSED_OPS } from './refused.js';
import { RESIZE_OPS } from './resize.js';
import { SHAPE_OPS } from './shape.js';
import { SNNC_DOMAIN, SNNC_OPS } from './snnc.js';
import { SOFTMAX_OPS } from './softmax.js';
import type { AnyOpEntry } from './types.js';

export { SNNC_DOMAIN } from './snnc.js';
export type { AnyOpEntry, OpEntry } from './types.js';

/** The default-domain opsets this importer understands. */
export const MIN_OPSET = 11;
export const MAX_OPSET = 21;

export const OP_TABLE: readonly AnyOpEntry[] = [
  ...CONV_OPS, ...GEMM_OPS, ...ELEMENTWISE_OPS, ...NORMALIZATION_OPS, ...POOL_OPS, ...REDUCE_OPS, ...PAD_OPS,
  ...RESIZE_OPS, ...SHAPE_OPS, ...SOFTMAX_OPS, ...SNNC_OPS, ...REFUSED_OPS,
];

/** '' for the default domain however the file spells it, else the domain. */
export function normaliseDomain(domain: string): string {
  return domain === 'ai.onnx' ? '' : domain;
}

/** The entry for an op of a domain in a default-domain opset, if the table has one. */
export function findOp(domain: string, op: string, opset: number): AnyOpEntry | undefined {
  const d = normaliseDomain(domain);
  return OP_TABLE.find((e) => e.domain === d && e.op === op && (d !== '' || ((e.since ?? MIN_OPSET) <= opset && opset <= (e.until ?? MAX_OPSET))));
}

const supported = (domain: string) => [...new Set(OP_TABLE.filter((e) => e.domain === domain && e.handler).map((e) => e.op))];

/** ONNX ops of the default domain the importer converts, for diagnostics and docs. */
export const SUPPORTED_OPS: readonly string[] = supported('');

/** Every supported op as a diagnostic names it: default-domain ops bare, others as `domain::Op`. */
export const SUPPORTED_OP_NAMES: readonly string[] = [...SUPPORTED_OPS, ...supported(SNNC_DOMAIN).map((op) => `${SNNC_DOMAIN}::${op}`)];
