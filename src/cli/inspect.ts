import type { CommandModule } from 'yargs';
import { importOnnxFile } from '../onnx/import.js';
import { readGraphJson } from '../ir/json.js';
import { inspectGraph, formatInspectReport, type InspectReport } from '../ir/inspect.js';
import type { Graph } from '../ir/graph.js';
import { out } from './output.js';

interface InspectArgs {
  model: string;
  json: boolean;
}

/** Loads an ONNX model or an IR JSON graph (`.json`) for the commands that accept either. */
export function loadModelGraph(path: string): Graph {
  return /\.json$/i.test(path) ? readGraphJson(path) : importOnnxFile(path).graph;
}

/** The report for a model file (ONNX or IR JSON). */
export function inspectModelFile(path: string): InspectReport {
  return inspectGraph(loadModelGraph(path));
}

export const inspectCommand: CommandModule<object, InspectArgs> = {
  command: 'inspect <model>',
  describe: 'layers, output shapes, parameters and MACs per inference of an ONNX model (or IR .json)',
  builder: (y) => y
    .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model (.onnx) or snnc IR graph (.json)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' })
    .example('$0 inspect lenet.onnx', 'table of layers with shapes, parameters and MACs, plus producer and opset')
    .example('$0 inspect student.onnx --json', 'the same as JSON (for scripts)')
    .example('$0 inspect converted.snn.json', 'an IR graph written by snnc'),
  handler: (argv) => {
    const report = inspectModelFile(argv.model);
    out(argv.json ? `${JSON.stringify(report, null, 2)}\n` : formatInspectReport(report));
  },
};
