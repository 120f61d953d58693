/**
 * The time-step engine of the chip model. Each step:
 *   1. input events are injected into the cores holding the first synaptic layer;
 *   2. every population updates its neurons (integer arithmetic of arith.ts) in feed-forward order;
 *   3. each spike leaves its core as one packet per destination core, routed over the mesh (link
 *      contention, per-direction hop latency); the destination core integrates the synaptic events
 *      (into the accumulators of the next step under 'hardware' delay, of the same step under 'same-step');
 *   4. a barrier synchronises all cores.
 * Timing follows SANA-FE's message-level model: a core's send timeline is its neuron updates in order, each
 * packet leaving when its neuron is done; a core's receive timeline processes arriving packets in arrival
 * order (message-in cost plus synaptic events × cost). A step lasts until the last core finishes, plus the
 * barrier. The functional state is all typed arrays; the hot loop adds a spike's weight row to its targets.
 */
import type { CoreAssignment, DelayMode, MappedChip, QuantGraph } from '../compiler/types.js';
import type { TargetSpec } from '../targets/target.js';
import { UserError } from '../src/util/errors.js';
import {
  argmax, decayPotential, digestSpikes, DIGEST_SEED, initialPotentials, neuronParams, type NeuronParams,
} from './arith.js';
import { InputEncoder } from './input.js';
import { LinkState, isEastWest, xyRoute, type MeshPath } from './noc.js';
import { populationOrder } from '../compiler/analysis.js';
import { buildEventProjections, expandTouched, rowLength, scatterConv, scatterTaps, type EventProjection } from './program.js';

export interface SimOptions {
  /** Spike delivery; default the artifact's recorded delay (the compiler writes the target's own, `timing.delay`). */
  delay?: DelayMode;
  /** Steps per sample; default the graph's timesteps + holdSteps (input held for the extra steps). */
  timesteps?: number;
  /** Keep the spike raster of the last sample (tests and the bit-identity check). */
  record?: boolean;
  /** Convolutions with more synapses than this are walked through their kernel geometry instead of their tap
   * table (slower; kept as a cross-check, tests set 0); default EXPAND_LIMIT (2^24). */
  expandLimit?: number;
}

/** Counts of one population (layer), summed over all samples run. */
export interface LayerCounts {
  name: string;
  size: number;
  /** Synaptic events into this layer: every stored connection of a spiking source (SANA-FE's count). */
  synapticEvents: number;
  /** The same with zero weights left out (NeuroBench effective ACs / MACs for graded input). */
  effectiveSynapticOps: number;
  neuronUpdatesActive: number;
  neuronUpdatesIdle: number;
  spikes: number;
  /** Packets this layer's spikes sent, and the mesh hops they took. */
  packetsOut: number;
  hopsOut: number;
}

/** Counts of one core, summed over all samples run. */
export interface CoreCounts {
  id: number;
  tile: number;
  x: number;
  y: number;
  neurons: number;
  synapticEvents: number;
  effectiveSynapticOps: number;
  neuronUpdatesActive: number;
  neuronUpdatesIdle: number;
  spikes: number;
  packetsOut: number;
  packetsIn: number;
  hopsOut: number;
  maxLinkQueue: number;
  /** Steps in which this core finished last (the critical core of the step). */
  criticalSteps: number;
}

export interface NetworkCounts {
  packets: number;
  hopsEastWest: number;
  hopsNorthSouth: number;
  linkWaitNs: number;
  maxLinkQueue: number;
  /** Packets that met a link queue deeper than the target's link buffer. */
  bufferOverflows: number;
}

export interface TimingCounts {
  steps: number;
  totalNs: number;
  syncNs: number;
  maxStepNs: number;
}

/** What one sample produced. */
export interface SampleResult {
  prediction: number;
  /** Final potentials of the readout population (or spike counts of the last population when none reads out). */
  readout: Float64Array;
  /** Digest of every spike (step, population, neuron) of the run. */
  spikeDigest: number;
  /** Per-step latency of this sample, ns, and the critical core of each step. */
  stepNs: number[];
  criticalCore: number[];
  /** Spike rasters by population name, [step · size + neuron], when `record` was set. */
  raster?: Map<string, Uint8Array>;
}

interface PopRuntime {
  index: number;
  name: string;
  size: number;
  params: NeuronParams;
  v: Float64Array;
  v0: Float64Array;
  bias: Int32Array | null;
  incoming: number[];
  outgoing: number[];
  /** Double-buffered "received input this step" flags: whole-population (dense) and per neuron (conv). */
  touchedAll: [boolean, boolean];
  touched: [Uint8Array, Uint8Array];
  /** This step's active updates as a prefix count: activeBefore[j] neurons of [0, j) were active (the send
   * timelines read a core slice's active count, and each spike's position in it, without walking its neurons). */
  activeBefore: Int32Array;
  spikes: Int32Array;
  spikeCount: number;
  coreOf: Int32Array;
  /** Outgoing packets per source neuron: fan[fanPtr[i] .. fanPtr[i+1]) = destination core, synapses, non-zero synapses, path. */
  fanPtr: Int32Array;
  fanCore: Int32Array;
  fanSyn: Int32Array;
  fanNnz: Int32Array;
  fanPath: Int32Array;
  raster?: Uint8Array;
}

/** Cumulative counters of a simulator, over all samples it ran. */
export interface SimCounts {
  samples: number;
  timesteps: number;
  delay: DelayMode;
  inputEvents: number;
  /** Effective (non-zero weight) synaptic operations driven by input events: MACs when the input is graded. */
  inputEffectiveOps: number;
  layers: LayerCounts[];
  cores: CoreCounts[];
  network: NetworkCounts;
  timing: TimingCounts;
}

function interpolateSync(table: [number, number][], tiles: number): number {
  if (table.length === 0) return 0;
  const sorted = [...table].sort((a, b) => a[0] - b[0]);
  if (tiles <= sorted[0][0]) return sorted[0][1];
  for (let k = 1; k < sorted.length; k++) {
    const [t1, ns1] = sorted[k];
    if (tiles <= t1) {
      const [t0, ns0] = sorted[k - 1];
      return ns0 + ((ns1 - ns0) * (tiles - t0)) / (t1 - t0);
    }
  }
  return sorted[sorted.length - 1][1];
}

/**
 * The sparse (convolution) hot loop, kept in its own small function so it stays monomorphic: each spiking
 * source adds its CSR row to the accumulators and marks the targets as having received input.
 */
function addSparseRows(acc: Float64Array, touched: Uint8Array, cols: Int32Array, vals: Int32Array, ptr: Int32Array, spikes: Int32Array, n: number): number {
  let events = 0;
  for (let s = 0; s < n; s++) {
    const i = spikes[s];
    const start = ptr[i], end = ptr[i + 1];
    for (let e = start; e < end; e++) {
      const c = cols[e];
      acc[c] += vals[e];
      touched[c] = 1;
    }
    events += end - start;
  }
  return events;
}

/** What one step of direct input did, for replay on the later steps of the sample. */
interface InputReplay {
  /** Per input projection: the accumulated input, the targets it touched, its synaptic events and effective ops. */
  acc: Float64Array[];
  touched: Int32Array[];
  touchedCount: Int32Array;
  touchedAll: boolean[];
  /** The touched targets as a mask, and whether the target population has no other input: then it reads acc and
   * mask in place (nothing is copied back into its accumulator and flags on the replayed steps). */
  mask: Uint8Array[];
  inPlace: boolean[];
  syn: Float64Array;
  nnz: Float64Array;
  /** Receive timelines of the cores after the injection. */
  recvNs: Float64Array;
  inputEvents: number;
  inputEffective: number;
}

/** A neuron's update is active (state, input or bias) or idle. */
const ACTIVE = 1;

/** Active-neuron count of the last updateNeurons call (a second return value without an allocation). */
const updateTally = new Int32Array(1);

/**
 * One step of a population's neurons (the rule of arith.ts), kept standalone and monomorphic: consumes and
 * (when `consume`) zeroes `current` (scaled as read: · mul, or floor(/ div), the projection exponent), writes each neuron's flags, lists the spikes; returns their count.
 */
function updateNeurons(
  v: Float64Array, current: Float64Array, consume: boolean, mul: number, div: number, biases: Int32Array, hasBias: boolean, touched: Uint8Array, touchedAll: boolean,
  activeBefore: Int32Array, spikes: Int32Array, size: number, p: NeuronParams,
): number {
  const threshold = p.threshold, lo = p.lo, hi = p.hi, fireStrict = p.fireStrict, resetToZero = p.resetToZero;
  const leaky = p.leaky, canFire = !p.readout;
  if (!leaky && canFire && !resetToZero && div === 1) {
    return updateIntegrateAndFire(v, current, consume, mul, biases, hasBias, touched, touchedAll, activeBefore, spikes, size, threshold, fireStrict, lo, hi);
  }
  let count = 0;
  let nActive = 0;
  for (let j = 0; j < size; j++) {
    const vPrev = v[j];
    const b = biases[j];
    const input = div === 1 ? current[j] * mul : Math.floor(current[j] / div);
    if (consume) current[j] = 0;
    // SANA-FE's (and Loihi's) rule: a compartment is updated when it holds state, receives input or has a bias.
    if (vPrev !== 0 || touchedAll || touched[j] !== 0 || (hasBias && b !== 0)) nActive++;
    activeBefore[j + 1] = nActive;
    let x = (leaky ? decayPotential(vPrev, p) : vPrev) + input + b;
    if (x > hi) x = hi;
    else if (x < lo) x = lo;
    if (canFire && (fireStrict ? x > threshold : x >= threshold)) {
      spikes[count++] = j;
      x = resetToZero ? 0 : x - threshold;
      if (x < lo) x = lo;
    }
    v[j] = x;
  }
  updateTally[0] = nActive;
  return count;
}

/**
 * updateNeurons' common case in a loop of its own (about a third faster): integrate-and-fire, reset by
 * subtraction, a non-negative exponent; `x > θ || (!strict && x === θ)` is the general loop's fire test. The same operations in the same order as the general loop
 * (a missing bias reads as 0, so `b !== 0` is the general loop's `hasBias && b !== 0`).
 */
function updateIntegrateAndFire(
  v: Float64Array, current: Float64Array, consume: boolean, mul: number, biases: Int32Array, hasBias: boolean, touched: Uint8Array,
  touchedAll: boolean, activeBefore: Int32Array, spikes: Int32Array, size: number, threshold: number, strict: boolean, lo: number, hi: number,
): number {
  let count = 0;
  let nActive = 0;
  for (let j = 0; j < size; j++) {
    const vPrev = v[j];
    const b = hasBias ? biases[j] : 0;
    const input = current[j] * mul;
    if (consume) current[j] = 0;
    const active = vPrev !== 0 || touchedAll || touched[j] !== 0 || b !== 0 ? ACTIVE : 0;
    nActive += active;
    activeBefore[j + 1] = nActive;
    let x = vPrev + input + b;
    x = x > hi ? hi : x < lo ? lo : x;
    if (x > threshold || (!strict && x === threshold)) {
      spikes[count++] = j;
      x -= threshold;
      if (x < lo) x = lo;
    }
    v[j] = x;
  }
  updateTally[0] = nActive;
  return count;
}

/** Whether run a's head message goes before run b's: earlier send time, ties to the lower core. */
function runBefore(sent: Float64Array, head: Int32Array, a: number, b: number): boolean {
  const ta = sent[head[a]], tb = sent[head[b]];
  return ta < tb || (ta === tb && a < b);
}

/** Growable message list of one step (typed arrays, no per-message objects). */
class MessageList {
  count = 0;
  sent = new Float64Array(1024);
  src = new Int32Array(1024);
  dst = new Int32Array(1024);
  syn = new Int32Array(1024);
  path = new Int32Array(1024);
  /** Multicast: messages of one spike share a group id (a tree of links); unicast: every message its own. */
  group = new Int32Array(1024);
  /** Source population of each message (per-layer packet and hop counts). */
  pop = new Int32Array(1024);
  order = new Uint32Array(1024);

  push(sent: number, src: number, dst: number, syn: number, path: number, group: number, pop: number): void {
    if (this.count === this.sent.length) this.grow();
    const k = this.count++;
    this.sent[k] = sent;
    this.src[k] = src;
    this.dst[k] = dst;
    this.syn[k] = syn;
    this.path[k] = path;
    this.group[k] = group;
    this.pop[k] = pop;
  }

  private grow(): void {
    const n = this.sent.length * 2;
    const f = new Float64Array(n); f.set(this.sent); this.sent = f;
    const a = new Int32Array(n); a.set(this.src); this.src = a;
    const b = new Int32Array(n); b.set(this.dst); this.dst = b;
    const c = new Int32Array(n); c.set(this.syn); this.syn = c;
    const d = new Int32Array(n); d.set(this.path); this.path = d;
    const g = new Int32Array(n); g.set(this.group); this.group = g;
    const p = new Int32Array(n); p.set(this.pop); this.pop = p;
    this.order = new Uint32Array(n);
  }

  /** Where each core's run of messages ends (messages are appended core by core, each run in time order). */
  runEnd = new Int32Array(0);
  private heap = new Int32Array(0);
  private head = new Int32Array(0);

  /**
   * Message indices by send time, ties broken by core then emission order: a k-way merge of the per-core
   * runs (each already sorted), with a binary heap of run heads, so no comparator closures or copies.
   */
  sortedOrder(runs: number): Uint32Array {
    const order = this.order.subarray(0, this.count);
    if (this.heap.length < runs) { this.heap = new Int32Array(runs); this.head = new Int32Array(runs); }
    const sent = this.sent, heap = this.heap, head = this.head, runEnd = this.runEnd, group = this.group;
    let size = 0;
    let start = 0;
    for (let r = 0; r < runs; r++) {
      if (runEnd[r] > start) {
        head[r] = start;
        // sift up
        let k = size++;
        heap[k] = r;
        while (k > 0) {
          const parent = (k - 1) >> 1;
          if (!runBefore(sent, head, heap[k], heap[parent])) break;
          const t = heap[k]; heap[k] = heap[parent]; heap[parent] = t;
          k = parent;
        }
      }
      start = runEnd[r];
    }
    let out = 0;
    while (size > 0) {
      const r = heap[0];
      order[out++] = head[r]++;
      // The messages of one multicast spike stay together (same send time, same group): they form one packet.
      while (head[r] < runEnd[r] && group[head[r]] === group[head[r] - 1]) order[out++] = head[r]++;
      if (head[r] === runEnd[r]) heap[0] = heap[--size];
      // sift down
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        if (l >= size) break;
        let m = l;
        if (l + 1 < size && runBefore(sent, head, heap[l + 1], heap[l])) m = l + 1;
        if (!runBefore(sent, head, heap[m], heap[k])) break;
        const t = heap[k]; heap[k] = heap[m]; heap[m] = t;
        k = m;
      }
    }
    return order;
  }
}

/** A mapped chip ready to run samples. Construct once, run many samples; counters accumulate. */
export class ChipSimulator {
  readonly graph: QuantGraph;
  readonly target: TargetSpec;
  readonly delay: DelayMode;
  readonly timesteps: number;
  readonly projections: EventProjection[];
  readonly cores: CoreAssignment[];
  private readonly pops: PopRuntime[];
  private readonly order: number[];
  private readonly accBuffers: [Float64Array, Float64Array][];
  /** Per projection and buffer: scatterTaps' (group, output position) marks, expanded into touched on update. */
  private readonly tapTouched: [Uint8Array, Uint8Array][];
  private readonly inputProjections: number[];
  private readonly encoder: InputEncoder;
  private readonly paths: MeshPath[] = [];
  private readonly links: LinkState;
  private readonly sendNs: Float64Array;
  private readonly recvNs: Float64Array;
  private readonly messages = new MessageList();
  private readonly coreSlices: { pop: number; start: number; end: number }[][];
  /** The same flattened: core c's slices are [sliceCore[c], sliceCore[c+1]) of slicePop/sliceStart/sliceEnd. */
  private readonly sliceCore: Int32Array;
  private readonly slicePop: Int32Array;
  private readonly sliceStart: Int32Array;
  private readonly sliceEnd: Int32Array;
  /** Synaptic events and effective ops each core received from spikes this step. */
  private readonly coreSynIn: Float64Array;
  private readonly coreNnzIn: Float64Array;
  /** Per-step packet counters of routeUnicast, by core and by layer. */
  private readonly corePacketsOut: Float64Array;
  private readonly corePacketsIn: Float64Array;
  private readonly coreHops: Float64Array;
  private readonly coreQueue: Float64Array;
  private readonly layerPacketsOut: Float64Array;
  private readonly layerHops: Float64Array;
  private readonly syncNs: number;
  private readonly inputFan: { ptr: Int32Array; core: Int32Array; syn: Int32Array; nnz: Int32Array };
  private readonly record: boolean;
  /** Direct (constant) input: the first step's injection, replayed on the later steps of the sample. */
  private readonly inputReplay: InputReplay | null;
  /** Per projection: its index among the input projections (replay slot), or −1. */
  private readonly replaySlot: Int32Array;
  /** Per-core synaptic events and effective ops of the last injected input step. */
  private readonly inputCoreSyn: Float64Array;
  private readonly inputCoreNnz: Float64Array;
  /** Whether one packet per spike reaches all its destination cores (a multicast tree). */
  private readonly multicast: boolean;
  private readonly treeLinks = new Map<number, number>();
  /** Scratch current of the largest population, and zero biases for populations without any. */
  private readonly scratch: Float64Array;
  private readonly zeros: Int32Array;
  /** Unused accumulator handed to scatterConv when it only enumerates targets. */
  private readonly scratchAcc = new Float64Array(0);
  /** Timing constants, ns. */
  private readonly ns: { syn: number; active: number; idle: number; spikeOut: number; msgOut: number; msgIn: number; hopEw: number; hopNs: number; occupancy: number; tick: number };
  readonly counts: SimCounts;

  constructor(mapped: MappedChip, opts: SimOptions = {}) {
    const graph = mapped.placement.graph;
    this.graph = graph;
    this.target = graph.target;
    const t = this.target;
    this.delay = opts.delay ?? graph.delay ?? t.timing.delay.value;
    this.timesteps = opts.timesteps ?? graph.timesteps + (graph.holdSteps ?? 0);
    if (!(Number.isInteger(this.timesteps) && this.timesteps >= 1)) throw new UserError(`time steps must be a positive integer, got ${this.timesteps}`);
    this.record = opts.record ?? false;
    this.multicast = t.mesh.multicast.value;
    this.projections = buildEventProjections(graph, opts.expandLimit);
    this.order = populationOrder(graph);
    this.cores = mapped.placement.cores;
    const ids = new Set<number>();
    for (const c of this.cores) {
      if (ids.has(c.id)) throw new UserError(`core ${c.id} appears twice in the placement`);
      ids.add(c.id);
    }

    this.pops = graph.populations.map((p, index) => {
      const params = neuronParams(p, t);
      const v0 = initialPotentials(p);
      const bias = p.bias.length === 0 ? null : p.bias;
      if (bias && bias.length !== p.size) throw new UserError(`population '${p.name}': ${bias.length} biases for ${p.size} neurons`);
      return {
        index, name: p.name, size: p.size, params, v: v0.slice(), v0, bias,
        incoming: [], outgoing: [],
        touchedAll: [false, false], touched: [new Uint8Array(p.size), new Uint8Array(p.size)],
        activeBefore: new Int32Array(p.size + 1), spikes: new Int32Array(p.size), spikeCount: 0,
        coreOf: new Int32Array(p.size).fill(-1),
        fanPtr: new Int32Array(p.size + 1), fanCore: new Int32Array(0), fanSyn: new Int32Array(0), fanNnz: new Int32Array(0), fanPath: new Int32Array(0),
      } satisfies PopRuntime;
    });
    const popIndex = new Map(this.pops.map((p) => [p.name, p.index]));
    this.inputProjections = [];
    this.projections.forEach((q, k) => {
      this.pops[q.to].incoming.push(k);
      if (q.from === -1) this.inputProjections.push(k);
      else this.pops[q.from].outgoing.push(k);
    });
    this.accBuffers = this.projections.map((q) => [new Float64Array(q.postSize), new Float64Array(q.postSize)]);
    this.tapTouched = this.projections.map((q) => {
      const marks = q.taps ? (q.taps.cout / q.taps.outPerGroup) * q.taps.outPlane : 0;
      return [new Uint8Array(marks), new Uint8Array(marks)];
    });
    const largest = Math.max(1, ...this.pops.map((p) => p.size));
    this.scratch = new Float64Array(largest);
    this.zeros = new Int32Array(largest);

    // Neuron → core, from the placement; every neuron must sit on exactly one core.
    this.coreSlices = this.cores.map(() => []);
    this.cores.forEach((core, k) => {
      for (const s of core.slices) {
        const pi = popIndex.get(s.population);
        if (pi === undefined) throw new UserError(`core ${core.id}: slice of unknown population '${s.population}'`);
        const pop = this.pops[pi];
        if (!(Number.isInteger(s.start) && Number.isInteger(s.end) && s.start >= 0 && s.end <= pop.size && s.start < s.end)) {
          throw new UserError(`core ${core.id}: slice [${s.start}, ${s.end}) does not fit population '${s.population}' of ${pop.size} neurons`);
        }
        for (let j = s.start; j < s.end; j++) {
          if (pop.coreOf[j] !== -1) throw new UserError(`neuron ${j} of '${s.population}' is placed on two cores (${this.cores[pop.coreOf[j]].id} and ${core.id})`);
          pop.coreOf[j] = k;
        }
        this.coreSlices[k].push({ pop: pi, start: s.start, end: s.end });
      }
    });
    const allSlices = this.coreSlices.flat();
    this.sliceCore = new Int32Array(this.cores.length + 1);
    this.coreSlices.forEach((list, k) => { this.sliceCore[k + 1] = this.sliceCore[k] + list.length; });
    this.slicePop = Int32Array.from(allSlices, (s) => s.pop);
    this.sliceStart = Int32Array.from(allSlices, (s) => s.start);
    this.sliceEnd = Int32Array.from(allSlices, (s) => s.end);
    this.coreSynIn = new Float64Array(this.cores.length);
    this.coreNnzIn = new Float64Array(this.cores.length);
    this.corePacketsOut = new Float64Array(this.cores.length);
    this.corePacketsIn = new Float64Array(this.cores.length);
    this.coreHops = new Float64Array(this.cores.length);
    this.coreQueue = new Float64Array(this.cores.length);
    this.layerPacketsOut = new Float64Array(this.pops.length);
    this.layerHops = new Float64Array(this.pops.length);
    for (const pop of this.pops) {
      const missing = pop.coreOf.indexOf(-1);
      if (missing !== -1) throw new UserError(`neuron ${missing} of population '${pop.name}' is not placed on any core`);
    }

    const grid = { width: t.mesh.width.value, height: t.mesh.height.value };
    for (const c of this.cores) {
      if (!(c.x >= 0 && c.x < grid.width && c.y >= 0 && c.y < grid.height)) {
        throw new UserError(`core ${c.id} sits at (${c.x}, ${c.y}), outside the ${grid.width}×${grid.height} mesh of '${t.name}'`);
      }
    }
    const pathIndex = new Map<number, number>();
    const pathOf = (srcK: number, dstK: number): number => {
      const key = srcK * this.cores.length + dstK;
      let p = pathIndex.get(key);
      if (p === undefined) {
        const a = this.cores[srcK];
        const b = this.cores[dstK];
        p = this.paths.length;
        this.paths.push(xyRoute(grid, a.x, a.y, b.x, b.y));
        pathIndex.set(key, p);
      }
      return p;
    };

    // Fan-out tables: one packet per (spiking neuron, destination core), over all the neuron's projections.
    const perCoreSyn = new Int32Array(this.cores.length);
    const perCoreNnz = new Int32Array(this.cores.length);
    const seen: number[] = [];
    const gatherRow = (q: EventProjection, i: number, scale: number) => {
      const coreOf = this.pops[q.to].coreOf;
      const add = (post: number, w: number) => {
        const c = coreOf[post];
        if (perCoreSyn[c] === 0 && perCoreNnz[c] === 0) seen.push(c);
        perCoreSyn[c] += scale;
        if (w !== 0) perCoreNnz[c]++;
      };
      if (q.dense) {
        const base = i * q.postSize;
        for (let j = 0; j < q.postSize; j++) add(j, q.weightsT[base + j]);
      } else if (q.geometry) {
        scatterConv(q.geometry, i, 0, this.scratchAcc, null, add);
      } else if (q.taps) {
        const g = q.taps;
        const ci = Math.floor(i / g.inPlane), pos = i - ci * g.inPlane;
        const grp = Math.floor(ci / g.inPerGroup), cg = ci - grp * g.inPerGroup;
        for (let t = g.pairPtr[pos]; t < g.pairPtr[pos + 1]; t++) {
          for (let co = grp * g.outPerGroup; co < (grp + 1) * g.outPerGroup; co++) {
            add(co * g.outPlane + g.pairAt[t], g.weights[(cg * g.kernelSize + g.pairTap[t]) * g.cout + co]);
          }
        }
      } else {
        for (let k = q.rowPtr[i]; k < q.rowPtr[i + 1]; k++) add(q.cols[k], q.vals[k]);
      }
    };
    const buildFan = (size: number, projs: number[], srcCore: (i: number) => number) => {
      const ptr = new Int32Array(size + 1);
      const core: number[] = [], syn: number[] = [], nnz: number[] = [], path: number[] = [];
      for (let i = 0; i < size; i++) {
        for (const k of projs) gatherRow(this.projections[k], i, 1);
        seen.sort((a, b) => a - b);
        for (const c of seen) {
          core.push(c); syn.push(perCoreSyn[c]); nnz.push(perCoreNnz[c]);
          const s = srcCore(i);
          path.push(s >= 0 ? pathOf(s, c) : -1);
          perCoreSyn[c] = 0; perCoreNnz[c] = 0;
        }
        seen.length = 0;
        ptr[i + 1] = core.length;
      }
      return { ptr, core: Int32Array.from(core), syn: Int32Array.from(syn), nnz: Int32Array.from(nnz), path: Int32Array.from(path) };
    };
    for (const pop of this.pops) {
      const f = buildFan(pop.size, pop.outgoing, (i) => pop.coreOf[i]);
      pop.fanPtr = f.ptr; pop.fanCore = f.core; pop.fanSyn = f.syn; pop.fanNnz = f.nnz; pop.fanPath = f.path;
    }
    const inputSize = graph.input.shape.reduce((a, b) => a * b, 1);
    const inFan = buildFan(this.inputProjections.length > 0 ? inputSize : 0, this.inputProjections, () => -1);
    this.inputFan = { ptr: inFan.ptr, core: inFan.core, syn: inFan.syn, nnz: inFan.nnz };
    this.encoder = new InputEncoder(graph.input, inputSize);
    this.replaySlot = new Int32Array(this.projections.length).fill(-1);
    this.inputProjections.forEach((k, m) => { this.replaySlot[k] = m; });
    this.inputCoreSyn = new Float64Array(this.cores.length);
    this.inputCoreNnz = new Float64Array(this.cores.length);
    const inputs = this.inputProjections.map((k) => this.projections[k]);
    this.inputReplay = graph.input.encoding !== 'direct' ? null : {
      acc: inputs.map((q) => new Float64Array(q.postSize)),
      touched: inputs.map((q) => new Int32Array(q.postSize)),
      touchedCount: new Int32Array(inputs.length),
      touchedAll: inputs.map(() => false),
      mask: inputs.map((q) => new Uint8Array(q.postSize)),
      inPlace: inputs.map((q) => this.pops[q.to].incoming.length === 1),
      syn: new Float64Array(inputs.length),
      nnz: new Float64Array(inputs.length),
      recvNs: new Float64Array(this.cores.length),
      inputEvents: 0,
      inputEffective: 0,
    };

    const tm = t.timing;
    const clockNs = 1e9 / tm.clockHz.value;
    this.ns = {
      syn: tm.synapticOpNs.value,
      active: tm.neuronUpdateActiveNs.value,
      idle: tm.neuronUpdateIdleNs.value,
      spikeOut: tm.spikeOutNs?.value ?? 0,
      msgOut: tm.messageOutNs?.value ?? 0,
      msgIn: tm.messageInNs?.value ?? 0,
      hopEw: tm.hopEastWestNs.value,
      hopNs: tm.hopNorthSouthNs.value,
      occupancy: clockNs / t.mesh.linkPacketsPerCycle.value,
      tick: tm.tickNs?.value ?? 0,
    };
    this.links = new LinkState(grid.width * grid.height * 4, this.ns.occupancy, t.mesh.linkBuffer.value);
    this.sendNs = new Float64Array(this.cores.length);
    this.recvNs = new Float64Array(this.cores.length);
    const tilesInUse = new Set(this.cores.filter((c) => c.slices.length > 0).map((c) => c.tile)).size;
    this.syncNs = interpolateSync(tm.syncNs.value, Math.max(1, tilesInUse));

    this.counts = {
      samples: 0,
      timesteps: this.timesteps,
      delay: this.delay,
      inputEvents: 0,
      inputEffectiveOps: 0,
      layers: this.pops.map((p) => ({ name: p.name, size: p.size, synapticEvents: 0, effectiveSynapticOps: 0, neuronUpdatesActive: 0, neuronUpdatesIdle: 0, spikes: 0, packetsOut: 0, hopsOut: 0 })),
      cores: this.cores.map((c, k) => ({
        id: c.id, tile: c.tile, x: c.x, y: c.y, neurons: this.coreSlices[k].reduce((a, s) => a + s.end - s.start, 0),
        synapticEvents: 0, effectiveSynapticOps: 0, neuronUpdatesActive: 0, neuronUpdatesIdle: 0, spikes: 0,
        packetsOut: 0, packetsIn: 0, hopsOut: 0, maxLinkQueue: 0, criticalSteps: 0,
      })),
      network: { packets: 0, hopsEastWest: 0, hopsNorthSouth: 0, linkWaitNs: 0, maxLinkQueue: 0, bufferOverflows: 0 },
      timing: { steps: 0, totalNs: 0, syncNs: 0, maxStepNs: 0 },
    };
  }

  /** Tiles holding at least one neuron, and the barrier time per step for them. */
  get barrierNs(): number {
    return this.syncNs;
  }

  /** Runs one sample from the initial state. `image` holds the input values in [0, 1]. */
  runSample(image: ArrayLike<number>, sampleIndex = 0): SampleResult {
    const T = this.timesteps;
    for (const pop of this.pops) {
      pop.v.set(pop.v0);
      pop.touchedAll[0] = pop.touchedAll[1] = false;
      pop.touched[0].fill(0); pop.touched[1].fill(0);
      for (const k of pop.incoming) for (const marks of this.tapTouched[k]) marks.fill(0);
      if (this.record) pop.raster = new Uint8Array(T * pop.size);
    }
    for (const [a, b] of this.accBuffers) { a.fill(0); b.fill(0); }
    this.encoder.begin(image, sampleIndex);
    let digest = DIGEST_SEED;
    const stepNs: number[] = [];
    const criticalCore: number[] = [];
    let cur = 0;
    for (let t = 0; t < T; t++) {
      if (this.delay === 'hardware' && t > 0) cur ^= 1;
      this.sendNs.fill(0);
      this.recvNs.fill(0);
      this.injectInput(cur, t);
      for (const pi of this.order) {
        const pop = this.pops[pi];
        this.updatePopulation(pop, cur, t);
        digest = digestSpikes(digest, t, pi, pop.spikes, pop.spikeCount);
        this.deliverSpikes(pop, this.delay === 'same-step' ? cur : cur ^ 1);
      }
      const { ns, critical } = this.scheduleStep();
      stepNs.push(ns);
      criticalCore.push(critical);
    }
    this.counts.samples++;
    const readoutPop = this.pops.find((p) => p.params.readout);
    let readout: Float64Array;
    if (readoutPop) readout = readoutPop.v.slice();
    else {
      // No readout layer (e.g. a SANA-FE vector): the last layer's spike counts stand in for scores.
      const last = this.pops[this.order[this.order.length - 1]];
      readout = new Float64Array(last.size);
      if (last.raster) for (let t = 0; t < T; t++) for (let j = 0; j < last.size; j++) readout[j] += last.raster[t * last.size + j];
    }
    const result: SampleResult = { prediction: argmax(readout), readout, spikeDigest: digest, stepNs, criticalCore };
    if (this.record) result.raster = new Map(this.pops.map((p) => [p.name, p.raster!]));
    return result;
  }

  /**
   * Injects this step's input events. Direct encoding presents the same events at every step of a sample, so
   * the first step's effect (accumulated input, touched targets, counts, per-core receive time) is kept and
   * replayed: integer sums in float64 are exact in any order, so the replay is bit-identical.
   */
  private injectInput(buf: number, t: number): void {
    if (this.inputProjections.length === 0) return;
    const replay = this.inputReplay;
    if (replay && t > 0) { this.replayInput(buf, replay); return; }
    const events = this.encoder.step();
    const fan = this.inputFan;
    const cores = this.counts.cores;
    const synNs = this.ns.syn;
    let inputEvents = 0;
    let inputEffective = 0;
    for (let m = 0; m < this.inputProjections.length; m++) {
      const k = this.inputProjections[m];
      const q = this.projections[k];
      const acc = this.accBuffers[k][buf];
      const post = this.pops[q.to];
      const touched = post.touched[buf];
      let pending = -1;
      let syn = 0, nnz = 0;
      for (let i = 0; i < q.preSize; i++) {
        const x = events[i];
        if (x === 0) continue;
        if (q.dense) {
          post.touchedAll[buf] = true;
          // Pairs of graded rows per pass, as in deliverSpikes.
          if (pending < 0) pending = i;
          else {
            const row = q.weightsT, n = q.postSize;
            const b1 = pending * n, b2 = i * n, x1 = events[pending];
            for (let j = 0; j < n; j++) acc[j] += x1 * row[b1 + j] + x * row[b2 + j];
            pending = -1;
          }
        } else if (q.taps) scatterTaps(q.taps, i, x, acc, this.tapTouched[k][buf]);
        else if (q.geometry) scatterConv(q.geometry, i, x, acc, touched);
        else {
          const cols = q.cols, vals = q.vals;
          for (let s = q.rowPtr[i], e = q.rowPtr[i + 1]; s < e; s++) { acc[cols[s]] += x * vals[s]; touched[cols[s]] = 1; }
        }
        syn += rowLength(q, i);
        nnz += q.rowNonZero[i];
      }
      if (pending >= 0) {
        const row = q.weightsT, n = q.postSize, base = pending * n, x = events[pending];
        for (let j = 0; j < n; j++) acc[j] += x * row[base + j];
      }
      const layer = this.counts.layers[q.to];
      layer.synapticEvents += syn;
      layer.effectiveSynapticOps += nnz;
      inputEffective += nnz;
      if (replay) {
        // At step 0 the accumulator and touched flags held nothing before this injection.
        if (q.taps) expandTouched(q.taps, this.tapTouched[k][buf], touched);
        replay.acc[m].set(acc);
        replay.syn[m] = syn;
        replay.nnz[m] = nnz;
        replay.touchedAll[m] = post.touchedAll[buf];
        let n = 0;
        const list = replay.touched[m];
        for (let j = 0; j < touched.length; j++) if (touched[j] !== 0) list[n++] = j;
        replay.touchedCount[m] = n;
        replay.mask[m].set(touched);
      }
    }
    this.counts.inputEffectiveOps += inputEffective;
    // Per-core input cost: the events arrive at the destination cores at the start of the step.
    const coreSyn = this.inputCoreSyn, coreNnz = this.inputCoreNnz;
    coreSyn.fill(0); coreNnz.fill(0);
    const size = fan.ptr.length - 1;
    for (let i = 0; i < size; i++) {
      if (events[i] === 0) continue;
      inputEvents++;
      for (let f = fan.ptr[i]; f < fan.ptr[i + 1]; f++) {
        const c = fan.core[f];
        coreSyn[c] += fan.syn[f];
        coreNnz[c] += fan.nnz[f];
        this.recvNs[c] += fan.syn[f] * synNs;
      }
    }
    for (let c = 0; c < cores.length; c++) {
      cores[c].synapticEvents += coreSyn[c];
      cores[c].effectiveSynapticOps += coreNnz[c];
    }
    this.counts.inputEvents += inputEvents;
    if (replay) {
      replay.recvNs.set(this.recvNs);
      replay.inputEvents = inputEvents;
      replay.inputEffective = inputEffective;
    }
  }

  /** Steps after the first of a directly encoded sample: the first step's input, replayed. */
  private replayInput(buf: number, replay: InputReplay): void {
    for (let m = 0; m < this.inputProjections.length; m++) {
      const k = this.inputProjections[m];
      const q = this.projections[k];
      if (!replay.inPlace[m]) {
        const acc = this.accBuffers[k][buf];
        const src = replay.acc[m];
        for (let j = 0; j < acc.length; j++) acc[j] += src[j];
        const post = this.pops[q.to];
        if (replay.touchedAll[m]) post.touchedAll[buf] = true;
        const touched = post.touched[buf], list = replay.touched[m];
        for (let n = 0, count = replay.touchedCount[m]; n < count; n++) touched[list[n]] = 1;
      }
      const layer = this.counts.layers[q.to];
      layer.synapticEvents += replay.syn[m];
      layer.effectiveSynapticOps += replay.nnz[m];
    }
    this.counts.inputEffectiveOps += replay.inputEffective;
    const cores = this.counts.cores, coreSyn = this.inputCoreSyn, coreNnz = this.inputCoreNnz;
    for (let c = 0; c < cores.length; c++) {
      cores[c].synapticEvents += coreSyn[c];
      cores[c].effectiveSynapticOps += coreNnz[c];
    }
    // The receive timelines were zero before the first step's injection, as they are now.
    this.recvNs.set(replay.recvNs);
    this.counts.inputEvents += replay.inputEvents;
  }

  private updatePopulation(pop: PopRuntime, buf: number, t: number): void {
    const p = pop.params;
    const v = pop.v;
    const touched = pop.touched[buf];
    const spikes = pop.spikes;
    const inc = pop.incoming;
    // The population's input current: the accumulator itself when one projection feeds it (scaled as read), else
    // the scaled sum of its projections in a scratch buffer; either way zeroed as it is read. Replayed direct
    // input is read in place instead.
    let current = this.scratch;
    let mul = 1, div = 1;
    let touchedIn = touched, touchedAllIn = pop.touchedAll[buf], consume = true;
    const replay = this.inputReplay;
    const slot = replay && t > 0 && inc.length === 1 ? this.replaySlot[inc[0]] : -1;
    if (slot >= 0 && replay!.inPlace[slot]) {
      // Fed by direct input alone, after the first step: the recorded input is read in place, not consumed.
      current = replay!.acc[slot];
      touchedIn = replay!.mask[slot];
      touchedAllIn = replay!.touchedAll[slot];
      consume = false;
    } else if (inc.length === 1) {
      // One projection: its exponent is applied as the accumulator is read (the same operation as below).
      current = this.accBuffers[inc[0]][buf];
    }
    if (inc.length === 1) {
      const e = this.projections[inc[0]].exponent;
      if (e >= 0) mul = 2 ** e;
      else div = 2 ** -e;
    } else {
      current = this.scratch;
      current.fill(0, 0, pop.size);
      for (const k of inc) {
        const acc = this.accBuffers[k][buf];
        const e = this.projections[k].exponent;
        // applyExponent, with the power of two hoisted out of the loop.
        if (e >= 0) {
          const mul = 2 ** e;
          for (let j = 0; j < pop.size; j++) current[j] += acc[j] * mul;
        } else {
          const div = 2 ** -e;
          for (let j = 0; j < pop.size; j++) current[j] += Math.floor(acc[j] / div);
        }
        acc.fill(0);
      }
    }
    for (const k of inc) {
      const taps = this.projections[k].taps;
      if (taps) expandTouched(taps, this.tapTouched[k][buf], touched);
    }
    const count = updateNeurons(v, current, consume, mul, div, pop.bias ?? this.zeros, pop.bias !== null, touchedIn, touchedAllIn, pop.activeBefore, pop.spikes, pop.size, p);
    const nActive = updateTally[0];
    pop.spikeCount = count;
    pop.touchedAll[buf] = false;
    touched.fill(0);
    if (pop.raster) for (let k = 0; k < count; k++) pop.raster[t * pop.size + spikes[k]] = 1;
    const layer = this.counts.layers[pop.index];
    layer.spikes += count;
    layer.neuronUpdatesActive += nActive;
    layer.neuronUpdatesIdle += pop.size - nActive;
  }

  /** The hot loop: every spike adds its weight row to the target accumulators. */
  private deliverSpikes(pop: PopRuntime, buf: number): void {
    const n = pop.spikeCount;
    if (n === 0) return;
    const spikes = pop.spikes;
    for (const k of pop.outgoing) {
      const q = this.projections[k];
      const acc = this.accBuffers[k][buf];
      const post = this.pops[q.to];
      const layer = this.counts.layers[q.to];
      let nnz = 0;
      if (q.dense) {
        const row = q.weightsT;
        const m = q.postSize;
        // Two rows per pass halve the accumulator loads and stores (the sum stays exact in float64).
        let s = 0;
        for (; s + 1 < n; s += 2) {
          const i1 = spikes[s], i2 = spikes[s + 1];
          const b1 = i1 * m, b2 = i2 * m;
          for (let j = 0; j < m; j++) acc[j] += row[b1 + j] + row[b2 + j];
          nnz += q.rowNonZero[i1] + q.rowNonZero[i2];
        }
        if (s < n) {
          const i = spikes[s];
          const base = i * m;
          for (let j = 0; j < m; j++) acc[j] += row[base + j];
          nnz += q.rowNonZero[i];
        }
        post.touchedAll[buf] = true;
        layer.synapticEvents += n * m;
      } else if (q.taps) {
        const touchedAt = this.tapTouched[k][buf], ptr = q.rowPtr, taps = q.taps, rowNonZero = q.rowNonZero;
        let events = 0;
        for (let s = 0; s < n; s++) {
          const i = spikes[s];
          scatterTaps(taps, i, 1, acc, touchedAt);
          events += ptr[i + 1] - ptr[i];
          nnz += rowNonZero[i];
        }
        layer.synapticEvents += events;
      } else if (q.geometry) {
        const touched = post.touched[buf], ptr = q.rowPtr;
        let events = 0;
        for (let s = 0; s < n; s++) {
          const i = spikes[s];
          scatterConv(q.geometry, i, 1, acc, touched);
          events += ptr[i + 1] - ptr[i];
          nnz += q.rowNonZero[i];
        }
        layer.synapticEvents += events;
      } else {
        layer.synapticEvents += addSparseRows(acc, post.touched[buf], q.cols, q.vals, q.rowPtr, spikes, n);
        for (let s = 0; s < n; s++) nnz += q.rowNonZero[spikes[s]];
      }
      layer.effectiveSynapticOps += nnz;
    }
  }

  /**
   * Each core's send timeline: its neurons in order (active or idle cost), each spike's packets leaving as its
   * neuron is done. Appends the messages core by core and counts the synaptic events each destination receives.
   * Only the spikes are visited: the time at a spike is the slice's start time, plus the update costs of the
   * neurons up to and including it (counted from the population's active prefix counts, so idle stretches cost
   * a multiplication, not a loop), plus the send costs of the slice's earlier spikes.
   */
  private sendTimelines(): void {
    const ns = this.ns, msgs = this.messages, cores = this.counts.cores, multicast = this.multicast;
    const activeNs = ns.active, idleNs = ns.idle, spikeOutNs = ns.spikeOut, msgOutNs = ns.msgOut;
    const synIn = this.coreSynIn, nnzIn = this.coreNnzIn;
    synIn.fill(0); nnzIn.fill(0);
    const sliceCore = this.sliceCore, slicePop = this.slicePop, sliceStart = this.sliceStart, sliceEnd = this.sliceEnd;
    let groups = 0;
    for (let c = 0; c < this.cores.length; c++) {
      let base = 0;
      let spikes = 0;
      let coreActive = 0, coreIdle = 0;
      for (let si = sliceCore[c]; si < sliceCore[c + 1]; si++) {
        const pop = this.pops[slicePop[si]];
        const pi = pop.index;
        const prefix = pop.activeBefore, fanPtr = pop.fanPtr, fanCore = pop.fanCore, fanSyn = pop.fanSyn, fanNnz = pop.fanNnz, fanPath = pop.fanPath;
        const start = sliceStart[si], end = sliceEnd[si];
        const a0 = prefix[start];
        // Send costs of this slice's spikes so far.
        let extra = 0;
        const list = pop.spikes, n = pop.spikeCount;
        // First spike at or after `start` (the list is in neuron order).
        let lo = 0, hi = n;
        while (lo < hi) { const mid = (lo + hi) >> 1; if (list[mid] < start) lo = mid + 1; else hi = mid; }
        for (let s = lo; s < n; s++) {
          const j = list[s];
          if (j >= end) break;
          const active = prefix[j + 1] - a0;
          extra += spikeOutNs;
          let time = base + active * activeNs + (j + 1 - start - active) * idleNs + extra;
          spikes++;
          const f0 = fanPtr[j], f1 = fanPtr[j + 1];
          // Multicast: one packet leaves for all destinations (a tree); unicast: one per destination core.
          if (multicast && f1 > f0) { extra += msgOutNs; time += msgOutNs; }
          const group = multicast ? groups++ : -1;
          for (let f = f0; f < f1; f++) {
            if (!multicast) { extra += msgOutNs; time += msgOutNs; }
            const d = fanCore[f], syn = fanSyn[f];
            msgs.push(time, c, d, syn, fanPath[f], group === -1 ? groups++ : group, pi);
            synIn[d] += syn;
            nnzIn[d] += fanNnz[f];
          }
        }
        const active = prefix[end] - a0;
        coreActive += active;
        coreIdle += end - start - active;
        base += active * activeNs + (end - start - active) * idleNs + extra;
      }
      const cc = cores[c];
      cc.neuronUpdatesActive += coreActive;
      cc.neuronUpdatesIdle += coreIdle;
      cc.spikes += spikes;
      this.sendNs[c] = base;
      msgs.runEnd[c] = msgs.count;
    }
    for (let c = 0; c < this.cores.length; c++) {
      cores[c].synapticEvents += synIn[c];
      cores[c].effectiveSynapticOps += nnzIn[c];
    }
  }

  /**
   * Unicast packets in send order: each message is its own packet over its own path. Per-core and per-layer
   * counters gather in typed arrays and are added to the counts once per step (integer sums: order-free).
   */
  private routeUnicast(order: Uint32Array): number {
    const msgs = this.messages, links = this.links, paths = this.paths, recvNs = this.recvNs;
    const hopEw = this.ns.hopEw, hopNs = this.ns.hopNs, msgInNs = this.ns.msgIn, synNs = this.ns.syn;
    const coreOut = this.corePacketsOut, coreIn = this.corePacketsIn, coreHops = this.coreHops, coreQueue = this.coreQueue;
    const layerOut = this.layerPacketsOut, layerHops = this.layerHops;
    coreOut.fill(0); coreIn.fill(0); coreHops.fill(0); coreQueue.fill(0); layerOut.fill(0); layerHops.fill(0);
    const sent = msgs.sent, srcOf = msgs.src, dstOf = msgs.dst, synOf = msgs.syn, pathOf = msgs.path, popOf = msgs.pop;
    let ew = 0, nsHops = 0;
    for (let k = 0; k < order.length; k++) {
      const m = order[k];
      const path = paths[pathOf[m]];
      const src = srcOf[m], dst = dstOf[m], pop = popOf[m];
      const hops = path.links.length;
      const arrival = hops === 0 ? sent[m] : links.traverse(path, sent[m], hopEw, hopNs);
      coreOut[src]++;
      layerOut[pop]++;
      coreHops[src] += hops;
      layerHops[pop] += hops;
      ew += path.eastWestHops;
      nsHops += path.northSouthHops;
      if (hops !== 0 && links.lastQueue > coreQueue[src]) coreQueue[src] = links.lastQueue;
      const free = recvNs[dst];
      recvNs[dst] = (free > arrival ? free : arrival) + msgInNs + synOf[m] * synNs;
      coreIn[dst]++;
    }
    const cores = this.counts.cores, layers = this.counts.layers, net = this.counts.network;
    for (let c = 0; c < cores.length; c++) {
      const cc = cores[c];
      cc.packetsOut += coreOut[c];
      cc.packetsIn += coreIn[c];
      cc.hopsOut += coreHops[c];
      if (coreQueue[c] > cc.maxLinkQueue) cc.maxLinkQueue = coreQueue[c];
    }
    for (let l = 0; l < layers.length; l++) {
      layers[l].packetsOut += layerOut[l];
      layers[l].hopsOut += layerHops[l];
    }
    net.hopsEastWest += ew;
    net.hopsNorthSouth += nsHops;
    return order.length;
  }

  /**
   * Times one step: each core's send timeline in neuron order, packets over the mesh in global send order,
   * each destination core's receive timeline in arrival order; returns the step latency and its critical core.
   */
  private scheduleStep(): { ns: number; critical: number } {
    const ns = this.ns;
    const msgs = this.messages;
    msgs.count = 0;
    if (msgs.runEnd.length !== this.cores.length) msgs.runEnd = new Int32Array(this.cores.length);
    const cores = this.counts.cores;
    const net = this.counts.network;
    this.sendTimelines();
    const links = this.links;
    links.reset();
    const order = msgs.sortedOrder(this.cores.length);
    // Links a multicast tree has already crossed, with the time the packet left each (reset per group).
    const treeLinks = this.treeLinks;
    const layers = this.counts.layers;
    let packets = 0;
    if (!this.multicast) packets = this.routeUnicast(order);
    else {
      let currentGroup = -1;
      for (let k = 0; k < order.length; k++) {
        const m = order[k];
        const path = this.paths[msgs.path[m]];
        const src = msgs.src[m], dst = msgs.dst[m];
        if (msgs.group[m] !== currentGroup) {
          currentGroup = msgs.group[m];
          treeLinks.clear();
          packets++;
          cores[src].packetsOut++;
          layers[msgs.pop[m]].packetsOut++;
        }
        // The branches of a tree share their common prefix: each link is crossed (and counted) once.
        let t = msgs.sent[m];
        links.lastQueue = 0;
        for (const l of path.links) {
          const known = treeLinks.get(l);
          if (known !== undefined) { t = known; continue; }
          t = links.cross(l, t, ns.hopEw, ns.hopNs);
          treeLinks.set(l, t);
          cores[src].hopsOut++;
          layers[msgs.pop[m]].hopsOut++;
          if (isEastWest(l)) net.hopsEastWest++;
          else net.hopsNorthSouth++;
        }
        if (links.lastQueue > cores[src].maxLinkQueue) cores[src].maxLinkQueue = links.lastQueue;
        const begin = Math.max(this.recvNs[dst], t);
        this.recvNs[dst] = begin + ns.msgIn + msgs.syn[m] * ns.syn;
        cores[dst].packetsIn++;
      }
    }
    net.packets += packets;
    net.linkWaitNs += links.waitNs;
    if (links.maxQueue > net.maxLinkQueue) net.maxLinkQueue = links.maxQueue;
    net.bufferOverflows += links.overflows;
    let busiest = 0;
    let critical = -1;
    for (let c = 0; c < this.cores.length; c++) {
      const done = Math.max(this.sendNs[c], this.recvNs[c]);
      if (done > busiest || critical === -1) { busiest = done; critical = c; }
    }
    if (critical >= 0) cores[critical].criticalSteps++;
    let stepNs = busiest + this.syncNs;
    if (ns.tick > stepNs) stepNs = ns.tick;
    const tm = this.counts.timing;
    tm.steps++;
    tm.totalNs += stepNs;
    tm.syncNs += this.syncNs;
    if (stepNs > tm.maxStepNs) tm.maxStepNs = stepNs;
    return { ns: stepNs, critical: critical >= 0 ? this.cores[critical].id : -1 };
  }
}
