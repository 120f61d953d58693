import type { SimReport } from '../../simulator/report.js';
import type { CompileSummary } from '../../compiler/summary.js';
import type { TargetSpec } from '../../targets/target.js';
import { loadTarget } from '../../targets/load.js';
import { HOROWITZ_PJ } from '../metrics/neurobench.js';
import { barChart, heatmap } from './svg.js';
import { sig, microjoules, percent } from './format.js';
import type { ReportInput, ReportSection, ReportTable } from './report.js';
import { validateSchema, hasSchema } from '../util/schema.js';

/** Format tag of `snnc simulate --json` outputs (schemas/sim-report.schema.json). */
export const SIM_REPORT_FORMAT = 'snnc-sim-report';

/** A simulation report with the file it came from and a label naming model and target. */
export interface LabelledSimReport {
  file: string;
  label: string;
  report: SimReport;
}

/** Reads and validates the simulation reports among the inputs; labels are `model @ target` (made unique). */
export function readSimReports(inputs: ReportInput[]): LabelledSimReport[] {
  const out = inputs.map((i) => {
    const report = hasSchema('sim-report.schema.json')
      ? validateSchema<SimReport>('sim-report.schema.json', i.data, i.file)
      : (i.data as SimReport);
    return { file: i.file, label: `${report.model} @ ${report.target}`, report };
  });
  for (const r of out) {
    const same = out.filter((o) => o.label === r.label);
    if (same.length > 1) r.label = `${r.label} (${r.file})`;
  }
  return out;
}

/** Spikes per neuron per time step of a layer (the spike rate), from per-inference counts. */
export function spikeRate(layer: { size: number; spikes: number }, timesteps: number): number {
  return layer.size > 0 ? layer.spikes / (layer.size * timesteps) : 0;
}

/** The target a report names, when it is a shipped one (or a readable path); undefined otherwise. */
function targetOf(name: string): TargetSpec | undefined {
  try {
    return loadTarget(name);
  } catch {
    return undefined;
  }
}

/** Neurons in use per mesh tile as a fraction of the tile's neuron capacity; NaN-free grid [y][x]. */
export function tileUtilisation(r: SimReport, target: TargetSpec | undefined): { grid: number[][]; capacityKnown: boolean; tilesUsed: number } {
  const width = target?.mesh.width.value ?? Math.max(1, ...r.cores.map((c) => c.x + 1));
  const height = target?.mesh.height.value ?? Math.max(1, ...r.cores.map((c) => c.y + 1));
  const perTile = target ? target.mesh.coresPerTile.value * target.core.neurons.value : Math.max(1, ...r.cores.map((c) => c.neurons));
  const grid = Array.from({ length: height }, () => new Array<number>(width).fill(0));
  for (const c of r.cores) if (c.y < height && c.x < width) grid[c.y][c.x] += c.neurons / perTile;
  const tilesUsed = grid.flat().filter((v) => v > 0).length;
  return { grid, capacityKnown: target !== undefined, tilesUsed };
}

function accuracyTable(sims: LabelledSimReport[]): ReportTable {
  return {
    caption: 'Accuracy of the mapped network (cycle-level simulation)',
    head: ['model @ target', 'dataset', 'samples', 'T', 'accuracy (%)', 'bit-identical to fixed-point reference'],
    rows: sims.map(({ label, report: r }) => [
      label, r.dataset ?? '–', String(r.samples), String(r.timesteps),
      r.accuracy !== undefined ? percent(r.accuracy) : '–',
      r.referenceChecked ? `${r.referenceIdentical ?? 0} / ${r.referenceChecked}` : 'not checked',
    ]),
    align: ['l', 'l', 'r', 'r', 'r', 'r'],
  };
}

/** Sections built from simulation reports: accuracy, per-layer SOPs and spike rates, mesh, energy, latency. */
export function simSections(sims: LabelledSimReport[]): ReportSection[] {
  if (sims.length === 0) return [];
  const sections: ReportSection[] = [];

  sections.push({
    id: 'accuracy', title: 'Accuracy', charts: [], tables: [accuracyTable(sims)],
    notes: ['Bit-identical: samples whose spike trains and readout on the simulated chip equal the software fixed-point model\'s exactly.'],
  });

  const layerCharts: string[] = [];
  const layerTables: ReportTable[] = [];
  for (const { label, report: r } of sims) {
    const names = r.layers.map((l) => l.name);
    layerCharts.push(barChart({
      title: `Synaptic operations per inference — ${label}`,
      categories: names,
      series: [
        { name: 'synaptic events', values: r.layers.map((l) => l.synapticEvents) },
        { name: 'effective SOPs (non-zero weights)', values: r.layers.map((l) => l.effectiveSynapticOps) },
      ],
      yLabel: 'per inference', width: 520, height: 280,
    }));
    layerCharts.push(barChart({
      title: `Spike rate — ${label}`,
      categories: names,
      series: [{ name: 'spikes per neuron per step', values: r.layers.map((l) => spikeRate(l, r.timesteps)) }],
      yLabel: 'spikes / neuron / step', width: 420, height: 280,
    }));
    layerTables.push({
      caption: `Per layer, per inference — ${label} (T = ${r.timesteps}, ${r.samples} samples)`,
      head: ['layer', 'neurons', 'synaptic events', 'effective SOPs', 'spikes', 'spike rate (per neuron per step)'],
      rows: [
        ...r.layers.map((l) => [l.name, String(l.size), sig(l.synapticEvents), sig(l.effectiveSynapticOps), sig(l.spikes), sig(spikeRate(l, r.timesteps))]),
        ['total', String(r.layers.reduce((a, l) => a + l.size, 0)), sig(r.perInference.synapticEvents), sig(r.perInference.effectiveSynapticOps), sig(r.perInference.spikes), '–'],
      ],
    });
  }
  sections.push({
    id: 'layers', title: 'Per-layer synaptic operations and spike rates', charts: layerCharts, tables: layerTables,
    notes: [`Synaptic events: ${sims[0].report.sopCounting.synapticEvents}. Effective SOPs: ${sims[0].report.sopCounting.effectiveSynapticOps}.`],
  });

  const meshCharts: string[] = [];
  const meshRows: string[][] = [];
  for (const { label, report: r } of sims) {
    const target = targetOf(r.target);
    const u = tileUtilisation(r, target);
    const mean = r.cores.length ? r.cores.reduce((a, c) => a + c.neurons, 0) / r.cores.length : 0;
    // Unused tiles are drawn grey (NaN) and the colour scale spans the used ones, so that a small
    // network on a large mesh still shows where it sits and how full each tile is.
    const busiest = Math.max(...u.grid.flat()) * 100;
    meshCharts.push(heatmap({
      title: `Neurons in use per tile — ${label}`,
      values: u.grid.map((row) => row.map((v) => (v > 0 ? v * 100 : Number.NaN))),
      valueLabel: u.capacityKnown ? '% of tile capacity' : '% of busiest tile',
      min: 0, max: busiest > 0 ? busiest : 100,
      format: (v) => `${sig(v, 3)}%`,
    }));
    meshRows.push([
      label, String(r.cores.length), String(u.tilesUsed),
      target ? String(target.core.count.value) : '–',
      target ? percent(mean / target.core.neurons.value) : '–',
      String(r.noc.maxLinkQueue), String(r.noc.bufferOverflows),
    ]);
  }
  sections.push({
    id: 'mesh', title: 'Core utilisation on the mesh', charts: meshCharts,
    tables: [{
      caption: 'Cores and network on chip',
      head: ['model @ target', 'cores used', 'tiles used', 'cores on chip', 'mean neuron use of used cores (%)', 'deepest link queue', 'buffer overflows'],
      rows: meshRows,
    }],
    notes: ['Each cell is one mesh tile (all its cores together); a tile\'s value is the neurons placed on it over the neurons its cores can hold. Grey tiles are unused; the colour scale runs from 0 to the fullest tile.'],
  });

  const parts: [keyof SimReport['perInference']['energyJ'], string][] = [
    ['synapticJ', 'synaptic'], ['neuronJ', 'neuron updates'], ['networkJ', 'network'], ['syncJ', 'synchronisation'], ['staticJ', 'static'],
  ];
  sections.push({
    id: 'energy', title: 'Energy per inference by target',
    charts: [barChart({
      title: 'Energy per inference (µJ)',
      categories: sims.map((s) => s.label),
      series: parts.map(([k, name]) => ({ name, values: sims.map((s) => s.report.perInference.energyJ[k] * 1e6) })),
      stacked: true, yLabel: 'µJ per inference', width: Math.max(520, 140 * sims.length),
    })],
    tables: [{
      caption: 'Energy per inference (µJ)',
      head: ['model @ target', ...parts.map(([, n]) => `${n} (µJ)`), 'total (µJ)'],
      rows: sims.map((s) => [s.label, ...parts.map(([k]) => microjoules(s.report.perInference.energyJ[k])), microjoules(s.report.perInference.energyJ.totalJ)]),
    }],
    notes: ['Every joule is an event count times the target\'s per-event figure (targets/*.json states each figure\'s source).'],
  });

  sections.push({
    id: 'latency', title: 'Latency per time step',
    charts: [barChart({
      title: 'Time step duration (ns)',
      categories: sims.map((s) => s.label),
      series: [
        { name: 'mean step', values: sims.map((s) => s.report.perInference.latency.stepNsMean) },
        { name: 'slowest step', values: sims.map((s) => s.report.perInference.latency.stepNsMax) },
        { name: 'barrier sync per step', values: sims.map((s) => s.report.perInference.latency.syncNsPerStep) },
      ],
      yLabel: 'ns', width: Math.max(520, 160 * sims.length), log: true,
    })],
    tables: [{
      caption: 'Latency',
      head: ['model @ target', 'T', 'per inference (µs)', 'cycles', 'mean step (ns)', 'slowest step (ns)', 'sync per step (ns)', 'critical core'],
      rows: sims.map(({ label, report: r }) => {
        const l = r.perInference.latency;
        return [label, String(r.timesteps), sig(l.ns / 1000), String(l.cycles), sig(l.stepNsMean), sig(l.stepNsMax), sig(l.syncNsPerStep), String(l.criticalCore)];
      }),
    }],
    notes: ['A step lasts until its slowest core has processed its events and its messages have crossed the mesh, then a barrier synchronises all cores.'],
  });
  return sections;
}

/** An ANN found beside the outputs, with its dense MAC count per inference. */
export interface AnnModelFigures {
  file: string;
  name: string;
  macs: number;
}

/**
 * ANN against SNN energy per inference, as SNN papers compare them (Horowitz 2014, 45 nm: 4.6 pJ per
 * MAC, 0.9 pJ per accumulate), and the SNN at its target's own per-event energies from the simulator.
 * A simulation report's own `energyComparison` (written by `snnc simulate`) is used when present.
 */
export function annVsSnnSection(sims: LabelledSimReport[], anns: AnnModelFigures[]): ReportSection | undefined {
  if (sims.length === 0 && anns.length === 0) return undefined;
  const pj = 1e-12;
  const rows: string[][] = [];
  const bars: { label: string; horowitz: number; chip: number }[] = [];
  for (const a of anns) {
    const j = a.macs * HOROWITZ_PJ.mac * pj;
    rows.push([`${a.name} (ANN, ${a.file})`, 'ANN', sig(a.macs), '–', microjoules(j), '–']);
    bars.push({ label: `${a.name} (ANN)`, horowitz: j * 1e6, chip: 0 });
  }
  for (const { label, report: r } of sims) {
    const cmp = r.energyComparison as { annMacs?: number; annHorowitzJ?: number; snnHorowitzJ?: number } | undefined;
    const macs = r.perInference.inputEffectiveOps ?? 0;
    const acs = r.perInference.effectiveSynapticOps - macs;
    const horowitz = cmp?.snnHorowitzJ ?? (acs * HOROWITZ_PJ.ac + macs * HOROWITZ_PJ.mac) * pj;
    if (cmp?.annMacs !== undefined && cmp.annHorowitzJ !== undefined && !anns.some((a) => a.name === r.model)) {
      rows.push([`ANN reference of ${r.model}`, 'ANN', sig(cmp.annMacs), '–', microjoules(cmp.annHorowitzJ), '–']);
      bars.push({ label: `${r.model} (ANN)`, horowitz: cmp.annHorowitzJ * 1e6, chip: 0 });
    }
    rows.push([label, 'SNN', sig(macs), sig(acs), microjoules(horowitz), microjoules(r.perInference.energyJ.totalJ)]);
    bars.push({ label, horowitz: horowitz * 1e6, chip: r.perInference.energyJ.totalJ * 1e6 });
  }
  return {
    id: 'ann-vs-snn', title: 'ANN vs SNN energy per inference',
    charts: [barChart({
      title: 'Energy per inference (µJ)',
      categories: bars.map((b) => b.label),
      series: [
        { name: 'Horowitz 45 nm estimate (4.6 pJ/MAC, 0.9 pJ/AC)', values: bars.map((b) => b.horowitz) },
        { name: 'simulated chip total (SNN)', values: bars.map((b) => b.chip) },
      ],
      yLabel: 'µJ', width: Math.max(560, 150 * bars.length), log: true,
    })],
    tables: [{
      caption: 'ANN MACs against SNN synaptic operations',
      head: ['model', 'kind', 'MACs', 'ACs', 'Horowitz estimate (µJ)', 'simulated chip total (µJ)'],
      rows,
    }],
    notes: [
      'ANN: every weight of every output is one multiply-accumulate (MAC). SNN: effective synaptic operations, accumulates (ACs) for spikes and MACs for graded input events (NeuroBench).',
      'The Horowitz column uses one energy per operation for both (the comparison made in SNN papers); the chip column adds neuron updates, the network, synchronisation and static power of the target.',
    ],
  };
}

/** Sections from compile summaries: what the network takes on each target, overall and per layer. */
export function compileSections(inputs: { file: string; summary: CompileSummary }[]): ReportSection[] {
  if (inputs.length === 0) return [];
  const label = (s: CompileSummary) => `${s.model} @ ${s.target}`;
  const tables: ReportTable[] = [{
    caption: 'Mapping overview',
    head: ['model @ target', 'T', 'cores used', 'cores on chip', 'tiles used', 'neurons', 'synapses', 'weight memory (KiB)', 'placement cost (spike-hops/step)', 'row-major cost'],
    rows: inputs.map(({ summary: s }) => [label(s), String(s.timesteps), String(s.coresUsed), String(s.coresAvailable), String(s.tilesUsed), String(s.neurons),
      String(s.synapses), sig(s.weightMemoryBits / 8192), sig(s.placementCost), sig(s.rowMajorCost)]),
  }];
  const charts: string[] = [];
  for (const { summary: s } of inputs) {
    tables.push({
      caption: `Per layer — ${label(s)}`,
      head: ['layer', 'neurons', 'cores', 'neuron use of its cores (%)', 'synapses', 'weight memory (KiB)', 'quantization error (%)'],
      rows: s.layers.map((l) => [l.layer, String(l.neurons), String(l.cores), percent(l.utilisation), String(l.synapses), sig(l.weightMemoryBits / 8192), percent(l.quantError)]),
    });
    charts.push(barChart({
      title: `Cores per layer — ${label(s)}`,
      categories: s.layers.map((l) => l.layer),
      series: [{ name: 'cores', values: s.layers.map((l) => l.cores) }],
      yLabel: 'cores', width: 420, height: 260,
    }));
  }
  return [{
    id: 'compile', title: 'Compilation: cores and memory', charts, tables,
    notes: ['Quantization error: relative RMS difference between the integer weights (with their scale) and the float weights of the layer\'s incoming projections.'],
  }];
}
