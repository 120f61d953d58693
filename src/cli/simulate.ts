import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import cliProgress from 'cli-progress';
import { readMapped, MAPPED_FILE, WEIGHTS_FILE } from '../../compiler/emit.js';
import type { DelayMode } from '../../compiler/types.js';
import { loadTarget, targetPathOf } from '../../targets/load.js';
import { simulateVector, type SimReport, type FidelityRow } from '../../simulator/index.js';
import { readoutLag } from '../../compiler/analysis.js';
import { withEvalPool, WORKERS_OPTION } from '../parallel/index.js';
import { loadDataset, datasetFiles, DATASET_SPECS } from '../data/index.js';
import { UserError } from '../util/errors.js';
import { guardOutputs, writeFileAtomic } from '../util/fs.js';
import { schemaValidator } from '../util/schema.js';
import { printable } from '../util/text.js';
import { checkRange, rangeHint } from '../util/ranges.js';
import { out } from './output.js';

interface SimulateArgs {
  dir?: string;
  vector?: string;
  target?: string;
  steps?: number;
  dataset: string;
  'data-dir'?: string;
  split: 'train' | 'test';
  samples: number;
  timesteps?: number;
  delay?: DelayMode;
  extend: boolean;
  check: boolean;
  json: boolean;
  out?: string;
  workers?: number;
}

/** Validates a report against schemas/sim-report.schema.json; a failure is a bug in snnc, not a user error. */
export function validateSimReport(report: unknown): void {
  const validator = schemaValidator('sim-report.schema.json');
  if (!validator(report)) throw new Error(`simulation report fails schemas/sim-report.schema.json: ${JSON.stringify(validator.errors?.[0])}`);
}

const fmt = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
/** Counts: integers as such, per-inference means with one decimal. */
const count = (x: number) => (Number.isInteger(x) ? fmt(x) : fmt(x, 1));
const joules = (j: number) => (j >= 1e-3 ? `${fmt(j * 1e3, 3)} mJ` : j >= 1e-6 ? `${fmt(j * 1e6, 3)} µJ` : `${fmt(j * 1e9, 3)} nJ`);
const nanos = (ns: number) => (ns >= 1e6 ? `${fmt(ns / 1e6, 3)} ms` : ns >= 1e3 ? `${fmt(ns / 1e3, 3)} µs` : `${fmt(ns, 1)} ns`);

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

/** The human-readable form of a simulation report. */
export function formatSimReport(r: SimReport, lagNote?: string): string {
  const p = r.perInference;
  const e = p.energyJ;
  const lines = [
    `${printable(r.model)} on ${r.target}: delay ${r.delay}, T=${r.timesteps - (r.holdSteps ?? 0)}${r.holdSteps ? ` + ${r.holdSteps} held = ${r.timesteps} steps` : ''}, ${r.samples} sample(s)${r.dataset ? ` of ${r.dataset}` : ''}`,
  ];
  if (r.accuracy !== undefined) lines.push(`accuracy            ${fmt(r.accuracy * 100, 2)} %`);
  if (r.referenceChecked !== undefined) lines.push(`bit-identical to the fixed-point reference: ${r.referenceIdentical}/${r.referenceChecked} samples`);
  if (lagNote) lines.push(lagNote);
  lines.push(
    'per inference:',
    `  synaptic events   ${count(p.synapticEvents)} (every connection, zero weights too: SANA-FE's count, used for energy)`,
    `  effective SOPs    ${count(p.effectiveSynapticOps)} (non-zero weights: NeuroBench ${count(p.effectiveSynapticOps - p.inputEffectiveOps)} ACs + ${count(p.inputEffectiveOps)} MACs from graded input)`,
    `  spikes            ${count(p.spikes)}`,
    `  neuron updates    ${count(p.neuronUpdatesActive)} active, ${count(p.neuronUpdatesIdle)} idle`,
    `  packets, hops     ${count(p.packets)}, ${count(p.hops)} (max link queue ${r.noc.maxLinkQueue}${r.noc.bufferOverflows > 0 ? `, ${r.noc.bufferOverflows} packets met a full buffer` : ''})`,
    `  energy            ${joules(e.totalJ)} = synaptic ${joules(e.synapticJ)} + neuron ${joules(e.neuronJ)} + network ${joules(e.networkJ)} + sync ${joules(e.syncJ)} + static ${joules(e.staticJ)}`,
    `  latency           ${nanos(p.latency.ns)} (${fmt(p.latency.cycles)} cycles); step mean ${nanos(p.latency.stepNsMean)}, max ${nanos(p.latency.stepNsMax)}, barrier ${nanos(p.latency.syncNsPerStep)}; critical core ${p.latency.criticalCore}`,
  );
  const steps = r.perStep as { step: number; ns: number; cycles: number; criticalCore: number }[] | undefined;
  if (steps && steps.length > 0) {
    const shown = steps.slice(0, 8).map((x) => `${x.step}: ${nanos(x.ns)} (${fmt(x.cycles)} cycles, core ${x.criticalCore})`);
    lines.push(`  per step          ${shown.join('; ')}${steps.length > 8 ? `; … (${steps.length} steps, all in --json)` : ''}`);
  }
  const nb = r.neurobench as { activationSparsity: number; connectionSparsity: number; footprintBytes: number } | undefined;
  if (nb) lines.push(`  NeuroBench        activation sparsity ${nb.activationSparsity.toFixed(4)}, connection sparsity ${nb.connectionSparsity.toFixed(4)}, footprint ${fmt(nb.footprintBytes)} bytes`);
  lines.push(
    '',
    table([
      ['layer', 'neurons', 'synaptic events', 'effective SOPs', 'spikes', 'updates', 'packets out', 'hops'],
      ...r.layers.map((l) => [printable(l.name), fmt(l.size), count(l.synapticEvents), count(l.effectiveSynapticOps), count(l.spikes), count(l.neuronUpdatesActive), count(l.packetsOut), count(l.hopsOut)]),
    ]),
  );
  const sanafe = r.sanafe as { comparison: FidelityRow[] } | undefined;
  if (sanafe) {
    lines.push('', 'against SANA-FE:', table([
      ['quantity', 'snnc', 'SANA-FE', 'difference'],
      ...sanafe.comparison.map((c) => [c.quantity, c.snnc.toPrecision(7), c.sanafe.toPrecision(7), `${(c.relDiff * 100).toFixed(3)} %`]),
    ]));
  }
  return `${lines.join('\n')}\n`;
}

export const simulateCommand: CommandModule<object, SimulateArgs> = {
  command: 'simulate [dir]',
  describe: 'simulate a compiled chip (or a SANA-FE vector) cycle by cycle: accuracy, SOPs, spikes, energy split, latency',
  builder: (y) => y
    .positional('dir', { type: 'string', describe: 'folder written by snnc compile (mapped.json + weights.pb)' })
    .option('vector', { type: 'string', describe: 'a SANA-FE network file (network, mapping, expected_from_sanafe) instead of a folder' })
    .option('target', { type: 'string', describe: 'target for --vector (name or JSON path; default sanafe-loihi)' })
    .option('steps', { type: 'number', describe: `time steps for --vector ${rangeHint('timesteps')} (default: what the file reports, else 100)` })
    .option('dataset', { type: 'string', default: 'mnist', describe: `data set (${DATASET_SPECS.join(', ')})` })
    .option('data-dir', { type: 'string', describe: 'folder of the data files' })
    .option('split', { choices: ['train', 'test'] as const, default: 'test' as const, describe: 'data split' })
    .option('samples', { type: 'number', default: 1000, describe: `samples to simulate, the first n of the split ${rangeHint('samples')}` })
    .option('timesteps', { type: 'number', describe: `steps per sample ${rangeHint('timesteps')} (default: the compiled T plus the artifact's hold steps)` })
    .option('delay', { choices: ['hardware', 'same-step'] as const, describe: "spike delivery: 'hardware' (one step per hop, as Loihi/SANA-FE) or 'same-step' (the trainer's model); default the target's" })
    .option('extend', { type: 'boolean', default: false, describe: "under hardware delay, run T + the readout lag steps (input held) so the readout integrates all T steps of evidence; only needed for artifacts compiled with --hold none (the default artifact already holds that long)" })
    .option('check', { type: 'boolean', default: false, describe: 'also run the fixed-point reference and count bit-identical samples' })
    .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON (schemas/sim-report.schema.json)' })
    .option('out', { alias: 'o', type: 'string', describe: 'also write the JSON report to this file' })
    .option('workers', WORKERS_OPTION)
    .example('$0 simulate build/lenet-loihi-like --dataset mnist --samples 1000', 'accuracy, SOPs, spikes, energy split and latency per inference')
    .example('$0 simulate build/lenet-loihi-like --delay same-step --check --json', 'software (same-step) timing, checked against the fixed-point reference, as JSON')
    .example('$0 simulate build/student-loihi-like-nohold --extend', 'an artifact compiled with --hold none on a delayed chip, run T + its readout lag steps')
    .example('$0 simulate --vector ../shared/vectors/sanafe-ff/network.json --target sanafe-loihi --steps 100 --json', "SANA-FE's quantities for a vector, compared with what SANA-FE reported"),
  handler: async (argv) => {
    checkRange('--samples', 'samples', argv.samples);
    checkRange('--timesteps', 'timesteps', argv.timesteps);
    checkRange('--steps', 'timesteps', argv.steps);
    const targetFile = argv.target !== undefined ? targetPathOf(argv.target) : undefined;
    guardOutputs(
      [argv.vector, targetFile, ...(argv.dir !== undefined ? [join(argv.dir, MAPPED_FILE), join(argv.dir, WEIGHTS_FILE)] : []), ...datasetFiles(argv.dataset, argv['data-dir'])],
      [['--out', argv.out]],
    );
    let report: SimReport;
    let lagNote: string | undefined;
    if (argv.vector !== undefined) {
      if (argv.dir !== undefined) throw new UserError('give either a compiled folder or --vector FILE, not both');
      const target = loadTarget(argv.target ?? 'sanafe-loihi');
      report = simulateVector(argv.vector, target, { steps: argv.steps, delay: argv.delay }).report;
    } else {
      if (argv.dir === undefined) throw new UserError('name a compiled folder (snnc compile … -o DIR) or give --vector FILE');
      if (argv.target !== undefined) throw new UserError('--target applies to --vector; a compiled folder carries its own target');
      if (argv.steps !== undefined) throw new UserError('--steps applies to --vector; use --timesteps for a compiled folder');
      const mapped = readMapped(argv.dir);
      const graph = mapped.placement.graph;
      const lag = readoutLag(graph);
      const delay = argv.delay ?? graph.delay ?? graph.target.timing.delay.value;
      // Without --timesteps the artifact's own run applies: T plus the hold steps the compiler chose.
      const baseSteps = argv.timesteps ?? graph.timesteps;
      const hold = argv.timesteps === undefined ? graph.holdSteps ?? 0 : 0;
      const extra = argv.extend && delay === 'hardware' ? Math.max(hold, lag) : hold;
      const timesteps = baseSteps + extra;
      // Only the samples simulated are read and decoded.
      const dataset = loadDataset(argv.dataset, { split: argv.split, dataDir: argv['data-dir'], limit: argv.samples });
      const total = Math.min(argv.samples, dataset.count);
      const bar = !argv.json && process.stderr.isTTY ? new cliProgress.SingleBar({ stream: process.stderr, format: 'simulating {bar} {value}/{total} samples' }, cliProgress.Presets.shades_classic) : undefined;
      bar?.start(total, 0);
      try {
        report = (await withEvalPool(argv.workers, (pool) => pool.simulate(mapped, dataset, {
          samples: argv.samples, timesteps, delay: argv.delay, checkReference: argv.check,
          onProgress: bar ? (done) => bar.update(done) : undefined,
        }))).report;
      } finally {
        bar?.stop();
      }
      // A static image is held over the extra steps; samples over time have no input after their last frame.
      const after = dataset.steps ? `(the input silent after its ${dataset.steps} frames)` : 'with the input held';
      if (report.delay === 'hardware' && lag > 0) {
        if (extra >= lag) {
          lagNote = `note: ${baseSteps} + ${extra} = ${timesteps} steps ${after} (${argv.extend && extra > hold ? '--extend' : "the artifact's hold steps"}): the readout, ${lag} step(s) behind the input under hardware delay, integrates all ${baseSteps} steps of evidence`;
        } else {
          lagNote = `note: with hardware delay the readout lags the input by ${lag} step(s): of ${timesteps} steps, ${Math.max(0, timesteps - lag)} reach the readout (--extend runs T + ${lag}; snnc verify measures what that recovers)`;
        }
      } else if (extra > 0) {
        lagNote = `note: ${baseSteps} + ${extra} = ${timesteps} steps ${after}`;
      }
      if (report.referenceChecked !== undefined && report.referenceIdentical !== report.referenceChecked) process.exitCode = 1;
    }
    validateSimReport(report);
    if (argv.out) writeFileAtomic(argv.out, `${JSON.stringify(report, null, 2)}\n`);
    out(argv.json ? `${JSON.stringify(report, null, 2)}\n` : formatSimReport(report, lagNote));
  },
};
