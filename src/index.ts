/**
 * snnc as a library: the same stages the CLI runs, typed.
 *
 * ```ts
 * import { train, compile, simulate, loadDataset } from 'snnc';
 * await train({ teacher: 'teacher.onnx', dataset: 'mnist', output: 'student.onnx', config: { kd: 'response', timesteps: 4, epochs: 1 } });
 * const { chip } = compile('student.onnx', { target: 'loihi-like' });
 * const { report } = simulate(chip, loadDataset('mnist', { split: 'test' }), { samples: 100 });
 * ```
 * Every function throws a `UserError` (with a one-line message naming what is wrong) for bad input.
 */

// Errors
export { UserError } from './util/errors.js';

// IR: graphs, JSON, the float reference executor, figures
export { buildGraph, tensor, isSpiking, parameterCount, GraphError, NODE_KINDS } from './ir/graph.js';
export type { Graph, IRNode, NodeKind, Tensor, GraphMeta } from './ir/graph.js';
export { runGraph, predict, accuracy } from './ir/execute.js';
export type { RunOptions } from './ir/execute.js';
export { graphToJson, graphFromJson, readGraphJson, writeGraphJson } from './ir/json.js';
export { inspectGraph, formatInspectReport } from './ir/inspect.js';
export type { InspectReport } from './ir/inspect.js';

// ONNX
export { importOnnx, importOnnxFile, OnnxError, SUPPORTED_OPS } from './onnx/import.js';
export type { ImportedModel } from './onnx/import.js';
export { exportOnnx } from './onnx/export.js';

// NIR (HDF5) in and out, and any model file by its content
export { readNir, NirError, DEFAULT_NIR_DT } from './nir/read.js';
export type { ReadNirOptions, NirReadResult } from './nir/read.js';
export { writeNir } from './nir/write.js';
export { loadModelGraph, detectModelFormat } from './model-file.js';
export type { LoadedModel, ModelFormat } from './model-file.js';

// Data
export { loadDataset } from './data/index.js';
export type { Dataset } from './data/dataset.js';
export { take } from './data/dataset.js';

// Training (knowledge distillation)
export { runStudentTraining as train, runTeacherTraining as trainTeacher } from './train/run.js';
export type { StudentRunOptions as TrainOptions } from './train/run.js';

// Targets, compiler, simulator, verification
export { loadTarget, listTargets, validateTarget, TargetError } from '../targets/load.js';
export type { TargetSpec } from '../targets/target.js';
export { compile, readMapped, FitError } from '../compiler/index.js';
export type { CompileOptions, CompileResult, MappedChip, QuantGraph } from '../compiler/index.js';
export { simulate, simulateVector } from '../simulator/index.js';
export type { SimulateOptions, SimulateResult, SimReport } from '../simulator/index.js';
export { verifyModel as verify } from './verify.js';
export type { VerifyOptions, VerifyReport } from './verify.js';

// The end-to-end demo
export { runDemo } from './demo.js';
