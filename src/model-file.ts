/**
 * Loading a model file of any format snnc reads, recognised by its content rather than its name: HDF5 (NIR, by its
 * signature), an ONNX protobuf, or snnc's IR JSON. Every command that takes a model goes through here.
 */
import { rebuild, type Graph } from './ir/graph.js';
import { readGraphJson } from './ir/json.js';
import { importOnnxFile } from './onnx/import.js';
import { readNir } from './nir/read.js';
import { sniffFile } from './nir/hdf5.js';
import { UserError } from './util/errors.js';

export type ModelFormat = 'onnx' | 'nir' | 'ir-json';

export interface LoadModelOptions {
  /** Seconds per step for the model's time constants (NIR's, or a graph's own; a NIR file defaults to 1e-4). */
  dt?: number;
  /** Called with each warning (what a NIR reader repaired, the dt convention, …). */
  warn?: (message: string) => void;
}

export interface LoadedModel {
  graph: Graph;
  format: ModelFormat;
  warnings: string[];
}

/** First bytes of an ONNX ModelProto: the tag of one of its fields (ir_version, producer_name, …, graph, opset_import,
 * metadata_props), as protobuf writes the fields in number order. */
const ONNX_FIRST_TAGS = new Set([0x08, 0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72]);

/** The format of a model file from its content; its extension decides only when the content does not. */
export function detectModelFormat(path: string): ModelFormat {
  const { signature, head } = sniffFile(path);
  if (signature === 'empty') throw new UserError(`'${path}' is empty`);
  if (signature === 'hdf5') return 'nir';
  if (signature === 'json') return 'ir-json';
  if (signature === 'zip') throw new UserError(`'${path}' is a ZIP archive (a PyTorch torch.save checkpoint, for one), not a model file: export the network to NIR (nir.write) or ONNX first`);
  if (signature === 'other' && ONNX_FIRST_TAGS.has(head[0])) return 'onnx';
  if (/\.nir$|\.h5$|\.hdf5$/i.test(path)) return 'nir';
  if (/\.onnx$/i.test(path)) return 'onnx';
  if (/\.json$/i.test(path)) return 'ir-json';
  throw new UserError(`cannot tell what '${path}' holds: it is neither NIR (HDF5), ONNX (protobuf) nor snnc IR JSON`);
}

/** The graph with another time step (revalidated: its time constants must still be resolvable). */
export function withDt(graph: Graph, dt: number | undefined): Graph {
  if (dt === undefined || graph.meta.dt === dt) return graph;
  if (!(Number.isFinite(dt) && dt > 0)) throw new UserError(`--dt must be a positive number of seconds, got ${dt}`);
  return rebuild(graph, graph.nodes, graph.edges, { dt });
}

/** Loads a model (NIR, ONNX or IR JSON, by content) as an IR graph. Throws UserError for a file snnc cannot read. */
export function loadModelGraph(path: string, opts: LoadModelOptions = {}): LoadedModel {
  const format = detectModelFormat(path);
  if (format === 'nir') {
    const r = readNir(path, { dt: opts.dt, warn: opts.warn });
    return { graph: r.graph, format, warnings: r.warnings };
  }
  const graph = format === 'onnx' ? importOnnxFile(path).graph : readGraphJson(path);
  return { graph: withDt(graph, opts.dt), format, warnings: [] };
}
