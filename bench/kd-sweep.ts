/**
 * `npm run experiments:kd-sweep`: response-KD weight α and temperature τ chosen on a validation split, never on the
 * test split. MNIST, the VGG teacher of `npm run experiments` (trained on the whole training split), spiking CNN
 * students at T = 4 for 8 epochs on the first 6,404 training digits, evaluated on the last 1,600
 * (`snnc train --validation 1600`; the test split is not read), seeds 1 and 2. Writes docs/kd-sweep.md.
 *
 *   node dist/bench/kd-sweep.js [--study response|feature] [--seeds 1,2] [--teacher FILE] [--work DIR]
 *
 * `--study feature` (`npm run experiments:feature-sweep`) compares feature-KD variants instead (the teacher map raw
 * or channel-standardised; relu4, the pooled pool2 or the pre-ReLU conv4; β constant or cosine-decayed; 16 epochs)
 * and writes docs/feature-sweep.md. `--seeds` runs only those seeds (two processes
 * can share the work folder, one seed each); the page is written once every run of the study is there.
 *
 * Each run's result is kept in the work folder (default: $TMPDIR/snnc-kd-sweep) and reused, so an interrupted
 * sweep continues where it stopped.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/util/fs.js';
import { formatPercent } from '../src/report/robustness.js';
import { runStudentTraining } from '../src/train/run.js';
import type { KdMode, TrainConfig } from '../src/train/trainer.js';

interface Setting {
  kd: KdMode; tau: number; alpha: number; featureNorm?: TrainConfig['featureNorm']; betaSchedule?: TrainConfig['betaSchedule'];
  /** The teacher tensors matched, comma-separated (default: the deepest ReLU map, relu4 [64, 14, 14]). */
  teacherFeatures?: string;
  /** Feature-KD weight β (default 1; under the cosine schedule, its start value). */
  beta?: number;
}
/** A study: the settings it compares, on the same split and seeds. */
interface Study { settings: Setting[]; epochs: number; file: string; title: string; prefix: string }
const STUDIES: Record<string, Study> = {
  // Response KD's α and τ (8 epochs).
  response: {
    settings: [
      { kd: 'none', tau: 4, alpha: 0.5 },
      { kd: 'response', tau: 4, alpha: 0.5 },
      { kd: 'response', tau: 2, alpha: 0.5 },
      { kd: 'response', tau: 1, alpha: 0.5 },
      { kd: 'response', tau: 2, alpha: 0.9 },
    ],
    epochs: 8, file: 'kd-sweep.md', title: 'Response-KD α and τ on a validation split', prefix: '',
  },
  // Feature KD's target (raw or channel-standardised teacher map) and β over training (constant or cosine-decayed),
  // on the 16-epoch schedule of docs/results.md's MNIST table.
  feature: {
    settings: [
      { kd: 'none', tau: 4, alpha: 0.5 },
      { kd: 'feature', tau: 4, alpha: 0.5, featureNorm: 'none', betaSchedule: 'constant' },
      { kd: 'feature', tau: 4, alpha: 0.5, featureNorm: 'channel', betaSchedule: 'constant' },
      { kd: 'feature', tau: 4, alpha: 0.5, featureNorm: 'none', betaSchedule: 'cosine' },
      { kd: 'feature', tau: 4, alpha: 0.5, featureNorm: 'channel', betaSchedule: 'cosine' },
      // The teacher's map after its last max-pool (pool2 [64, 7, 7]): a coarser, more translation-invariant hint; the
      // student's 14×14 spike rates are average-pooled to 7×7 before the adapter.
      { kd: 'feature', tau: 4, alpha: 0.5, featureNorm: 'channel', betaSchedule: 'cosine', teacherFeatures: 'pool2' },
      // The teacher's map before its last ReLU (conv4 [64, 14, 14]): the negative responses the ReLU drops are kept (the
      // pre-ReLU position of Heo et al., ICCV 2019), and standardised they are closer to Gaussian than the clipped map.
      { kd: 'feature', tau: 4, alpha: 0.5, featureNorm: 'channel', betaSchedule: 'cosine', teacherFeatures: 'conv4' },
      // An earlier hint: the teacher's first-stage map (relu2 [32, 28, 28]) on the student's first spiking map (if1
      // [28, 28, 16]), the middle-layer hint of FitNets; the last map, which the readout reads, is left to the labels.
      { kd: 'feature', tau: 4, alpha: 0.5, featureNorm: 'channel', betaSchedule: 'cosine', teacherFeatures: 'relu2' },
      // Both stages: relu2 → if1 and relu4 → if2, two adapters, the mean of their two L2 losses.
      { kd: 'feature', tau: 4, alpha: 0.5, featureNorm: 'channel', betaSchedule: 'cosine', teacherFeatures: 'relu2,relu4' },
      // A lighter hint: every variant above sits 0–0.25 pt under no KD, the lightest (standardised, decayed) closest.
      { kd: 'feature', tau: 4, alpha: 0.5, featureNorm: 'channel', betaSchedule: 'cosine', beta: 0.3 },
      { kd: 'feature', tau: 4, alpha: 0.5, featureNorm: 'channel', betaSchedule: 'cosine', beta: 0.1 },
    ],
    epochs: 16, file: 'feature-sweep.md', title: 'Feature-KD target and β schedule on a validation split', prefix: 'feature-e16-',
  },
};
const VALIDATION = 1600, T = 4;

const args = process.argv.slice(2);
const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const studyName = arg('--study') ?? 'response';
const study = STUDIES[studyName];
if (!study) {
  process.stderr.write(`kd-sweep: --study must be one of ${Object.keys(STUDIES).join(', ')}, got '${studyName}'\n`);
  process.exit(2);
}
const SEEDS = [1, 2];
const runSeeds = arg('--seeds') ? arg('--seeds')!.split(',').map(Number) : SEEDS;
if (runSeeds.some((x) => !SEEDS.includes(x))) {
  process.stderr.write(`kd-sweep: --seeds must be drawn from ${SEEDS.join(', ')}, got '${arg('--seeds')}'\n`);
  process.exit(2);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const teacher = arg('--teacher') ?? join(tmpdir(), 'snnc-exp-teachers', 'mnist-vgg-e10-s1-nall-tall.onnx');
const work = arg('--work') ?? join(tmpdir(), 'snnc-kd-sweep');
if (!existsSync(teacher)) {
  process.stderr.write(`kd-sweep: teacher '${teacher}' not found: run \`npm run experiments -- --only mnist\` first (it trains and caches it), or pass --teacher FILE\n`);
  process.exit(2);
}
mkdirSync(work, { recursive: true });

// Only the feature study's settings carry a target and schedule: theirs join the name, the others' names are as before.
const name = (seed: number, s: Setting) => `${study.prefix}s${seed}-${s.kd}-tau${s.tau}-a${s.alpha}${s.featureNorm ? `-${s.featureNorm}-${s.betaSchedule}` : ''}${s.teacherFeatures ? `-${s.teacherFeatures.replaceAll(',', '+')}` : ''}${s.beta !== undefined ? `-beta${s.beta}` : ''}`;
const started = new Date().toISOString();
const results = new Map<string, number>();
for (const seed of SEEDS) {
  for (const s of study.settings) {
    const file = join(work, `${name(seed, s)}.json`);
    if (!existsSync(file) && runSeeds.includes(seed)) {
      process.stderr.write(`\n== kd-sweep: ${name(seed, s)}\n`);
      const r = await runStudentTraining({
        teacher: s.kd === 'none' ? undefined : teacher, dataset: 'mnist', output: join(work, `${name(seed, s)}.onnx`),
        validation: VALIDATION, quiet: false, teacherFeatures: s.teacherFeatures ? s.teacherFeatures.split(',') : 'auto',
        config: {
          student: 'cnn', kd: s.kd, timesteps: T, epochs: study.epochs, seed, tau: s.tau, alpha: s.alpha,
          ...(s.featureNorm ? { featureNorm: s.featureNorm, betaSchedule: s.betaSchedule } : {}),
          ...(s.beta !== undefined ? { beta: s.beta } : {}),
        },
      });
      writeFileAtomic(file, `${JSON.stringify({ testAccuracy: r.result.testAccuracy })}\n`);
    }
    if (existsSync(file)) results.set(name(seed, s), (JSON.parse(readFileSync(file, 'utf8')) as { testAccuracy: number }).testAccuracy);
  }
}
const missing = SEEDS.length * study.settings.length - results.size;
if (missing > 0) {
  process.stderr.write(`kd-sweep: ${missing} run(s) of the ${studyName} study not done yet (other seeds); docs/${study.file} is written once all are\n`);
  process.exit(0);
}

const SETTINGS = study.settings;
const L: string[] = [];
L.push(`# ${study.title}`);
L.push('');
L.push(`Written by \`npm run experiments:${studyName === 'response' ? 'kd-sweep' : 'feature-sweep'}\` (bench/kd-sweep.ts) from its runs. MNIST: the VGG teacher of docs/results.md`);
L.push(`(trained on all 8,004 training digits); spiking CNN students, T = ${T}, ${study.epochs} epochs, trained on the first 6,404 training digits and`);
L.push(`evaluated on the last ${VALIDATION.toLocaleString('en-US')} (\`snnc train --validation ${VALIDATION}\`): the test split is not read. ${studyName === 'response' ? 'Response KD on z-scored logits.' : 'Feature KD β = 1 unless the row says (the start value under the cosine schedule), 1×1 adapter from the student\'s last spiking map to the teacher\'s last ReLU map unless the row names other teacher tensors; each of those is matched to the deepest student map at least its size (relu2 → if1, the others → if2), several by the mean of their L2 losses.'}`);
L.push(`Finished ${new Date().toISOString()} (this invocation started ${started}; earlier runs reused from ${work}); load average ${loadavg().map((x) => x.toFixed(1)).join(' / ')}.`);
L.push(`One validation digit is ${formatPercent(1 / VALIDATION)}: differences of a few tenths of a point are within what the seed alone moves.`);
L.push('');
const columns = studyName === 'response' ? ['τ', 'α'] : ['teacher map', 'β over training'];
const cells = (s: Setting) => (s.kd === 'none' ? ['—', '—'] : studyName === 'response' ? [String(s.tau), String(s.alpha)]
  : [`${s.teacherFeatures ? `${s.teacherFeatures}, ` : ''}${s.featureNorm === 'channel' ? 'channel-standardised' : 'raw'}`, `${s.betaSchedule === 'cosine' ? 'cosine to 0' : 'constant'}${s.beta !== undefined ? ` from ${s.beta}` : ''}`]);
L.push(`| KD | ${columns.join(' | ')} | ${SEEDS.map((x) => `seed ${x}`).join(' | ')} | mean | Δ vs no KD |`);
L.push(`|---|---|---|${SEEDS.map(() => '---|').join('')}---|---|`);
const meanOf = (s: Setting) => SEEDS.reduce((a, seed) => a + results.get(name(seed, s))!, 0) / SEEDS.length;
const base = meanOf(SETTINGS[0]);
for (const s of SETTINGS) {
  const m = meanOf(s);
  const d = s.kd === 'none' ? '—' : `${m - base >= 0 ? '+' : ''}${(100 * (m - base)).toFixed(2)} pt`;
  L.push(`| ${s.kd} | ${cells(s).join(' | ')} | ${SEEDS.map((seed) => formatPercent(results.get(name(seed, s))!)).join(' | ')} | **${formatPercent(m)}** | ${d} |`);
}
const best = SETTINGS.slice(1).reduce((a, s) => (meanOf(s) > meanOf(a) ? s : a), SETTINGS[1]);
L.push('');
L.push(studyName === 'response'
  ? `Best on validation: response KD with τ = ${best.tau}, α = ${best.alpha}. docs/results.md evaluates it on the test split (the MNIST rows marked with α and τ).`
  : `Best on validation: feature KD, teacher map ${cells(best)[0]}, β ${cells(best)[1]} (\`--feature-norm ${best.featureNorm} --beta-schedule ${best.betaSchedule}${best.teacherFeatures ? ` --teacher-features ${best.teacherFeatures}` : ''}${best.beta !== undefined ? ` --beta ${best.beta}` : ''}\`).`);
writeFileAtomic(join(root, 'docs', study.file), `${L.join('\n')}\n`);
process.stderr.write(`wrote ${join(root, 'docs', study.file)}\n`);
