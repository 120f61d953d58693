/**
 * The types that the compile pipeline hands from stage to stage:
 *   Graph (src/ir) → SpikingGraph (converted, float) → FloatNet (populations and projections)
 *   → QuantGraph (integers for one target) → Partition (core boxes) → PlacedNetwork (cores on the mesh)
 *   → MappedChip (routes; what the simulator loads).
 * Each stage takes the previous stage's type, so a stage run out of order does not type-check
 * (tests/types/stages.ts holds the proof: every out-of-order call there is a type error).
 *
 * The chip-level model is a set of neuron *populations* joined by *projections*. Every population is one
 * spiking layer (IF/LIF after a synaptic layer, or the readout); every projection is the synaptic layer
 * that feeds it (dense, or convolution with shared weights). Pooling and flattening are folded into
 * projections by the lowering pass (an AvgPool before a Conv/Affine becomes part of that projection's
 * weights; a pooling layer that stands alone becomes a projection with fixed weights).
 */
import type { Graph } from '../src/ir/graph.js';
import type { TargetSpec } from '../targets/target.js';
import type { Partition } from './partition.js';
import type { NeuronDynamics } from '../src/ir/dynamics.js';

declare const converted: unique symbol;
/** A graph that went through ANN → SNN conversion (compiler/passes/convert.ts): every rectifier is an IF neuron,
 * or it was a spiking student to begin with. Only conversion returns it, and lowering takes nothing else. */
export type SpikingGraph = Graph & { readonly [converted]: true };
/** A graph before conversion (an imported ANN or student): what the passes before conversion take. */
export type UnconvertedGraph = Graph & { readonly [converted]?: never };

/** Spike delivery: 'hardware' = a spike fired at step t is integrated at t+1 (one step per synaptic hop, as
 * on Loihi and in SANA-FE); 'same-step' = it is integrated in step t (the trainer's software model). */
export type DelayMode = 'hardware' | 'same-step';

export type Encoding = 'direct' | 'rate';

/** The IR neuron kind a population implements (snnc's readout integrator is an 'IF' that never fires). */
export type NeuronModel = 'IF' | 'LIF' | 'CubaLIF' | 'LI' | 'CubaLI' | 'I' | 'Threshold';

/**
 * Integer neuron model of one population, all values in the target's units (the contract with
 * simulator/arith.ts). Fields a model does not use are absent, so a plain IF/LIF layer reads as it always did.
 */
export interface QuantNeuron {
  model: NeuronModel;
  /** Integer threshold θ (the layer's, or the largest of `Population.thresholdPerNeuron`): a neuron fires when
   * v ≥ θ or v > θ (`fire`, default the target's fireCondition); reset by subtraction removes θ. */
  threshold: number;
  reset: 'subtract' | 'zero';
  /** Reset 'zero': the potential after a spike (default 0). */
  vReset?: number;
  /** The node's own firing test, when it states one (NIR's v > θ); absent: the target's fireCondition. */
  fire?: 'ge' | 'gt';
  /** Voltage retention numerator over 2^decayBits: v ← trunc(v · decay / 2^decayBits) (leaky kinds; absent: 2^decayBits). */
  decay?: number;
  /** Current-based kinds: the synaptic current's retention numerator (Loihi's 2^12 − δu); the current is a second
   * state register of `stateBits` that the input feeds and the voltage integrates. */
  currentDecay?: number;
  /** Membrane state width in bits (signed, saturating). */
  stateBits: number;
  /** Initial membrane potential (integer). */
  vInit: number;
}

export interface Population {
  name: string;
  /** Per-sample shape of the population ([C, H, W] or [N]). */
  shape: number[];
  size: number;
  neuron: QuantNeuron;
  /** Integer bias added to the potential every step, per neuron (length size) — empty when none. */
  bias: Int32Array;
  /** Current-based kinds: integer bias added to the current every step (a constant synaptic input), or absent. */
  currentBias?: Int32Array;
  /** The readout: it never fires; its potential gives the class. */
  readout: boolean;
  /** How the readout is read: 'final' potential (snnc's integrating readout, the default) or 'sum' of the
   * potential over every step (a leaky integrator feeding the Output, as NIR's LI readouts). */
  read?: 'final' | 'sum';
  /** The IR node this population comes from. */
  source: string;
  /** Per-neuron initial membrane potentials (length size), overriding `neuron.vInit` when present (e.g. a
   * SANA-FE vector's `initial_potential` list). */
  vInitPerNeuron?: Int32Array;
  /** Per-neuron values overriding the layer's (NIR parameters that differ between neurons). */
  thresholdPerNeuron?: Int32Array;
  decayPerNeuron?: Int32Array;
  currentDecayPerNeuron?: Int32Array;
  vResetPerNeuron?: Int32Array;
}

export interface DenseProjection {
  kind: 'dense';
  /** Integer weight mantissas, row-major [post][pre]. */
  weights: Int32Array;
}

export interface ConvProjection {
  kind: 'conv';
  /** Integer weight mantissas, [out][in/groups][kh][kw]. */
  weights: Int32Array;
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number, number, number];
  dilation: [number, number];
  groups: number;
}

export interface Projection {
  name: string;
  /** Source population name, or 'input' for the encoded input. */
  from: string;
  to: string;
  /** Per-sample shape of the source as the projection reads it ([C, H, W] or [N]). */
  preShape: number[];
  postShape: number[];
  /** Effective weight = mantissa · 2^weightExponent (shared per projection; Loihi-style scale rule). */
  weightExponent: number;
  /** The projection closes a cycle of the network: it carries its source's spikes of the previous step even where
   * spikes are delivered in the same step (the IR's recurrent-edge rule). */
  recurrent?: boolean;
  /** Synaptic delay of each source neuron's spikes, in steps (from a Delay node on the path), or absent. */
  delays?: Int32Array;
  weightBits: number;
  synapse: DenseProjection | ConvProjection;
}

/** How the input is turned into events at every step. */
export interface InputSpec {
  shape: number[];
  encoding: Encoding;
  /** direct: the input value x ∈ [0, 1] becomes the integer round(x · inputScale) delivered each step as a
   * graded event; rate: a Bernoulli spike of probability x (seeded), value 1. */
  inputScale: number;
  seed?: number;
}

/** A network in a target's integer formats, before it is placed on cores. */
export interface QuantGraph {
  name: string;
  target: TargetSpec;
  timesteps: number;
  delay: DelayMode;
  input: InputSpec;
  populations: Population[];
  projections: Projection[];
  /** Per-layer quantization error (relative RMS of effective weights vs float), keyed by projection name. */
  quantError: Record<string, number>;
  /** The float value of one state LSB (u) of each population, as quantize chose it (for reading the integers
   * back in float units, `dequantize`; not serialised into mapped.json). */
  stateUnits?: Record<string, number>;
  /** Extra steps run after the `timesteps` steps with the input held, so a chip with 'hardware' delay
   * integrates all `timesteps` steps of evidence at its readout: the chip runs timesteps + holdSteps steps.
   * The compiler sets it to the readout lag on delayed targets by default (`--hold auto`); absent = 0. */
  holdSteps?: number;
  /** The float graph it came from (kept for verification; not serialised into mapped.json). */
  source?: Graph;
}

/** A contiguous slice [start, end) of a population's neurons (C, H, W order) on one core. A core that holds a
 * box of a feature map (some channels × some rows) lists one slice per contiguous run. */
export interface CoreSlice { population: string; start: number; end: number }

export interface CoreAssignment {
  /** Core index on the chip: tile · coresPerTile + core within tile. */
  id: number;
  tile: number;
  /** Mesh position of the core's tile. */
  x: number;
  y: number;
  slices: CoreSlice[];
  /** The box of its population this core holds (channels, rows, cols; half-open), when the compiler placed it. */
  box?: { channels: [number, number]; rows: [number, number]; cols: [number, number] };
  /** Resources used on this core against the target's capacities. */
  usage: { neurons: number; inputAxons: number; outputAxons: number; synapseBits: number };
}

export interface Placement {
  graph: QuantGraph;
  cores: CoreAssignment[];
  /** Hop-weighted traffic cost of this placement and of row-major placement (for the report). */
  cost: number;
  rowMajorCost: number;
  /** True when the user pinned the placement (e.g. a SANA-FE vector's mapping). */
  pinned: boolean;
}

/** What the placer returns: the placement, with the partition and the physical core of each virtual core
 * that routing reads (not serialised). */
export interface PlacedNetwork extends Placement {
  partition: Partition;
  coreOf: Int32Array;
}

/** A route from a source core to its destination cores (dimension-order, multicast tree where the target has it). */
export interface Route {
  fromCore: number;
  toCores: number[];
  /** Links used, each as [fromTile, toTile]; a multicast route lists each link once. */
  links: [number, number][];
  hops: number;
}

/** What the simulator loads: the placed network, its routes and its target. Serialised as mapped.json. */
export interface MappedChip {
  format: 'snnc-mapped';
  version: 1;
  placement: Placement;
  routes: Route[];
}

/** A spiking network lowered to float populations and projections, before quantization. Same layout as the
 * QuantGraph (weights [post][pre] or [out][in/groups][kh][kw]), in float: a spike has value 1, the input
 * keeps its analog value in [0, 1]. */
export interface FloatPopulation {
  name: string;
  shape: number[];
  size: number;
  /** The IR kind it implements and its per-neuron discrete dynamics (src/ir/dynamics.ts). */
  model: NeuronModel;
  dynamics: NeuronDynamics;
  /** Whether the node stated its firing test (NIR kinds); absent: the target's. */
  fire?: 'ge' | 'gt';
  /** Constant synaptic input per neuron (length size, from biases on the paths into it) or empty. */
  bias: Float32Array;
  readout: boolean;
  read?: 'final' | 'sum';
  source: string;
}

export interface FloatProjection {
  name: string;
  from: string;
  to: string;
  preShape: number[];
  postShape: number[];
  recurrent?: boolean;
  delays?: Int32Array;
  synapse:
    | { kind: 'dense'; weights: Float32Array }
    | { kind: 'conv'; weights: Float32Array; kernel: [number, number]; stride: [number, number]; padding: [number, number, number, number]; dilation: [number, number]; groups: number };
}

export interface FloatNet {
  name: string;
  input: { shape: number[]; encoding: Encoding };
  populations: FloatPopulation[];
  projections: FloatProjection[];
  /** Mean spike rate per neuron (spikes per step) from calibration data, keyed by population. */
  rates?: Record<string, Float32Array>;
}
