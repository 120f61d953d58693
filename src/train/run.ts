import { existsSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { loadDataset, take, datasetFiles, type Dataset } from '../data/index.js';
import { UserError } from '../util/errors.js';
import { guardOutputs, writeFileAtomic } from '../util/fs.js';
import { READ_LIMITS, checkRegularFile } from '../util/safe-read.js';
import { checkRange } from '../util/ranges.js';
import { runGraph, predict } from '../ir/execute.js';
import { importOnnx } from '../onnx/import.js';
import type { Graph } from '../ir/graph.js';
import { initTrainingBackend } from './backend.js';
import { openTeacher } from './frozen-teacher.js';
import { studentToGraph } from './student.js';
import { trainStudent, usesFeatureLoss, validateConfig, DEFAULT_CONFIG, type TrainConfig, type TrainResult } from './trainer.js';
import { readCheckpoint } from './checkpoint.js';
import { resolveQuantizeTarget } from './qat.js';
import { DEFAULT_NEURON } from './spiking.js';
import { exportOnnx } from '../onnx/export.js';
import { writeGraphJson } from '../ir/json.js';
import { trainTeacher, validateTeacherConfig, type TeacherTrainConfig } from './teacher-train.js';
import { annToGraph, TEACHER_ARCHS } from './teacher.js';
import { targetPathOf } from '../../targets/load.js';

/**
 * Loads the train and test splits, optionally only their first samples (both splits are class-interleaved or
 * shuffled by the loaders). `validation`: the last N samples of the (limited) training split are held out and
 * returned as the evaluation set in place of the test split, which is then not read at all (for choosing
 * hyperparameters without looking at the test split).
 */
export function loadSplits(spec: string, dataDir?: string, trainLimit?: number, testLimit?: number, validation?: number): { train: Dataset; test: Dataset } {
  checkRange('--train-limit', 'limit', trainLimit);
  checkRange('--test-limit', 'limit', testLimit);
  checkRange('--validation', 'limit', validation);
  // Only the samples used are read and decoded.
  const train = loadDataset(spec, { split: 'train', dataDir, limit: trainLimit });
  if (validation !== undefined) {
    if (validation >= train.count) {
      throw new UserError(`--validation must be an integer from 1 to ${train.count - 1} (the training samples minus one), got ${validation}`);
    }
    const held = take(train, validation, train.count - validation);
    return { train: take(train, train.count - validation), test: { ...held, name: `${train.name} (validation)` } };
  }
  const test = loadDataset(spec, { split: 'test', dataDir, limit: testLimit });
  return { train, test };
}

/** Runs the exported graph with the float reference executor and counts test predictions equal to the trainer's. */
export function checkRoundTrip(graph: Graph, test: Dataset, trainerPredictions: Int32Array): { agree: number; total: number; accuracy: number } {
  const logits = runGraph(graph, test.images, test.count, { mode: 'snn', timesteps: graph.meta.timesteps, encoding: graph.meta.encoding });
  const p = predict(logits, test.count);
  let agree = 0, ok = 0;
  for (let i = 0; i < test.count; i++) {
    if (p[i] === trainerPredictions[i]) agree++;
    if (p[i] === test.labels[i]) ok++;
  }
  return { agree, total: test.count, accuracy: ok / test.count };
}

export interface StudentRunOptions {
  teacher?: string;
  dataset: string;
  dataDir?: string;
  output: string;
  irOutput?: string;
  logPath?: string;
  checkpointPath?: string;
  resume?: boolean;
  trainLimit?: number;
  testLimit?: number;
  /** Hold out the last N training samples and evaluate on them instead of the test split. */
  validation?: number;
  teacherFeatures?: string[] | 'auto';
  progress?: boolean;
  quiet?: boolean;
  /** Data-parallel worker threads (1: in this thread). */
  workers?: number;
  config: Partial<TrainConfig>;
}

/** The whole `snnc train` run: data, teacher, training, export (ONNX + IR JSON) and the round-trip check. */
export async function runStudentTraining(o: StudentRunOptions): Promise<{ result: TrainResult; graph?: Graph; roundTrip?: { agree: number; total: number; accuracy: number } }> {
  const say = (s: string) => { if (!o.quiet) process.stderr.write(`${s}\n`); };
  if (!o.output.endsWith('.onnx')) throw new UserError(`-o must name an .onnx file, got '${o.output}'`);
  if (o.teacher !== undefined) checkRegularFile(o.teacher, { what: 'teacher', maxBytes: READ_LIMITS.onnx });
  const irPath = o.irOutput ?? o.output.replace(/\.onnx$/, '.snn.json');
  // The checkpoint is read on --resume and written after every epoch: an output, and an input only of itself.
  guardOutputs([o.teacher, o.config.quantizeFor !== undefined ? targetPathOf(o.config.quantizeFor) : undefined, ...datasetFiles(o.dataset, o.dataDir)], [['-o', o.output], ['--ir', irPath], ['--log', o.logPath], ['--checkpoint', o.checkpointPath]]);
  // Settings, and a checkpoint to resume, are checked before any data or teacher is loaded.
  validateConfig({ ...DEFAULT_CONFIG, ...o.config, neuron: { ...DEFAULT_NEURON, ...o.config.neuron } });
  if (o.resume && o.checkpointPath && existsSync(o.checkpointPath)) readCheckpoint(o.checkpointPath, validateConfig);
  if (o.config.quantizeFor !== undefined) resolveQuantizeTarget(o.config.quantizeFor);
  const kd = o.config.kd ?? DEFAULT_CONFIG.kd;
  if (kd !== 'none' && !o.teacher) throw new UserError(`--kd ${kd} needs --teacher (or use --kd none)`);
  const { train, test } = loadSplits(o.dataset, o.dataDir, o.trainLimit, o.testLimit, o.validation);
  const evalName = o.validation !== undefined ? 'validation' : 'test';
  const useFeature = usesFeatureLoss(kd);
  // The teacher and the data are checked before the backend starts, so bad input costs one line and no output.
  const teacher = o.teacher && kd !== 'none' ? await openTeacher(o.teacher, train.shape, useFeature ? (o.teacherFeatures ?? 'auto') : []) : undefined;
  await initTrainingBackend({ quiet: o.quiet });
  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    process.stderr.write('\nsnnc: stopping after this batch; the last complete epoch stays in the checkpoint (Ctrl-C again to abort)\n');
  };
  // Before the first line that says training is about to start: a Ctrl-C from then on is a stop, never the
  // default kill (the thread can be descheduled between a write and the next statement).
  process.on('SIGINT', onSigint);
  say(`data: ${o.dataset} train ${train.count}, ${evalName} ${test.count} samples of [${train.shape}]${o.validation !== undefined ? ' (held out from the training split; the test split is not read)' : ''}`);
  const bar = o.progress ? new cliProgress.SingleBar({
    format: 'epoch {epoch} |{bar}| {value}/{total} batches | loss {loss} | {speed} samples/s',
    hideCursor: true, clearOnComplete: true,
  }, cliProgress.Presets.shades_classic) : undefined;
  let epochStart = performance.now();
  const batchSize = o.config.batchSize ?? DEFAULT_CONFIG.batchSize;
  let result: TrainResult;
  try {
    result = await trainStudent(train, test, teacher, o.config, { logPath: o.logPath, checkpointPath: o.checkpointPath, resume: o.resume, workers: o.workers }, {
      log: say,
      shouldStop: () => stopRequested,
      onBatch: (epoch, done, total, loss) => {
        if (!bar) return;
        if (done === 1) { epochStart = performance.now(); bar.start(total, 0, { epoch: epoch + 1, loss: '-', speed: '-' }); }
        const speed = (done * batchSize) / ((performance.now() - epochStart) / 1000);
        bar.update(done, { epoch: epoch + 1, loss: loss.toFixed(4), speed: speed.toFixed(0) });
        if (done === total) bar.stop();
      },
      onEpoch: (e) => {
        bar?.stop();
        say(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)} (ce ${e.ce.toFixed(4)}, kd ${e.kd.toFixed(4)}, feature ${e.feature.toFixed(4)}) train ${(100 * e.trainAccuracy).toFixed(2)} % ${evalName} ${(100 * e.testAccuracy).toFixed(2)} % ${e.seconds.toFixed(1)} s (${e.samplesPerSecond.toFixed(0)} samples/s) peak RSS ${e.peakRssMB} MB${e.quantizedTestAccuracy !== undefined ? `; with the target's rounding ${evalName} ${(100 * e.quantizedTestAccuracy).toFixed(2)} %` : ''}`);
      },
    });
  } finally {
    bar?.stop();
    process.off('SIGINT', onSigint);
    await teacher?.close();
  }
  if (result.stopped && result.history.length === 0) {
    // Said even with --quiet: the command's promised output does not exist.
    process.stderr.write('snnc: stopped before the first epoch completed: nothing written\n');
    return { result };
  }
  const graph = studentToGraph(result.student);
  const bytes = exportOnnx(graph);
  writeFileAtomic(o.output, bytes);
  writeGraphJson(irPath, graph);
  // Check what was written: the ONNX file re-imported, run by the float reference executor.
  const roundTrip = checkRoundTrip(importOnnx(bytes).graph, test, result.testPredictions);
  say(`wrote ${o.output} and ${irPath}: ${result.parameters} parameters, ${evalName} accuracy ${(100 * result.testAccuracy).toFixed(2)} %; `
    + `float executor agrees on ${roundTrip.agree}/${roundTrip.total} ${evalName} predictions (accuracy ${(100 * roundTrip.accuracy).toFixed(2)} %)`);
  if (result.stopped) say('stopped early: the written student is the last complete epoch');
  return { result, graph, roundTrip };
}

/** The whole `snnc train-teacher` run: trains an ANN of the zoo and writes it as ONNX. */
export async function runTeacherTraining(o: {
  dataset: string; dataDir?: string; output: string; trainLimit?: number; testLimit?: number; progress?: boolean; quiet?: boolean;
  workers?: number; config: TeacherTrainConfig;
}): Promise<{ testAccuracy: number; parameters: number; graph: Graph; secondsPerEpoch: number }> {
  const say = (s: string) => { if (!o.quiet) process.stderr.write(`${s}\n`); };
  if (!o.output.endsWith('.onnx')) throw new UserError(`-o must name an .onnx file, got '${o.output}'`);
  guardOutputs(datasetFiles(o.dataset, o.dataDir), [['-o', o.output]]);
  if (!(TEACHER_ARCHS as readonly string[]).includes(o.config.arch)) throw new UserError(`unknown teacher architecture '${o.config.arch}' (choose ${TEACHER_ARCHS.join(', ')})`);
  validateTeacherConfig(o.config);
  const { train, test } = loadSplits(o.dataset, o.dataDir, o.trainLimit, o.testLimit);
  await initTrainingBackend({ quiet: o.quiet });
  let stop = false;
  const onSigint = () => { if (stop) process.exit(130); stop = true; };
  process.on('SIGINT', onSigint); // before the 'data:' line, as in runStudentTraining
  say(`data: ${o.dataset} train ${train.count}, test ${test.count} samples of [${train.shape}]`);
  const bar = o.progress ? new cliProgress.SingleBar({ format: 'epoch {epoch} |{bar}| {value}/{total} batches | loss {loss}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
  let r: Awaited<ReturnType<typeof trainTeacher>>;
  try {
    r = await trainTeacher(train, test, o.config, {
      shouldStop: () => stop,
      onBatch: (epoch, done, total, loss) => {
        if (!bar) return;
        if (done === 1) bar.start(total, 0, { epoch: epoch + 1, loss: '-' });
        bar.update(done, { epoch: epoch + 1, loss: loss.toFixed(4) });
        if (done === total) bar.stop();
      },
      onEpoch: (e) => say(`epoch ${e.epoch}: loss ${e.loss.toFixed(4)} train ${(100 * e.trainAccuracy).toFixed(2)} % test ${(100 * e.testAccuracy).toFixed(2)} % ${e.seconds.toFixed(1)} s peak RSS ${e.peakRssMB} MB`),
    }, { workers: o.workers });
  } finally {
    bar?.stop();
    process.off('SIGINT', onSigint);
  }
  if (r.stopped && r.history.length === 0) throw new UserError('stopped before the first epoch completed: nothing written');
  const graph = annToGraph(r.model);
  writeFileAtomic(o.output, exportOnnx(graph));
  const parameters = graph.order.reduce((n, name) => {
    const node = graph.nodes.get(name)!;
    return n + ('weight' in node ? node.weight.data.length : 0) + ('bias' in node && node.bias ? node.bias.data.length : 0);
  }, 0);
  say(`wrote ${o.output}: ${parameters} parameters, test accuracy ${(100 * r.testAccuracy).toFixed(2)} %`);
  return { testAccuracy: r.testAccuracy, parameters, graph, secondsPerEpoch: r.history.reduce((a, h) => a + h.seconds, 0) / r.history.length };
}
