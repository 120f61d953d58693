import { channelsOf, GraphError, shapeSize, view3, type IndexMapNode } from '../nodes.js';
import type { Interval, KindSpec } from '../kind.js';
import type { ConvOp, LinOp } from '../linear-op.js';
import type { AttrValue } from '../../onnx/builder.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const isIdentity = (t: readonly number[], n: number) => t.length === n && t.every((c, i) => c === i);
const permOf = (node: IndexMapNode) => node.perm ?? range(node.index.length);

/** Row-major strides of a shape. */
function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** The flat input index every output element reads (−1: the output is 0), for an input of per-sample shape `input`. */
export function indexTable(node: IndexMapNode, input: readonly number[]): Int32Array {
  const perm = permOf(node);
  const inStrides = strides(input);
  let table = Int32Array.of(0);
  node.index.forEach((coords, k) => {
    const stride = inStrides[perm[k]];
    const next = new Int32Array(table.length * coords.length);
    let o = 0;
    for (const base of table) for (const c of coords) next[o++] = base < 0 || c < 0 ? -1 : base + c * stride;
    table = next;
  });
  return table;
}

/** The number of zeros (−1) at the start and end of a table that is otherwise 0, 1, …, n − 1; null if it is not. */
function shiftPad(t: readonly number[], n: number): [number, number] | null {
  let before = 0;
  while (before < t.length && t[before] === -1) before++;
  if (t.length - before < n) return null;
  for (let i = 0; i < n; i++) if (t[before + i] !== i) return null;
  for (let i = before + n; i < t.length; i++) if (t[i] !== -1) return null;
  return [before, t.length - before - n];
}

/**
 * An index map: every output neuron is one input neuron or zero (see IndexMapNode). Lowering composes it into
 * the projections around it exactly: as a 1×1 convolution when it only selects or places channels and pads
 * (a Concat's placement, zero padding), otherwise as a gather whose composition with a dense layer permutes or
 * sums its columns (a Transpose before a flatten and a Gemm folds into the Gemm's weights).
 */
export const IndexMap: KindSpec<IndexMapNode> = {
  role: 'stateless',
  tensors: [],
  inferShape(name, node, input) {
    const rank = input.length;
    if (!Array.isArray(node.index) || node.index.length !== rank) throw new GraphError(`IndexMap needs one coordinate list per input axis (${rank}), got ${Array.isArray(node.index) ? node.index.length : 'none'}`, name);
    const perm = permOf(node);
    if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) throw new GraphError(`perm [${perm}] is not a permutation of the ${rank} input axes`, name);
    node.index.forEach((coords, k) => {
      const n = input[perm[k]];
      if (!Array.isArray(coords) || coords.length === 0) throw new GraphError(`output axis ${k} has no coordinates`, name);
      for (const c of coords) if (!(Number.isInteger(c) && c >= -1 && c < n)) throw new GraphError(`output axis ${k} reads input axis ${perm[k]} (size ${n}) at ${c}`, name);
    });
    return node.index.map((coords) => coords.length);
  },
  parameters: () => 0,
  macs: () => 0,
  kernel(_name, node, shapes) {
    const table = indexTable(node, shapes.input);
    const inSize = shapeSize(shapes.input);
    const outSize = table.length;
    return {
      run(input, out, n) {
        for (let b = 0; b < n; b++) {
          const i0 = b * inSize;
          const o0 = b * outSize;
          for (let j = 0; j < outSize; j++) { const i = table[j]; out[o0 + j] = i < 0 ? 0 : input[i0 + i]; }
        }
      },
    };
  },
  toOnnx(e, node, x, shapes) {
    // Transpose for the axis order, then per axis a Gather of its coordinates; a zero (−1) reads one element
    // of zeros padded at the end of that axis.
    const perm = permOf(node);
    const rank = perm.length;
    const steps: { op: string; inputs: (v: string) => string[]; attrs: Record<string, AttrValue> }[] = [];
    if (!perm.every((p, i) => p === i)) steps.push({ op: 'Transpose', inputs: (v) => [v], attrs: { perm: e.attr.ints([0, ...perm.map((p) => p + 1)]) } });
    node.index.forEach((coords, k) => {
      const n = shapes.input[perm[k]];
      if (isIdentity(coords, n)) return;
      let indices = coords;
      if (coords.includes(-1)) {
        const pads = new Array(2 * (rank + 1)).fill(0);
        pads[rank + 1 + k + 1] = 1;
        steps.push({ op: 'Pad', inputs: (v) => [v, e.init(`.pads${k}`, [pads.length], pads, 'int64')], attrs: { mode: e.attr.string('constant') } });
        indices = coords.map((c) => (c < 0 ? n : c));
      }
      steps.push({ op: 'Gather', inputs: (v) => [v, e.init(`.index${k}`, [indices.length], indices, 'int64')], attrs: { axis: e.attr.int(k + 1) } });
    });
    let v = x;
    steps.forEach((s, i) => { v = e.node(s.op, s.inputs(v), s.attrs, i < steps.length - 1 ? { suffix: `/${s.op.toLowerCase()}${i}` } : {}); });
    return v;
  },
  linear(_name, node, shapes): LinOp {
    const i3 = view3(shapes.input);
    const o3 = view3(shapes.output);
    const perm = permOf(node);
    const flat = i3[1] * i3[2] === 1 && o3[1] * o3[2] === 1;
    if (perm.every((p, i) => p === i) && !flat) {
      // The map per axis of the [C, H, W] view (a sequence has no H axis: its H map is the identity on 1).
      const viewAxes = shapes.input.length === 3 ? [0, 1, 2] : shapes.input.length === 2 ? [0, 2] : [0];
      const maps = [range(i3[0]), range(i3[1]), range(i3[2])];
      node.index.forEach((coords, k) => { maps[viewAxes[k]] = coords; });
      const rows = shiftPad(maps[1], i3[1]);
      const cols = shiftPad(maps[2], i3[2]);
      if (rows && cols) {
        // Channels selected or placed, rows and columns padded with zeros: a 1×1 convolution with that padding.
        const padding: ConvOp['padding'] = [rows[0], cols[0], rows[1], cols[1]];
        const base = { kind: 'conv' as const, inShape: i3, outShape: o3, kernel: [1, 1] as [number, number], stride: [1, 1] as [number, number], padding, dilation: [1, 1] as [number, number] };
        if (isIdentity(maps[0], i3[0])) return { ...base, w: new Float32Array(i3[0]).fill(1), groups: i3[0] };
        const w = new Float32Array(o3[0] * i3[0]);
        maps[0].forEach((c, o) => { if (c >= 0) w[o * i3[0] + c] = 1; });
        return { ...base, w, groups: 1 };
      }
    }
    return { kind: 'gather', inShape: i3, outShape: o3, index: indexTable(node, shapes.input) };
  },
  bounds(node, x, shapes): Interval {
    const outC = channelsOf(shapes.output);
    const lo = new Float64Array(outC);
    const hi = new Float64Array(outC);
    if (shapes.input.length === 1) {
      node.index[0].forEach((c, j) => { lo[j] = c < 0 ? 0 : x.lo[c]; hi[j] = c < 0 ? 0 : x.hi[c]; });
      return { lo, hi };
    }
    const perm = permOf(node);
    const zeros = node.index.some((coords) => coords.includes(-1));
    const widen = (c: number, l: number, h: number) => { lo[c] = zeros ? Math.min(l, 0) : l; hi[c] = zeros ? Math.max(h, 0) : h; };
    if (perm[0] === 0) {
      // Output channel c is input channel index[0][c] (or zero).
      node.index[0].forEach((c, o) => widen(o, c < 0 ? 0 : x.lo[c], c < 0 ? 0 : x.hi[c]));
    } else {
      // Channels come from another axis: any input channel may land in any output channel.
      const l = Math.min(...x.lo);
      const h = Math.max(...x.hi);
      for (let o = 0; o < outC; o++) widen(o, l, h);
    }
    return { lo, hi };
  },
};

/** The one index map equal to `first` then `second`. */
export function composeIndexMaps(first: IndexMapNode, second: IndexMapNode): IndexMapNode {
  const p1 = permOf(first);
  const p2 = permOf(second);
  const perm = p2.map((a) => p1[a]);
  const index = second.index.map((coords, k) => coords.map((c) => (c < 0 ? -1 : first.index[p2[k]][c])));
  return perm.every((p, i) => p === i) ? { kind: 'IndexMap', index } : { kind: 'IndexMap', perm, index };
}
