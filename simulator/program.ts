/**
 * Event-driven form of a QuantGraph's projections: for every source neuron, the row of (target, weight)
 * pairs its spike adds to the target accumulators. Dense projections keep a transposed weight matrix (a
 * spike adds one contiguous Int32Array row); convolutions get a tap table (weight sharing: per source position,
 * the output positions and kernel taps it reaches; only the taps
 * that fall inside the image exist, as synapses in a core's memory would).
 */
import type { Projection, QuantGraph } from '../compiler/types.js';
import { UserError } from '../src/util/errors.js';

/** The event rows of one projection, source-major. */
export interface EventProjection {
  name: string;
  /** Index of the source population, or −1 for the encoded input. */
  from: number;
  to: number;
  preSize: number;
  postSize: number;
  exponent: number;
  /** Dense: weightsT[pre · postSize + post]. */
  dense: boolean;
  weightsT: Int32Array;
  /** Sparse rows: row i is cols/vals[rowPtr[i] .. rowPtr[i+1]) (empty for convolutions, which use taps or geometry). */
  rowPtr: Int32Array;
  /** Convolutions above EXPAND_LIMIT synapses: rows are walked through the kernel geometry instead
   * of the tap table; rowPtr still gives each row's length. */
  geometry?: ConvGeometry;
  /** Expanded convolutions: the shared-weight tap table the engine scatters through (cols/vals are then empty). */
  taps?: ConvTaps;
  cols: Int32Array;
  vals: Int32Array;
  /** Non-zero weights in each source row (NeuroBench effective ACs per spike). */
  rowNonZero: Int32Array;
  /** Weights stored (every connection) and how many are zero: connection sparsity. */
  connections: number;
  zeroWeights: number;
}

function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function denseRows(p: Projection, preSize: number, postSize: number): Pick<EventProjection, 'weightsT' | 'rowNonZero' | 'zeroWeights'> {
  const w = p.synapse.weights;
  if (w.length !== preSize * postSize) {
    throw new UserError(`projection '${p.name}': ${w.length} weights for ${postSize}×${preSize} dense synapses`);
  }
  const weightsT = new Int32Array(preSize * postSize);
  const rowNonZero = new Int32Array(preSize);
  let zeroWeights = 0;
  for (let post = 0; post < postSize; post++) {
    const base = post * preSize;
    for (let pre = 0; pre < preSize; pre++) {
      const x = w[base + pre];
      weightsT[pre * postSize + post] = x;
      if (x !== 0) rowNonZero[pre]++;
      else zeroWeights++;
    }
  }
  return { weightsT, rowNonZero, zeroWeights };
}

/** Synapses above which a convolution is walked through its kernel geometry instead of its tap table. */
export const EXPAND_LIMIT = 1 << 24;

/** What a source neuron's spike needs to find its targets in a convolution by walking its kernel. */
export interface ConvGeometry {
  ih: number; iw: number; cout: number; oh: number; ow: number; kh: number; kw: number;
  sh: number; sw: number; pt: number; pl: number; dh: number; dw: number;
  inPerGroup: number; outPerGroup: number;
  weights: Int32Array;
}

/**
 * A convolution's synapses factored by weight sharing: which (output position, kernel tap) pairs a source
 * position reaches is the same for every input channel, and each pair fans out to the group's output channels
 * with weights contiguous in `weights`. Far smaller than expanded rows, and one table read per pair rather
 * than per synapse.
 */
export interface ConvTaps {
  /** Source plane (ih · iw) and output plane (oh · ow) sizes. */
  inPlane: number;
  outPlane: number;
  cout: number;
  inPerGroup: number;
  outPerGroup: number;
  /** Kernel taps per channel, kh · kw. */
  kernelSize: number;
  /** Pairs of source position p: at/tap[pairPtr[p] .. pairPtr[p+1]) = output position, kernel tap (ky · kw + kx). */
  pairPtr: Int32Array;
  pairAt: Int32Array;
  pairTap: Int32Array;
  /** weights[(cg · kernelSize + tap) · cout + co], as float64: the scatter adds them to float64 accumulators
   * without an integer-to-float conversion per synaptic event (the integers are exact either way). */
  weights: Float64Array;
}

/**
 * Adds x · w into acc for every target of source `pre` through a tap table. Which targets received input is
 * marked per (group, output position) in `touchedAt` (groups · outPlane): every output channel of the group at
 * that position is a target (zero weights included), so one mark stands for outPerGroup synapses; the engine
 * expands the marks with expandTouched before it reads them.
 */
export function scatterTaps(g: ConvTaps, pre: number, x: number, acc: Float64Array, touchedAt: Uint8Array): void {
  const inPlane = g.inPlane, outPlane = g.outPlane, cout = g.cout, opg = g.outPerGroup;
  const ci = (pre / inPlane) | 0;
  const pos = pre - ci * inPlane;
  const grp = (ci / g.inPerGroup) | 0;
  const cg = ci - grp * g.inPerGroup;
  const co0 = grp * opg;
  const wRow = cg * g.kernelSize;
  const markBase = grp * outPlane;
  const pairAt = g.pairAt, pairTap = g.pairTap, w = g.weights;
  const end = g.pairPtr[pos + 1];
  if (x === 1) {
    // Two output channels per pass: half the loop overhead of the innermost loop.
    const stride2 = 2 * outPlane;
    for (let t = g.pairPtr[pos]; t < end; t++) {
      const at = pairAt[t];
      touchedAt[markBase + at] = 1;
      let post = co0 * outPlane + at;
      const wb = (wRow + pairTap[t]) * cout + co0;
      let c = 0;
      for (; c + 1 < opg; c += 2) {
        acc[post] += w[wb + c];
        acc[post + outPlane] += w[wb + c + 1];
        post += stride2;
      }
      if (c < opg) acc[post] += w[wb + c];
    }
  } else {
    for (let t = g.pairPtr[pos]; t < end; t++) {
      const at = pairAt[t];
      touchedAt[markBase + at] = 1;
      let post = co0 * outPlane + at;
      const wb = (wRow + pairTap[t]) * cout + co0;
      for (let c = 0; c < opg; c++) {
        acc[post] += x * w[wb + c];
        post += outPlane;
      }
    }
  }
}

/** Turns scatterTaps' per-position marks into per-neuron touched flags, clearing the marks. */
export function expandTouched(g: ConvTaps, touchedAt: Uint8Array, touched: Uint8Array): void {
  const outPlane = g.outPlane, opg = g.outPerGroup;
  for (let k = 0; k < touchedAt.length; k++) {
    if (touchedAt[k] === 0) continue;
    touchedAt[k] = 0;
    const grp = (k / outPlane) | 0;
    const at = k - grp * outPlane;
    for (let co = grp * opg, post = co * outPlane + at; co < (grp + 1) * opg; co++, post += outPlane) touched[post] = 1;
  }
}

/**
 * Adds x · w into acc for every target of source `pre` of a convolution (output (oy, ox) of tap (ky, kx) is
 * where oy·stride − pad + ky·dilation lands on the source row), marking the targets in `touched`.
 */
export function scatterConv(g: ConvGeometry, pre: number, x: number, acc: Float64Array, touched: Uint8Array | null, visit?: (post: number, w: number) => void): void {
  const plane = g.ih * g.iw;
  const ci = Math.floor(pre / plane);
  const iy = Math.floor((pre - ci * plane) / g.iw);
  const ix = pre - ci * plane - iy * g.iw;
  const grp = Math.floor(ci / g.inPerGroup);
  const cg = ci - grp * g.inPerGroup;
  const coEnd = (grp + 1) * g.outPerGroup;
  const outPlane = g.oh * g.ow;
  const w = g.weights;
  for (let ky = 0; ky < g.kh; ky++) {
    const ny = iy + g.pt - ky * g.dh;
    if (ny < 0 || ny % g.sh !== 0) continue;
    const oy = ny / g.sh;
    if (oy >= g.oh) continue;
    for (let kx = 0; kx < g.kw; kx++) {
      const nx = ix + g.pl - kx * g.dw;
      if (nx < 0 || nx % g.sw !== 0) continue;
      const ox = nx / g.sw;
      if (ox >= g.ow) continue;
      const at = oy * g.ow + ox;
      for (let co = grp * g.outPerGroup; co < coEnd; co++) {
        const post = co * outPlane + at;
        const weight = w[((co * g.inPerGroup + cg) * g.kh + ky) * g.kw + kx];
        if (visit) { visit(post, weight); continue; }
        acc[post] += x * weight;
        if (touched) touched[post] = 1;
      }
    }
  }
}

function convRows(p: Projection, preSize: number, expandLimit: number): Pick<EventProjection, 'rowPtr' | 'cols' | 'vals' | 'rowNonZero' | 'connections' | 'zeroWeights' | 'geometry' | 'taps'> {
  const s = p.synapse;
  if (s.kind !== 'conv') throw new Error('convRows on a dense projection');
  const [cin, ih, iw] = p.preShape;
  const [cout, oh, ow] = p.postShape;
  if (p.preShape.length !== 3 || p.postShape.length !== 3) {
    throw new UserError(`projection '${p.name}': convolution needs [C, H, W] shapes, got [${p.preShape}] → [${p.postShape}]`);
  }
  const [kh, kw] = s.kernel;
  const [sh, sw] = s.stride;
  const [pt, pl] = s.padding;
  const [dh, dw] = s.dilation;
  const inPerGroup = cin / s.groups;
  const outPerGroup = cout / s.groups;
  if (s.weights.length !== cout * inPerGroup * kh * kw) {
    throw new UserError(`projection '${p.name}': ${s.weights.length} conv weights, expected ${cout}×${inPerGroup}×${kh}×${kw}`);
  }
  const taps = convTaps(s, ih, iw, cout, oh, ow, inPerGroup, outPerGroup);
  // Row lengths and non-zero counts from the tap table: each (output position, tap) pair a source reaches is
  // outPerGroup synapses, of which nonZeroOf[(cg · kernelSize + tap) · groups + group] have a non-zero weight.
  const groups = s.groups, kernelSize = taps.kernelSize;
  const nonZeroOf = new Int32Array(inPerGroup * kernelSize * groups);
  for (let cg = 0; cg < inPerGroup; cg++) {
    for (let k = 0; k < kernelSize; k++) {
      for (let co = 0; co < cout; co++) {
        if (taps.weights[(cg * kernelSize + k) * cout + co] !== 0) nonZeroOf[(cg * kernelSize + k) * groups + Math.floor(co / outPerGroup)]++;
      }
    }
  }
  const rowPtr = new Int32Array(preSize + 1);
  const rowNonZero = new Int32Array(preSize);
  let nonZero = 0;
  for (let ci = 0; ci < cin; ci++) {
    const grp = Math.floor(ci / inPerGroup), cg = ci - grp * inPerGroup;
    for (let pos = 0; pos < taps.inPlane; pos++) {
      const i = ci * taps.inPlane + pos;
      const first = taps.pairPtr[pos], last = taps.pairPtr[pos + 1];
      let nnz = 0;
      for (let t = first; t < last; t++) nnz += nonZeroOf[(cg * kernelSize + taps.pairTap[t]) * groups + grp];
      rowPtr[i + 1] = rowPtr[i] + (last - first) * outPerGroup;
      rowNonZero[i] = nnz;
      nonZero += nnz;
    }
  }
  const total = rowPtr[preSize];
  const zeroWeights = total - nonZero;
  const empty = new Int32Array(0);
  if (total > expandLimit) {
    const geometry: ConvGeometry = {
      ih, iw, cout, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw, inPerGroup, outPerGroup, weights: s.weights,
    };
    return { rowPtr, cols: empty, vals: empty, rowNonZero, connections: total, zeroWeights, geometry };
  }
  return { rowPtr, cols: empty, vals: empty, rowNonZero, connections: total, zeroWeights, taps };
}

/** The tap table of a convolution: per source position, the (output position, tap) pairs it reaches. */
function convTaps(s: Extract<Projection['synapse'], { kind: 'conv' }>, ih: number, iw: number, cout: number, oh: number, ow: number, inPerGroup: number, outPerGroup: number): ConvTaps {
  const [kh, kw] = s.kernel;
  const [sh, sw] = s.stride;
  const [pt, pl] = s.padding;
  const [dh, dw] = s.dilation;
  const inPlane = ih * iw;
  const pairPtr = new Int32Array(inPlane + 1);
  const at: number[] = [], tap: number[] = [];
  // Same enumeration as scatterConv: output (oy, ox) of tap (ky, kx) lands on source row oy·stride − pad + ky·dilation.
  for (let iy = 0; iy < ih; iy++) {
    for (let ix = 0; ix < iw; ix++) {
      for (let ky = 0; ky < kh; ky++) {
        const ny = iy + pt - ky * dh;
        if (ny < 0 || ny % sh !== 0) continue;
        const oy = ny / sh;
        if (oy >= oh) continue;
        for (let kx = 0; kx < kw; kx++) {
          const nx = ix + pl - kx * dw;
          if (nx < 0 || nx % sw !== 0) continue;
          const ox = nx / sw;
          if (ox >= ow) continue;
          at.push(oy * ow + ox);
          tap.push(ky * kw + kx);
        }
      }
      pairPtr[iy * iw + ix + 1] = at.length;
    }
  }
  const kernelSize = kh * kw;
  const weights = new Float64Array(inPerGroup * kernelSize * cout);
  for (let co = 0; co < cout; co++) {
    for (let cg = 0; cg < inPerGroup; cg++) {
      for (let k = 0; k < kernelSize; k++) weights[(cg * kernelSize + k) * cout + co] = s.weights[(co * inPerGroup + cg) * kernelSize + k];
    }
  }
  return {
    inPlane, outPlane: oh * ow, cout, inPerGroup, outPerGroup, kernelSize,
    pairPtr, pairAt: Int32Array.from(at), pairTap: Int32Array.from(tap), weights,
  };
}

/** Builds the event rows of every projection of a graph. */
export function buildEventProjections(graph: QuantGraph, expandLimit = EXPAND_LIMIT): EventProjection[] {
  const index = new Map(graph.populations.map((p, i) => [p.name, i]));
  const inputSize = shapeSize(graph.input.shape);
  return graph.projections.map((p) => {
    const from = p.from === 'input' ? -1 : index.get(p.from);
    const to = index.get(p.to);
    if (from === undefined) throw new UserError(`projection '${p.name}' comes from unknown population '${p.from}'`);
    if (to === undefined) throw new UserError(`projection '${p.name}' targets unknown population '${p.to}'`);
    const preSize = from === -1 ? inputSize : graph.populations[from].size;
    const postSize = graph.populations[to].size;
    if (shapeSize(p.preShape) !== preSize) {
      throw new UserError(`projection '${p.name}': source shape [${p.preShape}] does not match ${preSize} source neurons`);
    }
    if (shapeSize(p.postShape) !== postSize) {
      throw new UserError(`projection '${p.name}': target shape [${p.postShape}] does not match ${postSize} neurons of '${p.to}'`);
    }
    if (!(Number.isInteger(p.weightExponent) && Math.abs(p.weightExponent) <= 62)) {
      throw new UserError(`projection '${p.name}': weight exponent ${p.weightExponent} is not an integer in [-62, 62]`);
    }
    const base = { name: p.name, from, to, preSize, postSize, exponent: p.weightExponent };
    const empty = new Int32Array(0);
    if (p.synapse.kind === 'dense') {
      const d = denseRows(p, preSize, postSize);
      return { ...base, dense: true, ...d, rowPtr: empty, cols: empty, vals: empty, connections: preSize * postSize };
    }
    return { ...base, dense: false, weightsT: empty, ...convRows(p, preSize, expandLimit) };
  });
}

/** Connections (synapses) of source neuron `pre`: every stored synapse, zero weights included. */
export function rowLength(p: EventProjection, pre: number): number {
  return p.dense ? p.postSize : p.rowPtr[pre + 1] - p.rowPtr[pre];
}
