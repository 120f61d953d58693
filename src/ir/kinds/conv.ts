import {
  checkTensor, GraphError, nonNegative, positive, shapeSize, view3, windowOut, type Conv2dNode,
} from '../nodes.js';
import type { KindSpec } from '../kind.js';
import { as3 } from '../linear-op.js';
import { affineBounds } from './dense.js';

/** Largest im2col index table kept per conv (Int32 entries); bigger layers use the direct loop. */
const MAX_IM2COL = 1 << 22;
/**
 * Below this fraction of non-zero inputs (spikes), the event-driven scatter beats the dense product
 * (measured on LeNet's second conv: the break-even is near 0.35 with 16 output channels per group; with
 * few channels per group, e.g. depthwise, the scatter's inner loop is too short to pay off as early).
 */
function sparseDensity(ocPerGroup: number): number {
  return ocPerGroup >= 8 ? 0.3 : 0.1;
}

/**
 * A convolution prepared once per run. Dense inputs go through im2col (a gather table built once) and a
 * row-axpy product whose inner loop runs over the whole output plane; sparse inputs (spikes) are
 * scattered event by event, input → every output it reaches, so silent neurons cost nothing.
 */
class ConvKernel {
  private readonly inSize: number;
  private readonly plane: number;
  private readonly k: number;
  private readonly ocPerGroup: number;
  private readonly gather?: Int32Array;
  private readonly col?: Float32Array;
  private readonly scatterWeights: Float32Array;
  private readonly hwc: Float32Array;
  /** Per input position (y·W + x): where its fan-out starts in the two tables below. */
  private readonly fanStart: Int32Array;
  /** Fan-out of one input position: offset into `hwc` (output position × channels) and kernel tap offset. */
  private readonly fanOut: Int32Array;
  private readonly fanTap: Int32Array;

  constructor(private readonly node: Conv2dNode, private readonly inShape: number[], private readonly outShape: number[]) {
    const [inC, inH, inW] = inShape;
    const [outC, outH, outW] = outShape;
    const [, icPerGroup, kh, kw] = node.weight.shape;
    this.inSize = inC * inH * inW;
    this.plane = outH * outW;
    this.k = icPerGroup * kh * kw;
    this.ocPerGroup = outC / node.groups;
    if (this.k * this.plane <= MAX_IM2COL) {
      const [sy, sx] = node.stride;
      const [dy, dx] = node.dilation;
      const [pt, pl] = node.padding;
      const gather = new Int32Array(this.k * this.plane);
      for (let icg = 0; icg < icPerGroup; icg++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
        const row = ((icg * kh + ky) * kw + kx) * this.plane;
        for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++) {
          const iy = oy * sy + ky * dy - pt;
          const ix = ox * sx + kx * dx - pl;
          // im2row: one contiguous row of the receptive field per output position.
          gather[(oy * outW + ox) * this.k + row / this.plane] = iy >= 0 && iy < inH && ix >= 0 && ix < inW ? (icg * inH + iy) * inW + ix : -1;
        }
      }
      this.gather = gather;
      this.col = new Float32Array(this.k * this.plane);
    }
    // Scatter layout [group][icg][ky][kx][ocg]: the innermost loop runs over output channels.
    const w = node.weight.data;
    const ws = new Float32Array(w.length);
    const opg = this.ocPerGroup;
    for (let g = 0; g < node.groups; g++) for (let j = 0; j < opg; j++) for (let r = 0; r < this.k; r++) {
      ws[(g * this.k + r) * opg + j] = w[(g * opg + j) * this.k + r];
    }
    this.scatterWeights = ws;
    this.hwc = new Float32Array(this.plane * outC);
    // The outputs each input position reaches depend only on geometry: list them once.
    const [sy, sx] = node.stride;
    const [dy, dx] = node.dilation;
    const [pt, pl] = node.padding;
    const starts = new Int32Array(inH * inW + 1);
    const outs: number[] = [];
    const taps: number[] = [];
    for (let iy = 0; iy < inH; iy++) for (let ix = 0; ix < inW; ix++) {
      starts[iy * inW + ix] = outs.length;
      for (let ky = 0; ky < kh; ky++) {
        const ny = iy + pt - ky * dy;
        if (ny < 0 || ny % sy !== 0 || ny / sy >= outH) continue;
        for (let kx = 0; kx < kw; kx++) {
          const nx = ix + pl - kx * dx;
          if (nx < 0 || nx % sx !== 0 || nx / sx >= outW) continue;
          outs.push(((ny / sy) * outW + nx / sx) * outC);
          taps.push((ky * kw + kx) * opg);
        }
      }
    }
    starts[inH * inW] = outs.length;
    this.fanStart = starts;
    this.fanOut = Int32Array.from(outs);
    this.fanTap = Int32Array.from(taps);
  }

  run(input: Float32Array, inBase: number, out: Float32Array, outBase: number): void {
    let nonZero = 0;
    for (let i = inBase, end = inBase + this.inSize; i < end; i++) if (input[i] !== 0) nonZero++;
    if (nonZero < sparseDensity(this.ocPerGroup) * this.inSize) this.scatter(input, inBase, out, outBase);
    else if (this.gather) this.im2col(input, inBase, out, outBase);
    else conv2d(this.node, input, inBase, out, outBase, this.inShape, this.outShape);
  }

  /**
   * Dense path: gather each output position's receptive field into a contiguous row (im2row), then one
   * dot product per output, four output channels at a time so every gathered value is loaded once per four
   * multiply-adds and the sums stay in registers.
   */
  private im2col(input: Float32Array, inBase: number, out: Float32Array, outBase: number): void {
    const { node, plane, k, ocPerGroup } = this;
    const gather = this.gather!;
    const rows = this.col!;
    const w = node.weight.data;
    const bias = node.bias?.data;
    const groupInput = (this.inShape[0] / node.groups) * this.inShape[1] * this.inShape[2];
    for (let g = 0; g < node.groups; g++) {
      const base = inBase + g * groupInput;
      for (let j = 0; j < gather.length; j++) {
        const idx = gather[j];
        rows[j] = idx < 0 ? 0 : input[base + idx];
      }
      const first = g * ocPerGroup;
      const last = first + ocPerGroup;
      let oc = first;
      for (; oc + 4 <= last; oc += 4) {
        const w0 = oc * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
        const b0 = bias ? bias[oc] : 0, b1 = bias ? bias[oc + 1] : 0, b2 = bias ? bias[oc + 2] : 0, b3 = bias ? bias[oc + 3] : 0;
        const o0 = outBase + oc * plane, o1 = o0 + plane, o2 = o1 + plane, o3 = o2 + plane;
        for (let p = 0; p < plane; p++) {
          const r0 = p * k;
          let s0 = b0, s1 = b1, s2 = b2, s3 = b3;
          for (let r = 0; r < k; r++) {
            const x = rows[r0 + r];
            s0 += w[w0 + r] * x;
            s1 += w[w1 + r] * x;
            s2 += w[w2 + r] * x;
            s3 += w[w3 + r] * x;
          }
          out[o0 + p] = s0; out[o1 + p] = s1; out[o2 + p] = s2; out[o3 + p] = s3;
        }
      }
      for (; oc < last; oc++) {
        const w0 = oc * k;
        const o0 = outBase + oc * plane;
        for (let p = 0; p < plane; p++) {
          const r0 = p * k;
          let s0 = bias ? bias[oc] : 0;
          for (let r = 0; r < k; r++) s0 += w[w0 + r] * rows[r0 + r];
          out[o0 + p] = s0;
        }
      }
    }
  }

  private scatter(input: Float32Array, inBase: number, out: Float32Array, outBase: number): void {
    const { node, plane, k, ocPerGroup } = this;
    const [inC, inH, inW] = this.inShape;
    const outC = this.outShape[0];
    const icPerGroup = node.weight.shape[1];
    const ws = this.scatterWeights;
    const hwc = this.hwc;
    const { fanStart, fanOut, fanTap } = this;
    const inPlane = inH * inW;
    hwc.fill(0);
    for (let ic = 0; ic < inC; ic++) {
      const g = Math.floor(ic / icPerGroup);
      const channelOut = g * ocPerGroup;
      const channelTap = (g * k + (ic - g * icPerGroup) * (k / icPerGroup)) * ocPerGroup;
      const iPlane = inBase + ic * inPlane;
      for (let pos = 0; pos < inPlane; pos++) {
        const x = input[iPlane + pos];
        if (x === 0) continue;
        for (let e = fanStart[pos], end = fanStart[pos + 1]; e < end; e++) {
          const t = fanOut[e] + channelOut;
          const wBase = fanTap[e] + channelTap;
          for (let j = 0; j < ocPerGroup; j++) hwc[t + j] += x * ws[wBase + j];
        }
      }
    }
    const bias = node.bias?.data;
    for (let oc = 0; oc < outC; oc++) {
      const b = bias ? bias[oc] : 0;
      const oRow = outBase + oc * plane;
      for (let p = 0; p < plane; p++) out[oRow + p] = b + hwc[p * outC + oc];
    }
  }
}

/**
 * Direct convolution, weight-stationary: for each (out channel, in channel, ky, kx) one scaled row update
 * over the valid output range, so the inner loop is a contiguous axpy without bounds checks.
 */
function conv2d(node: Conv2dNode, input: Float32Array, inBase: number, out: Float32Array, outBase: number, inShape: number[], outShape: number[]): void {
  const [inC, inH, inW] = inShape;
  const [outC, outH, outW] = outShape;
  const [, icPerGroup, kh, kw] = node.weight.shape;
  const w = node.weight.data;
  const bias = node.bias?.data;
  const [sy, sx] = node.stride;
  const [dy, dx] = node.dilation;
  const [pt, pl] = node.padding;
  const ocPerGroup = outC / node.groups;
  const plane = outH * outW;
  for (let oc = 0; oc < outC; oc++) {
    const oBase = outBase + oc * plane;
    const b0 = bias ? bias[oc] : 0;
    out.fill(b0, oBase, oBase + plane);
    const g = Math.floor(oc / ocPerGroup);
    for (let icg = 0; icg < icPerGroup; icg++) {
      const ic = g * icPerGroup + icg;
      if (ic >= inC) break;
      const iPlane = inBase + ic * inH * inW;
      for (let ky = 0; ky < kh; ky++) {
        const offY = ky * dy - pt;
        // valid oy: 0 <= oy*sy + offY < inH
        const oyStart = Math.max(0, Math.ceil(-offY / sy));
        const oyEnd = Math.min(outH, Math.floor((inH - 1 - offY) / sy) + 1);
        for (let kx = 0; kx < kw; kx++) {
          const wv = w[((oc * icPerGroup + icg) * kh + ky) * kw + kx];
          if (wv === 0) continue;
          const offX = kx * dx - pl;
          const oxStart = Math.max(0, Math.ceil(-offX / sx));
          const oxEnd = Math.min(outW, Math.floor((inW - 1 - offX) / sx) + 1);
          if (oxStart >= oxEnd) continue;
          for (let oy = oyStart; oy < oyEnd; oy++) {
            const iRow = iPlane + (oy * sy + offY) * inW + offX;
            const oRow = oBase + oy * outW;
            if (sx === 1) {
              for (let ox = oxStart; ox < oxEnd; ox++) out[oRow + ox] += wv * input[iRow + ox];
            } else {
              for (let ox = oxStart; ox < oxEnd; ox++) out[oRow + ox] += wv * input[iRow + ox * sx];
            }
          }
        }
      }
    }
  }
}

/**
 * 2-D convolution (NIR Conv2d): y[o] = b[o] + Σ_{i in group(o), ky, kx} W[o, i, ky, kx] · x[i, y·s + ky·d − p, …].
 * weight `[out, in/groups, kh, kw]`; padding is explicit `[top, left, bottom, right]`, zeros outside. Over a
 * `[C, L]` sequence it is the convolution over `[C, 1, L]` (ONNX's and NIR's 1-D convolution), output `[C', L']`.
 */
export const Conv2d: KindSpec<Conv2dNode> = {
  role: 'synaptic',
  tensors: ['weight', 'bias'],
  inferShape(name, node, input) {
    if (input.length !== 3 && input.length !== 2) throw new GraphError(`Conv2d needs a [C, H, W] input (or a [C, L] sequence), got [${input}]`, name);
    const [c, h, w] = view3(input);
    checkTensor(name, 'weight', node.weight);
    const [out, inPerGroup, kh, kw] = node.weight.shape;
    if (node.weight.shape.length !== 4) throw new GraphError(`weight must be [out, in/groups, kh, kw], got [${node.weight.shape}]`, name);
    positive(name, 'stride', node.stride); positive(name, 'dilation', node.dilation); positive(name, 'groups', [node.groups]);
    nonNegative(name, 'padding', node.padding);
    if (c % node.groups !== 0 || out % node.groups !== 0 || c / node.groups !== inPerGroup) {
      throw new GraphError(`weight [${node.weight.shape}] with groups=${node.groups} does not match ${c} input channels`, name);
    }
    if (node.bias) checkTensor(name, 'bias', node.bias, [out]);
    const outH = windowOut(h, kh, node.stride[0], node.padding[0], node.padding[2], node.dilation[0], name);
    const outW = windowOut(w, kw, node.stride[1], node.padding[1], node.padding[3], node.dilation[1], name);
    if (input.length === 2) {
      if (outH !== 1) throw new GraphError(`over a [C, L] sequence the kernel must be [1, k] without padding along the missing axis (weight [${node.weight.shape}], padding [${node.padding}])`, name);
      return [out, outW];
    }
    return [out, outH, outW];
  },
  parameters: (node) => node.weight.data.length + (node.bias?.data.length ?? 0),
  macs: (node, shapes) => shapeSize(shapes.output) * node.weight.shape[1] * node.weight.shape[2] * node.weight.shape[3],
  kernel(_name, node, shapes) {
    const k = new ConvKernel(node, view3(shapes.input), view3(shapes.output));
    const inSize = shapeSize(shapes.input);
    const outSize = shapeSize(shapes.output);
    return { run: (input, out, n) => { for (let b = 0; b < n; b++) k.run(input, b * inSize, out, b * outSize); } };
  },
  toOnnx(e, node, x, shapes) {
    const oneD = shapes.input.length === 2;
    // A sequence's convolution is ONNX's 1-D Conv: weight [out, in/groups, k], attributes along L only.
    const [o, i, , kw] = node.weight.shape;
    const inputs = [x, e.init('.weight', oneD ? [o, i, kw] : node.weight.shape, node.weight.data)];
    if (node.bias) inputs.push(e.init('.bias', node.bias.shape, node.bias.data));
    const along = (v: readonly number[]) => (oneD ? [v[1]] : [...v]);
    return e.node('Conv', inputs, {
      kernel_shape: e.attr.ints(along(node.weight.shape.slice(2))), strides: e.attr.ints(along(node.stride)),
      pads: e.attr.ints(oneD ? [node.padding[1], node.padding[3]] : node.padding), dilations: e.attr.ints(along(node.dilation)), group: e.attr.int(node.groups),
    });
  },
  linear: (_name, node, shapes) => ({
    kind: 'conv', inShape: as3(shapes.input), outShape: as3(shapes.output), w: node.weight.data, kernel: [node.weight.shape[2], node.weight.shape[3]],
    stride: [...node.stride], padding: [...node.padding], dilation: [...node.dilation], groups: node.groups,
  }),
  bias: (node) => node.bias?.data ?? null,
  bounds(node, x, shapes) {
    // An interior output bounds every position: padding only removes terms.
    const [, cinG, kh, kw] = node.weight.shape;
    const outC = shapes.output[0];
    const coutG = outC / node.groups;
    return affineBounds(node.weight.data, outC, cinG * kh * kw, (o, k) => Math.floor(o / coutG) * cinG + Math.floor(k / (kh * kw)), x, node.bias?.data);
  },
};
