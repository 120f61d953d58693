/**
 * The end-to-end demo (`npm run demo`, `snnc demo`): the shipped ANN teacher guides a spiking student
 * (knowledge distillation, T = 4), which is compiled for loihi-like, simulated cycle by cycle on held-out
 * digits, verified against the software model, tested under noise and written up as an HTML report.
 *
 * Every step is the real `snnc` command a user would type, run in this process and echoed, so the demo
 * doubles as a walk through the CLI; the closing summary is read back from the JSON files they wrote.
 */
import { copyFileSync, existsSync } from 'node:fs';
import { READ_LIMITS, readJsonFile } from './util/safe-read.js';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from './util/errors.js';
import { prepareOutputDir } from './util/fs.js';
import { loadTarget } from '../targets/load.js';
import type { VerifyReport } from './verify.js';
import type { CompileSummary } from '../compiler/summary.js';

export interface DemoOptions {
  /** Output folder (default ./build/demo). */
  outDir: string;
  /** About a minute instead of several: fewer training samples and test digits. */
  quick: boolean;
  force: boolean;
  target: string;
  /** Runs one snnc command line (argv without "snnc"); resolves to its exit code. */
  run: (argv: string[]) => Promise<number>;
  /** Where the echoed commands and the summary go. */
  say: (line: string) => void;
  /** `--workers` for the evaluating steps (simulate, verify, robustness); default theirs (every core). */
  workers?: number;
}

export interface DemoSummary {
  outDir: string;
  teacherAccuracy: number;
  studentAccuracy: number;
  quantizedAccuracy: number;
  chipAccuracy: number;
  bitIdentical: boolean;
  samples: number;
  /** Synaptic events per inference (every connection of a spiking source) and NeuroBench effective ACs. */
  sopsPerInference: number;
  effectiveSopsPerInference: number;
  energyPerInferenceJ: number;
  latencyPerInferenceS: number;
  coresUsed: number;
  report: string;
  seconds: number;
}

/** The shipped teacher: src/assets/mnist-lenet-teacher.onnx, found from the source tree or from dist/. */
export function shippedTeacher(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'assets/mnist-lenet-teacher.onnx'), join(here, '../../src/assets/mnist-lenet-teacher.onnx')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new UserError(`the shipped teacher is missing (looked in ${candidates.join(', ')}); reinstall snnc`);
  return found;
}


function readJson<T>(path: string): T {
  return readJsonFile(path, { what: 'demo output', maxBytes: READ_LIMITS.json }) as T;
}

/** Runs the demo; throws UserError when a step fails (naming the step). */
/**
 * The demo's `snnc train` arguments (what docs/quantization.md trains as "the demo student").
 * One worker: the student, and every figure after it, must not depend on the machine's core count.
 */
export function demoTrainArgs(teacher: string, student: string, quick = false): string[] {
  const epochs = quick ? ['--epochs', '1', '--train-limit', '2000', '--test-limit', '500'] : ['--epochs', '2'];
  return ['train', '--teacher', teacher, '--dataset', 'mnist', '--kd', 'both', '--timesteps', '4', '--seed', '1', ...epochs, '--workers', '1', '-o', student];
}

export async function runDemo(o: DemoOptions): Promise<DemoSummary> {
  const started = performance.now();
  loadTarget(o.target); // an unknown or broken target is refused before anything is written
  const out = resolve(o.outDir);
  prepareOutputDir(out, o.force);
  const teacher = join(out, 'teacher.onnx');
  copyFileSync(shippedTeacher(), teacher);
  const student = join(out, 'student.onnx');
  const chipDir = join(out, o.target);
  const samples = o.quick ? 100 : 500;
  const workers = o.workers === undefined ? [] : ['--workers', String(o.workers)];
  const steps: { title: string; argv: string[] }[] = [
    { title: 'the shipped ANN teacher (trained by snnc train-teacher; see src/assets/README.md)', argv: ['inspect', teacher] },
    {
      title: 'knowledge distillation: a spiking CNN student, IF neurons, T = 4, response + feature KD',
      argv: demoTrainArgs(teacher, student, o.quick),
    },
    {
      title: `compile for ${o.target}: quantize, partition, place, route`,
      argv: ['compile', student, '--target', o.target, '--calibrate', 'mnist', '--samples', '256', '-o', chipDir, '--force'],
    },
    {
      title: `cycle-level simulation of the mapped chip on ${samples} test digits`,
      argv: ['simulate', chipDir, '--dataset', 'mnist', '--samples', String(samples), '--check', '-o', join(out, 'sim-report.json'), ...workers],
    },
    {
      title: 'verification: ANN teacher, float SNN, quantized SNN and mapped chip on the same digits',
      argv: ['verify', student, '--teacher', teacher, '--target', o.target, '--dataset', 'mnist', '--samples', String(samples), '-o', join(out, 'verify.json'), ...workers],
    },
    {
      title: 'noise robustness: teacher and student on the same perturbed digits',
      argv: ['robustness', teacher, student, '--dataset', 'mnist', '--samples', String(o.quick ? 100 : 300),
        '--noise', 'gaussian:0.1,0.2', 'saltpepper:0.05', 'occlusion:0.25', '--seed', '1', '-o', join(out, 'robustness'), '--force', ...workers],
    },
    { title: 'the HTML report', argv: ['report', out, '--title', 'snnc demo: KD student on the embedded MNIST'] },
  ];
  for (const [i, step] of steps.entries()) {
    o.say(`\n[${i + 1}/${steps.length}] ${step.title}\n$ snnc ${step.argv.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`);
    const code = await o.run(step.argv);
    if (code !== 0) throw new UserError(`demo step ${i + 1} (snnc ${step.argv[0]}) failed with exit code ${code}`);
  }

  const verify = readJson<VerifyReport>(join(out, 'verify.json'));
  const acc = (stage: string) => verify.rows.find((r) => r.stage === stage)?.accuracy ?? Number.NaN;
  const compileSummary = readJson<CompileSummary>(join(chipDir, 'summary.json'));
  const per = verify.sim.perInference;
  return {
    outDir: out,
    teacherAccuracy: acc('ann'),
    studentAccuracy: acc('float-snn'),
    quantizedAccuracy: acc('quantized-snn'),
    chipAccuracy: acc('mapped-chip'),
    bitIdentical: verify.bitIdentical.all,
    samples: verify.samples,
    sopsPerInference: per.synapticEvents,
    effectiveSopsPerInference: per.effectiveSynapticOps,
    energyPerInferenceJ: per.energyJ.totalJ,
    latencyPerInferenceS: per.latency.ns * 1e-9,
    coresUsed: compileSummary.coresUsed,
    report: join(out, 'report.html'),
    seconds: (performance.now() - started) / 1000,
  };
}

/** The closing summary, a few lines a person reads at a glance. */
export function formatDemoSummary(s: DemoSummary, target: string): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  return [
    '',
    `snnc demo: done in ${s.seconds.toFixed(0)} s`,
    `  accuracy on ${s.samples} test digits: ANN teacher ${pct(s.teacherAccuracy)}, KD student (float SNN, T=4) ${pct(s.studentAccuracy)}, `
      + `quantized ${pct(s.quantizedAccuracy)}, mapped chip ${pct(s.chipAccuracy)}`,
    `  chip vs fixed-point reference: ${s.bitIdentical ? 'bit-identical on every sample' : 'NOT bit-identical'}`,
    `  per inference on ${target}: ${Math.round(s.sopsPerInference).toLocaleString('en-US')} synaptic events `
      + `(${Math.round(s.effectiveSopsPerInference).toLocaleString('en-US')} effective ACs), `
      + `${(s.energyPerInferenceJ * 1e6).toFixed(3)} µJ, ${(s.latencyPerInferenceS * 1e6).toFixed(1)} µs; ${s.coresUsed} cores used`,
    `  report: ${s.report}`,
    '',
  ].join('\n');
}
