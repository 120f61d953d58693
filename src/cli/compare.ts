import type { CommandModule } from 'yargs';
import { compareTargets, compareText } from '../report/compare.js';
import { DATASET_SPECS } from '../data/index.js';
import { listTargets } from '../../targets/load.js';
import { WORKERS_OPTION } from '../parallel/index.js';
import { rangeHint } from '../util/ranges.js';
import { out } from './output.js';
import { DT_OPTION } from './flags.js';

interface CompareArgs {
  model: string;
  dataset: string;
  'data-dir'?: string;
  samples: number;
  'calibration-samples': number;
  timesteps?: number;
  dt?: number;
  target?: string[];
  output?: string;
  force: boolean;
  workers?: number;
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare <model>',
  describe: 'compile and simulate a model on every shipped target: cores, fits or why not, energy, latency, accuracy',
  builder: (y) => y
    .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model (ANN, converted on the way, or spiking student), NIR file or snnc IR graph (.json)' })
    .option('dataset', { type: 'string', default: 'mnist', describe: `data set: ${DATASET_SPECS.join(' | ')}` })
    .option('data-dir', { type: 'string', describe: 'folder of the data files' })
    .option('samples', { type: 'number', default: 100, describe: `test samples simulated on each target ${rangeHint('samples')}` })
    .option('calibration-samples', { type: 'number', default: 256, describe: `training samples for threshold calibration ${rangeHint('samples')}` })
    .option('timesteps', { type: 'number', describe: `time steps ${rangeHint('timesteps')} (default: the model's own; 64 for converted ANNs)` })
    .option('dt', DT_OPTION)
    .option('target', { type: 'string', array: true, describe: `targets to compare (default all: ${listTargets().join(', ')})` })
    .option('output', { alias: 'o', type: 'string', describe: 'write compare.json and per-target summary.json / sim-report.json here (for snnc report)' })
    .option('force', { type: 'boolean', default: false, describe: 'write into an existing folder not created by snnc' })
    .option('workers', WORKERS_OPTION)
    .example('$0 compare student.onnx --dataset mnist --samples 200', 'one table across all shipped targets')
    .example('$0 compare net.nir --dataset npz:frames.npz --samples 50', 'a NIR network on spike frames over time, every target side by side')
    .example('$0 compare student.onnx -o cmp && $0 report cmp', 'keep the outputs and make an HTML report of them'),
  handler: async (argv) => {
    const r = await compareTargets(argv.model, {
      dataset: argv.dataset, dataDir: argv['data-dir'], samples: argv.samples, calibrationSamples: argv['calibration-samples'],
      timesteps: argv.timesteps, dt: argv.dt, targets: argv.target, outDir: argv.output, force: argv.force, workers: argv.workers,
      onProgress: (t, status) => { if (process.stderr.isTTY) process.stderr.write(`\r  ${t}: ${status}\x1b[K`); },
    });
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    out(compareText(r));
  },
};
