/**
 * A worker thread of the evaluation pool: holds the models it was sent (once each) and runs shards of
 * samples through the per-sample work functions of the simulator and the float executor.
 */
import { parentPort } from 'node:worker_threads';
import type { MappedChip } from '../../compiler/types.js';
import { ChipSampleRunner, type ChipSampleRecord } from '../../simulator/index.js';
import { runGraph, predict } from '../ir/execute.js';
import { graphFromJson } from '../ir/json.js';
import type { Graph } from '../ir/graph.js';
import { UserError } from '../util/errors.js';
import { FAULT_ENV, type ChipJob, type FloatJob, type FromWorker, type ModelPayload, type ToWorker } from './protocol.js';

type Loaded =
  | { kind: 'chip'; mapped: MappedChip; runners: Map<string, ChipSampleRunner> }
  | { kind: 'float'; graph: Graph };

const port = parentPort;
if (!port) throw new Error('src/parallel/worker.js runs as a worker thread of the evaluation pool');

/** Models as sent; turned into runnable form on first use, so that a bad one fails the task that needs it. */
const payloads = new Map<number, ModelPayload>();
const models = new Map<number, Loaded>();

function model(id: number): Loaded {
  let m = models.get(id);
  if (!m) {
    const p = payloads.get(id);
    if (!p) throw new Error(`worker: model ${id} was never sent`);
    m = p.kind === 'chip' ? { kind: 'chip', mapped: p.chip, runners: new Map() } : { kind: 'float', graph: graphFromJson(p.ir, 'IR graph sent to a worker') };
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

function runFloat(m: Loaded, job: FloatJob): Int32Array {
  if (m.kind !== 'float') throw new Error('worker: a float job for a chip model');
  if (job.count === 0) return new Int32Array(0);
  return predict(runGraph(m.graph, job.images, job.count, job.opts), job.count);
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'load') {
    payloads.set(msg.model, msg.payload);
    return;
  }
  let reply: FromWorker;
  const transfer: ArrayBuffer[] = [];
  try {
    const m = model(msg.model);
    if (msg.job.kind === 'chip') reply = { type: 'done', task: msg.task, records: runChip(m, msg.job) };
    else {
      const predictions = runFloat(m, msg.job);
      transfer.push(predictions.buffer as ArrayBuffer);
      reply = { type: 'done', task: msg.task, predictions };
    }
  } catch (e) {
    const err = e as Error;
    reply = { type: 'error', task: msg.task, user: err instanceof UserError, message: err?.message ?? String(e), stack: err?.stack };
  }
  port.postMessage(reply, transfer);
});
