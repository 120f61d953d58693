import { connectedSources } from '../simulator/synapses.js';
import type { MappedChip, PlacedNetwork, Projection } from './types.js';
import { boxSize } from './partition.js';
import { hopsBetween, meshOf } from './mesh.js';
import { hopsIfAllSpike } from './route.js';
import { readoutLag } from './analysis.js';
import { printable } from '../src/util/text.js';

/** One line of the compile summary: a population (layer) and what it takes on the chip. */
export interface SummaryRow {
  layer: string;
  neurons: number;
  cores: number;
  /** Neurons held / neuron capacity of the cores it uses. */
  utilisation: number;
  /** Synapses into this layer (connections, every in-bounds tap of a convolution). */
  synapses: number;
  /** Synaptic memory used on its cores, bits. */
  weightMemoryBits: number;
  /** Worst relative RMS quantization error of its incoming projections. */
  quantError: number;
  /** Spikes per step leaving its cores for other cores (calibration rates, else every neuron once). */
  trafficSpikes: number;
  /** The same weighted by hops. */
  trafficHops: number;
  /** Mesh hops per step if every neuron of this layer spikes once, over the chip's routes (multicast trees
   * crossed once per spike): the network load of a fully active step, and what the simulator counts then. */
  hopsAllSpiking: number;
}

export interface CompileSummary {
  model: string;
  target: string;
  timesteps: number;
  /** Steps run after `timesteps` with the input held (the chip runs timesteps + holdSteps). */
  holdSteps: number;
  /** Spike delivery of the artifact and the steps by which its readout lags the input under 'hardware' delay. */
  delay: 'hardware' | 'same-step';
  readoutLag: number;
  coresUsed: number;
  coresAvailable: number;
  tilesUsed: number;
  neurons: number;
  synapses: number;
  weightMemoryBits: number;
  placementCost: number;
  rowMajorCost: number;
  routes: number;
  /** Σ of the layers' hopsAllSpiking. */
  hopsAllSpiking: number;
  layers: SummaryRow[];
}

/** Connections of a projection: dense connected sources × post (a source with no non-zero weight has none), convolution every in-bounds tap. */
export function connections(p: Projection): number {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  if (p.synapse.kind === 'dense') return connectedSources(p.synapse.weights, size(p.preShape), size(p.postShape)).reduce((a, b) => a + b, 0) * size(p.postShape);
  const s = p.synapse;
  const [cin, ih, iw] = p.preShape;
  const [cout, oh, ow] = p.postShape;
  const taps = (out: number, inn: number, k: number, stride: number, pad: number, dil: number) => {
    let n = 0;
    for (let y = 0; y < out; y++) for (let j = 0; j < k; j++) { const i = y * stride - pad + j * dil; if (i >= 0 && i < inn) n++; }
    return n;
  };
  return cout * (cin / s.groups) * taps(oh, ih, s.kernel[0], s.stride[0], s.padding[0], s.dilation[0]) * taps(ow, iw, s.kernel[1], s.stride[1], s.padding[1], s.dilation[1]);
}

export function summarize(chip: MappedChip, placed: PlacedNetwork, rates: Float64Array): CompileSummary {
  const { partition: part, coreOf } = placed;
  const allSpiking = hopsIfAllSpike(placed, chip.routes);
  const q = chip.placement.graph;
  const t = q.target;
  const mesh = meshOf(t);
  const capacity = t.core.neurons.value;
  const layers: SummaryRow[] = q.populations.map((pop) => {
    const idx = part.byPopulation.get(pop.name) ?? [];
    const ins = q.projections.filter((p) => p.to === pop.name);
    const coreCap = t.core.neuronMemory.value;
    const cap = idx.reduce((a, i) => a + (coreCap && part.cores[i].fixedCore !== undefined ? coreCap[part.cores[i].fixedCore!] : capacity), 0);
    return {
      layer: pop.name,
      neurons: pop.size,
      cores: idx.length,
      utilisation: cap > 0 ? idx.reduce((a, i) => a + boxSize(part.cores[i].box), 0) / cap : 0,
      synapses: ins.reduce((a, p) => a + connections(p), 0),
      weightMemoryBits: idx.reduce((a, i) => a + part.cores[i].usage.synapseBits, 0),
      quantError: Math.max(0, ...ins.map((p) => q.quantError[p.name] ?? 0)),
      trafficSpikes: 0,
      trafficHops: 0,
      hopsAllSpiking: allSpiking.get(pop.name) ?? 0,
    };
  });
  const rowOf = new Map(layers.map((r) => [r.layer, r]));
  for (const l of part.links) {
    if (l.from === l.to) continue;
    const row = rowOf.get(part.cores[l.from].population)!;
    const spikes = l.neurons * rates[l.from];
    row.trafficSpikes += spikes;
    row.trafficHops += spikes * hopsBetween(mesh, coreOf[l.from], coreOf[l.to]);
  }
  const tiles = new Set(chip.placement.cores.map((c) => c.tile));
  return {
    model: q.name,
    target: t.name,
    timesteps: q.timesteps,
    holdSteps: q.holdSteps ?? 0,
    delay: q.delay,
    readoutLag: readoutLag(q),
    coresUsed: chip.placement.cores.length,
    coresAvailable: t.core.count.value,
    tilesUsed: tiles.size,
    neurons: q.populations.reduce((a, p) => a + p.size, 0),
    synapses: layers.reduce((a, r) => a + r.synapses, 0),
    weightMemoryBits: layers.reduce((a, r) => a + r.weightMemoryBits, 0),
    placementCost: chip.placement.cost,
    rowMajorCost: chip.placement.rowMajorCost,
    routes: chip.routes.length,
    hopsAllSpiking: layers.reduce((a, r) => a + r.hopsAllSpiking, 0),
    layers,
  };
}

const fmt = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 1 }));

/** "run: T + hold steps": how many steps the chip runs per sample and why. */
export function runLine(s: Pick<CompileSummary, 'timesteps' | 'holdSteps' | 'delay' | 'readoutLag'>): string {
  const run = `run: ${s.timesteps} + ${s.holdSteps} hold steps = ${s.timesteps + s.holdSteps} steps per sample (${s.delay} delay`;
  if (s.delay !== 'hardware' || s.readoutLag === 0) return `${run}; the readout sees the input in the same step)`;
  const lagged = `the readout lags the input by ${s.readoutLag} step(s)`;
  if (s.holdSteps >= s.readoutLag) return `${run}; ${lagged}, the held steps let it integrate all ${s.timesteps}; energy and latency per sample grow by the ${s.holdSteps} extra steps)`;
  return `${run}; ${lagged}: it integrates only ${Math.max(0, s.timesteps + s.holdSteps - s.readoutLag)} of ${s.timesteps} steps of evidence)`;
}

/** Plain-text table of a summary (the CLI prints it and writes it as summary.txt). */
export function formatSummary(s: CompileSummary): string {
  const head = ['layer', 'neurons', 'cores', 'util %', 'synapses', 'weight KiB', 'q-err %', 'spikes/step out', 'spike-hops/step'];
  const rows = s.layers.map((r) => [
    printable(r.layer), fmt(r.neurons), fmt(r.cores), (r.utilisation * 100).toFixed(1), fmt(r.synapses),
    (r.weightMemoryBits / 8192).toFixed(1), (r.quantError * 100).toFixed(2), fmt(Math.round(r.trafficSpikes)), fmt(Math.round(r.trafficHops)),
  ]);
  rows.push(['total', fmt(s.neurons), fmt(s.coresUsed), '', fmt(s.synapses), (s.weightMemoryBits / 8192).toFixed(1), '',
    fmt(Math.round(s.layers.reduce((a, r) => a + r.trafficSpikes, 0))), fmt(Math.round(s.layers.reduce((a, r) => a + r.trafficHops, 0)))]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const gain = s.rowMajorCost > 0 ? (1 - s.placementCost / s.rowMajorCost) * 100 : 0;
  return [
    `${printable(s.model)} on ${s.target}: ${fmt(s.coresUsed)} of ${fmt(s.coresAvailable)} cores (${fmt(s.tilesUsed)} tiles), T = ${s.timesteps}`,
    runLine(s),
    line(head),
    ...rows.map(line),
    `placement cost ${fmt(Math.round(s.placementCost))} spike-hops/step vs row-major ${fmt(Math.round(s.rowMajorCost))} (${gain.toFixed(1)} % lower); ${fmt(s.routes)} routes`,
  ].join('\n') + '\n';
}
