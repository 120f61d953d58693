import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import cliProgress from 'cli-progress';
import { loadDataset, datasetFiles, DATASET_SPECS } from '../data/index.js';
import { parseNoiseSpecs, DEFAULT_NOISE, NOISE_KINDS } from '../data/noise.js';
import { loadModelEvaluators, type ModelEvaluator } from '../report/models.js';
import { evaluateRobustness, robustnessMarkdownTable, robustnessChart } from '../report/robustness.js';
import { checkOutputDir, guardOutputs, withOutputDir, writeFileAtomic } from '../util/fs.js';
import { validateSchema } from '../util/schema.js';
import { markdownText } from '../report/format.js';
import { checkRange, rangeHint } from '../util/ranges.js';
import { out, warn } from './output.js';
import { loadTarget, targetPathOf } from '../../targets/load.js';
import { EvalPool, resolveWorkers, WORKERS_OPTION } from '../parallel/index.js';

interface RobustnessArgs {
  models: string[];
  dataset: string;
  'data-dir'?: string;
  split: 'train' | 'test';
  noise?: string[];
  samples: number;
  seed: number;
  timesteps?: number;
  target?: string[];
  output: string;
  force: boolean;
  workers?: number;
}

export const robustnessCommand: CommandModule<object, RobustnessArgs> = {
  command: 'robustness <models..>',
  describe: 'accuracy of ANN teachers and SNN students under input noise (table, JSON, SVG chart)',
  builder: (y) => y
    .positional('models', { type: 'string', array: true, demandOption: true, describe: 'ONNX models (ANN teachers run by onnxruntime, spiking students by the float SNN executor) or snnc IR graphs (.json)' })
    .option('dataset', { type: 'string', default: 'mnist', describe: `data set: ${DATASET_SPECS.join(' | ')}` })
    .option('data-dir', { type: 'string', describe: 'folder of the data files (fashion-mnist, cifar10, relative idx paths)' })
    .option('split', { choices: ['train', 'test'] as const, default: 'test' as const, describe: 'which split to evaluate' })
    .option('noise', {
      type: 'string', array: true,
      describe: `noise kinds and levels, KIND:L1,L2 (kinds: ${Object.keys(NOISE_KINDS).join(', ')}); 'none' for clean inputs only; default: ${DEFAULT_NOISE.map((s) => `${s.kind}:${s.levels.join(',')}`).join(' ')}`,
    })
    .option('samples', { type: 'number', default: 1000, describe: `evaluate the first N samples of the split ${rangeHint('samples')}` })
    .option('seed', { type: 'number', default: 0, describe: `noise seed ${rangeHint('seed')} (same seed, same perturbed images)` })
    .option('timesteps', { type: 'number', describe: `SNN time steps ${rangeHint('timesteps')} (default: the model's own)` })
    .option('target', { type: 'string', array: true, describe: 'also run spiking students compiled for this chip target and simulated cycle by cycle (repeatable)' })
    .option('output', { alias: 'o', type: 'string', default: 'robustness', describe: 'output folder (robustness.json, robustness.md, robustness.svg)' })
    .option('force', { type: 'boolean', default: false, describe: 'write into an existing folder not created by snnc' })
    .option('workers', WORKERS_OPTION)
    .example('$0 robustness teacher.onnx student.onnx --dataset mnist --samples 500 -o rob', 'teacher vs student under the default noise sweep')
    .example('$0 robustness student.onnx --noise gaussian:0.05,0.1,0.2 saltpepper:0.02,0.05 --seed 3', 'chosen noise kinds and levels')
    .example('$0 robustness student.onnx --target loihi-like --samples 200', 'the student in float and mapped onto loihi-like, same noisy inputs')
    .example('$0 robustness teacher.onnx --dataset fashion-mnist --noise rotation:10,20,30 blur:1,2', 'Fashion-MNIST from /usr/share/datasets/fashion-mnist'),
  handler: async (argv) => {
    const result = await runRobustness(argv);
    out(`${result.table}\n\nwrote ${result.files.join(', ')}\n`);
  },
};

/** The command's work, callable from tests and scripts; returns the table and the files written. */
export async function runRobustness(argv: Omit<RobustnessArgs, 'force'> & { force?: boolean }) {
  checkRange('--samples', 'samples', argv.samples);
  checkRange('--seed', 'seed', argv.seed);
  checkRange('--timesteps', 'timesteps', argv.timesteps);
  const workers = resolveWorkers(argv.workers);
  const noise = argv.noise && argv.noise.length > 0 ? parseNoiseSpecs(argv.noise) : DEFAULT_NOISE;
  // An unknown or broken target is refused up front, even when no model is spiking (an ANN alone ignores it).
  for (const t of argv.target ?? []) loadTarget(t);
  const files = [join(argv.output, 'robustness.json'), join(argv.output, 'robustness.md'), join(argv.output, 'robustness.svg')];
  checkOutputDir(argv.output, argv.force ?? false);
  guardOutputs([...argv.models, ...(argv.target ?? []).map(targetPathOf), ...datasetFiles(argv.dataset, argv['data-dir'])], files.map((f) => ['-o', f] as [string, string]));
  const data = loadDataset(argv.dataset, { split: argv.split, dataDir: argv['data-dir'], limit: argv.samples });
  const pool = new EvalPool(workers);
  let models: ModelEvaluator[];
  try {
    models = await loadModelEvaluators(argv.models, {
      sampleShape: data.shape, timesteps: argv.timesteps, seed: argv.seed,
      targets: argv.target, calibration: { dataset: argv.dataset, dataDir: argv['data-dir'] }, pool,
    });
  } catch (e) {
    await pool.close();
    throw e;
  }
  for (const m of models) for (const w of m.warnings ?? []) warn(`${m.id}: ${w}`);
  try {
    const conditions = 1 + noise.reduce((a, s) => a + s.levels.length, 0);
    const bar = process.stderr.isTTY
      ? new cliProgress.SingleBar({ stream: process.stderr, format: 'robustness {bar} {value}/{total} conditions ({label})' }, cliProgress.Presets.shades_classic)
      : undefined;
    bar?.start(conditions, 0, { label: 'clean' });
    let report;
    try {
      report = await evaluateRobustness(models, data, {
        datasetSpec: argv.dataset, split: argv.split, seed: argv.seed, noise,
        onProgress: (done, _total, label) => bar?.update(done, { label }),
      });
    } finally {
      bar?.stop();
    }
    // the file must be what its schema promises to readers such as snnc report
    try {
      validateSchema('robustness.schema.json', JSON.parse(JSON.stringify(report)), 'robustness report');
    } catch (e) {
      // a report that breaks its own schema is a bug in snnc, not in the user's input
      throw new Error((e as Error).message);
    }
    const table = robustnessMarkdownTable(report);
    // The folder is created once the results exist: a run that fails leaves none behind.
    withOutputDir(argv.output, argv.force ?? false, () => {
      writeFileAtomic(files[0], `${JSON.stringify(report, null, 2)}\n`);
      writeFileAtomic(files[1], `# Robustness — ${markdownText(report.dataset)} (${report.split}, first ${report.samples} samples, seed ${report.seed})\n\n${table}\n`);
      writeFileAtomic(files[2], robustnessChart(report));
    });
    return { report, table, files };
  } finally {
    await Promise.all(models.map((m) => m.dispose()));
    await pool.close();
  }
}
