/**
 * The simulation report (schemas/sim-report.schema.json): per-inference counts, energy split and latency,
 * per layer and per core, from a simulator's accumulated counters.
 */
import type { ChipSimulator } from './engine.js';
import { chipsInUse, energyOf, scaleEnergy, type EnergySplit } from './energy.js';

export const SOP_COUNTING = {
  synapticEvents: 'every stored connection reached by a spike or input event, zero weights included (SANA-FE counts dense edges this way; the energy uses it)',
  effectiveSynapticOps: 'connections with a non-zero weight only (NeuroBench Eff_ACs for spikes; Eff_MACs for graded input events)',
} as const;

export interface LatencyFigures {
  /** Mean per inference. */
  ns: number;
  cycles: number;
  stepNsMean: number;
  stepNsMax: number;
  syncNsPerStep: number;
  /** The core that finished last in most steps. */
  criticalCore: number;
}

export interface PerInference {
  synapticEvents: number;
  effectiveSynapticOps: number;
  inputEvents: number;
  /** Effective synaptic operations driven by the input (MACs for graded input; the rest are ACs). */
  inputEffectiveOps: number;
  spikes: number;
  neuronUpdatesActive: number;
  neuronUpdatesIdle: number;
  packets: number;
  hops: number;
  energyJ: EnergySplit;
  latency: LatencyFigures;
}

export interface SimReport {
  format: 'snnc-sim-report';
  version: 1;
  model: string;
  target: string;
  delay: 'hardware' | 'same-step';
  /** Steps run per sample (the artifact's T plus any hold steps). */
  timesteps: number;
  /** Of `timesteps`, the steps run after the artifact's T with the input held (mapped runs only). */
  holdSteps?: number;
  samples: number;
  encoding: string;
  dataset?: string;
  accuracy?: number;
  /** Samples whose spike trains and readout matched the fixed-point reference bit for bit (when checked). */
  referenceChecked?: number;
  referenceIdentical?: number;
  sopCounting: typeof SOP_COUNTING;
  perInference: PerInference;
  layers: {
    name: string; size: number; synapticEvents: number; effectiveSynapticOps: number;
    neuronUpdatesActive: number; neuronUpdatesIdle: number; spikes: number; packetsOut: number; hopsOut: number;
  }[];
  cores: {
    id: number; tile: number; x: number; y: number; neurons: number; synapticEvents: number; effectiveSynapticOps: number;
    neuronUpdatesActive: number; neuronUpdatesIdle: number; spikes: number; packetsOut: number; packetsIn: number;
    hopsOut: number; maxLinkQueue: number; criticalSteps: number;
  }[];
  noc: { packets: number; hopsEastWest: number; hopsNorthSouth: number; maxLinkQueue: number; linkWaitNs: number; bufferOverflows: number };
  /** Totals over all samples. */
  totals: { synapticEvents: number; effectiveSynapticOps: number; spikes: number; neuronUpdates: number; packets: number; timeNs: number; energyJ: EnergySplit };
  [extra: string]: unknown;
}

/** Builds the report from a simulator that has run `counts.samples` samples. */
export function buildReport(sim: ChipSimulator, extra: Partial<SimReport> = {}): SimReport {
  const c = sim.counts;
  const n = Math.max(1, c.samples);
  const per = (x: number) => x / n;
  const sum = (f: (l: (typeof c.layers)[number]) => number) => c.layers.reduce((a, l) => a + f(l), 0);
  const synapticEvents = sum((l) => l.synapticEvents);
  const effective = sum((l) => l.effectiveSynapticOps);
  const spikes = sum((l) => l.spikes);
  const active = sum((l) => l.neuronUpdatesActive);
  const idle = sum((l) => l.neuronUpdatesIdle);
  const usedTiles = c.cores.filter((k) => k.neurons > 0).map((k) => k.tile);
  const energy = energyOf(c, sim.target, chipsInUse(sim.target, usedTiles));
  const critical = c.cores.reduce((best, k) => (k.criticalSteps > best.criticalSteps ? k : best), c.cores[0]);
  const clockGHz = sim.target.timing.clockHz.value / 1e9;
  const round = (x: number) => Math.round(x * 1e6) / 1e6;
  return {
    format: 'snnc-sim-report',
    version: 1,
    model: sim.graph.name,
    target: sim.target.name,
    delay: sim.delay,
    timesteps: sim.timesteps,
    samples: c.samples,
    encoding: sim.graph.input.encoding,
    sopCounting: SOP_COUNTING,
    perInference: {
      synapticEvents: per(synapticEvents),
      effectiveSynapticOps: per(effective),
      inputEvents: per(c.inputEvents),
      inputEffectiveOps: per(c.inputEffectiveOps),
      spikes: per(spikes),
      neuronUpdatesActive: per(active),
      neuronUpdatesIdle: per(idle),
      packets: per(c.network.packets),
      hops: per(c.network.hopsEastWest + c.network.hopsNorthSouth),
      energyJ: scaleEnergy(energy, 1 / n),
      latency: {
        ns: round(per(c.timing.totalNs)),
        cycles: Math.ceil(per(c.timing.totalNs) * clockGHz),
        stepNsMean: round(c.timing.totalNs / Math.max(1, c.timing.steps)),
        stepNsMax: round(c.timing.maxStepNs),
        syncNsPerStep: round(sim.barrierNs),
        criticalCore: critical ? critical.id : -1,
      },
    },
    layers: c.layers.map((l) => ({
      name: l.name, size: l.size, synapticEvents: per(l.synapticEvents), effectiveSynapticOps: per(l.effectiveSynapticOps),
      neuronUpdatesActive: per(l.neuronUpdatesActive), neuronUpdatesIdle: per(l.neuronUpdatesIdle), spikes: per(l.spikes),
      packetsOut: per(l.packetsOut), hopsOut: per(l.hopsOut),
    })),
    cores: c.cores.filter((k) => k.neurons > 0).map((k) => ({
      id: k.id, tile: k.tile, x: k.x, y: k.y, neurons: k.neurons,
      synapticEvents: per(k.synapticEvents), effectiveSynapticOps: per(k.effectiveSynapticOps),
      neuronUpdatesActive: per(k.neuronUpdatesActive), neuronUpdatesIdle: per(k.neuronUpdatesIdle), spikes: per(k.spikes),
      packetsOut: per(k.packetsOut), packetsIn: per(k.packetsIn), hopsOut: per(k.hopsOut), maxLinkQueue: k.maxLinkQueue, criticalSteps: k.criticalSteps,
    })),
    noc: {
      packets: per(c.network.packets), hopsEastWest: per(c.network.hopsEastWest), hopsNorthSouth: per(c.network.hopsNorthSouth),
      maxLinkQueue: c.network.maxLinkQueue, linkWaitNs: per(c.network.linkWaitNs), bufferOverflows: c.network.bufferOverflows,
    },
    totals: {
      synapticEvents, effectiveSynapticOps: effective, spikes, neuronUpdates: active, packets: c.network.packets,
      timeNs: c.timing.totalNs, energyJ: energy,
    },
    ...extra,
  };
}
