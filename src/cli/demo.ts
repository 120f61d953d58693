import type { CommandModule } from 'yargs';
import { runDemo, formatDemoSummary } from '../demo.js';
import { resolveWorkers, WORKERS_OPTION } from '../parallel/index.js';

interface DemoArgs {
  quick: boolean;
  output: string;
  force: boolean;
  target: string;
  workers?: number;
}

/** The demo runs the other commands through the CLI itself; main.ts hands it its runner, so this module
 * does not import main.ts (which lists the commands). */
export const demoCommand = (run: (argv: string[]) => Promise<number>): CommandModule<object, DemoArgs> => ({
  command: 'demo',
  describe: 'the whole path on the embedded MNIST: KD student from the shipped teacher, compile, simulate, verify, noise, HTML report',
  builder: (y) => y
    .option('quick', { type: 'boolean', default: false, describe: 'about a minute: 2,000 training digits, 1 epoch, 100 test digits' })
    .option('output', { alias: 'o', type: 'string', default: 'build/demo', describe: 'output folder' })
    .option('target', { alias: 't', type: 'string', default: 'loihi-like', describe: 'chip target (shipped name or JSON path)' })
    .option('force', { type: 'boolean', default: false, describe: 'write into a non-empty folder snnc did not create' })
    .option('workers', { ...WORKERS_OPTION, describe: `${WORKERS_OPTION.describe} (simulate, verify and robustness steps)` })
    .example('$0 demo', 'the full demo (a few minutes on 2 cores); report in build/demo/report.html')
    .example('$0 demo --quick -o /tmp/demo', 'the one-minute version'),
  handler: async (argv) => {
    if (argv.workers !== undefined) resolveWorkers(argv.workers);
    const summary = await runDemo({
      outDir: argv.output, quick: argv.quick, force: argv.force, target: argv.target, workers: argv.workers,
      run, say: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(formatDemoSummary(summary, argv.target));
  },
});
