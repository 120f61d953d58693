import type { ReportInput, ReportSection } from './report.js';
import { robustnessChart, robustnessTable, type RobustnessReport, ROBUSTNESS_FORMAT } from './robustness.js';
import { validateSchema, SchemaError } from '../util/schema.js';
import { readSimReports, simSections, annVsSnnSection, compileSections, SIM_REPORT_FORMAT, type AnnModelFigures } from './sim-sections.js';
import { ONNX_MODEL_FORMAT, COMPILE_SUMMARY_TAG } from './report.js';
import { compareSection, COMPARE_FORMAT, type CompareReport } from './compare.js';
import type { CompileSummary } from '../../compiler/summary.js';
import { readVerifyReport, verifySections, VERIFY_FORMAT } from './verify-sections.js';
import type { LabelledSimReport } from './sim-sections.js';
import { inspectOnnx } from './models.js';
import { importOnnxFile } from '../onnx/import.js';
import { annMacs } from '../metrics/neurobench.js';
import { graphFromJson } from '../ir/json.js';
import { isSpiking } from '../ir/graph.js';

/** Format tag of IR graph files (src/ir/json.ts); ANN graphs among them give MAC counts. */
const IR_FORMAT = 'snnc-ir';

/**
 * Turns the JSON outputs of snnc's commands into report sections. Each producer's format has one
 * builder; a folder may hold any subset of them.
 */
export interface SectionBuilder {
  /** The `format` tags this builder reads. */
  formats: string[];
  build(inputs: ReportInput[]): ReportSection[];
}

export const robustnessSections: SectionBuilder = {
  formats: [ROBUSTNESS_FORMAT],
  build(inputs) {
    return inputs.map((input, i) => {
      const r = validateSchema<RobustnessReport>('robustness.schema.json', input.data, input.file);
      const t = robustnessTable(r);
      return {
        id: `robustness-${i + 1}`,
        title: inputs.length > 1 ? `Robustness to input noise (${input.file})` : 'Robustness to input noise',
        charts: [robustnessChart(r)],
        tables: [{ caption: `Accuracy on ${r.dataset} (${r.split}, first ${r.samples} samples, noise seed ${r.seed})`, head: t.head, rows: t.rows, align: t.align }],
        notes: [`Source: ${input.file}. Every model saw the same perturbed images; level 0 is the clean accuracy.`],
      };
    });
  },
};

/**
 * Simulation reports: the standalone ones, plus those embedded in verify reports for a model and target
 * that no standalone report covers (a verify run simulates too).
 */
function allSimReports(inputs: ReportInput[]): LabelledSimReport[] {
  const sims = readSimReports(inputs.filter((i) => i.format === SIM_REPORT_FORMAT));
  for (const i of inputs.filter((x) => x.format === VERIFY_FORMAT)) {
    const v = readVerifyReport(i.data, i.file);
    if (sims.some((s) => s.report.model === v.sim.model && s.report.target === v.sim.target)) continue;
    sims.push(...readSimReports([{ file: `${i.file} (sim)`, format: SIM_REPORT_FORMAT, data: { ...v.sim, energyComparison: v.energy } }]));
  }
  return sims;
}

export const simulationSections: SectionBuilder = {
  formats: [SIM_REPORT_FORMAT, VERIFY_FORMAT],
  build: (inputs) => simSections(allSimReports(inputs)),
};

export const verificationSections: SectionBuilder = {
  formats: [VERIFY_FORMAT],
  build: (inputs) => verifySections(inputs.map((i) => ({ file: i.file, report: readVerifyReport(i.data, i.file) }))),
};

export const annVsSnnSections: SectionBuilder = {
  formats: [SIM_REPORT_FORMAT, ONNX_MODEL_FORMAT, VERIFY_FORMAT, IR_FORMAT],
  build(inputs) {
    const sims = allSimReports(inputs);
    const anns: AnnModelFigures[] = [];
    for (const i of inputs.filter((x) => x.format === ONNX_MODEL_FORMAT)) {
      const path = (i.data as { path: string }).path;
      if (inspectOnnx(path).spiking) continue;
      const { graph } = importOnnxFile(path);
      anns.push({ file: i.file, name: graph.meta.name, macs: annMacs(graph) });
    }
    for (const i of inputs.filter((x) => x.format === IR_FORMAT)) {
      const graph = graphFromJson(i.data, i.file);
      if (!isSpiking(graph)) anns.push({ file: i.file, name: graph.meta.name, macs: annMacs(graph) });
    }
    // an ANN alone, with no SNN to compare with, is not a comparison
    if (sims.length === 0) return [];
    const s = annVsSnnSection(sims, anns);
    return s ? [s] : [];
  },
};

export const compileSummarySections: SectionBuilder = {
  formats: [COMPILE_SUMMARY_TAG],
  build: (inputs) => compileSections(inputs.map((i) => ({ file: i.file, summary: checkSummary(i.data, i.file) }))),
};

export const compareSections: SectionBuilder = {
  formats: [COMPARE_FORMAT],
  build: (inputs) => inputs.map((i) => compareSection(checkCompare(i.data, i.file), i.file)),
};

/** Names the first of `fields` of `obj` that is not a finite number, or undefined. */
function nonNumeric(obj: Record<string, unknown>, fields: string[]): string | undefined {
  return fields.find((f) => typeof obj[f] !== 'number' || !Number.isFinite(obj[f] as number));
}

function checkSummary(data: unknown, file: string): CompileSummary {
  const s = data as CompileSummary;
  const top = nonNumeric(s as unknown as Record<string, unknown>, ['timesteps', 'coresUsed', 'coresAvailable', 'tilesUsed', 'neurons', 'synapses', 'weightMemoryBits', 'placementCost', 'rowMajorCost']);
  if (top) throw new SchemaError(`${file}: compile summary field '${top}' must be a number`);
  if (typeof s.model !== 'string' || !Array.isArray(s.layers)) throw new SchemaError(`${file}: a compile summary needs 'model' and 'layers'`);
  s.layers.forEach((l, i) => {
    const bad = typeof l?.layer !== 'string' ? 'layer' : nonNumeric(l as unknown as Record<string, unknown>, ['neurons', 'cores', 'utilisation', 'synapses', 'weightMemoryBits', 'quantError']);
    if (bad) throw new SchemaError(`${file}: compile summary layers[${i}].${bad} is missing or not of its type`);
  });
  return s;
}

function checkCompare(data: unknown, file: string): CompareReport {
  const r = data as CompareReport;
  if (r.version !== 1 || !Array.isArray(r.rows) || typeof r.software?.accuracy !== 'number' || typeof r.model !== 'string') {
    throw new SchemaError(`${file}: not a version-1 snnc compare file (model, rows and software accuracy needed)`);
  }
  r.rows.forEach((x, i) => {
    if (typeof x?.target !== 'string' || typeof x.fits !== 'boolean') throw new SchemaError(`${file}: rows[${i}] needs 'target' and 'fits'`);
    const bad = x.fits ? nonNumeric(x as unknown as Record<string, unknown>, ['coresUsed', 'coresAvailable', 'timesteps', 'energyJ', 'latencyNs', 'accuracy']) : undefined;
    if (bad) throw new SchemaError(`${file}: rows[${i}].${bad} must be a number for a target that fits`);
    if (!Array.isArray(x.warnings)) x.warnings = [];
  });
  return r;
}

/** All builders, in the order their sections appear in the report. */
export const SECTION_BUILDERS: SectionBuilder[] = [compareSections, compileSummarySections, verificationSections, simulationSections, annVsSnnSections, robustnessSections];
