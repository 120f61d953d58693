import type { CommandModule } from 'yargs';
import { DATASET_SPECS } from '../data/index.js';
import { TEACHER_ARCHS } from '../train/teacher.js';
import { runTeacherTraining } from '../train/run.js';
import { rangeHint } from '../util/ranges.js';
import { out } from './output.js';
import { resolveWorkers, TRAIN_WORKERS_OPTION } from '../parallel/index.js';

interface TrainTeacherArgs {
  arch: string;
  dataset: string;
  'data-dir'?: string;
  epochs: number;
  'batch-size': number;
  lr: number;
  seed: number;
  'train-limit'?: number;
  'test-limit'?: number;
  output: string;
  quiet: boolean;
  workers?: number;
}

export const trainTeacherCommand: CommandModule<object, TrainTeacherArgs> = {
  command: 'train-teacher',
  describe: 'train an ANN teacher (LeNet, VGG- or ResNet-style) with tfjs and export it as ONNX',
  builder: (y) => y
    .option('arch', { type: 'string', choices: [...TEACHER_ARCHS], default: 'lenet', describe: 'teacher architecture' })
    .option('dataset', { type: 'string', default: 'mnist', describe: `data set: ${DATASET_SPECS.join(' | ')}` })
    .option('data-dir', { type: 'string', describe: 'folder of the data files (fashion-mnist, cifar10, relative idx paths)' })
    .option('epochs', { type: 'number', default: 4, describe: `training epochs ${rangeHint('epochs')}` })
    .option('batch-size', { type: 'number', default: 64, describe: `samples per batch ${rangeHint('batchSize')}` })
    .option('lr', { type: 'number', default: 1e-3, describe: `Adam learning rate ${rangeHint('learningRate')} (cosine decay to 0)` })
    .option('seed', { type: 'number', default: 1, describe: `seed of initialisation and shuffling ${rangeHint('seed')}` })
    .option('train-limit', { type: 'number', describe: 'use only the first N training samples' })
    .option('test-limit', { type: 'number', describe: 'evaluate only the first N test samples' })
    .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'ONNX file to write' })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
    .option('workers', TRAIN_WORKERS_OPTION)
    .example('$0 train-teacher --arch lenet --dataset mnist --epochs 4 -o lenet.onnx', 'the LeNet teacher on the embedded MNIST')
    .example('$0 train-teacher --arch vgg --dataset fashion-mnist --epochs 3 -o vgg-fashion.onnx', 'a VGG-style teacher on Fashion-MNIST'),
  handler: async (argv) => {
    const r = await runTeacherTraining({
      dataset: argv.dataset, dataDir: argv['data-dir'], output: argv.output, trainLimit: argv['train-limit'], testLimit: argv['test-limit'],
      progress: !argv.quiet && Boolean(process.stderr.isTTY), quiet: argv.quiet, workers: resolveWorkers(argv.workers),
      config: { arch: argv.arch, epochs: argv.epochs, batchSize: argv['batch-size'], learningRate: argv.lr, seed: argv.seed },
    });
    out(`${JSON.stringify({ output: argv.output, arch: argv.arch, dataset: argv.dataset, testAccuracy: r.testAccuracy, parameters: r.parameters })}\n`);
  },
};
