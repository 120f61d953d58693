import { isSpiking, kindOf, type Graph } from '../ir/graph.js';
import type { OnnxEmitter } from '../ir/kind.js';
import { OnnxBuilder, attr } from './builder.js';
import { UserError } from '../util/errors.js';
import { SNNC_DOMAIN } from './domain.js';

/** Default-domain opset written: new enough for Clip/Pad inputs, old enough for every ONNX checker ≥ 1.8. */
export const EXPORT_OPSET = 13;
/** Version of the `snnc` domain (IF/LIF with threshold, reset, leak, v_init). */
export const SNNC_DOMAIN_VERSION = 1;

export interface ExportOptions {
  /** producer_name; default graph.meta.producer or 'snnc'. */
  producer?: string;
}

/**
 * Writes a graph as standard ONNX (each kind's form is its registry entry's `toOnnx`: Conv, Gemm, MatMul,
 * AveragePool, MaxPool, Flatten, Relu, Clip, Add, Mul) with neurons as `snnc`-domain IF/LIF nodes, declared in opset_import; time steps and encoding go
 * to metadata_props (`snnc.timesteps`, `snnc.encoding`, `snnc.dt`, and the graph's notes as JSON in `snnc.notes`). Several edges into a node become Add nodes.
 * `importOnnx` reads the result back into an equivalent graph.
 */
export function exportOnnx(graph: Graph, opts: ExportOptions = {}): Uint8Array {
  if (graph.recurrent.size > 0) {
    const [from, to] = graph.edges[[...graph.recurrent][0]];
    throw new UserError(`graph '${graph.meta.name}' is recurrent (the edge ${from} -> ${to} closes a cycle) and an ONNX graph cannot hold a cycle: write it as NIR instead`);
  }
  const b = new OnnxBuilder({
    opset: EXPORT_OPSET,
    name: graph.meta.name || 'model',
    producer: opts.producer ?? graph.meta.producer ?? 'snnc',
  });
  if (isSpiking(graph)) b.opsetImport(SNNC_DOMAIN, SNNC_DOMAIN_VERSION);
  if (graph.meta.timesteps !== undefined) b.meta('snnc.timesteps', String(graph.meta.timesteps));
  if (graph.meta.encoding !== undefined) b.meta('snnc.encoding', graph.meta.encoding);
  if (graph.meta.dt !== undefined) b.meta('snnc.dt', String(graph.meta.dt));
  if (graph.meta.notes && Object.keys(graph.meta.notes).length > 0) b.meta('snnc.notes', JSON.stringify(graph.meta.notes));

  const used = new Set<string>();
  const unique = (base: string) => {
    let n = base;
    for (let i = 1; used.has(n); i++) n = `${base}_${i}`;
    used.add(n);
    return n;
  };
  /** ONNX value holding each IR node's output. */
  const valueOf = new Map<string, string>();

  const inputOf = (name: string): string => {
    const preds = graph.preds.get(name)!;
    let v = valueOf.get(preds[0])!;
    for (let i = 1; i < preds.length; i++) {
      v = b.node('Add', [v, valueOf.get(preds[i])!], [unique(`${name}/sum${i}`)], {}, { name: unique(`${name}/Add${i}`) });
    }
    return v;
  };
  for (const name of graph.order) {
    const node = graph.nodes.get(name)!;
    if (node.kind === 'Input') {
      const v = unique(name);
      b.input(v, ['batch', ...node.shape]);
      valueOf.set(name, v);
      continue;
    }
    const emitter: OnnxEmitter = {
      node: (op, inputs, attrs = {}, o = {}) => b.node(op, inputs, [unique(name + (o.suffix ?? ''))], attrs, { name: unique(`${name}/${op}`), ...(o.domain ? { domain: o.domain } : {}) }),
      init: (suffix, shape, data, type) => b.init(unique(name + suffix), shape, data, type ?? 'float32'),
      attr,
    };
    valueOf.set(name, kindOf(node).toOnnx(emitter, node, inputOf(name), graph.shapes.get(name)!));
  }

  let result = valueOf.get(graph.outputName)!;
  if (result === valueOf.get(graph.inputName)) {
    result = b.node('Identity', [result], [unique(`${graph.outputName}/identity`)]);
  }
  b.output(result, ['batch', ...graph.shapes.get(graph.outputName)!.output]);
  return b.bytes();
}
