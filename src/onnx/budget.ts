/**
 * What a model declares, added up before anything is allocated from it. Each initializer's dims are
 * checked one by one when it is decoded, but a small file whose external data declares several tensors
 * just under that limit (two 16,384 × 16,384 Gemm weights in a sparse 1 GiB file) would still be read and
 * decoded whole, at several bytes of memory per declared value. The sum is refused up front, naming the
 * size and the limit.
 */
import type { ModelProto, TensorProto } from './proto.js';
import { OnnxError, checkedDims } from './tensor.js';

/** Most values the initializers and constants of one model may declare in all (decoded as float64: 1 GiB). */
export const MAX_MODEL_VALUES = 2 ** 27;

/** The values `model` declares in its initializers and Constant nodes; throws OnnxError above the limit. */
export function checkModelBudget(model: ModelProto, origin = 'the model'): number {
  const tensors: [TensorProto, string][] = [];
  for (const t of model.graph?.initializer ?? []) tensors.push([t, `initializer '${t.name ?? ''}'`]);
  for (const n of model.graph?.node ?? []) {
    for (const a of n.attribute ?? []) if (a.t) tensors.push([a.t, `tensor of node '${n.name ?? ''}'`]);
  }
  // Dims only: nothing is decoded or read from external files here.
  const total = tensors.reduce((sum, [t, what]) => sum + checkedDims(t.dims, what).size, 0);
  if (total > MAX_MODEL_VALUES) {
    const gib = (n: number) => `${((n * 4) / 2 ** 30).toFixed(2)} GiB`;
    throw new OnnxError(`${origin} declares ${total.toLocaleString('en-US')} weight values in ${tensors.length} tensors (${gib(total)} as float32); snnc loads at most ${MAX_MODEL_VALUES.toLocaleString('en-US')} (${gib(MAX_MODEL_VALUES)})`);
  }
  return total;
}
