import type { CommandModule } from 'yargs';
import { DT_OPTION } from './flags.js';
import { inspectGraph, formatInspectReport, type InspectReport } from '../ir/inspect.js';
import { loadModelGraph, type LoadModelOptions } from '../model-file.js';
import { out } from './output.js';

interface InspectArgs {
  model: string;
  json: boolean;
  dt?: number;
}

/** The report for a model file (NIR, ONNX or IR JSON, recognised by content). */
export function inspectModelFile(path: string, opts: LoadModelOptions = {}): InspectReport {
  return inspectGraph(loadModelGraph(path, opts).graph);
}

export const inspectCommand: CommandModule<object, InspectArgs> = {
  command: 'inspect <model>',
  describe: 'layers, output shapes, parameters and MACs per inference of a model (NIR, ONNX or IR .json)',
  builder: (y) => y
    .positional('model', { type: 'string', demandOption: true, describe: 'model file: NIR (.nir), ONNX (.onnx) or snnc IR graph (.json), recognised by content' })
    .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' })
    .option('dt', DT_OPTION)
    .example('$0 inspect lenet.onnx', 'table of layers with shapes, parameters and MACs, plus producer and opset')
    .example('$0 inspect student.onnx --json', 'the same as JSON (for scripts)')
    .example('$0 inspect converted.snn.json', 'an IR graph written by snnc')
    .example('$0 inspect cnn_sinabs.nir', 'a NIR graph (Sinabs, snnTorch, Norse, Rockpool, Spyx, …); warnings say what was repaired'),
  handler: (argv) => {
    const report = inspectModelFile(argv.model, { dt: argv.dt, warn: (m) => process.stderr.write(`snnc: warning: ${m}\n`) });
    out(argv.json ? `${JSON.stringify(report, null, 2)}\n` : formatInspectReport(report));
  },
};
