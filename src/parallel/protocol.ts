/**
 * Messages between the worker pool (src/parallel/pool.ts) and its worker threads (worker.ts). A model
 * crosses once per worker (`load`); each `run` carries a shard of samples and the options of its job.
 * Evaluation sends chips and float graphs; data-parallel training (src/train/data-parallel.ts) sends a
 * network replica and gradient jobs.
 */
import type { IrJson } from '../ir/json.js';
import type { MappedChip } from '../../compiler/types.js';
import type { ChipRunOptions, ChipSampleRecord } from '../../simulator/index.js';
import type { RunOptions } from '../ir/execute.js';
import type { ReplicaSpec, GradJob } from '../train/replica.js';

/**
 * A model as it crosses to a worker. A mapped chip crosses as itself (structured clone: plain objects and
 * typed arrays, about a millisecond): its artifact folder would cost a fresh thread some 0.3 s in readMapped's
 * schema compiler, a third of a 1,000-sample run on two workers. A float graph crosses as IR JSON.
 */
export type ModelPayload =
  | { kind: 'chip'; chip: MappedChip }
  | { kind: 'float'; ir: IrJson }
  /** A network being trained: its architecture, and the shared buffer the main thread writes its weights into before each step. */
  | { kind: 'replica'; spec: ReplicaSpec; weights: SharedArrayBuffer };

/** Options of a float run that cross to a worker (no recorder: it is a function). */
export type FloatRunOptions = Omit<RunOptions, 'record'>;

/** Samples `start` .. `start + count - 1` of a data set through the mapped chip (images hold just those). */
export interface ChipJob { kind: 'chip'; opts: ChipRunOptions; start: number; count: number; images: Float32Array }
/** `count` samples through the float executor; the predicted class of each comes back. */
export interface FloatJob { kind: 'float'; opts: FloatRunOptions; count: number; images: Float32Array }
export type Job = ChipJob | FloatJob | GradJob;

export type ToWorker =
  | { type: 'load'; model: number; payload: ModelPayload }
  | { type: 'run'; task: number; model: number; job: Job };

export type FromWorker =
  | { type: 'done'; task: number; records?: ChipSampleRecord[]; predictions?: Int32Array; gradients?: Float32Array; stats?: number[] }
  | { type: 'error'; task: number; user: boolean; message: string; stack?: string };

/**
 * Test hook: `SNNC_WORKER_FAULT=user:I`, `bug:I` or `oom:I` makes the worker that runs chip sample I (or, in
 * data-parallel training, the gradient of training sample I) throw a
 * user error, throw an internal error, or run out of memory (the pool then caps the workers' heap at
 * FAULT_HEAP_MB so that this takes a moment, not the machine's memory).
 */
export const FAULT_ENV = 'SNNC_WORKER_FAULT';
export const FAULT_HEAP_MB = 64;
