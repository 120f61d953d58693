import type { CommandModule } from 'yargs';
import { DT_OPTION } from './flags.js';
import cliProgress from 'cli-progress';
import { parseHold } from '../../compiler/index.js';
import type { DelayMode } from '../../compiler/types.js';
import { datasetFiles, DATASET_SPECS } from '../data/index.js';
import { WORKERS_OPTION } from '../parallel/index.js';
import { guardOutputs, writeFileAtomic } from '../util/fs.js';
import { verifyModel, type VerifyReport } from '../verify.js';
import { formatErrorBudget } from '../../compiler/error-budget.js';
import { rangeHint } from '../util/ranges.js';
import { out } from './output.js';
import { targetPathOf } from '../../targets/load.js';


interface VerifyArgs {
  model: string;
  target: string;
  dataset: string;
  'data-dir'?: string;
  samples: number;
  timesteps?: number;
  calibrate?: string;
  'calibrate-samples': number;
  teacher?: string;
  delay?: DelayMode;
  hold: string;
  json: boolean;
  out?: string;
  workers?: number;
  dt?: number;
  explain: boolean;
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const joules = (j: number) => (j >= 1e-6 ? `${(j * 1e6).toFixed(3)} µJ` : `${(j * 1e9).toFixed(3)} nJ`);

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

export function formatVerifyReport(r: VerifyReport): string {
  const short = ['A', 'F', 'Q', 'C'];
  const keys = r.rows.map((row) => short[['ann', 'float-snn', 'quantized-snn', 'mapped-chip'].indexOf(row.stage)]);
  const held = r.inputFrames ? 'after the last frame, with no input' : 'with the input held';
  const lines = [
    `${r.model} on ${r.target}: ${r.samples} samples of ${r.dataset}, T=${r.timesteps}${r.holdSteps ? ` + ${r.holdSteps} hold steps = ${r.chipSteps} steps on the chip (${held})` : ''}, ${r.inputFrames ? `input over time (${r.inputFrames} frames)` : `${r.encoding} input`}, chip delay ${r.delay}`,
    '',
    table([
      ['', 'stage', 'engine', 'steps', 'accuracy', ...keys.map((k) => `agree ${k}`)],
      ...r.rows.map((row, i) => [keys[i], row.label, row.engine, row.steps !== undefined ? String(row.steps) : '–', pct(row.accuracy), ...r.agreement[i].map(pct)]),
    ]),
    '',
    `quantized SNN vs mapped chip: ${r.bitIdentical.all ? 'BIT-IDENTICAL' : 'DIFFERENT'} spike trains and readouts on ${r.bitIdentical.identical}/${r.bitIdentical.checked} samples`,
  ];
  const d = r.delayAnalysis;
  if (d.hardwareAccuracy !== d.sameStepAccuracy) {
    lines.push(`delay: hardware ${pct(d.hardwareAccuracy)} vs same-step ${pct(d.sameStepAccuracy)} at exactly T=${d.timesteps} steps (readout lags the input by ${d.readoutLag} step(s) on a delayed chip)`);
    lines.push(d.recoveredWith !== null
      ? `  ${d.recoveredWith} extra step(s) ${held} (T=${d.timesteps + d.recoveredWith}) recover the same-step accuracy: ${d.sweep.map((s) => `T+${s.extraSteps} ${pct(s.accuracy)}`).join(', ')}`
      : `  not recovered within ${d.readoutLag + 2} extra steps: ${d.sweep.map((s) => `T+${s.extraSteps} ${pct(s.accuracy)}`).join(', ')}`);
    lines.push(d.holdSteps > 0
      ? `  the compiled artifact holds the input ${d.holdSteps} step(s) (T+${d.holdSteps}): the chip row above ran that`
      : `  the compiled artifact has no hold steps (--hold none or a same-step target): the chip row ran T=${d.timesteps}`);
  } else {
    lines.push(`delay: hardware and same-step delivery give the same accuracy (${pct(d.hardwareAccuracy)}) at T=${d.timesteps}; readout lag ${d.readoutLag} step(s)`);
  }
  const split = r.fanInSplit;
  if (split) {
    lines.push(`fan-in split: ${split.layers.map((l) => `'${l.layer}' (${l.fanIn} inputs in ${l.parts} parts, ${l.relays.length} relay layers)`).join(', ')} costs ${(split.cost * 100).toFixed(2)} pt in the float SNN: ${pct(split.unsplit)} unsplit, ${pct(split.split)} split, ${pct(split.agreement)} of samples classified alike`);
  }
  const m = r.metrics;
  const e = r.energy;
  lines.push(
    '',
    'NeuroBench metrics (per inference, mapped chip):',
    `  effective synaptic ops  ${m.effectiveSynapticOps.total.toFixed(0)} (${m.effectiveSynapticOps.acs.toFixed(0)} ACs + ${m.effectiveSynapticOps.macs.toFixed(0)} MACs); dense (every connection) ${m.denseSynapticOps.toFixed(0)}`,
    `  activation sparsity     ${m.activationSparsity.toFixed(4)}   connection sparsity ${m.connectionSparsity.toFixed(4)}   footprint ${m.footprintBytes} bytes   membrane updates ${m.membraneUpdates.toFixed(0)}`,
    `energy per inference: ${e.annMacs !== undefined ? `ANN ${e.annMacs} MACs × 4.6 pJ = ${joules(e.annHorowitzJ!)}; ` : ''}SNN ACs × 0.9 pJ (+ MACs × 4.6 pJ) = ${joules(e.snnHorowitzJ)} (Horowitz 45 nm); on ${e.target}: synaptic ${joules(e.snnTargetSynapticJ)}, total ${joules(e.snnTargetTotalJ)}`,
  );
  if (r.errorBudget) lines.push('', formatErrorBudget(r.errorBudget).trimEnd(), '(the error budget ran in this thread: the fixed-point reference once per row, not shared over --workers)');
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}

export const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify <model>',
  describe: 'compare the ANN, float SNN, quantized SNN and mapped chip on the same samples; exit 1 unless quantized and mapped are bit-identical',
  builder: (y) => y
    .positional('model', { type: 'string', demandOption: true, describe: 'model: an ONNX ANN (converted) or spiking student, a NIR file, or snnc IR JSON' })
    .option('dt', DT_OPTION)
    .option('target', { type: 'string', default: 'loihi-like', describe: 'chip target (shipped name or JSON path)' })
    .option('dataset', { type: 'string', default: 'mnist', describe: `evaluation data set, test split (${DATASET_SPECS.join(', ')})` })
    .option('data-dir', { type: 'string', describe: 'folder of the data files' })
    .option('samples', { type: 'number', default: 1000, describe: `test samples ${rangeHint('samples')}` })
    .option('timesteps', { type: 'number', describe: `time steps ${rangeHint('timesteps')} (default: the model's, or the compiler's for ANNs)` })
    .option('calibrate', { type: 'string', describe: "calibration data set for ANN conversion (training split), or 'none'; default as for snnc compile" })
    .option('calibrate-samples', { type: 'number', default: 256, describe: `calibration samples ${rangeHint('samples')}` })
    .option('teacher', { type: 'string', describe: 'the ANN teacher of a spiking student (its ANN row)' })
    .option('delay', { choices: ['hardware', 'same-step'] as const, describe: "chip spike delivery (default the target's own)" })
    .option('hold', { type: 'string', default: 'auto', describe: 'compile with this many steps after T with the input held: auto (the readout lag on a delayed target), none, or a number' })
    .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' })
    .option('out', { alias: 'o', type: 'string', describe: 'also write the JSON report to this file' })
    .option('workers', WORKERS_OPTION)
    .option('explain', { type: 'boolean', default: false, describe: 'also attribute the float-to-chip gap to its causes (error budget: each cause switched off in the fixed-point reference in turn, layer by layer; runs in this thread)' })
    .example('$0 verify lenet.onnx --target loihi-like --dataset mnist --samples 1000 --calibrate mnist', 'ANN, float SNN, quantized SNN and chip accuracies with pairwise agreement')
    .example('$0 verify student.onnx --teacher teacher.onnx --target loihi-like --timesteps 4', 'a spiking student: the teacher is the ANN row')
    .example('$0 verify student.onnx --teacher teacher.onnx --timesteps 4 --explain', 'and where the gap between float SNN and chip comes from, cause by cause')
    .example('$0 verify student.onnx --target loihi-like --hold none', 'the chip runs exactly T steps: shows what the delayed readout costs')
    .example('$0 verify model.onnx --dataset idx:imgs.idx,labels.idx --samples 500 --json', 'any data set the trainer accepts, as JSON'),
  handler: async (argv) => {
    const targetFile = targetPathOf(argv.target);
    guardOutputs([argv.model, argv.teacher, targetFile, ...datasetFiles(argv.dataset, argv['data-dir']), ...(argv.calibrate ? datasetFiles(argv.calibrate, argv['data-dir']) : [])], [['--out', argv.out]]);
    const bar = !argv.json && process.stderr.isTTY
      ? new cliProgress.SingleBar({ stream: process.stderr, format: '{stage} {bar} {value}/{total}' }, cliProgress.Presets.shades_classic)
      : undefined;
    let started = false;
    let report: VerifyReport;
    try {
      report = await verifyModel(argv.model, {
        target: argv.target, dataset: argv.dataset, dataDir: argv['data-dir'], samples: argv.samples, timesteps: argv.timesteps,
        calibrate: argv.calibrate, calibrateSamples: argv['calibrate-samples'], teacher: argv.teacher, dt: argv.dt, delay: argv.delay, hold: parseHold(String(argv.hold)), workers: argv.workers, explain: argv.explain,
        onProgress: bar ? (stage, done, total) => {
          if (!started) { bar.start(total, done, { stage }); started = true; }
          else { bar.setTotal(total); bar.update(done, { stage }); }
        } : undefined,
      });
    } finally {
      bar?.stop();
    }
    if (argv.out) writeFileAtomic(argv.out, `${JSON.stringify(report, null, 2)}\n`);
    out(argv.json ? `${JSON.stringify(report, null, 2)}\n` : formatVerifyReport(report));
    if (!report.bitIdentical.all) process.exitCode = 1;
  },
};
