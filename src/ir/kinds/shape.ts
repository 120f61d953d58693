import { channelsOf, GraphError, positive, shapeSize, type FlattenNode, type NodeShapes, type ReshapeNode, type SumNode } from '../nodes.js';
import type { Interval, Kernel, KindSpec } from '../kind.js';

/** Copies the input (a relabelling of the same values). */
function copyKernel(size: number): Kernel {
  return { run: (input, out, n) => { if (input !== out) out.set(input.subarray(0, n * size)); } };
}

/** Flattens the per-sample shape to `[N]` (C, H, W order). */
export const Flatten: KindSpec<FlattenNode> = {
  role: 'stateless',
  tensors: [],
  inferShape: (_name, _node, input) => [shapeSize(input)],
  parameters: () => 0,
  macs: () => 0,
  kernel: (_name, _node, shapes) => copyKernel(shapeSize(shapes.output)),
  toOnnx: (e, _node, x) => e.node('Flatten', [x], { axis: e.attr.int(1) }),
  linear: () => null,
  bounds: (_node, x, shapes) => relabelBounds(x, shapes),
};

/** Bounds per output channel of a relabelling: the hull of the input channels its elements come from. */
function relabelBounds(x: Interval, shapes: NodeShapes): Interval {
  const size = shapeSize(shapes.input);
  const inPer = size / channelsOf(shapes.input);
  const outC = channelsOf(shapes.output);
  const outPer = size / outC;
  const lo = new Float64Array(outC);
  const hi = new Float64Array(outC);
  for (let c = 0; c < outC; c++) {
    const first = Math.floor((c * outPer) / inPer);
    const last = Math.floor(((c + 1) * outPer - 1) / inPer);
    let l = Infinity;
    let h = -Infinity;
    for (let k = first; k <= last; k++) { l = Math.min(l, x.lo[k]); h = Math.max(h, x.hi[k]); }
    lo[c] = l; hi[c] = h;
  }
  return { lo, hi };
}

/** y = x with a new per-sample shape (same values, same memory order): Squeeze, Unsqueeze, Reshape. */
export const Reshape: KindSpec<ReshapeNode> = {
  role: 'stateless',
  tensors: [],
  inferShape(name, node, input) {
    if (!Array.isArray(node.shape) || node.shape.length < 1 || node.shape.length > 3) throw new GraphError('Reshape needs a per-sample shape of 1 to 3 dimensions', name);
    positive(name, 'shape', node.shape);
    if (shapeSize(node.shape) !== shapeSize(input)) throw new GraphError(`cannot reshape [${input}] (${shapeSize(input)} values) to [${node.shape}] (${shapeSize(node.shape)})`, name);
    return [...node.shape];
  },
  parameters: () => 0,
  macs: () => 0,
  kernel: (_name, _node, shapes) => copyKernel(shapeSize(shapes.output)),
  toOnnx: (e, node, x) => e.node('Reshape', [x, e.init('.shape', [node.shape.length + 1], [-1, ...node.shape], 'int64')]),
  linear: () => null,
  bounds: (_node, x, shapes) => relabelBounds(x, shapes),
};

/** y = x (the sum of its inputs): an explicit residual junction. */
export const Sum: KindSpec<SumNode> = {
  role: 'stateless',
  tensors: [],
  inferShape: (_name, _node, input) => [...input],
  parameters: () => 0,
  macs: () => 0,
  kernel: (_name, _node, shapes) => copyKernel(shapeSize(shapes.output)),
  toOnnx: (_e, _node, x) => x,
  linear: () => null,
};
