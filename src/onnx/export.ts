import { isSpiking, type Graph, type IRNode, type Tensor } from '../ir/graph.js';
import { OnnxBuilder, attr, type AttrValue } from './builder.js';
import { SNNC_DOMAIN } from './import.js';

/** Default-domain opset written: new enough for Clip/Pad inputs, old enough for every ONNX checker ≥ 1.8. */
export const EXPORT_OPSET = 13;
/** Version of the `snnc` domain (IF/LIF with threshold, reset, leak, v_init). */
export const SNNC_DOMAIN_VERSION = 1;

export interface ExportOptions {
  /** producer_name; default graph.meta.producer or 'snnc'. */
  producer?: string;
}

/**
 * Writes a graph as standard ONNX (Conv, Gemm, MatMul, AveragePool, MaxPool, Flatten, Relu, Clip, Add,
 * Mul) with neurons as `snnc`-domain IF/LIF nodes, declared in opset_import; time steps and encoding go
 * to metadata_props (`snnc.timesteps`, `snnc.encoding`, and the graph's notes as JSON in `snnc.notes`). Several edges into a node become Add nodes.
 * `importOnnx` reads the result back into an equivalent graph.
 */
export function exportOnnx(graph: Graph, opts: ExportOptions = {}): Uint8Array {
  const b = new OnnxBuilder({
    opset: EXPORT_OPSET,
    name: graph.meta.name || 'model',
    producer: opts.producer ?? graph.meta.producer ?? 'snnc',
  });
  if (isSpiking(graph)) b.opsetImport(SNNC_DOMAIN, SNNC_DOMAIN_VERSION);
  if (graph.meta.timesteps !== undefined) b.meta('snnc.timesteps', String(graph.meta.timesteps));
  if (graph.meta.encoding !== undefined) b.meta('snnc.encoding', graph.meta.encoding);
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
  const init = (name: string, t: Tensor | { shape: number[]; data: ArrayLike<number> }) => b.init(unique(name), t.shape, t.data);
  const channelShape = (shape: readonly number[], length: number): number[] =>
    length === 1 ? [] : shape.length === 3 ? [length, 1, 1] : [length];

  for (const name of graph.order) {
    const node = graph.nodes.get(name)!;
    if (node.kind === 'Input') {
      const v = unique(name);
      b.input(v, ['batch', ...node.shape]);
      valueOf.set(name, v);
      continue;
    }
    const x = inputOf(name);
    const inShape = graph.shapes.get(name)!.input;
    const out = (suffix = '') => [unique(name + suffix)];
    const emit = (op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, domain?: string) =>
      b.node(op, inputs, out(), attrs, { name: unique(`${name}/${op}`), ...(domain ? { domain } : {}) });
    let v: string;
    switch (node.kind) {
      case 'Output': case 'Sum':
        v = x;
        break;
      case 'Affine':
        v = emit('Gemm', [x, init(`${name}.weight`, node.weight), init(`${name}.bias`, node.bias)], { transB: attr.int(1) });
        break;
      case 'Linear': {
        const [rows, cols] = node.weight.shape;
        const t = new Float32Array(rows * cols);
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = node.weight.data[r * cols + c];
        v = emit('MatMul', [x, init(`${name}.weight`, { shape: [cols, rows], data: t })]);
        break;
      }
      case 'Conv2d': {
        const inputs = [x, init(`${name}.weight`, node.weight)];
        if (node.bias) inputs.push(init(`${name}.bias`, node.bias));
        v = emit('Conv', inputs, {
          kernel_shape: attr.ints(node.weight.shape.slice(2)), strides: attr.ints(node.stride),
          pads: attr.ints(node.padding), dilations: attr.ints(node.dilation), group: attr.int(node.groups),
        });
        break;
      }
      case 'MaxPool2d':
        v = emit('MaxPool', [x], { kernel_shape: attr.ints(node.kernel), strides: attr.ints(node.stride), pads: attr.ints(node.padding) });
        break;
      case 'AvgPool2d': case 'SumPool2d': {
        const include = node.kind === 'SumPool2d' || (node.countIncludePad ?? true);
        const avg = b.node('AveragePool', [x], node.kind === 'SumPool2d' ? out('/avg') : out(), {
          kernel_shape: attr.ints(node.kernel), strides: attr.ints(node.stride), pads: attr.ints(node.padding),
          count_include_pad: attr.int(include ? 1 : 0),
        }, { name: unique(`${name}/AveragePool`) });
        // A sum pool is the average over the full window times its area (padding counted as zeros).
        v = node.kind === 'SumPool2d'
          ? emit('Mul', [avg, init(`${name}.area`, { shape: [], data: [node.kernel[0] * node.kernel[1]] })])
          : avg;
        break;
      }
      case 'Flatten':
        v = emit('Flatten', [x], { axis: attr.int(1) });
        break;
      case 'Scale': {
        const s = init(`${name}.scale`, { shape: channelShape(inShape, node.scale.data.length), data: node.scale.data });
        if (!node.bias) { v = emit('Mul', [x, s]); break; }
        const scaled = b.node('Mul', [x, s], out('/mul'), {}, { name: unique(`${name}/Mul`) });
        v = emit('Add', [scaled, init(`${name}.shift`, { shape: channelShape(inShape, node.bias.data.length), data: node.bias.data })]);
        break;
      }
      case 'ReLU':
        v = emit('Relu', [x]);
        break;
      case 'Clip':
        v = emit('Clip', [x, init(`${name}.min`, { shape: [], data: [node.min] }), init(`${name}.max`, { shape: [], data: [node.max] })]);
        break;
      case 'IF': case 'LIF': {
        const attrs: Record<string, AttrValue> = { threshold: attr.float(node.threshold), reset: attr.string(node.reset) };
        if (node.kind === 'LIF') attrs.leak = attr.float(node.leak);
        if (node.vInit !== undefined) attrs.v_init = attr.float(node.vInit);
        v = emit(node.kind, [x], attrs, SNNC_DOMAIN);
        break;
      }
      default:
        throw new Error(`exportOnnx: no ONNX form for node kind ${(node as IRNode).kind}`);
    }
    valueOf.set(name, v);
  }

  let result = valueOf.get(graph.outputName)!;
  if (result === valueOf.get(graph.inputName)) {
    result = b.node('Identity', [result], [unique(`${graph.outputName}/identity`)]);
  }
  b.output(result, ['batch', ...graph.shapes.get(graph.outputName)!.output]);
  return b.bytes();
}
