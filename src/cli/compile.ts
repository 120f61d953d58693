import type { CommandModule } from 'yargs';
import { DT_OPTION } from './flags.js';
import { join } from 'node:path';
import { compile, modelName, parseHold, PASSES, FitError, NO_CALIBRATION, type CompileResult } from '../../compiler/index.js';
import { FeatureError } from '../../compiler/features.js';
import type { PassName } from '../../compiler/pipeline.js';
import { MAXPOOL_LOWERINGS, type MaxPoolLowering } from '../../compiler/passes/lower-maxpool.js';
import { listTargets, targetPathOf } from '../../targets/load.js';
import { UserError } from '../util/errors.js';
import { DATASET_SPECS } from '../data/index.js';
import { checkOutputDir, withOutputDir } from '../util/fs.js';
import { checkRange, rangeHint } from '../util/ranges.js';
import { out, warn } from './output.js';

interface CompileArgs {
  model: string;
  target: string;
  output?: string;
  timesteps?: number;
  dt?: number;
  calibrate?: string;
  samples: number;
  'data-dir'?: string;
  balance: 'percentile' | 'max';
  percentile: number;
  maxpool: MaxPoolLowering;
  'dump-after'?: string;
  hold: string;
  json: boolean;
  force: boolean;
}

/**
 * One line per shipped target: fits (cores used) or why not. The parent folder is an output folder like any
 * other (refused when it is not empty and not snnc's, unless --force); a target the model does not fit gets
 * no folder.
 */
function compareTargets(argv: CompileArgs): void {
  const opts = options(argv);
  const parent = argv.output ?? join('build', `${modelName(argv.model)}-all`);
  checkOutputDir(parent, argv.force);
  const rows: { target: string; fits: boolean; cores: number | null; available: number | null; tiles: number | null; reason: string }[] = [];
  withOutputDir(parent, argv.force, () => {
    for (const name of listTargets()) {
      try {
        const r = compile(argv.model, { ...opts, target: name, outDir: join(parent, name) });
        rows.push({ target: name, fits: true, cores: r.summary.coresUsed, available: r.summary.coresAvailable, tiles: r.summary.tilesUsed, reason: '' });
      } catch (e) {
        // A target that cannot hold the network (capacity, or a feature such as recurrence it lacks) is a row, not an error.
        if (!(e instanceof FitError) && !(e instanceof FeatureError)) throw e;
        rows.push({ target: name, fits: false, cores: null, available: null, tiles: null, reason: e.message });
      }
    }
  });
  if (argv.json) { out(`${JSON.stringify(rows, null, 1)}\n`); return; }
  const w = Math.max(6, ...rows.map((r) => r.target.length));
  const lines = [`${'target'.padEnd(w)}  fits  cores used       why not`];
  for (const r of rows) {
    const cores = r.fits ? `${r.cores} of ${r.available}` : '-';
    lines.push(`${r.target.padEnd(w)}  ${r.fits ? 'yes ' : 'no  '}  ${cores.padEnd(15)}  ${r.reason}`);
  }
  out(`${lines.join('\n')}\n`);
}

function options(argv: CompileArgs) {
  checkRange('--timesteps', 'timesteps', argv.timesteps);
  checkRange('--samples', 'samples', argv.samples);
  checkRange('--percentile', 'percentile', argv.percentile);
  if (argv['dump-after'] !== undefined && !(PASSES as readonly string[]).includes(argv['dump-after'])) {
    throw new UserError(`--dump-after: unknown pass '${argv['dump-after']}' (passes: ${PASSES.join(', ')})`);
  }
  return {
    timesteps: argv.timesteps, dt: argv.dt, calibrate: argv.calibrate, samples: argv.samples, dataDir: argv['data-dir'],
    balance: argv.balance, percentile: argv.percentile, maxpool: argv.maxpool,
    dumpAfter: argv['dump-after'] as PassName | undefined, force: argv.force, hold: parseHold(String(argv.hold)),
    warn,
  };
}

function report(r: CompileResult, json: boolean): void {
  if (json) {
    out(`${JSON.stringify({ ...r.summary, outDir: r.outDir, warnings: r.warnings }, null, 1)}\n`);
    return;
  }
  out(r.table);
  out(`wrote ${r.outDir}/mapped.json, weights.pb, summary.txt\n`);
}

export const compileCommand: CommandModule<object, CompileArgs> = {
  command: 'compile <model>',
  describe: 'convert, quantize and map a model (ANN or spiking student) onto a neuromorphic target',
  builder: (y) => y
    .positional('model', { type: 'string', demandOption: true, describe: 'model file: NIR (.nir), ONNX (.onnx) or snnc IR graph (.json), recognised by content' })
    .option('target', { alias: 't', type: 'string', demandOption: true, describe: `shipped target (${listTargets().join(', ')}), 'all', or a path to a target JSON file` })
    .option('output', { alias: 'o', type: 'string', describe: 'output folder (default ./build/<model>-<target>)' })
    .option('timesteps', { alias: 'T', type: 'number', describe: `time steps ${rangeHint('timesteps')} (default: the student's own, 64 for a converted ANN)` })
    .option('dt', DT_OPTION)
    .option('calibrate', { type: 'string', describe: `data set for threshold balancing and spike rates (${DATASET_SPECS.join(', ')}), or '${NO_CALIBRATION}' for thresholds from the weights alone; default for an ANN: the embedded MNIST when its input is 1×28×28 (said in one line), else the weights (with a warning)` })
    .option('samples', { type: 'number', default: 256, describe: `calibration samples from the training split ${rangeHint('samples')}` })
    .option('data-dir', { type: 'string', describe: 'folder of the data set files' })
    .option('balance', { choices: ['percentile', 'max'] as const, default: 'percentile' as const, describe: 'threshold balancing statistic' })
    .option('percentile', { type: 'number', default: 99.9, describe: `percentile of positive activations for --balance percentile ${rangeHint('percentile')}` })
    .option('maxpool', { choices: MAXPOOL_LOWERINGS, default: 'avg' as MaxPoolLowering, describe: 'max pooling: replace by average pooling (with a warning) or refuse' })
    .option('dump-after', { type: 'string', describe: `write the IR after this pass to the output folder (${PASSES.join(', ')})` })
    .option('hold', { type: 'string', default: 'auto', describe: "steps run after T with the input held: auto (the readout lag on a target that delivers spikes a step late, else 0), none, or a number" })
    .option('json', { type: 'boolean', default: false, describe: 'print the summary as JSON' })
    .option('force', { type: 'boolean', default: false, describe: 'write into a non-empty folder snnc did not create' })
    .example('$0 compile lenet.onnx --target loihi-like', 'convert (thresholds balanced on the embedded MNIST for a 1×28×28 model) and map; writes build/lenet-loihi-like/')
    .example('$0 compile lenet.onnx -t loihi-like --calibrate mnist --samples 500 -T 64', 'data-based thresholds (99.9th percentile) and traffic from spike rates')
    .example('$0 compile student.onnx -t speck-like -o out/speck', 'a spiking student passes through unchanged')
    .example('$0 compile student.onnx -t loihi-like --hold none', 'run exactly T steps on a delayed chip (warns how much evidence the readout loses)')
    .example('$0 compile braille.nir -t loihi-like -T 256', 'a recurrent network exported to NIR by snnTorch')
    .example('$0 compile lenet.onnx -t all', 'one table: which shipped targets hold the model, cores used, or why not')
    .example('$0 compile lenet.onnx -t ./mychip.json --dump-after quantize', 'a target of your own; dump the integer IR'),
  handler: (argv) => {
    if (argv.target === 'all') { compareTargets(argv); return; }
    const tname = targetPathOf(argv.target) ? modelName(argv.target) : argv.target;
    const outDir = argv.output ?? join('build', `${modelName(argv.model)}-${tname}`);
    const r = compile(argv.model, { ...options(argv), target: argv.target, outDir });
    report(r, argv.json);
  },
};
