/** The counters the chip model accumulates over the samples it runs (what the report and energy model read). */
import type { DelayMode } from '../compiler/types.js';

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

