/**
 * `npm run experiments:kd-sweep`: response-KD weight α and temperature τ chosen on a validation split, never on the
 * test split. MNIST, the VGG teacher of `npm run experiments` (trained on the whole training split), spiking CNN
 * students at T = 4 for 8 epochs on the first 6,404 training digits, evaluated on the last 1,600
 * (`snnc train --validation 1600`; the test split is not read), seeds 1 and 2. Writes docs/kd-sweep.md.
 *
 *   node dist/src/bench/kd-sweep.js [--teacher FILE] [--work DIR]
 *
 * Each run's result is kept in the work folder (default: $TMPDIR/snnc-kd-sweep) and reused, so an interrupted
 * sweep continues where it stopped.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../util/fs.js';
import { formatPercent } from '../report/robustness.js';
import { runStudentTraining } from '../train/run.js';
import type { KdMode } from '../train/trainer.js';

interface Setting { kd: KdMode; tau: number; alpha: number }
const SETTINGS: Setting[] = [
  { kd: 'none', tau: 4, alpha: 0.5 },
  { kd: 'response', tau: 4, alpha: 0.5 },
  { kd: 'response', tau: 2, alpha: 0.5 },
  { kd: 'response', tau: 1, alpha: 0.5 },
  { kd: 'response', tau: 2, alpha: 0.9 },
];
const SEEDS = [1, 2];
const VALIDATION = 1600, EPOCHS = 8, T = 4;

const args = process.argv.slice(2);
const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const teacher = arg('--teacher') ?? join(tmpdir(), 'snnc-exp-teachers', 'mnist-vgg-e10-s1-nall-tall.onnx');
const work = arg('--work') ?? join(tmpdir(), 'snnc-kd-sweep');
if (!existsSync(teacher)) {
  process.stderr.write(`kd-sweep: teacher '${teacher}' not found: run \`npm run experiments -- --only mnist\` first (it trains and caches it), or pass --teacher FILE\n`);
  process.exit(2);
}
mkdirSync(work, { recursive: true });

const name = (seed: number, s: Setting) => `s${seed}-${s.kd}-tau${s.tau}-a${s.alpha}`;
const started = new Date().toISOString();
const results = new Map<string, number>();
for (const seed of SEEDS) {
  for (const s of SETTINGS) {
    const file = join(work, `${name(seed, s)}.json`);
    if (!existsSync(file)) {
      process.stderr.write(`\n== kd-sweep: ${name(seed, s)}\n`);
      const r = await runStudentTraining({
        teacher: s.kd === 'none' ? undefined : teacher, dataset: 'mnist', output: join(work, `${name(seed, s)}.onnx`),
        validation: VALIDATION, quiet: false,
        config: { student: 'cnn', kd: s.kd, timesteps: T, epochs: EPOCHS, seed, tau: s.tau, alpha: s.alpha },
      });
      writeFileAtomic(file, `${JSON.stringify({ testAccuracy: r.result.testAccuracy })}\n`);
    }
    results.set(name(seed, s), (JSON.parse(readFileSync(file, 'utf8')) as { testAccuracy: number }).testAccuracy);
  }
}

const L: string[] = [];
L.push('# Response-KD α and τ on a validation split');
L.push('');
L.push('Written by `npm run experiments:kd-sweep` (src/bench/kd-sweep.ts) from its runs. MNIST: the VGG teacher of docs/results.md');
L.push(`(trained on all 8,004 training digits); spiking CNN students, T = ${T}, ${EPOCHS} epochs, trained on the first 6,404 training digits and`);
L.push(`evaluated on the last ${VALIDATION.toLocaleString('en-US')} (\`snnc train --validation ${VALIDATION}\`): the test split is not read. Response KD on z-scored logits.`);
L.push(`Finished ${new Date().toISOString()} (this invocation started ${started}; earlier runs reused from ${work}); load average ${loadavg().map((x) => x.toFixed(1)).join(' / ')}.`);
L.push('');
L.push(`| KD | τ | α | ${SEEDS.map((s) => `seed ${s}`).join(' | ')} | mean | Δ vs no KD |`);
L.push(`|---|---|---|${SEEDS.map(() => '---|').join('')}---|---|`);
const meanOf = (s: Setting) => SEEDS.reduce((a, seed) => a + results.get(name(seed, s))!, 0) / SEEDS.length;
const base = meanOf(SETTINGS[0]);
for (const s of SETTINGS) {
  const m = meanOf(s);
  const d = s.kd === 'none' ? '—' : `${m - base >= 0 ? '+' : ''}${(100 * (m - base)).toFixed(2)} pt`;
  L.push(`| ${s.kd} | ${s.kd === 'none' ? '—' : s.tau} | ${s.kd === 'none' ? '—' : s.alpha} | ${SEEDS.map((seed) => formatPercent(results.get(name(seed, s))!)).join(' | ')} | **${formatPercent(m)}** | ${d} |`);
}
const best = SETTINGS.slice(1).reduce((a, s) => (meanOf(s) > meanOf(a) ? s : a), SETTINGS[1]);
L.push('');
L.push(`Best on validation: response KD with τ = ${best.tau}, α = ${best.alpha}. docs/results.md evaluates it on the test split (the MNIST rows marked with α and τ).`);
writeFileAtomic(join(root, 'docs', 'kd-sweep.md'), `${L.join('\n')}\n`);
process.stderr.write(`wrote ${join(root, 'docs', 'kd-sweep.md')}\n`);
