import type { TargetSpec } from '../targets/target.js';
import type { CoreSlice, Projection, QuantGraph } from './types.js';
import { FitError } from './errors.js';
import { as3, type Shape3 } from './linear.js';
import { meshOf, hopsBetween } from './mesh.js';
import { connectedSources } from '../simulator/synapses.js';

/** A half-open box of a population's [C, H, W] neurons. */
export interface Box { c0: number; c1: number; y0: number; y1: number; x0: number; x1: number }

export interface CoreUsage { neurons: number; inputAxons: number; outputAxons: number; synapseBits: number }

/** One core's share of the network before placement. */
export interface VirtualCore {
  population: string;
  box: Box;
  size: number;
  usage: CoreUsage;
  /** Average number of destination cores per neuron (TrueNorth allows 1). */
  destinationsPerNeuron: number;
  /** Physical core forced by the target (Speck: each layer on a core whose memories hold it). */
  fixedCore?: number;
}

/** Neurons of core `from` that have synapses onto core `to`, per step if they all spike. */
export interface CoreLink { from: number; to: number; neurons: number }

export interface Partition {
  /** The network it splits. */
  graph: QuantGraph;
  cores: VirtualCore[];
  /** Core indices of each population, in order. */
  byPopulation: Map<string, number[]>;
  links: CoreLink[];
}

export const boxSize = (b: Box) => (b.c1 - b.c0) * (b.y1 - b.y0) * (b.x1 - b.x0);

interface Footprint {
  c0: number; c1: number; rowPrefix: Int32Array; colPrefix: Int32Array; count: number; rows: number; cols: number;
  /** Dense projections: the source neurons connected at all (a non-zero weight onto some target), flat over [C, H, W]. */
  mask?: Uint8Array;
}

const connectedMemo = new WeakMap<Projection, Uint8Array>();
/** The source neurons of a dense projection that are connected (simulator/synapses.ts: a row of zeros is no synapse). */
function connectedOf(p: Projection): Uint8Array {
  let mask = connectedMemo.get(p);
  if (!mask) {
    const pre = p.preShape.reduce((a, b) => a * b, 1);
    mask = connectedSources(p.synapse.weights, pre, p.synapse.weights.length / pre);
    connectedMemo.set(p, mask);
  }
  return mask;
}

/** Whether source neuron (ch, y, x) of a map W wide lies in a footprint. */
export function inFootprint(f: Footprint, ch: number, y: number, x: number, h: number, w: number): boolean {
  if (ch < f.c0 || ch >= f.c1) return false;
  if (f.mask) return f.mask[(ch * h + y) * w + x] === 1;
  return f.rowPrefix[y + 1] !== f.rowPrefix[y] && f.colPrefix[x + 1] !== f.colPrefix[x];
}

function prefixOf(mask: Uint8Array): Int32Array {
  const p = new Int32Array(mask.length + 1);
  for (let i = 0; i < mask.length; i++) p[i + 1] = p[i] + mask[i];
  return p;
}

/** The source neurons a box of the target population reads through a projection. */
export function footprint(p: Projection, preShape: Shape3, box: Box): Footprint {
  const [cin, ih, iw] = preShape;
  if (p.synapse.kind === 'dense') {
    const rows = new Uint8Array(ih).fill(1);
    const cols = new Uint8Array(iw).fill(1);
    const mask = connectedOf(p);
    let count = 0;
    for (let i = 0; i < mask.length; i++) count += mask[i];
    return { c0: 0, c1: cin, rowPrefix: prefixOf(rows), colPrefix: prefixOf(cols), count, rows: ih, cols: iw, ...(count < mask.length ? { mask } : {}) };
  }
  const s = p.synapse;
  const cout = p.postShape[0];
  const coutG = cout / s.groups;
  const cinG = cin / s.groups;
  const c0 = s.groups === 1 ? 0 : Math.floor(box.c0 / coutG) * cinG;
  const c1 = s.groups === 1 ? cin : (Math.floor((box.c1 - 1) / coutG) + 1) * cinG;
  const rows = new Uint8Array(ih);
  for (let y = box.y0; y < box.y1; y++) {
    for (let k = 0; k < s.kernel[0]; k++) {
      const iy = y * s.stride[0] - s.padding[0] + k * s.dilation[0];
      if (iy >= 0 && iy < ih) rows[iy] = 1;
    }
  }
  const cols = new Uint8Array(iw);
  for (let x = box.x0; x < box.x1; x++) {
    for (let k = 0; k < s.kernel[1]; k++) {
      const ix = x * s.stride[1] - s.padding[1] + k * s.dilation[1];
      if (ix >= 0 && ix < iw) cols[ix] = 1;
    }
  }
  const rowPrefix = prefixOf(rows);
  const colPrefix = prefixOf(cols);
  const nr = rowPrefix[ih];
  const nc = colPrefix[iw];
  return { c0, c1, rowPrefix, colPrefix, count: (c1 - c0) * nr * nc, rows: nr, cols: nc };
}

function overlap(f: Footprint, b: Box, shape: Shape3): number {
  const c = Math.max(0, Math.min(f.c1, b.c1) - Math.max(f.c0, b.c0));
  if (c === 0) return 0;
  if (f.mask) {
    const [, h, w] = shape;
    let n = 0;
    for (let ch = b.c0; ch < b.c1; ch++) for (let y = b.y0; y < b.y1; y++) for (let x = b.x0; x < b.x1; x++) n += f.mask[(ch * h + y) * w + x];
    return n;
  }
  const r = f.rowPrefix[b.y1] - f.rowPrefix[b.y0];
  const x = f.colPrefix[b.x1] - f.colPrefix[b.x0];
  return c * r * x;
}

/** Synaptic memory (bits) a box of the target population needs for one projection. */
export function synapseBits(p: Projection, target: TargetSpec, box: Box): number {
  const bits = target.core.synapseBits.value;
  const neurons = boxSize(box);
  if (p.synapse.kind === 'dense') {
    // A core stores the synapses of its neurons from every connected source.
    const mask = connectedOf(p);
    let pre = 0;
    for (let i = 0; i < mask.length; i++) pre += mask[i];
    return neurons * pre * bits;
  }
  const s = p.synapse;
  const cinG = p.preShape[0] / s.groups;
  const sharing = target.core.convWeightSharing.value;
  if (sharing === 'kernel' || sharing === 'speck') return (box.c1 - box.c0) * cinG * s.kernel[0] * s.kernel[1] * bits;
  // Every in-bounds tap is a stored synapse.
  const [, ih, iw] = p.preShape;
  let rowTaps = 0;
  for (let y = box.y0; y < box.y1; y++) {
    for (let k = 0; k < s.kernel[0]; k++) { const iy = y * s.stride[0] - s.padding[0] + k * s.dilation[0]; if (iy >= 0 && iy < ih) rowTaps++; }
  }
  let colTaps = 0;
  for (let x = box.x0; x < box.x1; x++) {
    for (let k = 0; k < s.kernel[1]; k++) { const ix = x * s.stride[1] - s.padding[1] + k * s.dilation[1]; if (ix >= 0 && ix < iw) colTaps++; }
  }
  return (box.c1 - box.c0) * rowTaps * colTaps * cinG * bits;
}

function sharedAxons(p: Projection, target: TargetSpec): boolean {
  return p.synapse.kind === 'conv' && p.from !== 'input' && target.core.populationAxons.value && target.core.convWeightSharing.value !== 'none';
}

/** Input axons one source neuron costs: TrueNorth presents an input once per axon type it needs. */
export function axonCopies(target: TargetSpec): number {
  return target.precision.weightScale.value === 'axon-types' ? target.core.maxDistinctWeightsPerNeuron.value! : 1;
}

/** Distinct values of the form ceil(n / k), k = 1..n: the block sizes worth trying for a dimension of n. */
function blockSizes(n: number): number[] {
  const out = new Set<number>();
  for (let k = 1; k <= n; k++) out.add(Math.ceil(n / k));
  return [...out];
}

interface Estimate { neurons: number; inputAxons: number; synapseBits: number }

function estimate(box: Box, ins: Projection[], shapes: Map<string, Shape3>, target: TargetSpec): Estimate {
  let inputAxons = 0;
  let bits = 0;
  for (const p of ins) {
    bits += synapseBits(p, target, box);
    inputAxons += sharedAxons(p, target) ? 1 : footprint(p, shapes.get(p.from)!, box).count * axonCopies(target);
  }
  return { neurons: boxSize(box), inputAxons, synapseBits: bits };
}

/** A box of the given block size placed in the middle of the map: the worst case for footprints. */
function interiorBox(shape: Shape3, cb: number, rb: number, wb: number): Box {
  const y0 = Math.max(0, Math.min(shape[1] - rb, Math.floor((shape[1] - rb) / 2)));
  const x0 = Math.max(0, Math.min(shape[2] - wb, Math.floor((shape[2] - wb) / 2)));
  const c0 = Math.max(0, Math.min(shape[0] - cb, Math.floor((shape[0] - cb) / 2)));
  return { c0, c1: c0 + cb, y0, y1: y0 + rb, x0, x1: x0 + wb };
}

interface Choice { cb: number; rb: number; wb: number; cores: number; traffic: number }

/** Picks the block size (channels × rows × cols) that fits every per-core limit with the fewest cores. */
function chooseBlocks(pop: string, shape: Shape3, ins: Projection[], shapes: Map<string, Shape3>, target: TargetSpec, neuronCap: number): Choice {
  const caps = target.core;
  let best: Choice | null = null;
  const rowsOptions = blockSizes(shape[1]);
  const chanOptions = blockSizes(shape[0]);
  for (const cb of chanOptions) {
    for (const rb of rowsOptions) {
      const colOptions = rb === 1 ? blockSizes(shape[2]) : [shape[2]];
      for (const wb of colOptions) {
        if (cb * rb * wb > neuronCap) continue;
        const e = estimate(interiorBox(shape, cb, rb, wb), ins, shapes, target);
        if (e.inputAxons > caps.inputAxons.value || e.synapseBits > caps.synapseMemoryBits.value) continue;
        const cores = Math.ceil(shape[0] / cb) * Math.ceil(shape[1] / rb) * Math.ceil(shape[2] / wb);
        const traffic = cores * e.inputAxons;
        if (!best || cores < best.cores || (cores === best.cores && (traffic < best.traffic || (traffic === best.traffic && cb > best.cb)))) {
          best = { cb, rb, wb, cores, traffic };
        }
      }
    }
  }
  if (best) return best;
  // Not even one neuron fits: name the limit that a single neuron (or channel) breaks.
  const one = estimate(interiorBox(shape, 1, 1, 1), ins, shapes, target);
  if (one.inputAxons > caps.inputAxons.value) {
    const copies = axonCopies(target);
    throw new FitError(target.name, pop, 'input axons per core (fan-in of one neuron' + (copies > 1 ? ` × ${copies} axon types` : '') + ')', one.inputAxons, caps.inputAxons.value,
      'reduce the fan-in of this layer (fewer input channels or a smaller kernel), or choose a target with more input axons per core');
  }
  if (one.synapseBits > caps.synapseMemoryBits.value) {
    throw new FitError(target.name, pop, 'synaptic memory bits per core (one neuron)', one.synapseBits, caps.synapseMemoryBits.value,
      'reduce the fan-in of this layer or the weight precision, or choose a target with more synaptic memory per core');
  }
  throw new FitError(target.name, pop, 'neurons per core', 1, neuronCap, 'the output-axon limit forces fewer neurons per core than one; reduce this layer\'s fan-out');
}

function boxesOf(shape: Shape3, c: Choice): Box[] {
  const out: Box[] = [];
  // Spatial blocks outer, channel blocks inner: cores that read the same input region are consecutive.
  for (let y0 = 0; y0 < shape[1]; y0 += c.rb) {
    for (let x0 = 0; x0 < shape[2]; x0 += c.wb) {
      for (let c0 = 0; c0 < shape[0]; c0 += c.cb) {
        out.push({ c0, c1: Math.min(shape[0], c0 + c.cb), y0, y1: Math.min(shape[1], y0 + c.rb), x0, x1: Math.min(shape[2], x0 + c.wb) });
      }
    }
  }
  return out;
}

/** The shapes of every population and of the input, as [C, H, W]. */
export function populationShapes(q: QuantGraph): Map<string, Shape3> {
  const shapes = new Map<string, Shape3>([['input', as3(q.input.shape)]]);
  for (const p of q.populations) shapes.set(p.name, as3(p.shape));
  return shapes;
}

/** Links between cores and the exact usage of every core, for boxes already chosen. */
export function connect(q: QuantGraph, target: TargetSpec, cores: { population: string; box: Box }[]): { links: CoreLink[]; usage: CoreUsage[]; destinations: number[] } {
  const shapes = populationShapes(q);
  const byPop = new Map<string, number[]>();
  cores.forEach((c, i) => byPop.set(c.population, [...(byPop.get(c.population) ?? []), i]));
  const usage: CoreUsage[] = cores.map((c) => ({ neurons: boxSize(c.box), inputAxons: 0, outputAxons: 0, synapseBits: 0 }));
  const pair = new Map<number, number>();
  const outAxons = new Float64Array(cores.length);
  const copies = axonCopies(target);
  for (const p of q.projections) {
    const post = byPop.get(p.to) ?? [];
    const pre = p.from === 'input' ? [] : byPop.get(p.from) ?? [];
    const preShape = shapes.get(p.from)!;
    const shared = sharedAxons(p, target);
    for (const b of post) {
      const f = footprint(p, preShape, cores[b].box);
      usage[b].synapseBits += synapseBits(p, target, cores[b].box);
      if (p.from === 'input') { usage[b].inputAxons += f.count * copies; continue; }
      for (const a of pre) {
        const n = overlap(f, cores[a].box, preShape);
        if (n === 0) continue;
        usage[b].inputAxons += shared ? 1 : n * copies;
        // A shared-weight projection sends one population axon per destination core; others one per neuron.
        outAxons[a] += shared ? 1 : n;
        const key = a * cores.length + b;
        pair.set(key, (pair.get(key) ?? 0) + n);
      }
    }
  }
  const links: CoreLink[] = [];
  const sent = new Float64Array(cores.length);
  const multicast = target.mesh.multicast.value;
  for (const [key, n] of [...pair.entries()].sort((x, y) => x[0] - y[0])) {
    const from = Math.floor(key / cores.length);
    const to = key % cores.length;
    // Several projections between the same two cores carry the same spikes: at most the core's size.
    const neurons = Math.min(n, usage[from].neurons);
    links.push({ from, to, neurons });
    sent[from] += neurons;
  }
  const destinations = cores.map((c, i) => (usage[i].neurons > 0 ? sent[i] / usage[i].neurons : 0));
  for (let i = 0; i < cores.length; i++) usage[i].outputAxons = multicast ? Math.min(usage[i].neurons, outAxons[i]) : outAxons[i];
  return { links, usage, destinations };
}

/** Speck-style chips: each layer on one whole core whose kernel and neuron memories hold it. */
function speckMemories(q: QuantGraph, target: TargetSpec, pop: string): { kernel: number; neurons: number } {
  const shapes = populationShapes(q);
  const [c, h, w] = shapes.get(pop)!;
  const log2c = (n: number) => Math.ceil(Math.log2(Math.max(1, n)));
  let kernel = 0;
  for (const p of q.projections.filter((x) => x.to === pop)) {
    const [cin, ih, iw] = shapes.get(p.from)!;
    const [kh, kw] = p.synapse.kind === 'conv' ? p.synapse.kernel : [ih, iw];
    const cinG = p.synapse.kind === 'conv' ? cin / p.synapse.groups : cin;
    kernel += cinG * 2 ** (log2c(kh * kw) + log2c(c));
  }
  const limits = target.core.layerLimits.value;
  if (limits) {
    for (const p of q.projections.filter((x) => x.to === pop)) {
      const [cin, ih, iw] = shapes.get(p.from)!;
      const [kh, kw] = p.synapse.kind === 'conv' ? p.synapse.kernel : [ih, iw];
      if (kh > limits.maxKernel[0] || kw > limits.maxKernel[1]) {
        throw new FitError(target.name, pop, `kernel size (${p.synapse.kind === 'dense' ? 'a dense layer is a convolution over its whole input' : 'convolution'})`, Math.max(kh, kw), Math.max(...limits.maxKernel),
          'pool or stride the input down before this layer so its kernel is at most ' + limits.maxKernel.join(' x '));
      }
      if (ih > limits.maxInput[0] || iw > limits.maxInput[1]) throw new FitError(target.name, pop, 'input feature map size', Math.max(ih, iw), Math.max(...limits.maxInput), 'downsample the input');
      if (cin > limits.maxChannels) throw new FitError(target.name, pop, 'input channels', cin, limits.maxChannels, 'use fewer channels');
      if (p.synapse.kind === 'conv' && !p.synapse.stride.every((s) => limits.strides.includes(s))) {
        throw new FitError(target.name, pop, 'convolution stride', Math.max(...p.synapse.stride), Math.max(...limits.strides), `use a stride among ${limits.strides.join(', ')}`);
      }
    }
    if (h > limits.maxOutput[0] || w > limits.maxOutput[1]) throw new FitError(target.name, pop, 'output feature map size', Math.max(h, w), Math.max(...limits.maxOutput), 'add a stride or pooling to this layer');
    if (c > limits.maxChannels) throw new FitError(target.name, pop, 'output channels', c, limits.maxChannels, 'use fewer channels');
  }
  return { kernel, neurons: c * 2 ** (log2c(h) + log2c(w)) };
}

function assignWholeLayers(q: QuantGraph, target: TargetSpec): number[] {
  const count = target.core.count.value;
  const pops = q.populations.map((p) => p.name);
  if (pops.length > count) {
    throw new FitError(target.name, pops[count], 'layers (one per core)', pops.length, count, 'merge or remove layers: this chip runs one layer per core');
  }
  const kernelMem = target.core.kernelMemory.value ?? new Array(count).fill(target.core.synapseMemoryBits.value / target.precision.weightBits.value);
  const neuronMem = target.core.neuronMemory.value ?? new Array(count).fill(target.core.neurons.value);
  const needs = pops.map((p) => speckMemories(q, target, p));
  for (let i = 0; i < pops.length; i++) {
    const k = Math.max(...kernelMem);
    if (needs[i].kernel > k) throw new FitError(target.name, pops[i], 'kernel memory entries', needs[i].kernel, k, 'reduce its channels or kernel size (memory is c_in · 2^(⌈log2 kx·ky⌉ + ⌈log2 c_out⌉))');
    const n = Math.max(...neuronMem);
    if (needs[i].neurons > n) throw new FitError(target.name, pops[i], 'neuron memory entries', needs[i].neurons, n, 'reduce its channels or output size (memory is c_out · 2^(⌈log2 h⌉ + ⌈log2 w⌉))');
  }
  // Complete backtracking (at most count! orders, tiny here), layers in dependency order, each trying
  // the free cores nearest to the core of the layer feeding it first: a valid assignment with short hops.
  const mesh = meshOf(target);
  const hops = (a: number, b: number) => hopsBetween(mesh, a, b);
  const index = new Map(pops.map((p, i) => [p, i]));
  const feeder = pops.map((p) => {
    const src = q.projections.filter((x) => x.to === p && x.from !== 'input').map((x) => index.get(x.from)!);
    return src.length > 0 ? Math.max(...src) : -1;
  });
  const order = pops.map((_, i) => i);
  const assigned = new Array<number>(pops.length).fill(-1);
  const used = new Array<boolean>(count).fill(false);
  const solve = (k: number): boolean => {
    if (k === order.length) return true;
    const i = order[k];
    const from = feeder[i] >= 0 ? assigned[feeder[i]] : -1;
    const candidates = Array.from({ length: count }, (_, c) => c)
      .sort((a, b) => (from >= 0 ? hops(from, a) - hops(from, b) : 0) || a - b);
    for (const c of candidates) {
      if (used[c] || needs[i].kernel > kernelMem[c] || needs[i].neurons > neuronMem[c]) continue;
      used[c] = true; assigned[i] = c;
      if (solve(k + 1)) return true;
      used[c] = false; assigned[i] = -1;
    }
    return false;
  };
  if (!solve(0)) {
    const total = needs.reduce((a, n) => a + n.kernel, 0);
    const largest = needs.reduce((best, n, i) => (n.kernel > needs[best].kernel ? i : best), 0);
    throw new FitError(target.name, pops[largest], 'kernel/neuron memories (no assignment of layers to cores holds them all; total kernel entries)', total, kernelMem.reduce((a, b) => a + b, 0), 'shrink the largest layers');
  }
  return assigned;
}

/**
 * Splits every population into core-sized boxes (channels × rows × cols) that satisfy every per-core
 * limit of the target: neurons, input axons (the exact receptive-field footprint; one per source core
 * for shared-weight convolutions on chips with population axons), synaptic memory (per synapse, or per
 * kernel where weights are shared), output axons (one per neuron and destination core, or per neuron
 * with multicast) and destinations per neuron. Chips that run one whole layer per core (Speck) get each
 * layer on a core whose memories hold it. Throws FitError naming the layer and limit when it cannot.
 */
export function partition(q: QuantGraph): Partition {
  const target = q.target;
  const shapes = populationShapes(q);
  const caps = target.core;
  let cores: VirtualCore[] = [];
  if (!caps.splitLayers.value) {
    const assigned = assignWholeLayers(q, target);
    cores = q.populations.map((p, i) => {
      const [c, h, w] = shapes.get(p.name)!;
      const box = { c0: 0, c1: c, y0: 0, y1: h, x0: 0, x1: w };
      return { population: p.name, box, size: boxSize(box), usage: { neurons: 0, inputAxons: 0, outputAxons: 0, synapseBits: 0 }, destinationsPerNeuron: 0, fixedCore: assigned[i] };
    });
    const { links, usage, destinations } = connect(q, target, cores);
    cores.forEach((c, i) => { c.usage = usage[i]; c.destinationsPerNeuron = destinations[i]; });
    const maxDest = caps.maxDestinationCoresPerNeuron.value;
    if (maxDest !== null) {
      for (const p of q.populations) {
        const consumers = new Set(q.projections.filter((x) => x.from === p.name).map((x) => x.to));
        if (consumers.size > maxDest) throw new FitError(target.name, p.name, 'destination layers', consumers.size, maxDest, 'restructure the network so that each layer feeds at most ' + maxDest + ' layers');
      }
    }
    return { graph: q, cores, byPopulation: groupBy(cores), links };
  }

  const neuronCap = new Map<string, number>(q.populations.map((p) => [p.name, caps.neurons.value]));
  let links: CoreLink[] = [];
  for (let attempt = 0; attempt < 8; attempt++) {
    cores = [];
    for (const pop of q.populations) {
      const shape = shapes.get(pop.name)!;
      const ins = q.projections.filter((p) => p.to === pop.name);
      const choice = chooseBlocks(pop.name, shape, ins, shapes, target, neuronCap.get(pop.name)!);
      for (const box of boxesOf(shape, choice)) {
        cores.push({ population: pop.name, box, size: boxSize(box), usage: { neurons: 0, inputAxons: 0, outputAxons: 0, synapseBits: 0 }, destinationsPerNeuron: 0 });
      }
    }
    const connected = connect(q, target, cores);
    links = connected.links;
    cores.forEach((c, i) => { c.usage = connected.usage[i]; c.destinationsPerNeuron = connected.destinations[i]; });
    // Limits only known once both sides are split: shrink the offending population and try again.
    let retry = false;
    const shrink = (pop: string, ratio: number) => {
      const cur = neuronCap.get(pop)!;
      const largest = Math.max(...cores.filter((c) => c.population === pop).map((c) => c.size));
      const next = Math.max(1, Math.min(cur - 1, Math.floor(largest * ratio)));
      if (next < cur) { neuronCap.set(pop, next); retry = true; }
    };
    for (const c of cores) {
      if (c.usage.outputAxons > caps.outputAxons.value) shrink(c.population, caps.outputAxons.value / c.usage.outputAxons);
      if (c.usage.inputAxons > caps.inputAxons.value) shrink(c.population, caps.inputAxons.value / c.usage.inputAxons);
    }
    if (!retry || cores.length > caps.count.value) break;
    if (attempt === 7) {
      const bad = cores.find((c) => c.usage.outputAxons > caps.outputAxons.value || c.usage.inputAxons > caps.inputAxons.value)!;
      const isOut = bad.usage.outputAxons > caps.outputAxons.value;
      throw new FitError(target.name, bad.population, isOut ? 'output axons per core' : 'input axons per core', isOut ? bad.usage.outputAxons : bad.usage.inputAxons,
        isOut ? caps.outputAxons.value : caps.inputAxons.value, 'reduce the fan-out/fan-in of this layer');
    }
  }
  for (const c of cores) {
    const checks: [string, number, number][] = [
      ['neurons per core', c.usage.neurons, caps.neurons.value],
      ['input axons per core', c.usage.inputAxons, caps.inputAxons.value],
      ['output axons per core', c.usage.outputAxons, caps.outputAxons.value],
      ['synaptic memory bits per core', c.usage.synapseBits, caps.synapseMemoryBits.value],
    ];
    for (const [limit, needed, capacity] of checks) {
      if (needed > capacity) throw new FitError(target.name, c.population, limit, needed, capacity, 'reduce this layer\'s size or fan-in');
    }
    const maxDest = caps.maxDestinationCoresPerNeuron.value;
    if (maxDest !== null && c.destinationsPerNeuron > maxDest) {
      throw new FitError(target.name, c.population, 'destination cores per neuron', Math.round(c.destinationsPerNeuron * 100) / 100, maxDest,
        'the chip needs splitter neurons to fan out wider, which snnc does not insert; reduce the fan-out of this layer');
    }
  }
  if (cores.length > caps.count.value) {
    const counts = groupBy(cores);
    const largest = [...counts.entries()].sort((a, b) => b[1].length - a[1].length)[0];
    throw new FitError(target.name, largest[0], `cores for the whole network (this layer alone needs ${largest[1].length})`, cores.length, caps.count.value,
      'choose a target with more cores, or shrink the network (fewer channels or a smaller input)');
  }
  return { graph: q, cores, byPopulation: groupBy(cores), links };
}

function groupBy(cores: VirtualCore[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  cores.forEach((c, i) => m.set(c.population, [...(m.get(c.population) ?? []), i]));
  return m;
}

/** A box as contiguous runs of the population's [C, H, W] neuron indices. */
export function boxToSlices(population: string, shape: Shape3, b: Box): CoreSlice[] {
  const [, h, w] = shape;
  const out: CoreSlice[] = [];
  const push = (start: number, end: number) => {
    const last = out[out.length - 1];
    if (last && last.end === start) last.end = end;
    else out.push({ population, start, end });
  };
  for (let c = b.c0; c < b.c1; c++) {
    if (b.x0 === 0 && b.x1 === w) push((c * h + b.y0) * w, (c * h + b.y1) * w);
    else for (let y = b.y0; y < b.y1; y++) push((c * h + y) * w + b.x0, (c * h + y) * w + b.x1);
  }
  return out;
}
