/**
 * Training checkpoints, in one place: what is saved after every complete epoch, how a file is read and
 * checked, and how a run is put back into exactly the state it was in. A resumed run must continue the
 * uninterrupted one byte for byte, so the checkpoint holds everything that carries over from one epoch to
 * the next: the student's and adapters' weights, and Adam's whole state — its step count, its moments and
 * its two bias-correction accumulators (β1^t, β2^t as the float32 products Adam keeps; recomputing them
 * with pow() differs in the last bits). The data order, the augmentation and the rate-encoding draws are
 * re-created from (seed, epoch, step), so they need no state beyond the settings. A hand-edited file is
 * checked as strictly as the flags: its structure by schemas/checkpoint.schema.json, its settings by the
 * trainer's own validateConfig (the ranges of src/util/ranges.ts), its arrays against the student.
 */
import { tf } from './backend.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { READ_LIMITS, readJsonFile } from '../util/safe-read.js';
import { validateSchema } from '../util/schema.js';
import type { Student } from './student.js';

export const CHECKPOINT_FORMAT = 'snnc-train-checkpoint/2';

interface SavedArray { name?: string; shape: number[]; data: string }

/** The file's content (schemas/checkpoint.schema.json). `C` is the run's settings, `H` one epoch's log line. */
export interface Checkpoint<C, H> {
  format: typeof CHECKPOINT_FORMAT;
  config: C;
  /** Epochs completed. */
  epoch: number;
  history: H[];
  weights: Record<string, SavedArray>;
  optimizer: { iterations: number; accBeta1: string; accBeta2: string; moments: SavedArray[] };
}

/** A trainable variable under the name it has in checkpoints (no per-process prefix). */
export interface NamedVariable { key: string; variable: tf.Variable }

/** The parts of tfjs's Adam a checkpoint must reach (its accumulators are private fields). */
interface AdamState {
  iterations: number;
  getWeights(): Promise<{ name: string; tensor: tf.Tensor }[]>;
  setWeights(w: { name: string; tensor: tf.Tensor }[]): Promise<void>;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
}

const encode = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

function decode(s: string, what: string, shape: number[], fail: (m: string) => never): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  // The base64 length fixes the byte count: checked before anything is decoded.
  if (s.length !== Math.ceil((size * 4) / 3) * 4) fail(`${what}: shape [${shape}] needs ${size * 4} bytes, the data holds about ${Math.floor((s.length * 3) / 4)}`);
  const b = Buffer.from(s, 'base64');
  if (b.length !== size * 4) fail(`${what}: shape [${shape}] needs ${size * 4} bytes, the data holds ${b.length}`);
  const out = new Float32Array(size);
  new Uint8Array(out.buffer).set(b);
  for (let i = 0; i < size; i++) if (!Number.isFinite(out[i])) fail(`${what} holds a non-finite value at ${i}`);
  return out;
}

const unprefixed = (name: string, prefix: string) => (name.startsWith(prefix) ? name.slice(prefix.length) : name);

/** Writes the state after `epoch` complete epochs (atomically). */
export async function saveCheckpoint<C, H>(
  path: string, config: C, epoch: number, history: H[], vars: NamedVariable[], optimizer: tf.Optimizer, student: Student,
): Promise<void> {
  const weights: Record<string, SavedArray> = {};
  for (const { key, variable } of vars) weights[key] = { shape: variable.shape, data: encode(variable.dataSync() as Float32Array) };
  const adam = optimizer as unknown as AdamState;
  const moments = (await adam.getWeights()).slice(1).map((w) => ({
    // Moment names carry the student's per-process prefix; stored without it, given back on resume.
    name: unprefixed(w.name, student.prefix), shape: w.tensor.shape, data: encode(w.tensor.dataSync() as Float32Array),
  }));
  const ck: Checkpoint<C, H> = {
    format: CHECKPOINT_FORMAT, config, epoch, history, weights,
    optimizer: {
      iterations: adam.iterations,
      accBeta1: encode(adam.accBeta1.dataSync() as Float32Array), accBeta2: encode(adam.accBeta2.dataSync() as Float32Array),
      moments,
    },
  };
  writeFileAtomic(path, JSON.stringify(ck));
}

/**
 * Reads and checks a checkpoint: its structure here, its settings by `validateConfig` (called with the
 * field names the messages should use). Every fault is a UserError naming the file and the field.
 */
export function readCheckpoint<C, H>(path: string, validateConfig: (c: C, origin: string) => void): Checkpoint<C, H> {
  const origin = `checkpoint '${path}'`;
  const data = readJsonFile(path, { what: 'checkpoint', maxBytes: READ_LIMITS.json });
  const format = (data as { format?: unknown } | null)?.format;
  if (format === 'snnc-train-checkpoint/1') {
    throw new UserError(`${origin} was written by an older snnc (format 1, which did not keep Adam's state exactly); it cannot continue the run identically: train again without --resume`);
  }
  if (typeof data !== 'object' || data === null || format !== CHECKPOINT_FORMAT) throw new UserError(`${origin} is not an snnc training checkpoint (format ${CHECKPOINT_FORMAT})`);
  const ck = validateSchema<Checkpoint<C, H>>('checkpoint.schema.json', data, origin);
  validateConfig(ck.config, origin);
  const epochs = (ck.config as { epochs: number }).epochs;
  if (ck.epoch > epochs) throw new UserError(`${origin}: epoch ${ck.epoch} is beyond its own config.epochs ${epochs}`);
  if (ck.history.length !== ck.epoch || ck.history.some((h, i) => (h as { epoch: number }).epoch !== i + 1)) {
    throw new UserError(`${origin}: history lists ${ck.history.length} epochs, the checkpoint says ${ck.epoch} are done`);
  }
  return ck;
}

/**
 * Puts a run back into the state a checkpoint holds: every variable's values (each must be in the file
 * with the same shape) and Adam's step count, accumulators and moments.
 */
export async function restoreCheckpoint<C, H>(ck: Checkpoint<C, H>, path: string, vars: NamedVariable[], optimizer: tf.Optimizer, student: Student): Promise<void> {
  const fail = (m: string): never => { throw new UserError(`checkpoint '${path}': ${m}`); };
  const known = new Set(vars.map((v) => v.key));
  for (const key of Object.keys(ck.weights)) if (!known.has(key)) fail(`weights '${key}' belong to no layer of student '${student.spec.arch}' in this run`);
  const values = vars.map(({ key, variable }) => {
    const saved = ck.weights[key] ?? fail(`has no weights '${key}' (written by another student or KD mode?)`);
    if (saved.shape.join() !== variable.shape.join()) fail(`weights '${key}' have shape [${saved.shape}], the student's layer has [${variable.shape}]`);
    return decode(saved.data, `weights '${key}'`, saved.shape, fail);
  });
  const o = ck.optimizer;
  if (o.moments.length !== 2 * vars.length) fail(`optimizer.moments lists ${o.moments.length} arrays, Adam keeps 2 for each of the ${vars.length} variables`);
  const moments = o.moments.map((m, i) => {
    const v = vars[i % vars.length];
    const expected = `${unprefixed(v.variable.name, student.prefix)}/${i < vars.length ? 'm' : 'v'}`;
    if (m.name !== expected) fail(`optimizer.moments[${i}] is '${m.name}', '${expected}' expected`);
    if (m.shape.join() !== v.variable.shape.join()) fail(`optimizer.moments[${i}] has shape [${m.shape}], its variable [${v.variable.shape}]`);
    return decode(m.data, `optimizer.moments[${i}]`, m.shape, fail);
  });
  const acc = [decode(o.accBeta1, 'optimizer.accBeta1', [1], fail)[0], decode(o.accBeta2, 'optimizer.accBeta2', [1], fail)[0]];
  if (!acc.every((a) => a > 0 && a < 1)) fail(`optimizer.accBeta1/accBeta2 must lie in (0, 1), got ${acc.join(', ')}`);

  vars.forEach(({ variable }, i) => variable.assign(tf.tensor(values[i], variable.shape)));
  const adam = optimizer as unknown as AdamState;
  await adam.setWeights([
    { name: 'iter', tensor: tf.scalar(o.iterations, 'int32') },
    ...o.moments.map((m, i) => ({ name: `${student.prefix}${m.name}`, tensor: tf.tensor(moments[i], m.shape) })),
  ]);
  // setWeights recomputes β^t with pow(); Adam's own accumulators are float32 products: restore those.
  adam.accBeta1.assign(tf.scalar(acc[0]));
  adam.accBeta2.assign(tf.scalar(acc[1]));
}

/** Reads back only the student's weights of a checkpoint written by this run (after a stop mid-epoch). */
export function restoreStudentWeights<C, H>(path: string, vars: NamedVariable[]): void {
  const ck = readJsonFile(path, { what: 'checkpoint', maxBytes: READ_LIMITS.json }) as Checkpoint<C, H>;
  const fail = (m: string): never => { throw new UserError(`checkpoint '${path}': ${m}`); };
  for (const { key, variable } of vars) {
    const saved = ck.weights[key] ?? fail(`has no weights '${key}'`);
    variable.assign(tf.tensor(decode(saved.data, `weights '${key}'`, saved.shape, fail), variable.shape));
  }
}
