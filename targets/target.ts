/**
 * A neuromorphic chip described as data. Every figure carries its source (HARDWARE.md); a figure that is
 * not published is marked as an assumption with the reason. Files: targets/<name>.json, validated by
 * schemas/target.schema.json; loading and validation are in targets/load.ts.
 */

/** A number with where it comes from. `assumption` is set when no published figure exists. */
export interface Sourced<T = number> {
  value: T;
  source: string;
  assumption?: string;
}

/** Per-layer limits of chips whose cores each run one whole convolutional layer (Speck / DYNAP-CNN). */
export interface LayerLimits {
  /** Largest input feature map [H, W] a core accepts. */
  maxInput: [number, number];
  /** Largest output feature map [H, W]. */
  maxOutput: [number, number];
  maxChannels: number;
  maxKernel: [number, number];
  /** Strides the core supports. */
  strides: number[];
}

/** A target file as written: optional figures may be left out (the resolver fills them in). */
export interface TargetFile {
  name: string;
  description: string;
  /** Sources used by this file, with 'secondary' noted where a figure was read in a derived source. */
  sources: string[];
  mesh: {
    /** Mesh size in tiles (for a multi-chip system, the whole system's mesh). */
    width: Sourced;
    height: Sourced;
    coresPerTile: Sourced;
    /** Tiles per chip [width, height] when the mesh spans several chips (static power is per chip). */
    chipTiles?: Sourced<[number, number]>;
    routing: Sourced<'dimension-order-xy'>;
    multicast: Sourced<boolean>;
    /** Packets one link carries per cycle, and link buffer depth in packets. */
    linkPacketsPerCycle: Sourced;
    linkBuffer: Sourced;
  };
  core: {
    neurons: Sourced;
    inputAxons: Sourced;
    outputAxons: Sourced;
    synapseMemoryBits: Sourced;
    /** Bits one stored synapse takes (defaults to precision.weightBits); TrueNorth's crossbar stores 1. */
    synapseBits?: Sourced;
    /** Conv weight sharing: 'none' (every synapse stored), 'kernel' (a core stores the kernel of the output
     * channels it holds: c_out × c_in/groups × kh × kw weights), or 'speck' (DYNAP-CNN's memory formula). */
    convWeightSharing: Sourced<'none' | 'kernel' | 'speck'>;
    /** When true, a shared-weight conv projection needs one input axon per source core feeding the slice
     * (population axons), not one per source neuron. */
    populationAxons?: Sourced<boolean>;
    /** Per-core kernel/neuron memory entries for chips whose cores differ (Speck); else absent. */
    kernelMemory?: Sourced<number[]>;
    neuronMemory?: Sourced<number[]>;
    maxDistinctWeightsPerNeuron?: Sourced;
    /** Most cores one neuron's spikes may reach (TrueNorth: 1 axon; Speck: 2 destination layers). */
    maxDestinationCoresPerNeuron?: Sourced;
    /** False when a layer must sit whole on one core (Speck). Default true. */
    splitLayers?: Sourced<boolean>;
    layerLimits?: Sourced<LayerLimits>;
    /** Cores available on the chip (mesh cells × cores per tile unless stated). */
    count: Sourced;
  };
  precision: {
    weightBits: Sourced;
    weightSigned: Sourced<boolean>;
    /** 'per-projection-pow2': mantissa · 2^e with e shared per projection (Loihi); 'per-layer-scale': int with a float scale;
     * 'axon-types': at most N distinct values per neuron (TrueNorth). */
    weightScale: Sourced<'per-projection-pow2' | 'per-layer-scale' | 'axon-types'>;
    /** Allowed exponents e of the effective weight mantissa · 2^e (integers, inclusive). */
    weightExponentRange?: Sourced<[number, number]>;
    /** Threshold register width (unsigned mantissa). */
    thresholdBits: Sourced;
    /** The threshold register is scaled by 2^thresholdShift (Loihi: 6). Default 0. */
    thresholdShift?: Sourced;
    stateBits: Sourced;
    decayBits?: Sourced;
    /** Bits of an input event: 1 = binary spikes only (the input must be rate-encoded), more = graded. */
    inputBits: Sourced;
    /** Spike condition: 'ge' (v ≥ θ) or 'gt' (v > θ, SANA-FE and Lava's Loihi models). */
    fireCondition: Sourced<'ge' | 'gt'>;
  };
  timing: {
    /** Spike delivery of the hardware (see DelayMode). */
    delay: Sourced<'hardware' | 'same-step'>;
    clockHz: Sourced;
    synapticOpNs: Sourced;
    neuronUpdateActiveNs: Sourced;
    neuronUpdateIdleNs: Sourced;
    spikeOutNs?: Sourced;
    messageOutNs?: Sourced;
    messageInNs?: Sourced;
    hopEastWestNs: Sourced;
    hopNorthSouthNs: Sourced;
    /** Barrier sync per step, as a table [tiles, ns] interpolated by the number of tiles in use. */
    syncNs: Sourced<[number, number][]>;
    /** Real-time step length, when the chip runs at a fixed tick (TrueNorth 1 ms). */
    tickNs?: Sourced;
  };
  /** What the neurons and synapses can do beyond capacity (compiler/features.ts checks a network against it). */
  features?: {
    /** Connections that close a cycle (a population feeding itself or an earlier one). */
    recurrence?: Sourced<boolean>;
    /** Current-based neurons: a synaptic-current register with its own decay (Loihi's compartment u). */
    currentBased?: Sourced<boolean>;
    /** A leak proportional to the potential (v ← v · (1 − δ)); default true. */
    leak?: Sourced<boolean>;
    /** Longest synaptic (axonal) delay in steps; 0 = none. */
    synapticDelayMax?: Sourced;
    /** Thresholds, decays and reset values that differ between neurons of one layer. */
    perNeuronParameters?: Sourced<boolean>;
    /** A reset to a programmable potential other than 0. */
    resetToValue?: Sourced<boolean>;
    /**
     * How a neuron whose fan-in exceeds a core's input axons is split over several cores: 'none' (it cannot be:
     * the layer does not fit) or 'relay' (partial sums on other cores, carried to the neuron as spikes by relay
     * neurons, the only way when cores exchange nothing but spikes). Default 'none'.
     */
    fanInSplit?: Sourced<'none' | 'relay'>;
  };
  energy: {
    synapticOpPJ: Sourced;
    neuronUpdateActivePJ: Sourced;
    neuronUpdateIdlePJ: Sourced;
    spikeOutPJ?: Sourced;
    messageOutPJ?: Sourced;
    hopEastWestPJ: Sourced;
    hopNorthSouthPJ: Sourced;
    syncPJ: Sourced;
    /** Static power per chip (W). */
    staticW: Sourced;
  };
}

/** A figure the target file left out, filled in by the resolver (targets/load.ts resolveTarget). */
export const DEFAULT_SOURCE = 'snnc default (the target file does not state it)';

type Full<T> = { [K in keyof T]-?: NonNullable<T[K]> };
type FileCore = TargetFile['core'];
type NoneAllowed = 'maxDistinctWeightsPerNeuron' | 'maxDestinationCoresPerNeuron' | 'layerLimits' | 'kernelMemory' | 'neuronMemory';

/**
 * A resolved target: every figure present, each either from the file or a stated default (source
 * DEFAULT_SOURCE); limits a chip does not have are `null`. What every stage reads, so a default is decided once.
 */
export interface TargetSpec {
  name: string;
  description: string;
  sources: string[];
  mesh: Full<TargetFile['mesh']>;
  core: Full<Omit<FileCore, NoneAllowed>> & {
    /** At most this many distinct weights per neuron ('axon-types' targets), else null. */
    maxDistinctWeightsPerNeuron: Sourced<number | null>;
    maxDestinationCoresPerNeuron: Sourced<number | null>;
    layerLimits: Sourced<LayerLimits | null>;
    /** Per-core memories (chips whose cores differ), else null. */
    kernelMemory: Sourced<number[] | null>;
    neuronMemory: Sourced<number[] | null>;
  };
  precision: Full<TargetFile['precision']>;
  timing: Full<TargetFile['timing']>;
  energy: Full<TargetFile['energy']>;
  features: Full<NonNullable<TargetFile['features']>>;
  /** The file as written (what an artifact stores, so a compile reads back byte for byte). */
  file: TargetFile;
}
