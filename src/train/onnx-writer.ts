import { OnnxBuilder, attr } from '../onnx/builder.js';
import type { Graph } from '../ir/graph.js';

/**
 * Writes the graphs the trainer produces (teachers: Conv2d/Affine/ReLU/MaxPool2d/Flatten; students: the
 * same with IF/LIF/AvgPool2d) as ONNX: synaptic layers as standard ops (opset 13), neurons as `snnc`-domain
 * IF/LIF nodes, several incoming edges as Add, time steps and encoding in metadata_props (DESIGN.md).
 * Used until the shared exporter (src/onnx/export.ts, `exportOnnx`) is available; {@link graphToOnnx}
 * prefers that one.
 */
export function writeTrainerOnnx(graph: Graph): Uint8Array {
  const b = new OnnxBuilder({ opset: 13, name: graph.meta.name, producer: graph.meta.producer ?? 'snnc' });
  const value = new Map<string, string>();
  const inShape = graph.shapes.get(graph.inputName)!.output;
  value.set(graph.inputName, b.input('input', ['N', ...inShape]));
  let spiking = false;
  for (const name of graph.order) {
    const node = graph.nodes.get(name)!;
    if (node.kind === 'Input') continue;
    const preds = graph.preds.get(name)!;
    let x = value.get(preds[0])!;
    for (const p of preds.slice(1)) x = b.node('Add', [x, value.get(p)!], [`${name}_sum_${p}`]);
    let out: string;
    switch (node.kind) {
      case 'Conv2d': {
        const w = b.init(`${name}.weight`, node.weight.shape, node.weight.data);
        const ins = [x, w];
        if (node.bias) ins.push(b.init(`${name}.bias`, node.bias.shape, node.bias.data));
        out = b.node('Conv', ins, [name], {
          kernel_shape: attr.ints(node.weight.shape.slice(2)), pads: attr.ints([...node.padding]),
          strides: attr.ints([...node.stride]), dilations: attr.ints([...node.dilation]), group: attr.int(node.groups),
        }, { name });
        break;
      }
      case 'Affine': {
        const w = b.init(`${name}.weight`, node.weight.shape, node.weight.data);
        const bias = b.init(`${name}.bias`, node.bias.shape, node.bias.data);
        out = b.node('Gemm', [x, w, bias], [name], { transB: attr.int(1) }, { name });
        break;
      }
      case 'ReLU': out = b.node('Relu', [x], [name], {}, { name }); break;
      case 'Flatten': out = b.node('Flatten', [x], [name], { axis: attr.int(1) }, { name }); break;
      case 'MaxPool2d': case 'AvgPool2d': {
        const attrs = { kernel_shape: attr.ints([...node.kernel]), strides: attr.ints([...node.stride]), pads: attr.ints([...node.padding]) };
        out = b.node(node.kind === 'MaxPool2d' ? 'MaxPool' : 'AveragePool', [x], [name], attrs, { name });
        break;
      }
      case 'Sum': out = b.node('Identity', [x], [name], {}, { name }); break;
      case 'IF': case 'LIF': {
        spiking = true;
        const attrs: Record<string, ReturnType<typeof attr.float>> = { threshold: attr.float(node.threshold), reset: attr.string(node.reset) };
        if (node.kind === 'LIF') attrs.leak = attr.float(node.leak);
        out = b.node(node.kind, [x], [name], attrs, { name, domain: 'snnc' });
        break;
      }
      case 'Output': {
        // The Output node's name is free as a tensor name: IR node names are unique.
        out = b.node('Identity', [x], [name], {}, { name });
        b.output(name, ['N', ...graph.shapes.get(name)!.output]);
        break;
      }
      default:
        throw new Error(`trainer ONNX writer: node kind ${node.kind} is not produced by the trainer`);
    }
    value.set(name, out);
  }
  if (spiking) {
    b.opsetImport('snnc', 1);
    b.meta('snnc.timesteps', String(graph.meta.timesteps ?? 4));
    b.meta('snnc.encoding', graph.meta.encoding ?? 'direct');
  }
  return b.bytes();
}

/** ONNX bytes of a graph: the shared exporter when it exists, else {@link writeTrainerOnnx}. */
export async function graphToOnnx(graph: Graph): Promise<Uint8Array> {
  const shared = '../onnx/export.js';
  try {
    const mod = (await import(shared)) as { exportOnnx?: (g: Graph) => Uint8Array };
    if (typeof mod.exportOnnx === 'function') return mod.exportOnnx(graph);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw e;
  }
  return writeTrainerOnnx(graph);
}
