/**
 * NeuroBench metrics (Yik et al., arXiv:2304.04640) of a quantized spiking network and of its ANN, with
 * the energy comparison SNN papers make (Horowitz, ISSCC 2014, 45 nm: 4.6 pJ per FP32 MAC, 0.9 pJ per
 * FP32 add used as one accumulate) beside the target chip's own per-event energies.
 *
 * - Effective synaptic operations: non-zero activations × non-zero weights. With binary spikes these are
 *   accumulates (Eff_ACs); graded input events make multiply-accumulates (Eff_MACs). Pooling folded into
 *   projections is counted as the synapses it became (NeuroBench leaves stand-alone pooling out).
 * - Dense synaptic operations: every connection of an active source, zero weights too (SANA-FE's count).
 * - Activation sparsity: zero outputs / all neuron outputs, over spiking layers, steps and samples.
 * - Connection sparsity: zero weights / all weights, over the stored parameters.
 * - Footprint: bytes of parameters and buffers as stored after quantization.
 */
import type { QuantGraph } from '../../compiler/types.js';
import type { Graph } from '../ir/graph.js';
import { inspectGraph } from '../ir/inspect.js';
import type { SimReport } from '../../simulator/report.js';

/** Horowitz 2014 (45 nm) energies used across the SNN literature. */
export const HOROWITZ_PJ = { mac: 4.6, ac: 0.9 } as const;

export interface NeuroBenchMetrics {
  /** Per inference. */
  effectiveSynapticOps: { acs: number; macs: number; total: number };
  denseSynapticOps: number;
  activationSparsity: number;
  connectionSparsity: number;
  footprintBytes: number;
  /** Neuron state changes per sample (NeuroBench membrane updates): the active updates of the chip. */
  membraneUpdates: number;
}

export interface EnergyComparison {
  /** ANN MACs per inference (dense, from the float graph) and their Horowitz energy. */
  annMacs?: number;
  annHorowitzJ?: number;
  /** SNN effective ACs × 0.9 pJ plus its graded input MACs × 4.6 pJ. */
  snnHorowitzJ: number;
  /** The SNN at the target's own figures: synaptic events × its synaptic-op energy, and the simulated total. */
  snnTargetSynapticJ: number;
  snnTargetTotalJ: number;
  target: string;
}

function weightCount(graph: QuantGraph): { weights: number; zeros: number; bitsTotal: number } {
  let weights = 0, zeros = 0, bitsTotal = 0;
  for (const p of graph.projections) {
    const w = p.synapse.weights;
    weights += w.length;
    bitsTotal += w.length * p.weightBits;
    for (let i = 0; i < w.length; i++) if (w[i] === 0) zeros++;
  }
  return { weights, zeros, bitsTotal };
}

/** Bytes of the quantized parameters (weights at their bit width, biases and thresholds) and state buffers. */
export function footprintBytes(graph: QuantGraph): number {
  const { bitsTotal } = weightCount(graph);
  let bits = bitsTotal;
  const thresholdBits = graph.target.precision.thresholdBits.value;
  for (const p of graph.populations) {
    bits += p.bias.length * p.neuron.stateBits;
    bits += thresholdBits;
    bits += p.size * p.neuron.stateBits; // membrane potentials
  }
  return Math.ceil(bits / 8);
}

export function connectionSparsity(graph: QuantGraph): number {
  const { weights, zeros } = weightCount(graph);
  return weights === 0 ? 0 : zeros / weights;
}

/** NeuroBench metrics of a simulated run. */
export function neuroBenchMetrics(graph: QuantGraph, report: SimReport): NeuroBenchMetrics {
  const per = report.perInference;
  const macs = per.inputEffectiveOps;
  const total = per.effectiveSynapticOps;
  let outputs = 0, spikes = 0;
  for (const l of report.layers) {
    const pop = graph.populations.find((p) => p.name === l.name);
    if (!pop || pop.readout) continue;
    outputs += l.size * report.timesteps;
    spikes += l.spikes;
  }
  return {
    effectiveSynapticOps: { acs: total - macs, macs, total },
    denseSynapticOps: per.synapticEvents,
    activationSparsity: outputs === 0 ? 0 : 1 - spikes / outputs,
    connectionSparsity: connectionSparsity(graph),
    footprintBytes: footprintBytes(graph),
    membraneUpdates: per.neuronUpdatesActive,
  };
}

/** MACs per inference of a float ANN (dense count: every weight of every output). */
export function annMacs(graph: Graph): number {
  return inspectGraph(graph).totals.macs;
}

/** ANN MACs × 4.6 pJ against SNN ACs × 0.9 pJ, and the SNN at the target's own energies. */
export function energyComparison(metrics: NeuroBenchMetrics, report: SimReport, graph: QuantGraph, ann?: Graph): EnergyComparison {
  const pj = 1e-12;
  const macs = ann ? annMacs(ann) : undefined;
  return {
    annMacs: macs,
    annHorowitzJ: macs === undefined ? undefined : macs * HOROWITZ_PJ.mac * pj,
    snnHorowitzJ: (metrics.effectiveSynapticOps.acs * HOROWITZ_PJ.ac + metrics.effectiveSynapticOps.macs * HOROWITZ_PJ.mac) * pj,
    snnTargetSynapticJ: report.perInference.energyJ.synapticJ,
    snnTargetTotalJ: report.perInference.energyJ.totalJ,
    target: graph.target.name,
  };
}
