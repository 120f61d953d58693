import { existsSync, appendFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { tf } from './backend.js';
import type { Dataset } from '../data/dataset.js';
import { UserError } from '../util/errors.js';
import { makeDir } from '../util/fs.js';
import { mulberry32, permutation } from '../data/rng.js';
import { RANGES, describeRange, inRange, type RangeName } from '../util/ranges.js';
import { DEFAULT_NEURON, SURROGATES, type NeuronOptions } from './spiking.js';
import { readCheckpoint, restoreCheckpoint, restoreStudentWeights, saveCheckpoint, type Checkpoint, type NamedVariable } from './checkpoint.js';
import {
  createStudent, imagesToNhwc, neuronLayers, runStudent, studentParameterCount, studentSpec, STUDENT_ARCHS,
  type Student,
} from './student.js';
import { createQat, runQuantized, type Qat } from './qat.js';
import { runTeacher, type FrozenTeacher } from './frozen-teacher.js';
import { featureTensors, readBatchStats, studentBatchLoss, type StudentLossSettings } from './replica.js';
import { agreementRate } from '../metrics/agreement.js';
import { GradientPool } from './data-parallel.js';
import { resolveWorkers } from '../parallel/index.js';

export type KdMode = 'none' | 'response' | 'feature' | 'both';
export const KD_MODES: readonly KdMode[] = ['none', 'response', 'feature', 'both'];

/** Whether a KD mode has the response loss (teacher soft labels): the only part that standardisation, α and τ change. */
export function usesResponseLoss(kd: KdMode): boolean {
  return kd === 'response' || kd === 'both';
}

/** Whether a KD mode has the feature loss (adapters on intermediate maps). */
export function usesFeatureLoss(kd: KdMode): boolean {
  return kd === 'feature' || kd === 'both';
}

/** Everything that defines a training run (stored in checkpoints so a resume continues the same run). */
export interface TrainConfig {
  student: string;
  kd: KdMode;
  timesteps: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Response KD: weight α of the soft term and temperature τ. */
  alpha: number;
  tau: number;
  /** Feature KD: weight β of the L2 term. */
  beta: number;
  /**
   * Feature KD target: the teacher's map as it is ('none'), or each channel standardised with its mean and standard
   * deviation over the training set ('channel'), so that every teacher channel weighs the same in the L2 loss.
   */
  featureNorm: 'none' | 'channel';
  /** Feature KD weight over training: β throughout ('constant'), or β decayed to 0 with the learning rate's cosine ('cosine'). */
  betaSchedule: 'constant' | 'cosine';
  neuron: NeuronOptions;
  encoding: 'direct' | 'rate';
  /**
   * Student neuron layers whose spike rates feature KD matches to the teacher's feature maps, comma-separated, the
   * i-th layer to the i-th teacher map ('auto': each teacher map gets the student layer `pickStudentTap` picks).
   */
  studentTap: string;
  /**
   * Random translation of every training image by up to this many pixels in each direction (zero fill; 0: off).
   * The same for every KD mode; with a teacher, its outputs are computed on the translated images, batch by batch
   * (the teacher then supervises inputs the labels alone say little about).
   */
  augmentShift: number;
  /**
   * Response KD on z-scored logits (logit standardisation) instead of raw ones. On by default, a departure from
   * the plain Hinton loss of the product brief and the KD paper: on raw logits the loss asks this readout (accumulated
   * membrane potential over a few steps) to reach the ANN teacher's logit magnitudes, and it lowered the student's
   * accuracy below direct training in every configuration of docs/results.md; z-scored, it did not.
   */
  kdStandardize: boolean;
  /**
   * Quantization-aware training for this target (a shipped name or a target JSON path, as `compile --target`): the
   * forward pass uses the weights, thresholds and biases the compiler would give the chip (qat.ts). Absent: off.
   */
  quantizeFor?: string;
}

export const DEFAULT_CONFIG: TrainConfig = {
  student: 'cnn', kd: 'response', timesteps: 4, epochs: 5, batchSize: 64, learningRate: 2e-3, seed: 1,
  alpha: 0.5, tau: 4, beta: 1, featureNorm: 'none', betaSchedule: 'constant', neuron: DEFAULT_NEURON, encoding: 'direct', studentTap: 'auto', augmentShift: 0, kdStandardize: true,
};

/** One line of the JSONL training log. */
export interface EpochLog {
  epoch: number;
  loss: number;
  ce: number;
  kd: number;
  feature: number;
  trainAccuracy: number;
  testAccuracy: number;
  learningRate: number;
  seconds: number;
  samplesPerSecond: number;
  peakRssMB: number;
  /** Under --quantize-for: test accuracy of the forward pass with the target's rounding (what the chip runs). */
  quantizedTestAccuracy?: number;
}

export interface TrainResult {
  student: Student;
  config: TrainConfig;
  history: EpochLog[];
  /** Test-split predictions of the final student (what the exported graph must reproduce). */
  testPredictions: Int32Array;
  testAccuracy: number;
  parameters: number;
  /** True when a stop was requested (SIGINT): the result is the last complete epoch. */
  stopped: boolean;
}

export interface TrainHooks {
  /** Called after every batch (progress bars). */
  onBatch?: (epoch: number, done: number, total: number, loss: number) => void;
  onEpoch?: (log: EpochLog) => void;
  /** Polled between batches: true stops the run at once, keeping the last complete checkpoint. */
  shouldStop?: () => boolean;
  log?: (line: string) => void;
}

export interface TrainIo {
  /** JSONL log, one line per epoch (appended). */
  logPath?: string;
  /** Checkpoint written after each complete epoch (atomically). */
  checkpointPath?: string;
  /** Continue from `checkpointPath` when it exists. */
  resume?: boolean;
  /**
   * Worker threads sharing each batch (data-parallel, src/train/data-parallel.ts; default 1: every step in
   * this thread). Not part of the run's config: a resume may use another N.
   */
  workers?: number;
}

/**
 * Checks the settings of a run (flags, or a checkpoint's config when `origin` names it); every fault is a
 * UserError naming the setting as the user wrote it. The ranges are src/util/ranges.ts's, shared with every
 * command.
 */
export function validateConfig(c: TrainConfig, origin?: string): void {
  const name = (flag: string, field: string) => (origin ? `${origin}: config.${field}` : `--${flag}`);
  const numbers: [flag: string, field: string, range: RangeName, value: unknown][] = [
    ['timesteps', 'timesteps', 'trainTimesteps', c.timesteps], ['epochs', 'epochs', 'epochs', c.epochs], ['batch-size', 'batchSize', 'batchSize', c.batchSize],
    ['lr', 'learningRate', 'learningRate', c.learningRate], ['seed', 'seed', 'seed', c.seed], ['alpha', 'alpha', 'alpha', c.alpha], ['tau', 'tau', 'tau', c.tau],
    ['beta', 'beta', 'beta', c.beta], ['threshold', 'neuron.threshold', 'threshold', c.neuron.threshold], ['leak', 'neuron.leak', 'leak', c.neuron.leak],
    ['sharpness', 'neuron.alpha', 'sharpness', c.neuron.alpha], ['augment-shift', 'augmentShift', 'augmentShift', c.augmentShift],
  ];
  for (const [flag, field, range, value] of numbers) {
    if (!inRange(RANGES[range], value)) throw new UserError(`${name(flag, field)} must be ${describeRange(RANGES[range])}, got ${typeof value === 'string' ? `'${value}'` : String(value)}`);
  }
  const choices: [flag: string, field: string, allowed: readonly string[], value: unknown][] = [
    ['student', 'student', STUDENT_ARCHS, c.student], ['kd', 'kd', KD_MODES, c.kd], ['neuron', 'neuron.model', ['IF', 'LIF'], c.neuron.model],
    ['reset', 'neuron.reset', ['subtract', 'zero'], c.neuron.reset], ['surrogate', 'neuron.surrogate', SURROGATES, c.neuron.surrogate],
    ['encoding', 'encoding', ['direct', 'rate'], c.encoding], ['feature-norm', 'featureNorm', ['none', 'channel'], c.featureNorm],
    ['beta-schedule', 'betaSchedule', ['constant', 'cosine'], c.betaSchedule],
  ];
  for (const [flag, field, allowed, value] of choices) {
    if (!allowed.includes(value as string)) throw new UserError(`${name(flag, field)} must be one of ${allowed.join(', ')}, got '${String(value)}'`);
  }
  if (c.quantizeFor !== undefined && (typeof c.quantizeFor !== 'string' || c.quantizeFor.length === 0)) {
    throw new UserError(`${name('quantize-for', 'quantizeFor')} must name a target or a target JSON file, got '${String(c.quantizeFor)}'`);
  }
}

/**
 * Translates each image of a flat NCHW batch in place by a random (dy, dx) in [−max, max]² (the same for all
 * channels of one image), filling with zeros; the draws come from `rand`.
 */
export function shiftImages(images: Float32Array, n: number, shape: number[], max: number, rand: () => number): void {
  const [c, h, w] = shape;
  const plane = h * w;
  const tmp = new Float32Array(plane);
  for (let i = 0; i < n; i++) {
    const dy = Math.floor(rand() * (2 * max + 1)) - max;
    const dx = Math.floor(rand() * (2 * max + 1)) - max;
    if (dy === 0 && dx === 0) continue;
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * plane;
      tmp.set(images.subarray(base, base + plane));
      for (let y = 0; y < h; y++) {
        const sy = y - dy;
        for (let x = 0; x < w; x++) {
          const sx = x - dx;
          images[base + y * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? tmp[sy * w + sx] : 0;
        }
      }
    }
  }
}

/** Rows `idx[from..to)` of a flat array of rows of `rowSize` values, in that order (a batch of images or of cached teacher outputs). */
export function gatherRows(rows: Float32Array, rowSize: number, idx: ArrayLike<number>, from: number, to: number): Float32Array {
  const out = new Float32Array((to - from) * rowSize);
  for (let i = from; i < to; i++) out.set(rows.subarray(idx[i] * rowSize, (idx[i] + 1) * rowSize), (i - from) * rowSize);
  return out;
}

/** Copies the samples `idx[from..to)` of a data set into one flat NCHW batch. */
export function gatherBatch(ds: Dataset, idx: ArrayLike<number>, from: number, to: number): { images: Float32Array; labels: Float32Array } {
  const images = gatherRows(ds.images, ds.shape[0] * ds.shape[1] * ds.shape[2], idx, from, to);
  const labels = new Float32Array(to - from);
  for (let i = from; i < to; i++) labels[i - from] = ds.labels[idx[i]];
  return { images, labels };
}

/** Readout potentials of the student on a whole data set (no gradients), batch × classes; under `qat`, with the target's rounding. */
export function studentLogits(student: Student, ds: Dataset, batch = 256, qat?: Qat): Float32Array {
  const out = new Float32Array(ds.count * student.classes);
  const size = ds.shape[0] * ds.shape[1] * ds.shape[2];
  for (let start = 0; start < ds.count; start += batch) {
    const n = Math.min(batch, ds.count - start);
    const logits = tf.tidy(() => {
      const x = imagesToNhwc(ds.images.subarray(start * size, (start + n) * size), n, ds.shape);
      return (qat ? runQuantized(qat, student, x, { seed: start + 1 }) : runStudent(student, x, { seed: start + 1 })).logits;
    });
    out.set(logits.dataSync() as Float32Array, start * student.classes);
    logits.dispose();
  }
  return out;
}

export function argmaxRows(logits: Float32Array, classes: number): Int32Array {
  const n = logits.length / classes;
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    p[i] = best;
  }
  return p;
}

/** The fraction of predictions equal to their labels (0 for none). */
export function accuracyOf(pred: Int32Array, labels: ArrayLike<number>): number {
  return pred.length ? agreementRate(pred, labels, pred.length) : 0;
}

/** Picks the student neuron layer for feature KD: the deepest feature map at least as large as the teacher's. */
export function pickStudentTap(student: Student, teacherShape: number[]): string {
  const [, th, tw] = teacherShape;
  const maps = neuronLayers(student).filter((n) => student.shapes.get(n)!.length === 3);
  const fitting = maps.filter((n) => { const [h, w] = student.shapes.get(n)!; return h >= th && w >= tw; });
  const pick = (fitting.length ? fitting : maps).at(-1);
  if (!pick) throw new UserError(`student '${student.spec.arch}' has no spiking feature map for feature KD`);
  return pick;
}

/** Per-channel mean and 1/standard deviation of feature maps. */
export interface ChannelStats { mean: Float64Array; inverseStd: Float64Array }

/** Per-channel mean and 1/standard deviation of teacher feature maps `[N, C, H, W]` (flat, `shape` = [C, H, W]). */
export function channelStats(features: Float32Array, shape: number[]): ChannelStats {
  const [c] = shape;
  const plane = shape[1] * shape[2];
  const n = features.length / (c * plane);
  const mean = new Float64Array(c), inverseStd = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    let sum = 0, sq = 0;
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * plane;
      for (let k = 0; k < plane; k++) { const v = features[base + k]; sum += v; sq += v * v; }
    }
    const m = sum / (n * plane);
    mean[ch] = m;
    // A channel that never varies (e.g. a dead ReLU) is only centred.
    const sd = Math.sqrt(Math.max(0, sq / (n * plane) - m * m));
    inverseStd[ch] = sd > 1e-6 ? 1 / sd : 1;
  }
  return { mean, inverseStd };
}

/** Feature maps `[n, C, H, W]` with each channel standardised by `stats`, into `out` (a new array unless given; may be `features`). */
export function standardizeChannels(features: Float32Array, shape: number[], stats: ChannelStats, out: Float32Array = new Float32Array(features.length)): Float32Array {
  const [c] = shape;
  const plane = shape[1] * shape[2];
  for (let base = 0, ch = 0; base < features.length; base += plane, ch = (ch + 1) % c) {
    const m = stats.mean[ch], k = stats.inverseStd[ch];
    for (let j = 0; j < plane; j++) out[base + j] = (features[base + j] - m) * k;
  }
  return out;
}

/** Memory budget for teacher features held for the whole training set (beyond it they are computed per batch). */
const FEATURE_CACHE_BYTES = 1536 * 1024 * 1024;

/** One feature-KD pairing: a teacher map, the student layer matched to it and the adapter between them. */
interface FeatureHint {
  /** Teacher tensor name and per-sample shape [C, H, W]. */
  name: string;
  shape: number[];
  size: number;
  tap: string;
  /** Name of the adapter's weights in checkpoints. */
  key: string;
  /** The teacher's maps for the whole training set (standardised when asked), when they fit in memory. */
  cached?: Float32Array;
  stats?: ChannelStats;
  adapter: { w: tf.Variable; b: tf.Variable };
}

/**
 * The teacher's targets for the whole training set, computed once: its logits, and for feature KD one hint per exposed
 * teacher map (the student layer matched to it, a fresh 1×1 adapter, the maps themselves when they fit in memory).
 */
async function teacherTargets(
  teacher: FrozenTeacher, train: Dataset, student: Student, config: TrainConfig, classes: number, log: (line: string) => void,
): Promise<{ teacherLogits: Float32Array; hints: FeatureHint[] }> {
  const useFeature = usesFeatureLoss(config.kd);
  const hints: FeatureHint[] = [];
  if (useFeature && teacher.features.length === 0) throw new UserError('feature KD needs a teacher feature tensor (--teacher-features)');
  const maps = useFeature ? teacher.features : [];
  const taps = !useFeature ? [] : config.studentTap === 'auto' ? maps.map((f) => pickStudentTap(student, f.shape)) : config.studentTap.split(',').map((t) => t.trim());
  if (taps.length !== maps.length) {
    throw new UserError(`--student-tap names ${taps.length} student layer(s) for ${maps.length} teacher feature map(s) (${maps.map((f) => f.name).join(', ')}); give one per map, in order`);
  }
  // The pairing is checked before the teacher runs over the training set.
  for (const tap of taps) {
    const s = student.shapes.get(tap);
    if (!s || s.length !== 3 || !neuronLayers(student).includes(tap)) throw new UserError(`student '${config.student}' has no spiking feature map '${tap}' (choose ${neuronLayers(student).join(', ')})`);
  }
  const sizes = maps.map((f) => f.shape.reduce((a, b) => a * b, 1));
  const featureBytes = sizes.reduce((sum, size) => sum + train.count * size * 4, 0);
  const cacheFeatures = useFeature && featureBytes <= FEATURE_CACHE_BYTES;
  const t0 = performance.now();
  const probe: FrozenTeacher = cacheFeatures ? teacher : { ...teacher, features: [] };
  const all = await runTeacher(probe, train.images, train.count, train.shape);
  if (all.classes !== classes) throw new UserError(`the teacher gives ${all.classes} class scores, the data set has ${classes} classes`);
  let statsSource: Map<string, Float32Array> | undefined;
  if (useFeature && config.featureNorm === 'channel' && !cacheFeatures) {
    // Standardisation statistics: over the whole training set when its maps are cached, else over its first 2,048 samples.
    const probeCount = Math.min(train.count, 2048);
    statsSource = (await runTeacher(teacher, train.images.subarray(0, probeCount * train.shape.reduce((a, b) => a * b, 1)), probeCount, train.shape)).features;
  }
  const rand = mulberry32(config.seed ^ 0x5eed);
  maps.forEach((f, i) => {
    const tap = taps[i];
    const s = student.shapes.get(tap)!;
    const cached = cacheFeatures ? all.features.get(f.name) : undefined;
    let stats: ChannelStats | undefined;
    if (config.featureNorm === 'channel') {
      stats = channelStats(cached ?? statsSource!.get(f.name)!, f.shape);
      // The cached maps are standardised once, in place; maps computed per batch are standardised as they come.
      if (cached) standardizeChannels(cached, f.shape, stats, cached);
    }
    const cs = s[2], ct = f.shape[0];
    const bound = Math.sqrt(6 / cs);
    // The first adapter keeps the one-map name (`adapter`), so checkpoints of one-map runs still resume.
    const key = i === 0 ? 'adapter' : `adapter${i}`;
    const adapter = {
      w: tf.variable(tf.tensor(Float32Array.from({ length: cs * ct }, () => (rand() * 2 - 1) * bound), [1, 1, cs, ct]), true, `${student.prefix}${key}/w`),
      b: tf.variable(tf.zeros([ct]), true, `${student.prefix}${key}/b`),
    };
    hints.push({ name: f.name, shape: f.shape, size: sizes[i], tap, key, cached, stats, adapter });
    log(`feature KD: student ${tap} [${s}] → 1×1 adapter → teacher ${f.name} [${f.shape}]`);
  });
  log(`teacher outputs for ${train.count} training samples computed once in ${((performance.now() - t0) / 1000).toFixed(1)} s${useFeature && !cacheFeatures ? ' (features per batch: too large to cache)' : ''}`);
  return { teacherLogits: all.logits, hints };
}

/**
 * Trains a spiking student on `train`, evaluates on `test` after every epoch, optionally distilling from a
 * frozen teacher. The teacher is frozen and the inputs are not augmented, so its logits (and features,
 * when they fit in memory) for the training set are computed ONCE up front with onnxruntime, not per batch:
 * identical values, a fraction of the cost.
 */
export async function trainStudent(
  train: Dataset, test: Dataset, teacher: FrozenTeacher | undefined, configIn: Partial<TrainConfig>,
  io: TrainIo = {}, hooks: TrainHooks = {},
): Promise<TrainResult> {
  let config: TrainConfig = { ...DEFAULT_CONFIG, ...configIn, neuron: { ...DEFAULT_NEURON, ...configIn.neuron } };
  validateConfig(config);
  const log = hooks.log ?? (() => {});
  let checkpoint: Checkpoint<TrainConfig, EpochLog> | undefined;
  if (io.resume && io.checkpointPath && existsSync(io.checkpointPath)) {
    checkpoint = readCheckpoint<TrainConfig, EpochLog>(io.checkpointPath, validateConfig);
    // A resume continues the stored run; only the epoch budget may grow.
    // --quantize-for given on resume starts quantization-aware fine-tuning of the stored run; else the stored one stays.
    const quantizeFor = configIn.quantizeFor ?? checkpoint.config.quantizeFor;
    config = { ...checkpoint.config, epochs: Math.max(config.epochs, checkpoint.config.epochs), ...(quantizeFor !== undefined ? { quantizeFor } : {}) };
    log(`resuming from ${io.checkpointPath} after epoch ${checkpoint.epoch}`);
  }
  if (config.kd !== 'none' && !teacher) throw new UserError(`--kd ${config.kd} needs a teacher (--teacher t.onnx)`);
  if (io.logPath) {
    // The log's folder is created like the output's; a fresh run starts a fresh log, a resumed one appends to it.
    makeDir(dirname(io.logPath));
    try {
      if (!checkpoint) writeFileSync(io.logPath, '');
    } catch (e) {
      throw new UserError(`cannot write the training log '${io.logPath}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  if (train.shape.join() !== test.shape.join()) throw new UserError(`train and test samples differ in shape: [${train.shape}] vs [${test.shape}]`);
  const classes = Math.max(train.classes, test.classes);

  const student = createStudent(studentSpec(config.student, classes), train.shape, classes, config.neuron, config.timesteps, config.encoding, config.seed);
  // Checked before the teacher runs: an unknown target, or one the student cannot be mapped onto, costs one line.
  const qat = config.quantizeFor !== undefined ? createQat(student, config.quantizeFor) : undefined;
  if (qat) log(`quantization-aware training for ${qat.target.name}: the forward pass uses the compiler's integer weights, thresholds and biases`);
  const useResponse = usesResponseLoss(config.kd);
  const useFeature = usesFeatureLoss(config.kd);

  // Teacher outputs for the training set, computed once.
  const { teacherLogits, hints } = teacher && config.kd !== 'none'
    ? await teacherTargets(teacher, train, student, config, classes, log)
    : { teacherLogits: undefined, hints: [] as FeatureHint[] };

  // Every trainable variable with its name in checkpoints; the student's come first.
  const studentVars: NamedVariable[] = [...student.weights].flatMap(([name, p]) => [{ key: `${name}/w`, variable: p.w }, { key: `${name}/b`, variable: p.b }]);
  const named: NamedVariable[] = [...studentVars, ...hints.flatMap((h) => [{ key: `${h.key}/w`, variable: h.adapter.w }, { key: `${h.key}/b`, variable: h.adapter.b }])];
  const vars = named.map((v) => v.variable);
  const optimizer = tf.train.adam(config.learningRate);
  let history: EpochLog[] = [];
  let startEpoch = 0;
  if (checkpoint) {
    await restoreCheckpoint(checkpoint, io.checkpointPath!, named, optimizer, student);
    history = checkpoint.history;
    startEpoch = checkpoint.epoch;
  }

  const stepsPerEpoch = Math.ceil(train.count / config.batchSize);
  const totalSteps = stepsPerEpoch * config.epochs;
  let stopped = false;
  let peakRss = 0;
  const cosineAt = (step: number) => 0.5 * (1 + Math.cos(Math.PI * Math.min(1, step / totalSteps)));
  const lrAt = (step: number) => config.learningRate * cosineAt(step);
  const betaAt = (step: number) => config.beta * (config.betaSchedule === 'cosine' ? cosineAt(step) : 1);
  // Teacher maps computed for one batch (augmented or too large to cache), standardised in place when asked.
  const perBatchFeatures = (computed: Map<string, Float32Array>) => hints.map((h) => {
    const f = computed.get(h.name)!;
    return h.stats ? standardizeChannels(f, h.shape, h.stats, f) : f;
  });
  const lossSettings: StudentLossSettings = { useResponse, useFeature, alpha: config.alpha, tau: config.tau, kdStandardize: config.kdStandardize };
  const imageSize = train.shape[0] * train.shape[1] * train.shape[2];
  const requested = resolveWorkers(io.workers ?? 1);
  // Quantization-aware steps run in this thread: the replicas hold no compiler pipeline to round with.
  const workers = qat ? 1 : requested;
  if (qat && requested > 1) log(`quantization-aware training runs in this thread (${requested} workers asked for: data-parallel steps do not round yet)`);
  // N > 1: replicas of the student (and its adapters) on worker threads, one gradient shard each.
  const parallel = workers > 1 ? new GradientPool(workers, {
    kind: 'student', spec: student.spec, inputShape: student.inputShape, classes, neuron: student.neuron, timesteps: student.timesteps,
    encoding: student.encoding, loss: lossSettings, adapters: hints.map((h) => ({ tap: h.tap, shape: h.shape, channels: student.shapes.get(h.tap)![2] })),
  }, vars) : undefined;
  if (parallel) log(`data-parallel training: ${workers} worker threads, each batch of ${config.batchSize} cut into ${workers} shards`);
  try {
    for (let epoch = startEpoch; epoch < config.epochs && !stopped; epoch++) {
      const t0 = performance.now();
      // Shuffle from (seed, epoch): a resumed run sees exactly the order the uninterrupted one would.
      const order = permutation(train.count, mulberry32((config.seed * 1000003 + epoch) >>> 0));
      let lossSum = 0, ceSum = 0, kdSum = 0, featSum = 0, correct = 0, seen = 0;
      for (let step = 0; step < stepsPerEpoch; step++) {
        // Let the event loop run (signal handlers, progress output): the step itself is synchronous.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (hooks.shouldStop?.()) { stopped = true; break; }
        const from = step * config.batchSize;
        const to = Math.min(train.count, from + config.batchSize);
        const n = to - from;
        const batch = gatherBatch(train, order, from, to);
        let tLogits: Float32Array | undefined;
        let tFeat: Float32Array[] | undefined;
        if (config.augmentShift > 0) {
          shiftImages(batch.images, n, train.shape, config.augmentShift, mulberry32((config.seed * 7919 + epoch * 1000003 + step) >>> 0));
          if (teacher && config.kd !== 'none') {
            // The teacher sees the same translated images as the student.
            const t = await runTeacher(teacher, batch.images, n, train.shape);
            tLogits = t.logits;
            if (useFeature) tFeat = perBatchFeatures(t.features);
          }
        } else if (teacherLogits) {
          tLogits = gatherRows(teacherLogits, classes, order, from, to);
        }
        if (useFeature && !tFeat) {
          if (hints[0].cached) {
            tFeat = hints.map((h) => gatherRows(h.cached!, h.size, order, from, to));
          } else {
            tFeat = perBatchFeatures((await runTeacher(teacher!, batch.images, n, train.shape)).features);
          }
        }
        (optimizer as unknown as { learningRate: number }).learningRate = lrAt(epoch * stepsPerEpoch + step);
        const seed = config.seed + epoch * 100003 + step;
        const beta = betaAt(epoch * stepsPerEpoch + step);
        let stats: number[];
        if (parallel) {
          const s = await parallel.step(optimizer, {
            samples: Int32Array.from(order.subarray(from, to)), images: batch.images, labels: batch.labels, teacherLogits: tLogits, features: tFeat,
          }, { image: imageSize, classes, features: hints.map((h) => h.size) }, seed, beta);
          stats = [s.loss, s.ce, s.kd, s.feat, s.correct];
        } else {
          stats = tf.tidy(() => {
            const x = imagesToNhwc(batch.images, n, train.shape);
            const labels = tf.tensor1d(batch.labels);
            const teacherT = tLogits ? tf.tensor2d(tLogits, [n, classes]) : undefined;
            const featT = tFeat ? featureTensors(tFeat, hints, n) : undefined;
            let parts: tf.Scalar[] = [];
            let logitsOut: tf.Tensor2D | undefined;
            const cost = optimizer.minimize(() => {
              const b = studentBatchLoss(student, hints, lossSettings, x, labels, teacherT, featT, beta, seed, qat ? (xx, o) => runQuantized(qat, student, xx, o) : undefined);
              logitsOut = tf.keep(b.logits);
              parts = [tf.keep(b.ce), tf.keep(b.kd), tf.keep(b.feat)];
              return b.total;
            }, true, vars);
            return readBatchStats(cost!, parts, logitsOut!, labels);
          });
        }
        const [loss, ce, kd, feat, ok] = stats;
        if (!Number.isFinite(loss)) throw new UserError(`training diverged at epoch ${epoch + 1}, step ${step + 1} (loss ${loss}); lower --lr`);
        lossSum += loss * n; ceSum += ce * n; kdSum += kd * n; featSum += feat * n; correct += ok; seen += n;
        hooks.onBatch?.(epoch, step + 1, stepsPerEpoch, loss);
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }
      if (stopped) break;
      const trainSeconds = (performance.now() - t0) / 1000;
      const testPred = argmaxRows(studentLogits(student, test), classes);
      const entry: EpochLog = {
        epoch: epoch + 1,
        loss: lossSum / seen, ce: ceSum / seen, kd: kdSum / seen, feature: featSum / seen,
        trainAccuracy: correct / seen, testAccuracy: accuracyOf(testPred, test.labels),
        learningRate: lrAt((epoch + 1) * stepsPerEpoch),
        seconds: trainSeconds, samplesPerSecond: seen / trainSeconds,
        peakRssMB: Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 1048576),
        ...(qat ? { quantizedTestAccuracy: accuracyOf(argmaxRows(studentLogits(student, test, 256, qat), classes), test.labels) } : {}),
      };
      history.push(entry);
      hooks.onEpoch?.(entry);
      if (io.logPath) appendFileSync(io.logPath, `${JSON.stringify(entry)}\n`);
      if (io.checkpointPath) await saveCheckpoint(io.checkpointPath, config, epoch + 1, history, named, optimizer, student);
    }
  } finally {
    await parallel?.close();
  }
  // Report the state of the last complete epoch, which is what the checkpoint holds.
  if (stopped && io.checkpointPath && existsSync(io.checkpointPath) && history.length > 0) restoreStudentWeights(io.checkpointPath, studentVars);
  const testPredictions = argmaxRows(studentLogits(student, test), classes);
  for (const h of hints) { h.adapter.w.dispose(); h.adapter.b.dispose(); }
  optimizer.dispose();
  return {
    student, config, history, testPredictions, testAccuracy: accuracyOf(testPredictions, test.labels),
    parameters: studentParameterCount(student), stopped,
  };
}
