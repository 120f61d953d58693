import type { CommandModule } from 'yargs';
import { DATASET_SPECS } from '../data/index.js';
import { STUDENT_ARCHS } from '../train/student.js';
import { SURROGATES, type SurrogateKind } from '../train/spiking.js';
import { KD_MODES, type KdMode } from '../train/trainer.js';
import { runStudentTraining } from '../train/run.js';
import { rangeHint } from '../util/ranges.js';
import { out } from './output.js';
import { resolveWorkers, TRAIN_WORKERS_OPTION } from '../parallel/index.js';
import { listTargets } from '../../targets/load.js';

interface TrainArgs {
  teacher?: string;
  student: string;
  dataset: string;
  'data-dir'?: string;
  kd: KdMode;
  timesteps: number;
  epochs: number;
  'batch-size': number;
  lr: number;
  seed: number;
  alpha: number;
  tau: number;
  beta: number;
  neuron: 'IF' | 'LIF';
  threshold: number;
  reset: 'subtract' | 'zero';
  leak: number;
  surrogate: SurrogateKind;
  sharpness: number;
  encoding: 'direct' | 'rate';
  'teacher-features'?: string;
  'student-tap': string;
  'augment-shift': number;
  'kd-standardize': boolean;
  'feature-norm': string;
  'beta-schedule': string;
  'train-limit'?: number;
  'test-limit'?: number;
  validation?: number;
  output: string;
  ir?: string;
  log?: string;
  checkpoint?: string;
  resume: boolean;
  'quantize-for'?: string;
  quiet: boolean;
  workers?: number;
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: 'train',
  describe: 'train a spiking student by knowledge distillation from a frozen ONNX teacher; export ONNX + IR JSON',
  builder: (y) => y
    .option('teacher', { type: 'string', describe: 'ONNX teacher (any classifier; run frozen by onnxruntime)' })
    .option('student', { type: 'string', choices: [...STUDENT_ARCHS], default: 'cnn', describe: 'student architecture (independent of the teacher)' })
    .option('dataset', { type: 'string', default: 'mnist', describe: `data set: ${DATASET_SPECS.join(' | ')}` })
    .option('data-dir', { type: 'string', describe: 'folder of the data files (fashion-mnist, cifar10, relative idx paths)' })
    .option('kd', { type: 'string', choices: [...KD_MODES], default: 'response' as KdMode, describe: 'distillation: response (soft logits), feature (1×1 adapters, L2), both, none (direct training)' })
    .option('timesteps', { alias: 'T', type: 'number', default: 4, describe: `time steps T ${rangeHint('trainTimesteps')}` })
    .option('epochs', { type: 'number', default: 5, describe: `training epochs ${rangeHint('epochs')}` })
    .option('batch-size', { type: 'number', default: 64, describe: `samples per batch ${rangeHint('batchSize')}` })
    .option('lr', { type: 'number', default: 2e-3, describe: `Adam learning rate ${rangeHint('learningRate')} (cosine decay to 0)` })
    .option('seed', { type: 'number', default: 1, describe: `seed of initialisation, shuffling and rate encoding ${rangeHint('seed')}` })
    .option('alpha', { type: 'number', default: 0.5, describe: 'response KD: weight α of τ²·KL against (1−α)·CE' })
    .option('tau', { type: 'number', default: 4, describe: 'response KD: temperature τ' })
    .option('beta', { type: 'number', default: 1, describe: 'feature KD: weight β of the L2 feature loss' })
    .option('neuron', { type: 'string', choices: ['IF', 'LIF'] as const, default: 'IF' as const, describe: 'neuron model' })
    .option('threshold', { type: 'number', default: 1, describe: 'firing threshold θ' })
    .option('reset', { type: 'string', choices: ['subtract', 'zero'] as const, default: 'subtract' as const, describe: 'reset after a spike' })
    .option('leak', { type: 'number', default: 0.1, describe: 'LIF leak: v ← (1 − leak)·v + I' })
    .option('surrogate', { type: 'string', choices: [...SURROGATES], default: 'arctan' as SurrogateKind, describe: 'surrogate gradient of the spike' })
    .option('sharpness', { type: 'number', default: 2, describe: 'surrogate sharpness α' })
    .option('encoding', { type: 'string', choices: ['direct', 'rate'] as const, default: 'direct' as const, describe: 'input encoding' })
    .option('feature-norm', { type: 'string', choices: ['none', 'channel'], default: 'none', describe: 'feature KD: teacher map as is, or each channel standardised over the training set' })
    .option('beta-schedule', { type: 'string', choices: ['constant', 'cosine'], default: 'constant', describe: 'feature KD: β throughout, or decayed to 0 with the learning rate' })
    .option('kd-standardize', { type: 'boolean', default: true, describe: 'response KD on per-sample z-scored logits (logit standardisation); --no-kd-standardize: raw logits (Hinton)' })
    .option('augment-shift', { type: 'number', default: 0, describe: 'translate training images by up to N pixels at random (0: off); the teacher sees the same images' })
    .option('teacher-features', { type: 'string', describe: 'feature KD: teacher tensor names, comma-separated, one 1×1 adapter each (default: the deepest ReLU feature map)' })
    .option('student-tap', { type: 'string', default: 'auto', describe: 'feature KD: student neuron layers whose spike rates are matched, one per teacher tensor, in order (auto: the deepest student map at least as large as each)' })
    .option('train-limit', { type: 'number', describe: 'use only the first N training samples' })
    .option('test-limit', { type: 'number', describe: 'evaluate only the first N test samples' })
    .option('validation', { type: 'number', describe: 'hold out the last N training samples and evaluate on them instead of the test split (for choosing hyperparameters)' })
    .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'student ONNX file to write (snnc-domain IF/LIF nodes)' })
    .option('ir', { type: 'string', describe: 'IR JSON to write (default: OUTPUT with .snn.json)' })
    .option('log', { type: 'string', describe: 'JSONL log, one line per epoch (default: OUTPUT with .log.jsonl)' })
    .option('checkpoint', { type: 'string', describe: 'checkpoint after each epoch (default: OUTPUT with .ckpt.json)' })
    .option('resume', { type: 'boolean', default: false, describe: 'continue from the checkpoint when it exists' })
    .option('quantize-for', { type: 'string', describe: `quantization-aware training: the forward pass uses the integer weights, thresholds and biases the compiler gives this target (${listTargets().join(', ')}, or a target JSON path); gradients pass the rounding straight through. On --resume: fine-tunes the stored run from its next epoch` })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
    .option('workers', TRAIN_WORKERS_OPTION)
    .example('$0 train --teacher lenet.onnx --dataset mnist --kd response --timesteps 4 --epochs 5 --seed 1 -o student.onnx', 'response KD from a LeNet teacher')
    .example('$0 train --teacher vgg.onnx --student resnet --kd both --epochs 3 -o s.onnx', 'a ResNet-style student, response + feature KD')
    .example('$0 train --kd none --dataset fashion-mnist --neuron LIF --surrogate sigmoid -o direct.onnx', 'direct training baseline without a teacher')
    .example('$0 train --teacher lenet.onnx -o student.onnx --epochs 10 --resume', 'continue an interrupted run from student.ckpt.json')
    .example('$0 train --teacher lenet.onnx -o student.onnx --epochs 3 --resume --quantize-for loihi-like', 'one more epoch, trained with loihi-like\'s rounding in the forward pass'),
  handler: async (argv) => {
    const base = argv.output.replace(/\.onnx$/, '');
    const { result, roundTrip } = await runStudentTraining({
      teacher: argv.teacher, dataset: argv.dataset, dataDir: argv['data-dir'], output: argv.output, irOutput: argv.ir,
      logPath: argv.log ?? `${base}.log.jsonl`, checkpointPath: argv.checkpoint ?? `${base}.ckpt.json`, resume: argv.resume,
      trainLimit: argv['train-limit'], testLimit: argv['test-limit'], validation: argv.validation,
      teacherFeatures: argv['teacher-features'] ? argv['teacher-features'].split(',').map((s) => s.trim()) : 'auto',
      progress: !argv.quiet && Boolean(process.stderr.isTTY), quiet: argv.quiet, workers: resolveWorkers(argv.workers),
      config: {
        student: argv.student, kd: argv.kd, timesteps: argv.timesteps, epochs: argv.epochs, batchSize: argv['batch-size'],
        learningRate: argv.lr, seed: argv.seed, alpha: argv.alpha, tau: argv.tau, beta: argv.beta, encoding: argv.encoding,
        studentTap: argv['student-tap'], augmentShift: argv['augment-shift'], kdStandardize: argv['kd-standardize'],
        ...(argv['quantize-for'] !== undefined ? { quantizeFor: argv['quantize-for'] } : {}),
        featureNorm: argv['feature-norm'] as 'none' | 'channel', betaSchedule: argv['beta-schedule'] as 'constant' | 'cosine',
        neuron: { model: argv.neuron, threshold: argv.threshold, reset: argv.reset, leak: argv.neuron === 'LIF' ? argv.leak : 0, surrogate: argv.surrogate, alpha: argv.sharpness },
      },
    });
    if (result.stopped) process.exitCode = 130;
    // Nothing was written (stopped before the first epoch ended): no line may claim an output.
    if (!roundTrip) return;
    out(`${JSON.stringify({
      output: argv.output, testAccuracy: result.testAccuracy, parameters: result.parameters, epochs: result.history.length,
      ...(result.history.at(-1)?.quantizedTestAccuracy !== undefined ? { quantizedTestAccuracy: result.history.at(-1)!.quantizedTestAccuracy } : {}),
      stopped: result.stopped, executorAgreement: `${roundTrip.agree}/${roundTrip.total}`,
    })}\n`);
  },
};
