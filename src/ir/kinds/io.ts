import { GraphError, positive, type InputNode, type OutputNode } from '../nodes.js';
import type { KindSpec } from '../kind.js';

/** Graph entry: its `shape` is the per-sample input shape. The executor writes the (encoded) input here. */
export const Input: KindSpec<InputNode> = {
  role: 'input',
  tensors: [],
  inferShape(name, node) {
    if (!Array.isArray(node.shape) || node.shape.length === 0) throw new GraphError('Input needs a per-sample shape', name);
    positive(name, 'input shape', node.shape);
    return [...node.shape];
  },
  parameters: () => 0,
  macs: () => 0,
  toOnnx() { throw new Error('internal: the Input is written by exportOnnx itself'); },
};

/** Graph exit: in ANN mode the logits; in SNN mode what reaches it, summed over all steps (the readout). */
export const Output: KindSpec<OutputNode> = {
  role: 'output',
  tensors: [],
  inferShape: (_name, _node, input) => [...input],
  parameters: () => 0,
  macs: () => 0,
  toOnnx: (_e, _node, x) => x,
};
