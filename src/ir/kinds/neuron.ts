import { GraphError, shapeSize, type IFNode, type LIFNode } from '../nodes.js';
import type { Kernel, KindSpec } from '../kind.js';
import { SNNC_DOMAIN } from '../../onnx/ops/snnc.js';

/** Potential, threshold test and reset of IF/LIF, one step over `n` samples: v ← keep · v + I; s = (v ≥ θ). */
function neuronKernel(node: IFNode | LIFNode, size: number, capacity: number): Kernel {
  const v = new Float32Array(capacity * size);
  const theta = node.threshold;
  const keep = node.kind === 'LIF' ? 1 - node.leak : 1;
  const subtract = node.reset !== 'zero';
  const v0 = node.vInit ?? 0;
  return {
    reset: (n) => v.fill(v0, 0, n * size),
    run(input, out, n) {
      for (let i = 0, len = n * size; i < len; i++) {
        let u = keep * v[i] + input[i];
        if (u >= theta) {
          out[i] = 1;
          u = subtract ? u - theta : 0;
        } else {
          out[i] = 0;
        }
        v[i] = u;
      }
    },
  };
}

function checkThreshold(name: string, threshold: number): void {
  if (!(threshold > 0 && Number.isFinite(threshold))) throw new GraphError(`threshold must be a positive finite number, got ${threshold}`, name);
}

function toSnnc(e: Parameters<KindSpec['toOnnx']>[0], node: IFNode | LIFNode, x: string): string {
  const attrs: Record<string, ReturnType<typeof e.attr.int>> = { threshold: e.attr.float(node.threshold), reset: e.attr.string(node.reset) };
  if (node.kind === 'LIF') attrs.leak = e.attr.float(node.leak);
  if (node.vInit !== undefined) attrs.v_init = e.attr.float(node.vInit);
  return e.node(node.kind, [x], attrs, { domain: SNNC_DOMAIN });
}

/**
 * Integrate-and-fire neuron (NIR IF, with r = 1): v[t] = v[t−1] + I[t]; s[t] = (v[t] ≥ θ);
 * on a spike v ← v − θ (reset 'subtract', the default) or v ← 0 (reset 'zero'). Output s ∈ {0, 1}.
 * Written to ONNX as an `snnc`-domain IF node.
 */
export const IF: KindSpec<IFNode> = {
  role: 'neuron',
  tensors: [],
  inferShape(name, node, input) {
    checkThreshold(name, node.threshold);
    return [...input];
  },
  parameters: () => 0,
  macs: () => 0,
  kernel: (_name, node, shapes, capacity) => neuronKernel(node, shapeSize(shapes.output), capacity),
  toOnnx: toSnnc,
};

/** Leaky integrate-and-fire: v[t] = (1 − leak) · v[t−1] + I[t]; spike and reset as IF. leak ∈ [0, 1). */
export const LIF: KindSpec<LIFNode> = {
  role: 'neuron',
  tensors: [],
  inferShape(name, node, input) {
    checkThreshold(name, node.threshold);
    if (!(node.leak >= 0 && node.leak < 1)) throw new GraphError(`leak must be in [0, 1), got ${node.leak}`, name);
    return [...input];
  },
  parameters: () => 0,
  macs: () => 0,
  kernel: (_name, node, shapes, capacity) => neuronKernel(node, shapeSize(shapes.output), capacity),
  toOnnx: toSnnc,
};
