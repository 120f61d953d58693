import { shapeSize, type FlattenNode, type SumNode } from '../nodes.js';
import type { Kernel, KindSpec } from '../kind.js';

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
  bounds(_node, x, shapes) {
    const inC = shapes.input.length === 3 ? shapes.input[0] : shapeSize(shapes.input);
    const outC = shapeSize(shapes.output);
    const per = shapeSize(shapes.input) / inC;
    const lo = new Float64Array(outC);
    const hi = new Float64Array(outC);
    for (let i = 0; i < outC; i++) { lo[i] = x.lo[Math.floor(i / per)]; hi[i] = x.hi[Math.floor(i / per)]; }
    return { lo, hi };
  },
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
