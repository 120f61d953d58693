import type { SimReport } from '../../simulator/report.js';
import { heatmap, lineChart } from './svg.js';
import { sig, percent, microjoules } from './format.js';
import type { ReportSection, ReportTable } from './report.js';
import { SchemaError } from '../util/schema.js';

/** Format tag of `snnc verify --json` outputs. */
export const VERIFY_FORMAT = 'snnc-verify-report';

/**
 * The fields of a verify report (src/cli/verify.ts) that the report reads. Declared here rather than
 * imported so that the report keeps working on files written by older or newer builds that add fields.
 */
export interface VerifyReportFields {
  format: typeof VERIFY_FORMAT;
  model: string;
  teacher?: string;
  target: string;
  dataset: string;
  samples: number;
  timesteps: number;
  delay: string;
  /** Frames per sample of data over time (absent: a static input). */
  inputFrames?: number;
  rows: { stage: string; label: string; engine: string; accuracy: number }[];
  agreement: number[][];
  bitIdentical: { identical: number; checked: number; all: boolean };
  delayAnalysis: {
    readoutLag: number;
    timesteps: number;
    hardwareAccuracy: number;
    sameStepAccuracy: number;
    sweep: { extraSteps: number; accuracy: number }[];
    recoveredWith: number | null;
  };
  metrics: {
    effectiveSynapticOps: { acs: number; macs: number; total: number };
    denseSynapticOps: number;
    activationSparsity: number;
    connectionSparsity: number;
    footprintBytes: number;
    membraneUpdates: number;
  };
  energy: { annMacs?: number; annHorowitzJ?: number; snnHorowitzJ: number; snnTargetSynapticJ: number; snnTargetTotalJ: number; target: string };
  sim: SimReport;
}

/** Checks the parts of a verify report the sections use; names the file and the missing part. */
export function readVerifyReport(data: unknown, file: string): VerifyReportFields {
  const r = data as Partial<VerifyReportFields>;
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new SchemaError(`${file}: verify report without ${what}`);
  };
  need(Array.isArray(r.rows) && r.rows.every((x) => typeof x?.accuracy === 'number' && typeof x.label === 'string'), 'rows of label and accuracy');
  need(Array.isArray(r.agreement) && r.agreement.length === r.rows!.length, 'an agreement matrix matching its rows');
  need(typeof r.bitIdentical?.checked === 'number', 'bitIdentical');
  need(typeof r.delayAnalysis?.hardwareAccuracy === 'number' && Array.isArray(r.delayAnalysis.sweep), 'delayAnalysis');
  need(typeof r.metrics?.effectiveSynapticOps?.total === 'number', 'NeuroBench metrics');
  need(typeof r.energy?.snnHorowitzJ === 'number', 'the energy comparison');
  need(typeof r.sim === 'object' && r.sim !== null, 'its simulation report');
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  need(r.agreement!.every((row) => Array.isArray(row) && row.length === r.rows!.length && row.every(num)), 'a square numeric agreement matrix');
  need(r.delayAnalysis!.sweep.every((x) => num(x?.extraSteps) && num(x?.accuracy)) && num(r.delayAnalysis!.sameStepAccuracy) && num(r.delayAnalysis!.readoutLag), 'a numeric delay sweep');
  const m = r.metrics!;
  need([m.effectiveSynapticOps.acs, m.effectiveSynapticOps.macs, m.denseSynapticOps, m.activationSparsity, m.connectionSparsity, m.footprintBytes, m.membraneUpdates].every(num), 'numeric NeuroBench metrics');
  need([r.energy!.snnTargetSynapticJ, r.energy!.snnTargetTotalJ].every(num) && typeof r.target === 'string' && num(r.samples) && num(r.timesteps), 'target, samples, timesteps and energies');
  return r as VerifyReportFields;
}

/** Sections of verify reports: accuracy at every stage with agreement, bit-identity, the delay study, NeuroBench metrics. */
export function verifySections(reports: { file: string; report: VerifyReportFields }[]): ReportSection[] {
  if (reports.length === 0) return [];
  const tables: ReportTable[] = [];
  const charts: string[] = [];
  const notes: string[] = [];
  for (const { file, report: r } of reports) {
    const label = `${r.sim?.model ?? r.model} @ ${r.target}`;
    tables.push({
      caption: `Accuracy at every stage — ${label} (${r.samples} samples of ${r.dataset}, T = ${r.timesteps}, ${r.delay} delay)`,
      head: ['stage', 'engine', 'accuracy (%)', ...r.rows.map((_, i) => `agrees with ${i + 1} (%)`)],
      rows: r.rows.map((row, i) => [`${i + 1}. ${row.label}`, row.engine, percent(row.accuracy), ...r.agreement[i].map(percent)]),
      align: ['l', 'l', 'r', ...r.rows.map(() => 'r' as const)],
    });
    charts.push(heatmap({
      title: `Prediction agreement — ${label}`,
      values: r.agreement.map((row) => row.map((v) => v * 100)),
      rowLabels: r.rows.map((_, i) => String(i + 1)),
      colLabels: r.rows.map((_, i) => String(i + 1)),
      valueLabel: '% same class', min: Math.min(...r.agreement.flat()) * 100, max: 100, cell: 44, annotate: true,
      format: (v) => sig(v, 3),
    }));
    const d = r.delayAnalysis;
    charts.push(lineChart({
      title: `Hardware delay: accuracy with extra steps — ${label}`,
      xLabel: `extra time steps beyond T = ${d.timesteps} (${r.inputFrames ? 'no input after the last frame' : 'input held'})`, yLabel: 'accuracy (%)', yMin: 0, yMax: 100, width: 460, height: 260,
      series: [
        { name: 'hardware delay', points: [[0, d.hardwareAccuracy * 100], ...d.sweep.map((s) => [s.extraSteps, s.accuracy * 100] as [number, number])] },
        { name: 'same-step delivery at T', points: [[0, d.sameStepAccuracy * 100], [Math.max(1, ...d.sweep.map((s) => s.extraSteps)), d.sameStepAccuracy * 100]] },
      ],
    }));
    const m = r.metrics;
    tables.push({
      caption: `NeuroBench metrics per inference — ${label}`,
      head: ['effective SOPs', 'ACs', 'MACs', 'dense SOPs', 'activation sparsity', 'connection sparsity', 'footprint (bytes)', 'membrane updates'],
      rows: [[sig(m.effectiveSynapticOps.total), sig(m.effectiveSynapticOps.acs), sig(m.effectiveSynapticOps.macs), sig(m.denseSynapticOps),
        sig(m.activationSparsity), sig(m.connectionSparsity), String(m.footprintBytes), sig(m.membraneUpdates)]],
      align: ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    });
    const e = r.energy;
    tables.push({
      caption: `Energy per inference — ${label}`,
      head: ['ANN MACs', 'ANN Horowitz (µJ)', 'SNN Horowitz (µJ)', `SNN synaptic on ${e.target} (µJ)`, `SNN total on ${e.target} (µJ)`],
      rows: [[e.annMacs !== undefined ? sig(e.annMacs) : '–', e.annHorowitzJ !== undefined ? microjoules(e.annHorowitzJ) : '–',
        microjoules(e.snnHorowitzJ), microjoules(e.snnTargetSynapticJ), microjoules(e.snnTargetTotalJ)]],
      align: ['r', 'r', 'r', 'r', 'r'],
    });
    notes.push(`${label} (${file}): quantized SNN and mapped chip ${r.bitIdentical.all ? 'are bit-identical' : 'DIFFER'} on ${r.bitIdentical.identical} of ${r.bitIdentical.checked} samples (spike trains and readout potentials).`);
    notes.push(d.recoveredWith !== null
      ? `${label}: the readout lags the input by ${d.readoutLag} step(s) under hardware delay; ${d.recoveredWith} extra step(s) recover the same-step accuracy.`
      : `${label}: the readout lags the input by ${d.readoutLag} step(s) under hardware delay; the sweep did not reach the same-step accuracy.`);
  }
  return [{ id: 'verify', title: 'Verification: ANN → float SNN → quantized SNN → chip', charts, tables, notes }];
}
