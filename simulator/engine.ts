/**
 * The chip simulator: a mapped chip run sample by sample, step by step. It composes the functional model
 * (chip.ts: neuron state, synaptic currents, spikes) with the timing model (schedule.ts: send and receive
 * timelines, packets over the mapped routes, latency), as SANA-FE separates chip.cpp from schedule.cpp. Each step:
 *   1. input events are injected into the cores holding the first synaptic layer;
 *   2. every population updates its neurons (integer arithmetic of arith.ts) in feed-forward order and delivers
 *      its spikes (into the accumulators of the next step under 'hardware' delay, of the same step under 'same-step');
 *   3. the timing model schedules the step's packets and work; a barrier synchronises all cores.
 */
import type { CoreAssignment, DelayMode, MappedChip, QuantGraph } from '../compiler/types.js';
import type { TargetSpec } from '../targets/target.js';
import { UserError } from '../src/util/errors.js';
import { argmax, digestSpikes, DIGEST_SEED } from './arith.js';
import { ChipState } from './chip.js';
import { StepSchedule } from './schedule.js';
import { buildSynapses, type Synapses } from './synapses.js';
import type { SimCounts } from './counts.js';

export type { LayerCounts, CoreCounts, NetworkCounts, TimingCounts, SimCounts } from './counts.js';

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

/** A mapped chip ready to run samples. Construct once, run many samples; counters accumulate. */
export class ChipSimulator {
  readonly graph: QuantGraph;
  readonly target: TargetSpec;
  readonly delay: DelayMode;
  readonly timesteps: number;
  /** Every projection's synapses, in the graph's projection order. */
  readonly projections: Synapses[];
  readonly cores: CoreAssignment[];
  readonly counts: SimCounts;
  private readonly chip: ChipState;
  private readonly schedule: StepSchedule;

  constructor(mapped: MappedChip, opts: SimOptions = {}) {
    const graph = mapped.placement.graph;
    this.graph = graph;
    this.target = graph.target;
    this.delay = opts.delay ?? graph.delay ?? this.target.timing.delay.value;
    this.timesteps = opts.timesteps ?? graph.timesteps + (graph.holdSteps ?? 0);
    if (!(Number.isInteger(this.timesteps) && this.timesteps >= 1)) throw new UserError(`time steps must be a positive integer, got ${this.timesteps}`);
    this.projections = buildSynapses(graph, opts.expandLimit);
    this.cores = mapped.placement.cores;
    const layers = graph.populations.map((p) => ({ name: p.name, size: p.size, synapticEvents: 0, effectiveSynapticOps: 0, neuronUpdatesActive: 0, neuronUpdatesIdle: 0, spikes: 0, packetsOut: 0, hopsOut: 0 }));
    this.counts = {
      samples: 0,
      timesteps: this.timesteps,
      delay: this.delay,
      inputEvents: 0,
      inputEffectiveOps: 0,
      layers,
      cores: [],
      network: { packets: 0, hopsEastWest: 0, hopsNorthSouth: 0, linkWaitNs: 0, maxLinkQueue: 0, bufferOverflows: 0 },
      timing: { steps: 0, totalNs: 0, syncNs: 0, maxStepNs: 0 },
    };
    this.chip = new ChipState(graph, this.target, this.projections, this.delay, layers, opts.record ?? false);
    this.schedule = new StepSchedule(mapped, this.target, this.chip.pops, this.projections, this.chip.inputProjections, this.chip.inputSize, this.counts);
    this.counts.cores = this.cores.map((c, k) => ({
      id: c.id, tile: c.tile, x: c.x, y: c.y, neurons: this.schedule.neuronsOf(k),
      synapticEvents: 0, effectiveSynapticOps: 0, neuronUpdatesActive: 0, neuronUpdatesIdle: 0, spikes: 0,
      packetsOut: 0, packetsIn: 0, hopsOut: 0, maxLinkQueue: 0, criticalSteps: 0,
    }));
  }

  /** The barrier time per step for the tiles holding neurons. */
  get barrierNs(): number {
    return this.schedule.syncNs;
  }

  /** Runs one sample from the initial state. `image` holds the input values in [0, 1]: one input (static), or
   * `frames` steps of it (inputs over time; steps after the last frame get no input). */
  runSample(image: ArrayLike<number>, sampleIndex = 0, frames = 1): SampleResult {
    const T = this.timesteps;
    const chip = this.chip, schedule = this.schedule;
    chip.beginSample(image, sampleIndex, T, frames);
    const effectiveBefore = chip.inputEffectiveOps;
    let digest = DIGEST_SEED;
    const stepNs: number[] = [];
    const criticalCore: number[] = [];
    for (let t = 0; t < T; t++) {
      schedule.beginStep();
      schedule.input(chip.inject(t));
      for (const pi of chip.order) {
        const pop = chip.pops[pi];
        chip.update(pop, t);
        digest = digestSpikes(digest, t, pi, pop.spikes, pop.spikeCount);
        chip.deliver(pop, t);
      }
      const { ns, critical } = schedule.step(chip.pops);
      stepNs.push(ns);
      criticalCore.push(critical);
    }
    this.counts.samples++;
    this.counts.inputEffectiveOps += chip.inputEffectiveOps - effectiveBefore;
    const readout = chip.readout(T);
    const result: SampleResult = { prediction: argmax(readout), readout, spikeDigest: digest, stepNs, criticalCore };
    if (chip.pops[0]?.raster) result.raster = new Map(chip.pops.map((p) => [p.name, p.raster!]));
    return result;
  }
}
