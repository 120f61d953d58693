/**
 * Parallel evaluation (issue 19, point 1): results are byte-identical for any worker count, the workers
 * really run, and a worker that fails (or Ctrl-C) ends the command with one line and the right exit code,
 * no output file and no thread left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compile } from '../../compiler/index.js';
import { writeMapped } from '../../compiler/emit.js';
import type { MappedChip } from '../../compiler/types.js';
import { simulate } from '../../simulator/index.js';
import { loadDataset, take } from '../../src/data/index.js';
import { EvalPool, liveWorkerThreads, maxWorkers } from '../../src/parallel/index.js';
import { verifyModel } from '../../src/verify.js';
import { runRobustness } from '../../src/cli/robustness.js';
import { compareTargets } from '../../src/report/compare.js';
import { UserError } from '../../src/util/errors.js';
import { buildTemplateStudent } from '../fixtures/template-student.js';
import { runCliCaptured } from '../fixtures/capture.js';

const WORKERS = [1, 2, 3];
const dir = mkdtempSync(join(tmpdir(), 'snnc-parallel-'));
const teacher = join(dir, 'teacher.onnx');
const student = join(dir, 'student.onnx');
const rateStudent = join(dir, 'student-rate.onnx');
const lenet = resolve('tests/fixtures/onnx/lenet.onnx');
const chipDir = join(dir, 'chip');
const rateChipDir = join(dir, 'chip-rate');
let chip: MappedChip;
let rateChip: MappedChip;

beforeAll(() => {
  writeFileSync(teacher, buildTemplateStudent({ relays: 1, timesteps: 4, ann: true }));
  writeFileSync(student, buildTemplateStudent({ relays: 1, timesteps: 4 }));
  writeFileSync(rateStudent, buildTemplateStudent({ relays: 1, timesteps: 8, encoding: 'rate' }));
  chip = compile(student, { target: 'loihi-like' }).chip;
  rateChip = compile(rateStudent, { target: 'loihi-like' }).chip;
  writeMapped(chipDir, chip);
  writeMapped(rateChipDir, rateChip);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A JSON report with its creation time blanked (the one field that differs between two runs by design). */
const undated = (text: string) => JSON.stringify({ ...JSON.parse(text), created: '-' });

describe('byte-identical results across worker counts 1, 2, 3', () => {
  it('simulate (CLI, --json, --check): direct and rate-encoded input', async () => {
    for (const d of [chipDir, rateChipDir]) {
      const outs: string[] = [];
      for (const w of WORKERS) {
        const r = await runCliCaptured(['simulate', d, '--samples', '70', '--check', '--json', '--workers', String(w)]);
        expect(r.code, r.stderr).toBe(0);
        outs.push(r.stdout);
      }
      const report = JSON.parse(outs[0]);
      expect(report.samples).toBe(70);
      expect(report.referenceIdentical).toBe(70);
      expect(report.accuracy).toBeGreaterThan(0.5);
      expect(outs[1]).toBe(outs[0]);
      expect(outs[2]).toBe(outs[0]);
    }
  });

  it('simulate (EvalPool): the same result as simulate() in this thread; N workers ran; progress reaches the end', async () => {
    const data = take(loadDataset('mnist', { split: 'test' }), 90);
    const reference = simulate(rateChip, data, { checkReference: true });
    const flat = (r: typeof reference) => JSON.stringify({ ...r, predictions: [...r.predictions], digests: [...r.digests], referencePredictions: [...r.referencePredictions!], identical: [...r.identical!], labels: [...r.labels] });
    for (const w of WORKERS) {
      const pool = new EvalPool(w);
      const progress: number[] = [];
      let threads = 0;
      try {
        const r = await pool.simulate(rateChip, data, {
          checkReference: true,
          onProgress: (done, total) => { expect(total).toBe(90); progress.push(done); threads = Math.max(threads, liveWorkerThreads()); },
        });
        expect(flat(r)).toBe(flat(reference));
      } finally {
        await pool.close();
      }
      expect(threads).toBe(w === 1 ? 0 : w);
      expect(progress.at(-1)).toBe(90);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(liveWorkerThreads()).toBe(0);
    }
  });

  it('verify: a spiking student (direct and rate input) and a converted convolutional ANN', async () => {
    const cases = [
      { model: student, opts: { teacher, samples: 60 } },
      { model: rateStudent, opts: { teacher, samples: 60 } },
      { model: lenet, opts: { samples: 40, timesteps: 8, calibrate: 'mnist', calibrateSamples: 32 } },
    ];
    for (const c of cases) {
      const outs: string[] = [];
      for (const w of WORKERS) outs.push(JSON.stringify(await verifyModel(c.model, { target: 'loihi-like', dataset: 'mnist', ...c.opts, workers: w })));
      expect(JSON.parse(outs[0]).bitIdentical.all).toBe(true);
      expect(outs[1]).toBe(outs[0]);
      expect(outs[2]).toBe(outs[0]);
    }
  });

  it('robustness: onnxruntime, float SNN (direct and rate) and the simulated chip on the same noisy digits', async () => {
    const files: string[][] = [];
    for (const w of WORKERS) {
      const out = join(dir, `rob-${w}`);
      const { files: written } = await runRobustness({
        models: [teacher, student, rateStudent], dataset: 'mnist', split: 'test', samples: 60, seed: 3, target: ['loihi-like'],
        noise: ['gaussian:0.2', 'saltpepper:0.05'], output: out, workers: w,
      });
      files.push(written.map((f) => readFileSync(f, 'utf8')));
    }
    const report = JSON.parse(files[0][0]);
    expect(report.models.map((m: { engine: string }) => m.engine)).toEqual(['onnxruntime', 'float', 'simulator', 'float', 'simulator']);
    for (const other of files.slice(1)) {
      expect(undated(other[0])).toBe(undated(files[0][0]));
      expect(other[1]).toBe(files[0][1]);
      expect(other[2]).toBe(files[0][2]);
    }
  });

  it('compare: two targets', async () => {
    const outs: string[] = [];
    for (const w of WORKERS) {
      const out = join(dir, `cmp-${w}`);
      await compareTargets(student, { dataset: 'mnist', samples: 40, targets: ['loihi-like', 'spinnaker-like'], outDir: out, workers: w });
      outs.push(undated(readFileSync(join(out, 'compare.json'), 'utf8')) + readFileSync(join(out, 'loihi-like', 'sim-report.json'), 'utf8'));
    }
    expect(outs[1]).toBe(outs[0]);
    expect(outs[2]).toBe(outs[0]);
  });
});

describe('a worker that fails', () => {
  const bin = resolve('dist/src/cli/bin.js');

  it('ends the command with one line and exit 2 (user error) or 1 (bug), no output file, no thread left', () => {
    const out = join(dir, 'fault.json');
    // Sample 1 is in the first shard, the one the merge waits for first: its failure must still settle it.
    const cases: [string, number, RegExp][] = [
      ['user:1', 2, /^snnc: error: sample 1: injected fault \(user error\)\n$/],
      ['bug:1', 1, /^snnc: internal error: sample 1: injected fault \(internal error\)\n$/],
      ['oom:1', 2, /^snnc: error: a worker thread ran out of memory \(2 workers\): run fewer with --workers\n$/],
    ];
    for (const [fault, code, line] of cases) {
      // The child exits on its own (bin.js sets process.exitCode, it never calls process.exit): a thread left
      // running would keep it alive until the timeout kills it.
      const r = spawnSync(process.execPath, [bin, 'simulate', chipDir, '--samples', '60', '--workers', '2', '-o', out], {
        env: { ...process.env, SNNC_WORKER_FAULT: fault }, encoding: 'utf8', timeout: 90_000,
      });
      expect(r.signal, fault).toBeNull();
      expect(r.status, `${fault}: ${r.stderr}`).toBe(code);
      expect(r.stderr, fault).toMatch(line);
      expect(r.stdout).toBe('');
      expect(existsSync(out)).toBe(false);
    }
  });

  it('verify and robustness write nothing either', () => {
    const verifyOut = join(dir, 'fault-verify.json');
    const robOut = join(dir, 'fault-rob');
    for (const argv of [
      ['verify', student, '--samples', '60', '--workers', '2', '-o', verifyOut],
      ['robustness', student, '--target', 'loihi-like', '--samples', '60', '--noise', 'none', '--workers', '2', '-o', robOut],
    ]) {
      const r = spawnSync(process.execPath, [bin, ...argv], { env: { ...process.env, SNNC_WORKER_FAULT: 'user:1' }, encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^snnc: error: sample 1: injected fault \(user error\)\n$/);
    }
    expect(existsSync(verifyOut)).toBe(false);
    expect(existsSync(join(robOut, 'robustness.json'))).toBe(false);
  });

  it('in this process: the pool rejects with the error, every task settles, no thread is left', async () => {
    const data = take(loadDataset('mnist', { split: 'test' }), 80);
    process.env.SNNC_WORKER_FAULT = 'user:2';
    const pool = new EvalPool(2);
    try {
      // Sample 2 is in the first shard, which the merge awaits first.
      await expect(pool.simulate(chip, data)).rejects.toThrow(new UserError('sample 2: injected fault (user error)'));
      // A failed pool stays failed: nothing runs on half its threads.
      await expect(pool.simulate(chip, data)).rejects.toThrow(/sample 2/);
    } finally {
      delete process.env.SNNC_WORKER_FAULT;
      await pool.close();
    }
    expect(liveWorkerThreads()).toBe(0);
  });

  it('Ctrl-C terminates the workers and exits 130, nothing written', async () => {
    const out = join(dir, 'interrupted.json');
    const child = spawn(process.execPath, [bin, 'simulate', chipDir, '--samples', '2000', '--timesteps', '4000', '--workers', '2', '-o', out], {
      env: { ...process.env, SNNC_DEBUG: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b) => { stderr += String(b); });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((done) => child.on('exit', (code, signal) => done([code, signal])));
    // SNNC_DEBUG makes the pool say when its threads are up.
    const started = Date.now();
    while (!stderr.includes('threads started') && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGINT');
    const [code, signal] = await exited;
    expect(signal).toBeNull();
    expect(code).toBe(130);
    expect(stderr).toBe('snnc: debug: 2 worker threads started\n\nsnnc: interrupted\n');
    expect(existsSync(out)).toBe(false);
  });
});

describe('--workers', () => {
  it('must be a positive integer', async () => {
    for (const bad of ['0', '-1', '1.5', 'lots']) {
      const r = await runCliCaptured(['simulate', chipDir, '--samples', '5', '--workers', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/^snnc: error: --workers must be a positive integer, got \S+\n$/);
    }
  });
  it('is at most four per core: 1e9 is refused before any thread starts', async () => {
    for (const argv of [['simulate', chipDir, '--samples', '5'], ['train', '--kd', 'none', '--train-limit', '100', '-o', join(dir, 'w1e9.onnx')]]) {
      const r = await runCliCaptured([...argv, '--workers', '1e9']);
      expect(r.code, argv[0]).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^snnc: error: --workers must be at most ${maxWorkers()} \\(four per core this process may use\\), got 1000000000\n$`));
      expect(liveWorkerThreads()).toBe(0);
    }
    expect(existsSync(join(dir, 'w1e9.onnx'))).toBe(false);
    expect(existsSync(join(dir, 'w1e9.log.jsonl'))).toBe(false);
  });
});
