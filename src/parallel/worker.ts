/**
 * A worker thread of the pool: holds the models it was sent (once each) and runs shards of samples through
 * the per-sample work functions of the simulator and the float executor, or computes the loss gradients of a
 * shard of a training batch on a network replica (tfjs is loaded only by a worker that gets one).
 */
import { parentPort } from 'node:worker_threads';
import type { MappedChip } from '../../compiler/types.js';
import { ChipSampleRunner, type ChipSampleRecord } from '../../simulator/index.js';
import { runGraph, predict } from '../ir/execute.js';
import { graphFromJson } from '../ir/json.js';
import type { Graph } from '../ir/graph.js';
import { UserError } from '../util/errors.js';
import type { GradJob, Replica } from '../train/replica.js';
import { FAULT_ENV, type ChipJob, type FloatJob, type FromWorker, type ModelPayload, type ToWorker } from './protocol.js';

type Loaded =
  | { kind: 'chip'; mapped: MappedChip; runners: Map<string, ChipSampleRunner> }
  | { kind: 'float'; graph: Graph }
  | { kind: 'replica'; replica: Replica };

/** The training modules (tfjs and its wasm backend), loaded by the first gradient job only. */
let training: Promise<typeof import('../train/replica.js')> | undefined;
function trainingModules(): Promise<typeof import('../train/replica.js')> {
  training ??= (async () => {
    const { initTrainingBackend } = await import('../train/backend.js');
    await initTrainingBackend({ quiet: true, prefer: 'wasm' });
    return import('../train/replica.js');
  })();
  return training;
}

const port = parentPort;
if (!port) throw new Error('src/parallel/worker.js runs as a worker thread of the evaluation pool');

/** Models as sent; turned into runnable form on first use, so that a bad one fails the task that needs it. */
const payloads = new Map<number, ModelPayload>();
const models = new Map<number, Loaded>();

async function model(id: number): Promise<Loaded> {
  let m = models.get(id);
  if (!m) {
    const p = payloads.get(id);
    if (!p) throw new Error(`worker: model ${id} was never sent`);
    if (p.kind === 'replica') m = { kind: 'replica', replica: (await trainingModules()).createReplica(p.spec, p.weights) };
    else m = p.kind === 'chip' ? { kind: 'chip', mapped: p.chip, runners: new Map() } : { kind: 'float', graph: graphFromJson(p.ir, 'IR graph sent to a worker') };
    models.set(id, m);
    payloads.delete(id);
  }
  return m;
}

const fault = /^(user|bug|oom):(\d+)$/.exec(process.env[FAULT_ENV] ?? '');

function injectFault(index: number): void {
  if (!fault || Number(fault[2]) !== index) return;
  if (fault[1] === 'user') throw new UserError('injected fault (user error)');
  if (fault[1] === 'bug') throw new Error('injected fault (internal error)');
  const hog: number[][] = [];
  for (;;) hog.push(new Array(1 << 20).fill(index + 0.5));
}

function runChip(m: Loaded, job: ChipJob): ChipSampleRecord[] {
  if (m.kind !== 'chip') throw new Error('worker: a chip job for a float model');
  const key = JSON.stringify(job.opts);
  let runner = m.runners.get(key);
  if (!runner) m.runners.set(key, (runner = new ChipSampleRunner(m.mapped, job.opts)));
  const size = job.images.length / job.count;
  const out: ChipSampleRecord[] = [];
  for (let i = 0; i < job.count; i++) {
    const index = job.start + i;
    try {
      injectFault(index);
      out.push(runner.run(job.images.subarray(i * size, (i + 1) * size), index));
    } catch (e) {
      // The sample is named; a user error stays one.
      const err = e as Error;
      const wrapped = err instanceof UserError ? new UserError(`sample ${index}: ${err.message}`) : new Error(`sample ${index}: ${err?.message ?? String(e)}`);
      wrapped.stack = err?.stack;
      throw wrapped;
    }
  }
  return out;
}

async function runGrad(m: Loaded, job: GradJob): Promise<{ gradients: Float32Array; stats: number[] }> {
  if (m.kind !== 'replica') throw new Error('worker: a gradient job for a model that is not being trained');
  const { replicaGradients } = await trainingModules();
  let sample = -1;
  try {
    for (const index of job.samples) { sample = index; injectFault(index); }
    sample = -1;
    return replicaGradients(m.replica, job);
  } catch (e) {
    // A fault the test hook injects names its sample; any other names the shard.
    const err = e as Error;
    const where = sample >= 0 ? `training sample ${sample}` : `the gradient of training samples ${job.samples[0]}…`;
    const wrapped = err instanceof UserError ? new UserError(`${where}: ${err.message}`) : new Error(`${where}: ${err?.message ?? String(e)}`);
    wrapped.stack = err?.stack;
    throw wrapped;
  }
}

function runFloat(m: Loaded, job: FloatJob): Int32Array {
  if (m.kind !== 'float') throw new Error('worker: a float job for a chip model');
  if (job.count === 0) return new Int32Array(0);
  return predict(runGraph(m.graph, job.images, job.count, job.opts), job.count);
}

async function handle(msg: ToWorker): Promise<void> {
  if (msg.type === 'load') {
    payloads.set(msg.model, msg.payload);
    return;
  }
  let reply: FromWorker;
  const transfer: ArrayBuffer[] = [];
  try {
    const m = await model(msg.model);
    if (msg.job.kind === 'chip') reply = { type: 'done', task: msg.task, records: runChip(m, msg.job) };
    else if (msg.job.kind === 'grad') {
      const { gradients, stats } = await runGrad(m, msg.job);
      transfer.push(gradients.buffer as ArrayBuffer);
      reply = { type: 'done', task: msg.task, gradients, stats };
    } else {
      const predictions = runFloat(m, msg.job);
      transfer.push(predictions.buffer as ArrayBuffer);
      reply = { type: 'done', task: msg.task, predictions };
    }
  } catch (e) {
    const err = e as Error;
    reply = { type: 'error', task: msg.task, user: err instanceof UserError, message: err?.message ?? String(e), stack: err?.stack };
  }
  port!.postMessage(reply, transfer);
}

// Messages are handled one after another, in order (a gradient job may wait for tfjs to load).
let queue = Promise.resolve();
port.on('message', (msg: ToWorker) => {
  queue = queue.then(() => handle(msg));
});
