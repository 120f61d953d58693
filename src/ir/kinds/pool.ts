import { GraphError, nonNegative, positive, shapeSize, view3, windowOut, type PoolNode } from '../nodes.js';
import type { Interval, KindSpec } from '../kind.js';
import { as3 } from '../linear-op.js';

function pool(node: PoolNode, input: Float32Array, inBase: number, out: Float32Array, outBase: number, inShape: number[], outShape: number[]): void {
  const [channels, inH, inW] = inShape;
  const [, outH, outW] = outShape;
  const [kh, kw] = node.kernel;
  const [sy, sx] = node.stride;
  const [pt, pl] = node.padding;
  const isMax = node.kind === 'MaxPool2d';
  const isAvg = node.kind === 'AvgPool2d';
  const includePad = node.countIncludePad ?? true;
  if (!isMax && kh === 2 && kw === 2 && sy === 2 && sx === 2 && pt === 0 && pl === 0 && node.padding[2] === 0 && node.padding[3] === 0) {
    // The common 2×2/2 average or sum pool of converted networks, without the general bookkeeping.
    const k = isAvg ? 0.25 : 1;
    for (let c = 0; c < channels; c++) {
      const iPlane = inBase + c * inH * inW;
      let o = outBase + c * outH * outW;
      for (let oy = 0; oy < outH; oy++) {
        const r0 = iPlane + 2 * oy * inW;
        const r1 = r0 + inW;
        for (let ox = 0; ox < outW; ox++, o++) {
          const x = 2 * ox;
          out[o] = (input[r0 + x] + input[r0 + x + 1] + input[r1 + x] + input[r1 + x + 1]) * k;
        }
      }
    }
    return;
  }
  for (let c = 0; c < channels; c++) {
    const iPlane = inBase + c * inH * inW;
    const oPlane = outBase + c * outH * outW;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * sy - pt;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(inH, y0 + kh);
      for (let ox = 0; ox < outW; ox++) {
        const x0 = ox * sx - pl;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(inW, x0 + kw);
        let acc = isMax ? -Infinity : 0;
        for (let y = yStart; y < yEnd; y++) {
          const row = iPlane + y * inW;
          if (isMax) for (let x = xStart; x < xEnd; x++) { const v = input[row + x]; if (v > acc) acc = v; }
          else for (let x = xStart; x < xEnd; x++) acc += input[row + x];
        }
        if (isAvg) {
          // ONNX: with count_include_pad the divisor counts padded cells but never cells past the padding.
          const count = includePad
            ? (Math.min(y0 + kh, inH + node.padding[2]) - y0) * (Math.min(x0 + kw, inW + node.padding[3]) - x0)
            : (yEnd - yStart) * (xEnd - xStart);
          acc = count > 0 ? acc / count : 0;
        }
        if (isMax && acc === -Infinity) acc = 0;
        out[oPlane + oy * outW + ox] = acc;
      }
    }
  }
}

function poolSpec(kind: PoolNode['kind']): KindSpec<PoolNode> {
  return {
    role: 'stateless',
    annOnly: kind === 'MaxPool2d',
    tensors: [],
    inferShape(name, node, input) {
      if (input.length !== 3 && input.length !== 2) throw new GraphError(`${node.kind} needs a [C, H, W] input (or a [C, L] sequence), got [${input}]`, name);
      positive(name, 'kernel', node.kernel); positive(name, 'stride', node.stride); nonNegative(name, 'padding', node.padding);
      const [c, h, w] = view3(input);
      const outH = windowOut(h, node.kernel[0], node.stride[0], node.padding[0], node.padding[2], 1, name);
      const outW = windowOut(w, node.kernel[1], node.stride[1], node.padding[1], node.padding[3], 1, name);
      if (input.length === 2) {
        if (outH !== 1) throw new GraphError(`over a [C, L] sequence the window must be [1, k] without padding along the missing axis (kernel [${node.kernel}], padding [${node.padding}])`, name);
        return [c, outW];
      }
      return [c, outH, outW];
    },
    parameters: () => 0,
    macs: () => 0,
    kernel(_name, node, shapes) {
      const inSize = shapeSize(shapes.input);
      const outSize = shapeSize(shapes.output);
      const [i3, o3] = [view3(shapes.input), view3(shapes.output)];
      return { run: (input, out, n) => { for (let b = 0; b < n; b++) pool(node, input, b * inSize, out, b * outSize, i3, o3); } };
    },
    toOnnx(e, node, x, shapes) {
      // A sequence's pooling is ONNX's 1-D pooling: attributes along L only.
      const oneD = shapes.input.length === 2;
      const along = (v: readonly number[]) => (oneD ? [v[1]] : [...v]);
      const pooling = {
        kernel_shape: e.attr.ints(along(node.kernel)), strides: e.attr.ints(along(node.stride)),
        pads: e.attr.ints(oneD ? [node.padding[1], node.padding[3]] : node.padding),
      };
      if (node.kind === 'MaxPool2d') return e.node('MaxPool', [x], pooling);
      const include = node.kind === 'SumPool2d' || (node.countIncludePad ?? true);
      const avg = e.node('AveragePool', [x], { ...pooling, count_include_pad: e.attr.int(include ? 1 : 0) }, node.kind === 'SumPool2d' ? { suffix: '/avg' } : {});
      // A sum pool is the average over the full window times its area (padding counted as zeros).
      return node.kind === 'SumPool2d' ? e.node('Mul', [avg, e.init('.area', [], [node.kernel[0] * node.kernel[1]])]) : avg;
    },
    ...(kind === 'MaxPool2d' ? {} : {
      linear(name: string, node: PoolNode, shapes: { input: number[]; output: number[] }) {
        const i3 = as3(shapes.input);
        const [kh, kw] = node.kernel;
        if (node.kind === 'AvgPool2d' && node.padding.some((p) => p > 0) && node.countIncludePad === false) {
          throw new GraphError('average pooling that excludes padding from its divisor is not a convolution; re-export with count_include_pad=1 or without padding', name);
        }
        const value = node.kind === 'AvgPool2d' ? 1 / (kh * kw) : 1;
        return {
          kind: 'conv' as const, inShape: i3, outShape: as3(shapes.output), w: new Float32Array(i3[0] * kh * kw).fill(value),
          kernel: [kh, kw] as [number, number], stride: [...node.stride] as [number, number], padding: [...node.padding] as [number, number, number, number],
          dilation: [1, 1] as [number, number], groups: i3[0],
        };
      },
    }),
    bounds(node, x): Interval {
      if (node.kind === 'SumPool2d') {
        const n = node.kernel[0] * node.kernel[1];
        return { lo: x.lo.map((v) => Math.min(v * n, 0)), hi: x.hi.map((v) => Math.max(v * n, 0)) };
      }
      // Padding contributes zeros: the interval widens to include 0 when padded.
      if (node.padding.some((p) => p > 0)) return { lo: x.lo.map((v) => Math.min(v, 0)), hi: x.hi.map((v) => Math.max(v, 0)) };
      return x;
    },
  };
}

/** SumPool2d: y = Σ window (NIR). */
export const SumPool2d = poolSpec('SumPool2d');
/** AvgPool2d: y = Σ window / count (NIR; `countIncludePad` as ONNX's count_include_pad). */
export const AvgPool2d = poolSpec('AvgPool2d');
/** MaxPool2d: ANN only (lowered to average pooling or refused before a chip sees it). */
export const MaxPool2d = poolSpec('MaxPool2d');
