import { GraphError, shapeSize, type ClipNode, type ReLUNode } from '../nodes.js';
import type { KindSpec } from '../kind.js';

/** y = max(0, x). ANN only; conversion turns it into IF. */
export const ReLU: KindSpec<ReLUNode> = {
  role: 'stateless',
  annOnly: true,
  tensors: [],
  inferShape: (_name, _node, input) => [...input],
  parameters: () => 0,
  macs: () => 0,
  kernel(_name, _node, shapes) {
    const size = shapeSize(shapes.output);
    return { run(input, out, n) { for (let i = 0, len = n * size; i < len; i++) { const v = input[i]; out[i] = v > 0 ? v : 0; } } };
  },
  toOnnx: (e, _node, x) => e.node('Relu', [x]),
  bounds: (_node, x) => ({ lo: x.lo.map((v) => Math.max(v, 0)), hi: x.hi.map((v) => Math.max(v, 0)) }),
};

/** y = min(max(x, min), max). ANN only; Clip(0, max) converts to IF like a ReLU. */
export const Clip: KindSpec<ClipNode> = {
  role: 'stateless',
  annOnly: true,
  tensors: [],
  inferShape(name, node, input) {
    if (!(node.min <= node.max)) throw new GraphError(`Clip min ${node.min} > max ${node.max}`, name);
    return [...input];
  },
  parameters: () => 0,
  macs: () => 0,
  kernel(_name, node, shapes) {
    const size = shapeSize(shapes.output);
    const lo = node.min, hi = node.max;
    return { run(input, out, n) { for (let i = 0, len = n * size; i < len; i++) { const v = input[i]; out[i] = v < lo ? lo : v > hi ? hi : v; } } };
  },
  toOnnx: (e, node, x) => e.node('Clip', [x, e.init('.min', [], [node.min]), e.init('.max', [], [node.max])]),
  bounds: (node, x) => ({
    lo: x.lo.map((v) => Math.min(Math.max(v, node.min), node.max)), hi: x.hi.map((v) => Math.min(Math.max(v, node.min), node.max)),
  }),
};
