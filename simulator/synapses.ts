/**
 * Synapse formats of the chip model: how a projection's stored synapses turn events into current. Every
 * format sits behind one interface (`Synapses`), so the functional model (chip.ts) delivers spikes and the
 * timing model (schedule.ts) enumerates fan-out without knowing the format:
 *   - dense: a transposed weight matrix, one contiguous Int32Array row per source neuron; a source whose row holds
 *     only zeros is not connected (no axon, no route, no events), so a projection may read part of a population;
 *   - conv-taps: a convolution's tap table (weight sharing: per source position, the output positions and kernel
 *     taps it reaches; only taps that fall inside the image exist, as synapses in a core's memory would);
 *   - conv-geometry: a convolution above EXPAND_LIMIT synapses, walked through its kernel geometry per event.
 * Integer sums held in float64 are exact in any order, so every format delivers bit-identical currents.
 */
import type { Projection, QuantGraph } from '../compiler/types.js';
import { UserError } from '../src/util/errors.js';

export type SynapseFormat = 'dense' | 'conv-taps' | 'conv-geometry';

/** What every format knows of its projection. */
interface SynapseBase {
  name: string;
  /** Index of the source population, or −1 for the encoded input. */
  from: number;
  to: number;
  preSize: number;
  postSize: number;
  /** The projection's shared power-of-two weight exponent. */
  exponent: number;
}

/** The stored synapses of one projection, source-major. */
export interface Synapses extends SynapseBase {
  readonly format: SynapseFormat;
  /** Non-zero weights in each source row (NeuroBench effective ACs per spike). */
  readonly rowNonZero: Int32Array;
  /** Weights stored (every connection) and how many are zero: connection sparsity. */
  readonly connections: number;
  readonly zeroWeights: number;
  /** Connections of source neuron `pre`: every stored synapse, zero weights included. */
  rowLength(pre: number): number;
  /** A fresh buffer of "received input" marks in the format's own granularity. */
  createMarks(): Uint8Array;
  /**
   * Adds the rows of `n` spiking sources (value 1) into `acc` and marks the targets (in `marks`, or for the
   * geometry walk directly in `touched`); returns the synaptic events, and leaves their non-zero count in
   * `nonZero`.
   */
  addSpikes(spikes: Int32Array, n: number, acc: Float64Array, marks: Uint8Array, touched: Uint8Array): number;
  /** Adds graded events (`values[pre]`, direct input) the same way; returns the synaptic events, non-zero count in `nonZero`. */
  addGraded(values: Int32Array, acc: Float64Array, marks: Uint8Array, touched: Uint8Array): number;
  /** Turns the marks into per-neuron `touched` flags and clears them; true when every target received input. */
  touch(marks: Uint8Array, touched: Uint8Array): boolean;
  /** Calls `visit` with every target (and weight) of source `pre`, zero weights included. */
  forEachTarget(pre: number, visit: (post: number, w: number) => void): void;
  /** Non-zero synapses of the last addSpikes/addGraded call. */
  nonZero: number;
}

function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * The source neurons a dense projection connects (1) — those with a non-zero weight onto some target — out of
 * `preSize`, for weights stored [post][pre]. The partitioner gives a core input axons and routes for these only.
 */
export function connectedSources(weights: ArrayLike<number>, preSize: number, postSize: number): Uint8Array {
  const mask = new Uint8Array(preSize);
  for (let post = 0; post < postSize; post++) {
    const row = post * preSize;
    for (let pre = 0; pre < preSize; pre++) if (weights[row + pre] !== 0) mask[pre] = 1;
  }
  return mask;
}

class DenseSynapses implements Synapses {
  readonly format = 'dense' as const;
  readonly name: string; readonly from: number; readonly to: number; readonly preSize: number; readonly postSize: number; readonly exponent: number;
  /** weightsT[pre · postSize + post]. */
  readonly weightsT: Int32Array;
  readonly rowNonZero: Int32Array;
  readonly connections: number;
  readonly zeroWeights: number;
  nonZero = 0;

  constructor(base: SynapseBase, weights: Int32Array) {
    ({ name: this.name, from: this.from, to: this.to, preSize: this.preSize, postSize: this.postSize, exponent: this.exponent } = base);
    const { preSize, postSize } = base;
    if (weights.length !== preSize * postSize) {
      throw new UserError(`projection '${base.name}': ${weights.length} weights for ${postSize}×${preSize} dense synapses`);
    }
    this.weightsT = new Int32Array(preSize * postSize);
    this.rowNonZero = new Int32Array(preSize);
    for (let post = 0; post < postSize; post++) {
      const row = post * preSize;
      for (let pre = 0; pre < preSize; pre++) {
        const x = weights[row + pre];
        this.weightsT[pre * postSize + post] = x;
        if (x !== 0) this.rowNonZero[pre]++;
      }
    }
    // Only connected sources (a non-zero weight in their row) have stored synapses.
    let connected = 0;
    let nonZero = 0;
    for (let pre = 0; pre < preSize; pre++) if (this.rowNonZero[pre] > 0) { connected++; nonZero += this.rowNonZero[pre]; }
    this.connections = connected * postSize;
    this.zeroWeights = this.connections - nonZero;
  }

  rowLength(pre: number): number { return this.rowNonZero[pre] > 0 ? this.postSize : 0; }
  /** One flag: a dense row reaches every target. */
  createMarks(): Uint8Array { return new Uint8Array(1); }

  addSpikes(spikes: Int32Array, n: number, acc: Float64Array, marks: Uint8Array): number {
    const row = this.weightsT, m = this.postSize, rowNonZero = this.rowNonZero;
    let nnz = 0;
    let connected = 0;
    for (let s = 0; s < n; s++) if (rowNonZero[spikes[s]] > 0) connected++;
    // Two rows per pass halve the accumulator loads and stores (the sum stays exact in float64).
    let s = 0;
    for (; s + 1 < n; s += 2) {
      const i1 = spikes[s], i2 = spikes[s + 1];
      const b1 = i1 * m, b2 = i2 * m;
      for (let j = 0; j < m; j++) acc[j] += row[b1 + j] + row[b2 + j];
      nnz += rowNonZero[i1] + rowNonZero[i2];
    }
    if (s < n) {
      const i = spikes[s];
      const base = i * m;
      for (let j = 0; j < m; j++) acc[j] += row[base + j];
      nnz += rowNonZero[i];
    }
    if (connected > 0) marks[0] = 1;
    this.nonZero = nnz;
    return connected * m;
  }

  addGraded(values: Int32Array, acc: Float64Array, marks: Uint8Array): number {
    const row = this.weightsT, n = this.postSize;
    let pending = -1, events = 0, nnz = 0;
    for (let i = 0; i < this.preSize; i++) {
      const x = values[i];
      if (x === 0 || this.rowNonZero[i] === 0) continue;
      marks[0] = 1;
      events += n;
      nnz += this.rowNonZero[i];
      // Pairs of graded rows per pass, as for spikes.
      if (pending < 0) { pending = i; continue; }
      const b1 = pending * n, b2 = i * n, x1 = values[pending];
      for (let j = 0; j < n; j++) acc[j] += x1 * row[b1 + j] + x * row[b2 + j];
      pending = -1;
    }
    if (pending >= 0) {
      const base = pending * n, x = values[pending];
      for (let j = 0; j < n; j++) acc[j] += x * row[base + j];
    }
    this.nonZero = nnz;
    return events;
  }

  touch(marks: Uint8Array): boolean {
    const all = marks[0] === 1;
    marks[0] = 0;
    return all;
  }

  forEachTarget(pre: number, visit: (post: number, w: number) => void): void {
    if (this.rowNonZero[pre] === 0) return;
    const base = pre * this.postSize;
    for (let j = 0; j < this.postSize; j++) visit(j, this.weightsT[base + j]);
  }
}

/** Row lengths and non-zero counts of a convolution, shared by both convolution formats. */
interface ConvRows extends SynapseBase {
  /** Row i has rowPtr[i+1] − rowPtr[i] synapses. */
  rowPtr: Int32Array;
  rowNonZero: Int32Array;
  connections: number;
  zeroWeights: number;
}

class TapSynapses implements Synapses {
  readonly format = 'conv-taps' as const;
  readonly name: string; readonly from: number; readonly to: number; readonly preSize: number; readonly postSize: number; readonly exponent: number;
  readonly rowPtr: Int32Array;
  readonly rowNonZero: Int32Array;
  readonly connections: number;
  readonly zeroWeights: number;
  nonZero = 0;

  constructor(rows: ConvRows, readonly taps: ConvTaps) {
    ({ name: this.name, from: this.from, to: this.to, preSize: this.preSize, postSize: this.postSize, exponent: this.exponent } = rows);
    ({ rowPtr: this.rowPtr, rowNonZero: this.rowNonZero, connections: this.connections, zeroWeights: this.zeroWeights } = rows);
  }

  rowLength(pre: number): number { return this.rowPtr[pre + 1] - this.rowPtr[pre]; }
  /** One mark per (group, output position): it stands for the group's output channels there. */
  createMarks(): Uint8Array { return new Uint8Array((this.taps.cout / this.taps.outPerGroup) * this.taps.outPlane); }

  addSpikes(spikes: Int32Array, n: number, acc: Float64Array, marks: Uint8Array): number {
    const ptr = this.rowPtr, taps = this.taps, rowNonZero = this.rowNonZero;
    let events = 0, nnz = 0;
    for (let s = 0; s < n; s++) {
      const i = spikes[s];
      scatterTaps(taps, i, 1, acc, marks);
      events += ptr[i + 1] - ptr[i];
      nnz += rowNonZero[i];
    }
    this.nonZero = nnz;
    return events;
  }

  addGraded(values: Int32Array, acc: Float64Array, marks: Uint8Array): number {
    let events = 0, nnz = 0;
    for (let i = 0; i < this.preSize; i++) {
      const x = values[i];
      if (x === 0) continue;
      scatterTaps(this.taps, i, x, acc, marks);
      events += this.rowPtr[i + 1] - this.rowPtr[i];
      nnz += this.rowNonZero[i];
    }
    this.nonZero = nnz;
    return events;
  }

  touch(marks: Uint8Array, touched: Uint8Array): boolean {
    expandTouched(this.taps, marks, touched);
    return false;
  }

  forEachTarget(pre: number, visit: (post: number, w: number) => void): void {
    const g = this.taps;
    const ci = Math.floor(pre / g.inPlane), pos = pre - ci * g.inPlane;
    const grp = Math.floor(ci / g.inPerGroup), cg = ci - grp * g.inPerGroup;
    for (let t = g.pairPtr[pos]; t < g.pairPtr[pos + 1]; t++) {
      for (let co = grp * g.outPerGroup; co < (grp + 1) * g.outPerGroup; co++) {
        visit(co * g.outPlane + g.pairAt[t], g.weights[(cg * g.kernelSize + g.pairTap[t]) * g.cout + co]);
      }
    }
  }
}

class GeometrySynapses implements Synapses {
  readonly format = 'conv-geometry' as const;
  readonly name: string; readonly from: number; readonly to: number; readonly preSize: number; readonly postSize: number; readonly exponent: number;
  readonly rowPtr: Int32Array;
  readonly rowNonZero: Int32Array;
  readonly connections: number;
  readonly zeroWeights: number;
  nonZero = 0;

  constructor(rows: ConvRows, readonly geometry: ConvGeometry) {
    ({ name: this.name, from: this.from, to: this.to, preSize: this.preSize, postSize: this.postSize, exponent: this.exponent } = rows);
    ({ rowPtr: this.rowPtr, rowNonZero: this.rowNonZero, connections: this.connections, zeroWeights: this.zeroWeights } = rows);
  }

  rowLength(pre: number): number { return this.rowPtr[pre + 1] - this.rowPtr[pre]; }
  /** The walk marks the population's own touched flags: no marks of its own. */
  createMarks(): Uint8Array { return new Uint8Array(0); }

  addSpikes(spikes: Int32Array, n: number, acc: Float64Array, _marks: Uint8Array, touched: Uint8Array): number {
    const ptr = this.rowPtr;
    let events = 0, nnz = 0;
    for (let s = 0; s < n; s++) {
      const i = spikes[s];
      scatterConv(this.geometry, i, 1, acc, touched);
      events += ptr[i + 1] - ptr[i];
      nnz += this.rowNonZero[i];
    }
    this.nonZero = nnz;
    return events;
  }

  addGraded(values: Int32Array, acc: Float64Array, _marks: Uint8Array, touched: Uint8Array): number {
    let events = 0, nnz = 0;
    for (let i = 0; i < this.preSize; i++) {
      const x = values[i];
      if (x === 0) continue;
      scatterConv(this.geometry, i, x, acc, touched);
      events += this.rowPtr[i + 1] - this.rowPtr[i];
      nnz += this.rowNonZero[i];
    }
    this.nonZero = nnz;
    return events;
  }

  touch(): boolean { return false; }

  forEachTarget(pre: number, visit: (post: number, w: number) => void): void {
    scatterConv(this.geometry, pre, 0, EMPTY, null, visit);
  }
}

const EMPTY = new Float64Array(0);

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

function convSynapses(p: Projection, base: SynapseBase, expandLimit: number): Synapses {
  const preSize = base.preSize;
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
  const rows = { ...base, rowPtr, rowNonZero, connections: total, zeroWeights: total - nonZero };
  if (total > expandLimit) {
    return new GeometrySynapses(rows, { ih, iw, cout, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw, inPerGroup, outPerGroup, weights: s.weights });
  }
  return new TapSynapses(rows, taps);
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

/** The synapses of every projection of a graph, in the graph's projection order. */
export function buildSynapses(graph: QuantGraph, expandLimit = EXPAND_LIMIT): Synapses[] {
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
    const base: SynapseBase = { name: p.name, from, to, preSize, postSize, exponent: p.weightExponent };
    return p.synapse.kind === 'dense' ? new DenseSynapses(base, p.synapse.weights) : convSynapses(p, base, expandLimit);
  });
}
