/**
 * Quantization-aware fine-tuning, measured (issue 20 point 3; README "Quantization-aware training"):
 *
 *   npm run build && node dist/bench/qat.js [--target loihi-like] [--seeds 1,2,3] [--samples 1996] [--out DIR]
 *
 * Per seed: the demo's student (response + feature KD from the shipped teacher, IF, T = 4, 2 epochs on the embedded
 * MNIST training split) is trained once; its checkpoint is then continued for one more epoch twice, without and with
 * `--quantize-for TARGET` (the same data order and learning rate in both). Both students are verified on TARGET
 * (`snnc verify`: float SNN, quantized SNN, mapped chip on the same test digits). Every step is the `snnc` command
 * printed before it runs; the table and bench/results/results.qat-TARGET.json are written from verify's reports.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const bin = join(root, 'dist/src/cli/bin.js');
const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const target = flag('target', 'loihi-like');
const seeds = flag('seeds', '1').split(',').map(Number);
const samples = flag('samples', '1996');
const outDir = resolve(flag('out', join(root, 'build/bench-qat')));
mkdirSync(outDir, { recursive: true });

function snnc(argv: string[]): void {
  process.stderr.write(`$ snnc ${argv.join(' ')}\n`);
  execFileSync(process.execPath, [bin, ...argv], { stdio: ['ignore', 'ignore', 'inherit'] });
}

interface VerifyRow { stage: string; accuracy: number }
interface Arm {
  floatSnn: number; quantizedSnn: number; chip: number; gap: number; bitIdentical: boolean;
  /** The trainer's test accuracy with the target's rounding after the epoch (same-step delivery over T; QAT arm only). */
  trainerQuantized?: number;
}
const rows: { seed: number; plain: Arm; qat: Arm }[] = [];
const teacher = join(root, 'src/assets/mnist-lenet-teacher.onnx');

for (const seed of seeds) {
  const base = join(outDir, `s${seed}-base`);
  const common = ['--teacher', teacher, '--dataset', 'mnist', '--kd', 'both', '--timesteps', '4', '--seed', String(seed), '--workers', '1', '--quiet'];
  snnc(['train', ...common, '--epochs', '2', '-o', `${base}.onnx`]);
  const arm = (name: string, extra: string[]): Arm => {
    const stem = join(outDir, `s${seed}-${name}`);
    copyFileSync(`${base}.ckpt.json`, `${stem}.ckpt.json`);
    snnc(['train', ...common, '--epochs', '3', '--resume', ...extra, '-o', `${stem}.onnx`]);
    snnc(['verify', `${stem}.onnx`, '--target', target, '--dataset', 'mnist', '--samples', samples, '-o', `${stem}.verify.json`]);
    const report = JSON.parse(readFileSync(`${stem}.verify.json`, 'utf8')) as { rows: VerifyRow[]; bitIdentical: { all: boolean } };
    const acc = (stage: string) => report.rows.find((r) => r.stage === stage)!.accuracy;
    const log = readFileSync(`${stem}.log.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { quantizedTestAccuracy?: number });
    const trainerQuantized = log.at(-1)?.quantizedTestAccuracy;
    return {
      ...(trainerQuantized !== undefined ? { trainerQuantized } : {}),
      floatSnn: acc('float-snn'), quantizedSnn: acc('quantized-snn'), chip: acc('mapped-chip'),
      gap: acc('float-snn') - acc('mapped-chip'), bitIdentical: report.bitIdentical.all,
    };
  };
  rows.push({ seed, plain: arm('plain', []), qat: arm('qat', ['--quantize-for', target]) });
}

const pct = (x: number) => (100 * x).toFixed(2);
const lines = [
  `| seed | fine-tuning epoch | float SNN % | quantized SNN % | chip (${target}) % | gap float − chip, pt | chip = reference |`,
  '|---|---|---|---|---|---|---|',
  ...rows.flatMap((r) => ([['plain', r.plain], [`--quantize-for ${target}`, r.qat]] as const).map(([name, a]) =>
    `| ${r.seed} | ${name} | ${pct(a.floatSnn)} | ${pct(a.quantizedSnn)} | ${pct(a.chip)} | ${pct(a.gap)} | ${a.bitIdentical ? 'yes' : 'no'} |`)),
];
const trainer = rows.map((r) => `seed ${r.seed}: trainer ${pct(r.qat.trainerQuantized ?? NaN)} %, chip ${pct(r.qat.chip)} %`);
process.stdout.write(`${lines.join('\n')}\n\nthe QAT arm's test accuracy under the target's rounding in the trainer vs verify's chip:\n${trainer.join('\n')}\n`);
const results = join(root, `bench/results/results.qat-${target}.json`);
writeFileSync(results, `${JSON.stringify({ target, samples: Number(samples), seeds, rows }, null, 1)}\n`);
process.stderr.write(`wrote ${results}\n`);
