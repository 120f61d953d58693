import type { CommandModule } from 'yargs';
import { DT_OPTION } from './flags.js';
import { isSpiking, KINDS, type Graph } from '../ir/graph.js';
import { loadModelGraph } from '../model-file.js';
import { writeNir } from '../nir/write.js';
import { exportOnnx } from '../onnx/export.js';
import { writeFileAtomic } from '../util/fs.js';
import { UserError } from '../util/errors.js';
import { DATASET_SPECS } from '../data/index.js';
import { foldScale } from '../../compiler/passes/fold-scale.js';
import { lowerMaxPool } from '../../compiler/passes/lower-maxpool.js';
import { convertToSnn } from '../../compiler/passes/convert.js';
import { loadCalibration } from '../../compiler/index.js';

interface ExportArgs {
  model: string;
  format: 'nir' | 'onnx';
  output: string;
  dt?: number;
  calibrate?: string;
  samples: number;
  'data-dir'?: string;
}

const warn = (m: string) => process.stderr.write(`snnc: warning: ${m}\n`);

/** A model as a spiking network NIR can hold: an ANN is converted (threshold balancing, as `compile` does). */
function spikingForNir(graph: Graph, argv: ExportArgs): Graph {
  const annOnly = [...graph.nodes.values()].some((n) => KINDS[n.kind].annOnly);
  if (!annOnly && isSpiking(graph)) return graph;
  const calibration = argv.calibrate ? loadCalibration(argv.calibrate, argv.samples, argv['data-dir']) : undefined;
  warn(`'${argv.model}' is an ANN: converted to a spiking network (IF neurons, reset by subtraction) with ${calibration ? `thresholds from ${calibration.name}` : 'weight-based thresholds (give --calibrate for data-based ones)'}`);
  return convertToSnn(lowerMaxPool(foldScale(graph), 'avg', warn), { calibration, warn });
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export <model>',
  describe: 'write a model (NIR, ONNX or IR JSON) as NIR for the frameworks and chips that read it, or as ONNX',
  builder: (y) => y
    .positional('model', { type: 'string', demandOption: true, describe: 'model file: NIR, ONNX or snnc IR JSON, recognised by content' })
    .option('format', { alias: 'f', choices: ['nir', 'onnx'] as const, demandOption: true, describe: 'what to write' })
    .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'file to write' })
    .option('dt', DT_OPTION)
    .option('calibrate', { type: 'string', describe: `data set for the thresholds when an ANN is converted for NIR (${DATASET_SPECS.join(', ')})` })
    .option('samples', { type: 'number', default: 256, describe: 'calibration samples' })
    .option('data-dir', { type: 'string', describe: 'folder of the data set files' })
    .example('$0 export student.onnx --format nir -o student.nir', 'a spiking student as NIR (snnc\'s reset by subtraction kept in metadata, with a warning)')
    .example('$0 export lenet.onnx -f nir -o lenet.nir --calibrate mnist', 'an ANN converted to a spiking network, then written as NIR')
    .example('$0 export cnn_sinabs.nir -f onnx -o cnn.onnx', 'a NIR network as ONNX with snnc-domain neurons (feed-forward only)'),
  handler: (argv) => {
    if (!(Number.isInteger(argv.samples) && argv.samples >= 1)) throw new UserError(`--samples must be a positive integer, got ${argv.samples}`);
    const { graph } = loadModelGraph(argv.model, { dt: argv.dt, warn });
    const written = argv.format === 'nir' ? spikingForNir(graph, argv) : graph;
    if (argv.format === 'nir') writeNir(written, argv.output, { warn });
    else writeFileAtomic(argv.output, exportOnnx(written));
    process.stdout.write(`wrote ${argv.output} (${argv.format.toUpperCase()}, ${written.nodes.size} nodes)\n`);
  },
};
