import type { CommandModule } from 'yargs';
import { inspectCommand } from './inspect.js';
import { trainCommand } from './train.js';
import { trainTeacherCommand } from './train-teacher.js';
import { compileCommand } from './compile.js';
import { targetsCommand } from './targets.js';
import { simulateCommand } from './simulate.js';
import { verifyCommand } from './verify.js';
import { robustnessCommand } from './robustness.js';
import { reportCommand } from './report.js';
import { compareCommand } from './compare.js';
import { exportCommand } from './export.js';

/** Every snnc command but the demo, one module a file (yargs CommandModule); main.ts adds the demo, which runs them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  inspectCommand, trainTeacherCommand, trainCommand, compileCommand, targetsCommand,
  simulateCommand, verifyCommand, robustnessCommand, reportCommand, compareCommand, exportCommand,
];
