import type { ReportInput, ReportSection } from './report.js';
import { robustnessChart, robustnessTable, type RobustnessReport, ROBUSTNESS_FORMAT } from './robustness.js';
import { validateSchema } from './schema.js';
import { readSimReports, simSections, SIM_REPORT_FORMAT } from './sim-sections.js';

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

export const simulationSections: SectionBuilder = {
  formats: [SIM_REPORT_FORMAT],
  build: (inputs) => simSections(readSimReports(inputs)),
};

/** All builders, in the order their sections appear in the report. */
export const SECTION_BUILDERS: SectionBuilder[] = [simulationSections, robustnessSections];
