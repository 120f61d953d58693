/**
 * Which data an ANN's conversion is calibrated on. Threshold balancing needs activations the model really
 * produces: the weight-based bound (no data) is the largest activation ANY input in [0, 1] could cause,
 * far above real activity, so thresholds come out so high that the converted network barely spikes (the
 * shipped MNIST LeNet gives a chip at chance that way). Without --calibrate, a model whose input is one
 * embedded MNIST digit (1×28×28) is therefore calibrated on the embedded MNIST training digits, and the
 * compiler says so; any other ANN converted without data gets a warning that names the fix.
 */
import { isSpiking, type Graph } from '../src/ir/graph.js';
import { loadDataset, sampleSize } from '../src/data/index.js';
import { checkRange } from '../src/util/ranges.js';
import type { Calibration } from './passes/convert.js';

/** The embedded data set and the shape of its samples. */
const EMBEDDED = { spec: 'mnist', shape: [1, 28, 28] } as const;

/** `--calibrate none`: convert with the weight-based bound on purpose. */
export const NO_CALIBRATION = 'none';

/** Loads the calibration samples of a data set spec (the first `samples` of its training split, class-balanced). */
export function loadCalibration(spec: string, samples: number, dataDir?: string, flag = '--samples'): Calibration {
  checkRange(flag, 'samples', samples);
  const ds = loadDataset(spec, { split: 'train', dataDir, limit: samples });
  return { images: ds.images, count: ds.count, name: `${spec} (train, ${ds.count} samples of ${sampleSize(ds)} values)` };
}

/**
 * The calibration for compiling `graph`: the data set asked for, none for a spiking student (nothing is
 * converted) or for `--calibrate none`, else the embedded MNIST when the input shape matches. Every
 * conversion without data the user chose is announced through `warn`, in one line naming the fix.
 */
export function chooseCalibration(
  graph: Graph, calibrate: string | Calibration | undefined, samples: number, dataDir: string | undefined, warn: (m: string) => void,
): Calibration | undefined {
  if (calibrate !== undefined && typeof calibrate !== 'string') return calibrate;
  const converts = !isSpiking(graph);
  if (calibrate !== undefined && calibrate !== NO_CALIBRATION) return loadCalibration(calibrate, samples, dataDir);
  if (!converts) return undefined;
  const shape = graph.shapes.get(graph.inputName)!.output;
  if (calibrate === NO_CALIBRATION) {
    warn(`--calibrate none: thresholds from the weights alone (an upper bound far above real activity), which usually leaves the converted chip near chance; give --calibrate DATASET (the model's training data) to balance them on real activations`);
    return undefined;
  }
  if (shape.join() === EMBEDDED.shape.join()) {
    const cal = loadCalibration(EMBEDDED.spec, samples, undefined);
    warn(`no --calibrate: thresholds balanced on ${cal.count} embedded MNIST training digits, since the model takes [${shape}] inputs like them; if it was trained on other data, give --calibrate DATASET`);
    return cal;
  }
  warn(`no --calibrate: thresholds from the weights alone (an upper bound far above real activity), which usually leaves the converted chip near chance; give --calibrate DATASET (the model's training data, inputs [${shape}])`);
  return undefined;
}
