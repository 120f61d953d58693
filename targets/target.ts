/**
 * A neuromorphic chip described as data. Every figure carries its source (HARDWARE.md); a figure that is
 * not published is marked as an assumption with the reason. Files: targets/<name>.json, validated by
 * schemas/target.schema.json. Loading and validation live beside this type (added by the compiler work).
 */

/** A number with where it comes from. `assumption` is set when no published figure exists. */
export interface Sourced<T = number> {
  value: T;
  source: string;
  assumption?: string;
}

export interface TargetSpec {
  name: string;
  description: string;
  /** Sources used by this file, with 'secondary' noted where a figure was read in a derived source. */
  sources: string[];
  mesh: {
    width: Sourced;
    height: Sourced;
    coresPerTile: Sourced;
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
    /** Conv weight sharing: 'none' (weights expanded per synapse) or a memory formula the compiler knows. */
    convWeightSharing: Sourced<'none' | 'kernel' | 'speck'>;
    /** Per-core kernel/neuron memory entries for chips whose cores differ (Speck); else absent. */
    kernelMemory?: Sourced<number[]>;
    neuronMemory?: Sourced<number[]>;
    maxDistinctWeightsPerNeuron?: Sourced;
    /** Cores available on the chip (mesh cells × cores per tile unless stated). */
    count: Sourced;
  };
  precision: {
    weightBits: Sourced;
    weightSigned: Sourced<boolean>;
    /** 'per-projection-pow2': mantissa · 2^e with e shared per projection (Loihi); 'per-layer-scale': int with a float scale;
     * 'axon-types': at most N distinct values per neuron (TrueNorth). */
    weightScale: Sourced<'per-projection-pow2' | 'per-layer-scale' | 'axon-types'>;
    weightExponentRange?: Sourced<[number, number]>;
    thresholdBits: Sourced;
    stateBits: Sourced;
    decayBits?: Sourced;
    inputBits: Sourced;
    /** Spike condition: 'ge' (v ≥ θ) or 'gt' (v > θ, SANA-FE). */
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
  energy: {
    synapticOpPJ: Sourced;
    neuronUpdateActivePJ: Sourced;
    neuronUpdateIdlePJ: Sourced;
    spikeOutPJ?: Sourced;
    messageOutPJ?: Sourced;
    hopEastWestPJ: Sourced;
    hopNorthSouthPJ: Sourced;
    syncPJ: Sourced;
    staticW: Sourced;
  };
}
