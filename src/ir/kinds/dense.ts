import { checkTensor, GraphError, shapeSize, type AffineNode, type LinearNode, type NodeShapes } from '../nodes.js';
import type { Interval, Kernel, KindSpec } from '../kind.js';
import { as3 } from '../linear-op.js';

function inferDense(name: string, node: AffineNode | LinearNode, input: number[]): number[] {
  if (input.length !== 1) throw new GraphError(`${node.kind} needs a flat input, got [${input}] (insert a Flatten)`, name);
  checkTensor(name, 'weight', node.weight);
  if (node.weight.shape.length !== 2 || node.weight.shape[1] !== input[0]) {
    throw new GraphError(`weight has shape [${node.weight.shape}], input has ${input[0]} features`, name);
  }
  if (node.kind === 'Affine') checkTensor(name, 'bias', node.bias, [node.weight.shape[0]]);
  return [node.weight.shape[0]];
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
  return t;
}

/** y = W x (+ b) via the transposed weights: one contiguous row per input, skipped when the input is 0 (sparse spikes). */
function denseKernel(node: AffineNode | LinearNode, shapes: NodeShapes): Kernel {
  const inSize = shapeSize(shapes.input);
  const outSize = shapeSize(shapes.output);
  const wT = transpose(node.weight.data, node.weight.shape[0], node.weight.shape[1]);
  const bias = node.kind === 'Affine' ? node.bias.data : undefined;
  const acc = new Float64Array(outSize);
  return {
    run(input, out, n) {
      for (let b = 0; b < n; b++) {
        if (bias) for (let o = 0; o < outSize; o++) acc[o] = bias[o];
        else acc.fill(0);
        const xBase = b * inSize;
        for (let i = 0; i < inSize; i++) {
          const x = input[xBase + i];
          if (x === 0) continue;
          const row = i * outSize;
          for (let o = 0; o < outSize; o++) acc[o] += x * wT[row + o];
        }
        const oBase = b * outSize;
        for (let o = 0; o < outSize; o++) out[oBase + o] = acc[o];
      }
    },
  };
}

/** Interval of y = W x + b per output for x within `x`: exact for one affine layer. */
export function affineBounds(w: Float32Array, outC: number, perOut: number, inputOf: (o: number, k: number) => number, x: Interval, bias?: Float32Array): Interval {
  const y: Interval = { lo: new Float64Array(outC), hi: new Float64Array(outC) };
  for (let o = 0; o < outC; o++) {
    let lo = bias ? bias[o] : 0;
    let hi = lo;
    for (let k = 0; k < perOut; k++) {
      const v = w[o * perOut + k];
      const i = inputOf(o, k);
      if (v >= 0) { lo += v * x.lo[i]; hi += v * x.hi[i]; } else { lo += v * x.hi[i]; hi += v * x.lo[i]; }
    }
    y.lo[o] = lo; y.hi[o] = hi;
  }
  return y;
}

const denseBounds = (node: AffineNode | LinearNode, x: Interval, shapes: NodeShapes): Interval =>
  affineBounds(node.weight.data, shapeSize(shapes.output), shapeSize(shapes.input), (_o, k) => k, x, node.kind === 'Affine' ? node.bias.data : undefined);

/** y = W x + b, W of shape `[out, in]` (NIR Affine). Exported to ONNX as Gemm with transB. */
export const Affine: KindSpec<AffineNode> = {
  role: 'synaptic',
  tensors: ['weight', 'bias'],
  inferShape: inferDense,
  parameters: (node) => node.weight.data.length + node.bias.data.length,
  macs: (node) => node.weight.data.length,
  kernel: (_name, node, shapes) => denseKernel(node, shapes),
  toOnnx: (e, node, x) => e.node('Gemm', [x, e.init('.weight', node.weight.shape, node.weight.data), e.init('.bias', node.bias.shape, node.bias.data)], { transB: e.attr.int(1) }),
  linear: (_name, node, shapes) => ({ kind: 'dense', inShape: as3(shapes.input), outShape: as3(shapes.output), w: node.weight.data }),
  bias: (node) => node.bias.data,
  bounds: denseBounds,
};

/** y = W x, W of shape `[out, in]` (NIR Linear). Exported to ONNX as MatMul by Wᵀ. */
export const Linear: KindSpec<LinearNode> = {
  role: 'synaptic',
  tensors: ['weight'],
  inferShape: inferDense,
  parameters: (node) => node.weight.data.length,
  macs: (node) => node.weight.data.length,
  kernel: (_name, node, shapes) => denseKernel(node, shapes),
  toOnnx: (e, node, x) => {
    const [rows, cols] = node.weight.shape;
    return e.node('MatMul', [x, e.init('.weight', [cols, rows], transpose(node.weight.data, rows, cols))]);
  },
  linear: (_name, node, shapes) => ({ kind: 'dense', inShape: as3(shapes.input), outShape: as3(shapes.output), w: node.weight.data }),
  bounds: denseBounds,
};
