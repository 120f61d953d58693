/**
 * The functional model of the chip (as SANA-FE's chip.cpp is apart from its schedule.cpp): neuron state per
 * population, one accumulator per projection and delivery slot, spikes delivered through each projection's
 * synapse format, direct input replayed. It decides what fires; the timing model (schedule.ts) decides how long
 * that takes. Every value is an integer held in float64 (exact in any order), following arith.ts.
 */
import type { DelayMode, QuantGraph } from '../compiler/types.js';
import type { TargetSpec } from '../targets/target.js';
import { UserError } from '../src/util/errors.js';
import { populationOrder } from '../compiler/analysis.js';
import { decayPotential, initialPotentials, neuronParams, stepNeuron, type NeuronParams } from './arith.js';
import { InputEncoder } from './input.js';
import type { Synapses } from './synapses.js';
import type { LayerCounts } from './counts.js';

/** The state of one population. */
export interface PopState {
  index: number;
  name: string;
  size: number;
  params: NeuronParams;
  v: Float64Array;
  v0: Float64Array;
  bias: Int32Array | null;
  /** Projections into and out of it (indices into the synapse list). */
  incoming: number[];
  outgoing: number[];
  /** "Received input" flags per delivery slot: whole-population (dense) and per neuron. */
  touchedAll: boolean[];
  touched: Uint8Array[];
  /** Current-based kinds: the current registers. */
  u: Float64Array | null;
  /** Readouts read as a sum: the potential summed over the steps so far. */
  vSum: Float64Array | null;
  /** This step's active updates as a prefix count: activeBefore[j] neurons of [0, j) were active (the timing model
   * reads a core slice's active count, and each spike's position in it, without walking its neurons). */
  activeBefore: Int32Array;
  /** This step's spikes, in neuron order. */
  spikes: Int32Array;
  spikeCount: number;
  raster?: Uint8Array;
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
  inputEffective: number;
}

/** A neuron's update is active (state, input or bias) or idle. */
const ACTIVE = 1;

/** Active-neuron count of the last updateNeurons call (a second return value without an allocation). */
const updateTally = new Int32Array(1);

/** Scratch flag of stepNeuron. */
const firedFlag = new Uint8Array(1);

/**
 * The general neuron step (current-based kinds, per-neuron parameters, reset to v_reset): arith.ts's stepNeuron
 * per neuron, with the same active-update rule and scaled input as updateNeurons.
 */
function updateGeneral(
  v: Float64Array, current: Float64Array, consume: boolean, mul: number, div: number, biases: Int32Array, hasBias: boolean, touched: Uint8Array, touchedAll: boolean,
  activeBefore: Int32Array, spikes: Int32Array, size: number, p: NeuronParams, u: Float64Array | null,
): number {
  let count = 0;
  let nActive = 0;
  for (let j = 0; j < size; j++) {
    const vPrev = v[j];
    const b = hasBias ? biases[j] : 0;
    const input = div === 1 ? current[j] * mul : Math.floor(current[j] / div);
    if (consume) current[j] = 0;
    if (vPrev !== 0 || touchedAll || touched[j] !== 0 || b !== 0 || (u !== null && u[j] !== 0)) nActive++;
    activeBefore[j + 1] = nActive;
    v[j] = stepNeuron(p, j, vPrev, input, b, u, firedFlag);
    if (firedFlag[0]) spikes[count++] = j;
  }
  updateTally[0] = nActive;
  return count;
}

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

/** Whether a population's update needs the general loop (the fast loops handle layer-wide IF/LIF only). */
function needsGeneral(p: NeuronParams): boolean {
  return p.currentBased || p.thresholds !== null || p.decays !== null || p.vResets !== null || p.vReset !== 0;
}

/** The neuron state and synaptic currents of a mapped network; one sample at a time. */
export class ChipState {
  readonly pops: PopState[];
  /** Population update order within a step (feed-forward sources first). */
  readonly order: number[];
  readonly inputProjections: number[];
  readonly inputSize: number;
  /** Delivery slots: an event delivered for step t + k waits in slot (t + k) mod slots. Two suffice without
   * synaptic delays (this step's and the next's). */
  readonly slots: number;
  /** Per projection: the steps after its source fires that its target integrates a spike (0 or 1; delays apart). */
  private readonly lag: Int32Array;
  private readonly accBuffers: Float64Array[][];
  private readonly marks: Uint8Array[][];
  private readonly encoder: InputEncoder;
  /** Direct (constant) input: the first step's injection, replayed on the later steps of the sample. */
  private readonly replay: InputReplay | null;
  /** Per projection: its index among the input projections (replay slot), or −1. */
  private readonly replaySlot: Int32Array;
  /** Scratch current of the largest population, and zero biases for populations without any. */
  private readonly scratch: Float64Array;
  private readonly zeros: Int32Array;
  /** Spikes of one delay value, for projections with synaptic delays. */
  private readonly bucket: Int32Array;
  private readonly graded: Int32Array;
  inputEffectiveOps = 0;

  constructor(
    readonly graph: QuantGraph, target: TargetSpec, readonly synapses: Synapses[], delay: DelayMode,
    private readonly layers: LayerCounts[], private readonly record: boolean,
  ) {
    this.order = populationOrder(graph);
    const position = new Int32Array(graph.populations.length);
    this.order.forEach((pi, k) => { position[pi] = k; });
    const maxDelay = Math.max(0, ...graph.projections.map((p) => (p.delays ? Math.max(0, ...p.delays) : 0)));
    this.slots = 2 + maxDelay;
    const S = this.slots;
    this.pops = graph.populations.map((p, index) => {
      const bias = p.bias.length === 0 ? null : p.bias;
      if (bias && bias.length !== p.size) throw new UserError(`population '${p.name}': ${bias.length} biases for ${p.size} neurons`);
      const v0 = initialPotentials(p);
      const params = neuronParams(p, target);
      return {
        index, name: p.name, size: p.size, params, v: v0.slice(), v0, bias,
        incoming: [], outgoing: [],
        touchedAll: new Array<boolean>(S).fill(false), touched: Array.from({ length: S }, () => new Uint8Array(p.size)),
        u: params.currentBased ? new Float64Array(p.size) : null,
        vSum: params.readSum ? new Float64Array(p.size) : null,
        activeBefore: new Int32Array(p.size + 1), spikes: new Int32Array(p.size), spikeCount: 0,
      } satisfies PopState;
    });
    this.inputProjections = [];
    this.lag = new Int32Array(synapses.length);
    synapses.forEach((q, k) => {
      this.pops[q.to].incoming.push(k);
      if (q.from === -1) this.inputProjections.push(k);
      else this.pops[q.from].outgoing.push(k);
      const p = graph.projections[k];
      // Same-step delivery reaches a later population this step; hardware delay, a recurrent projection or an
      // earlier (already updated) population takes it the next step.
      this.lag[k] = q.from === -1 ? 0 : delay === 'same-step' && !p.recurrent && position[q.from] < position[q.to] ? 0 : 1;
    });
    this.accBuffers = synapses.map((q) => Array.from({ length: S }, () => new Float64Array(q.postSize)));
    this.marks = synapses.map((q) => Array.from({ length: S }, () => q.createMarks()));
    const largest = Math.max(1, ...this.pops.map((p) => p.size));
    this.scratch = new Float64Array(largest);
    this.zeros = new Int32Array(largest);
    this.bucket = new Int32Array(largest);
    this.inputSize = graph.input.shape.reduce((a, b) => a * b, 1);
    this.graded = new Int32Array(this.inputSize);
    this.encoder = new InputEncoder(graph.input, this.inputSize);
    this.replaySlot = new Int32Array(synapses.length).fill(-1);
    this.inputProjections.forEach((k, m) => { this.replaySlot[k] = m; });
    const inputs = this.inputProjections.map((k) => synapses[k]);
    const inputDelays = this.inputProjections.some((k) => graph.projections[k].delays);
    this.replay = graph.input.encoding !== 'direct' || inputDelays ? null : {
      acc: inputs.map((q) => new Float64Array(q.postSize)),
      touched: inputs.map((q) => new Int32Array(q.postSize)),
      touchedCount: new Int32Array(inputs.length),
      touchedAll: inputs.map(() => false),
      mask: inputs.map((q) => new Uint8Array(q.postSize)),
      inPlace: inputs.map((q) => this.pops[q.to].incoming.length === 1),
      syn: new Float64Array(inputs.length),
      nnz: new Float64Array(inputs.length),
      inputEffective: 0,
    };
  }

  /** Whether the input of every step after the first replays the first (a static sample, direct encoding). */
  get replaysInput(): boolean {
    return this.replay !== null && this.encoder.constant;
  }

  /** The slot of step t. */
  slotOf(t: number): number {
    return t % this.slots;
  }

  /** Puts every neuron, accumulator and flag back to the initial state and starts sample `image` (`frames` steps of
   * input when it has a time axis). */
  beginSample(image: ArrayLike<number>, sampleIndex: number, steps: number, frames = 1): void {
    for (const pop of this.pops) {
      pop.v.set(pop.v0);
      pop.touchedAll.fill(false);
      for (const t of pop.touched) t.fill(0);
      pop.u?.fill(0);
      pop.vSum?.fill(0);
      if (this.record) pop.raster = new Uint8Array(steps * pop.size);
    }
    for (const list of this.accBuffers) for (const a of list) a.fill(0);
    for (const list of this.marks) for (const m of list) m.fill(0);
    this.encoder.begin(image, sampleIndex, frames);
  }

  /**
   * Injects step `t`'s input events. Returns the events when they were computed afresh (the timing model costs
   * them per core), or null when the first step's direct input was replayed: integer sums in float64 are exact in
   * any order, so the replay is bit-identical.
   */
  inject(t: number): Int32Array | null {
    if (this.inputProjections.length === 0) return null;
    const buf = this.slotOf(t);
    const replay = this.replaysInput ? this.replay : null;
    if (replay && t > 0) { this.replayInput(buf, replay); return null; }
    const events = this.encoder.step();
    let inputEffective = 0;
    for (let m = 0; m < this.inputProjections.length; m++) {
      const k = this.inputProjections[m];
      const q = this.synapses[k];
      const post = this.pops[q.to];
      const delays = this.graph.projections[k].delays;
      let syn = 0, nnz = 0;
      if (delays) {
        // Events of each delay value go to the slot of the step they arrive in.
        const graded = this.graded;
        for (const d of new Set(delays)) {
          const slot = this.slotOf(t + d);
          for (let i = 0; i < graded.length; i++) graded[i] = delays[i] === d ? events[i] : 0;
          const marks = this.marks[k][slot];
          syn += q.addGraded(graded, this.accBuffers[k][slot], marks, post.touched[slot]);
          nnz += q.nonZero;
          if (q.format === 'dense' && marks[0] === 1) { marks[0] = 0; post.touchedAll[slot] = true; }
        }
      } else {
        const acc = this.accBuffers[k][buf];
        const touched = post.touched[buf];
        const marks = this.marks[k][buf];
        syn = q.addGraded(events, acc, marks, touched);
        nnz = q.nonZero;
        if (q.format === 'dense' && marks[0] === 1) { marks[0] = 0; post.touchedAll[buf] = true; }
        if (replay) {
          // At step 0 the accumulator and touched flags held nothing before this injection.
          if (q.touch(marks, touched)) post.touchedAll[buf] = true;
          replay.acc[m].set(acc);
          replay.touchedAll[m] = post.touchedAll[buf];
          let n = 0;
          const list = replay.touched[m];
          for (let j = 0; j < touched.length; j++) if (touched[j] !== 0) list[n++] = j;
          replay.touchedCount[m] = n;
          replay.mask[m].set(touched);
        }
      }
      const layer = this.layers[q.to];
      layer.synapticEvents += syn;
      layer.effectiveSynapticOps += nnz;
      // inputEffectiveOps counts the MACs of graded input; spike input makes ACs, like every other spike.
      if (!this.encoder.spikes) inputEffective += nnz;
      if (replay) { replay.syn[m] = syn; replay.nnz[m] = nnz; }
    }
    this.inputEffectiveOps += inputEffective;
    if (replay) replay.inputEffective = inputEffective;
    return events;
  }

  /** Steps after the first of a directly encoded sample: the first step's input, replayed. */
  private replayInput(buf: number, replay: InputReplay): void {
    for (let m = 0; m < this.inputProjections.length; m++) {
      const k = this.inputProjections[m];
      const q = this.synapses[k];
      if (!replay.inPlace[m]) {
        const acc = this.accBuffers[k][buf];
        const src = replay.acc[m];
        for (let j = 0; j < acc.length; j++) acc[j] += src[j];
        const post = this.pops[q.to];
        if (replay.touchedAll[m]) post.touchedAll[buf] = true;
        const touched = post.touched[buf], list = replay.touched[m];
        for (let n = 0, count = replay.touchedCount[m]; n < count; n++) touched[list[n]] = 1;
      }
      const layer = this.layers[q.to];
      layer.synapticEvents += replay.syn[m];
      layer.effectiveSynapticOps += replay.nnz[m];
    }
    this.inputEffectiveOps += replay.inputEffective;
  }

  /** One step of a population's neurons at step `t` from what its slot accumulated; leaves its spikes in `pop.spikes`. */
  update(pop: PopState, t: number): void {
    const buf = this.slotOf(t);
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
    const replay = this.replaysInput ? this.replay : null;
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
      const e = this.synapses[inc[0]].exponent;
      if (e >= 0) mul = 2 ** e;
      else div = 2 ** -e;
    } else {
      current = this.scratch;
      current.fill(0, 0, pop.size);
      for (const k of inc) {
        const acc = this.accBuffers[k][buf];
        const e = this.synapses[k].exponent;
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
      if (this.synapses[k].touch(this.marks[k][buf], touched)) pop.touchedAll[buf] = true;
    }
    touchedAllIn = touchedAllIn || (consume && pop.touchedAll[buf]);
    const biases = pop.bias ?? this.zeros, hasBias = pop.bias !== null;
    const count = needsGeneral(p)
      ? updateGeneral(v, current, consume, mul, div, biases, hasBias, touchedIn, touchedAllIn, pop.activeBefore, spikes, pop.size, p, pop.u)
      : updateNeurons(v, current, consume, mul, div, biases, hasBias, touchedIn, touchedAllIn, pop.activeBefore, spikes, pop.size, p);
    const nActive = updateTally[0];
    pop.spikeCount = count;
    pop.touchedAll[buf] = false;
    touched.fill(0);
    if (pop.vSum) for (let j = 0; j < pop.size; j++) pop.vSum[j] += v[j];
    if (pop.raster) for (let k = 0; k < count; k++) pop.raster[t * pop.size + spikes[k]] = 1;
    const layer = this.layers[pop.index];
    layer.spikes += count;
    layer.neuronUpdatesActive += nActive;
    layer.neuronUpdatesIdle += pop.size - nActive;
  }

  /** The hot loop: every spike of `pop` at step `t` adds its synapse rows to the accumulators of the step it arrives in. */
  deliver(pop: PopState, t: number): void {
    const n = pop.spikeCount;
    if (n === 0) return;
    for (const k of pop.outgoing) {
      const q = this.synapses[k];
      const post = this.pops[q.to];
      const layer = this.layers[q.to];
      const delays = this.graph.projections[k].delays;
      if (!delays) {
        const slot = this.slotOf(t + this.lag[k]);
        this.add(k, q, post, slot, pop.spikes, n, layer);
        continue;
      }
      // Spikes grouped by their synaptic delay, each group into the slot of the step it arrives in.
      const bucket = this.bucket;
      for (const d of new Set(Array.from(pop.spikes.subarray(0, n), (i) => delays[i]))) {
        let m = 0;
        for (let s = 0; s < n; s++) if (delays[pop.spikes[s]] === d) bucket[m++] = pop.spikes[s];
        this.add(k, q, post, this.slotOf(t + this.lag[k] + d), bucket, m, layer);
      }
    }
  }

  private add(k: number, q: Synapses, post: PopState, slot: number, spikes: Int32Array, n: number, layer: LayerCounts): void {
    const marks = this.marks[k][slot];
    layer.synapticEvents += q.addSpikes(spikes, n, this.accBuffers[k][slot], marks, post.touched[slot]);
    layer.effectiveSynapticOps += q.nonZero;
    if (q.format === 'dense') { marks[0] = 0; post.touchedAll[slot] = true; }
  }

  /** The readout: final (or summed) potentials of the readout population, or spike counts of the last population
   * when none reads out. */
  readout(steps: number): Float64Array {
    const readoutPop = this.pops.find((p) => p.params.readout);
    if (readoutPop) return (readoutPop.vSum ?? readoutPop.v).slice();
    // No readout layer (e.g. a SANA-FE vector): the last layer's spike counts stand in for scores.
    const last = this.pops[this.order[this.order.length - 1]];
    const readout = new Float64Array(last.size);
    if (last.raster) for (let t = 0; t < steps; t++) for (let j = 0; j < last.size; j++) readout[j] += last.raster[t * last.size + j];
    return readout;
  }
}
