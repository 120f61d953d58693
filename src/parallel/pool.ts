/**
 * A fixed set of worker threads (node:worker_threads) that run shards of samples. Models are sent to every
 * worker once; tasks go to whichever worker is free; the first failure (a task that throws, a worker that runs
 * out of memory or dies) rejects every pending task and terminates all workers. Ctrl-C while the workers are
 * up terminates them and exits with 130: command outputs are written only after their results are complete
 * (and atomically), so nothing is left half-written.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packageRoot } from '../util/package-root.js';
import { UserError } from '../util/errors.js';
import { FAULT_ENV, FAULT_HEAP_MB, type FromWorker, type Job, type ModelPayload, type ToWorker } from './protocol.js';

/** The compiled worker script: beside this module in dist/, or dist/'s copy when running from the TypeScript sources (tests). */
function workerScript(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = join(packageRoot(), 'dist', 'src', 'parallel', 'worker.js');
  if (!existsSync(built)) throw new Error(`the worker thread script is missing (${fileURLToPath(here)}, ${built}): build snnc (npm run build)`);
  return pathToFileURL(built);
}

interface Task {
  id: number;
  model: number;
  make: () => { job: Job; transfer: ArrayBuffer[] };
  resolve: (m: Extract<FromWorker, { type: 'done' }>) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  running: Map<number, Task>;
}

/** Tasks sent ahead to a worker, so it never waits for the main thread between two shards. */
const IN_FLIGHT = 2;

/** Worker threads alive in this process, over all pools (tests check that none is left). */
let alive = 0;
export function liveWorkerThreads(): number {
  return alive;
}

export class ThreadPool {
  private slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private readonly models = new WeakMap<object, number>();
  private readonly sent: { id: number; payload: ModelPayload }[] = [];
  private failure: Error | undefined;
  private closed = false;
  private nextId = 1;
  private exits: Promise<unknown>[] = [];
  private readonly onSigint = () => {
    for (const s of this.slots) void s.worker.terminate();
    process.stderr.write('\nsnnc: interrupted\n');
    process.exit(130);
  };

  /**
   * `opts.sigint: false`: the caller handles Ctrl-C itself (training stops after the running batch, keeping its
   * checkpoint, then closes the pool); by default Ctrl-C terminates the workers and exits 130.
   */
  constructor(readonly size: number, private readonly opts: { sigint?: boolean } = {}) {}

  private start(): void {
    if (this.slots.length > 0) return;
    const script = workerScript();
    const faulty = /^oom:/.test(process.env[FAULT_ENV] ?? '');
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(script, { execArgv: [], ...(faulty ? { resourceLimits: { maxOldGenerationSizeMb: FAULT_HEAP_MB } } : {}) });
      alive++;
      const slot: Slot = { worker, running: new Map() };
      this.exits.push(new Promise((done) => worker.once('exit', (code) => {
        alive--;
        if (!this.closed && !this.failure) this.fail(new Error(`a worker thread stopped unexpectedly (exit code ${code})`));
        done(code);
      })));
      worker.on('message', (m: FromWorker) => this.onMessage(slot, m));
      worker.on('error', (e: Error & { code?: string }) => {
        this.fail(e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new UserError(`a worker thread ran out of memory (${this.size} workers): run fewer with --workers`)
          : Object.assign(new Error(`a worker thread failed: ${e.message}`), { stack: e.stack }));
      });
      worker.on('messageerror', (e) => this.fail(new Error(`a worker thread's message could not be read: ${e.message}`)));
      for (const m of this.sent) this.post(slot, { type: 'load', model: m.id, payload: m.payload });
      this.slots.push(slot);
    }
    if (this.opts.sigint !== false) process.on('SIGINT', this.onSigint);
    if (process.env.SNNC_DEBUG) process.stderr.write(`snnc: debug: ${this.size} worker threads started\n`);
  }

  /** The id of `key`'s model in the workers; the payload is made and sent to every worker the first time only. */
  model(key: object, payload: () => ModelPayload): number {
    let id = this.models.get(key);
    if (id === undefined) {
      id = this.nextId++;
      const p = payload();
      this.models.set(key, id);
      this.sent.push({ id, payload: p });
      for (const s of this.slots) this.post(s, { type: 'load', model: id, payload: p });
    }
    return id;
  }

  /**
   * Queues one task; `make` builds its job when a worker takes it (shards are copied out of the data set
   * only then). The promise is marked as handled: a pool failure rejects every pending task at once, and a
   * caller awaiting them one by one must not see the others as unhandled rejections.
   */
  run(model: number, make: () => { job: Job; transfer?: ArrayBuffer[] }): Promise<Extract<FromWorker, { type: 'done' }>> {
    const p = new Promise<Extract<FromWorker, { type: 'done' }>>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      if (this.closed) return reject(new Error('internal: the worker pool is closed'));
      this.start();
      this.queue.push({ id: this.nextId++, model, make: () => { const m = make(); return { job: m.job, transfer: m.transfer ?? [] }; }, resolve, reject });
      this.dispatch();
    });
    p.catch(() => {});
    return p;
  }

  private post(slot: Slot, msg: ToWorker, transfer: ArrayBuffer[] = []): void {
    slot.worker.postMessage(msg, transfer);
  }

  private dispatch(): void {
    // A worker handles its messages in order: every model's load reached it before any task that needs it.
    for (;;) {
      const slot = this.slots.filter((s) => s.running.size < IN_FLIGHT).sort((a, b) => a.running.size - b.running.size)[0];
      const task = slot && this.queue.shift();
      if (!task) return;
      let made: { job: Job; transfer: ArrayBuffer[] };
      try {
        made = task.make();
      } catch (e) {
        task.reject(e as Error);
        continue;
      }
      slot.running.set(task.id, task);
      this.post(slot, { type: 'run', task: task.id, model: task.model, job: made.job }, made.transfer);
    }
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    const task = slot.running.get(m.task);
    if (!task) return;
    slot.running.delete(m.task);
    if (m.type === 'error') {
      const e = Object.assign(m.user ? new UserError(m.message) : new Error(m.message), m.stack ? { stack: m.stack } : {});
      // This task is no longer among the running ones that fail() rejects.
      task.reject(e);
      this.fail(e);
      return;
    }
    task.resolve(m);
    this.dispatch();
  }

  /** Rejects every pending task with `e` and terminates the workers; the pool stays failed. */
  private fail(e: Error): void {
    if (this.failure || this.closed) return;
    this.failure = e;
    for (const s of this.slots) {
      for (const t of s.running.values()) t.reject(e);
      s.running.clear();
    }
    for (const t of this.queue.splice(0)) t.reject(e);
    for (const s of this.slots) void s.worker.terminate();
  }

  /** Terminates the workers (waiting until they are gone). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.queue.splice(0)) t.reject(new Error('internal: the worker pool closed with tasks queued'));
    for (const s of this.slots) void s.worker.terminate();
    await Promise.all(this.exits);
    process.off('SIGINT', this.onSigint);
  }
}
