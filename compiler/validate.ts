/**
 * Checks of the IR between passes: each stage's invariants, so a pass that breaks them is caught where it
 * ran, not three passes later. Violations are internal errors (plain Error): user input problems are
 * reported by the passes themselves.
 */
import { shapeSize, type Graph } from '../src/ir/graph.js';
import type { FloatNet, QuantGraph } from './types.js';
import { intFormats } from './quantize.js';
import type { Partition } from './partition.js';
import { boxSize } from './partition.js';

function fail(pass: string, message: string): never {
  throw new Error(`internal: IR invalid after pass '${pass}': ${message}`);
}

export function validateGraph(pass: string, g: Graph, forbidden: string[] = []): void {
  for (const [name, node] of g.nodes) if (forbidden.includes(node.kind)) fail(pass, `node '${name}' is still a ${node.kind}`);
}

function projectionSizeCheck(pass: string, p: { name: string; preShape: number[]; postShape: number[]; synapse: { kind: string; weights: ArrayLike<number>; kernel?: [number, number]; groups?: number } }): void {
  const pre = shapeSize(p.preShape);
  const post = shapeSize(p.postShape);
  const s = p.synapse;
  const expected = s.kind === 'dense' ? pre * post : p.postShape[0] * (p.preShape[0] / s.groups!) * s.kernel![0] * s.kernel![1];
  if (s.weights.length !== expected) fail(pass, `projection '${p.name}' holds ${s.weights.length} weights, its shapes need ${expected}`);
}

export function validateNet(pass: string, net: FloatNet): void {
  const sizes = new Map<string, number>([['input', shapeSize(net.input.shape)]]);
  for (const p of net.populations) {
    if (sizes.has(p.name)) fail(pass, `population '${p.name}' defined twice`);
    if (p.size !== shapeSize(p.shape)) fail(pass, `population '${p.name}' size ${p.size} disagrees with shape [${p.shape}]`);
    if (p.bias.length !== 0 && p.bias.length !== p.size) fail(pass, `population '${p.name}' has ${p.bias.length} biases for ${p.size} neurons`);
    if (!p.readout && !(p.dynamics.threshold && p.dynamics.threshold.every((t) => t > 0))) fail(pass, `population '${p.name}' has no positive threshold`);
    sizes.set(p.name, p.size);
  }
  if (net.populations.filter((p) => p.readout).length !== 1) fail(pass, 'exactly one readout population expected');
  for (const p of net.projections) {
    if (!sizes.has(p.from) || !sizes.has(p.to)) fail(pass, `projection '${p.name}' joins unknown populations`);
    if (shapeSize(p.preShape) !== sizes.get(p.from) || shapeSize(p.postShape) !== sizes.get(p.to)) fail(pass, `projection '${p.name}' shapes disagree with its populations`);
    projectionSizeCheck(pass, p);
    for (let i = 0; i < p.synapse.weights.length; i++) if (!Number.isFinite(p.synapse.weights[i])) fail(pass, `projection '${p.name}' holds a non-finite weight`);
  }
}

export function validateQuant(pass: string, q: QuantGraph): void {
  const f = intFormats(q.target);
  for (const p of q.projections) {
    projectionSizeCheck(pass, p);
    const [eMin, eMax] = f.exponentRange;
    if (p.weightExponent < eMin || p.weightExponent > eMax) fail(pass, `projection '${p.name}' exponent ${p.weightExponent} outside [${eMin}, ${eMax}]`);
    for (let i = 0; i < p.synapse.weights.length; i++) {
      const w = p.synapse.weights[i];
      if (!Number.isInteger(w) || w > f.maxMantissa || w < f.minMantissa) fail(pass, `projection '${p.name}' mantissa ${w} outside the target's weight bits`);
    }
  }
  for (const p of q.populations) {
    const t = p.neuron.threshold;
    if (!p.readout && (t <= 0 || t > f.thresholdMantissaMax * 2 ** f.thresholdShift || t % 2 ** f.thresholdShift !== 0)) fail(pass, `population '${p.name}' threshold ${t} not representable`);
    for (let i = 0; i < p.bias.length; i++) if (Math.abs(p.bias[i]) > f.stateMax + 1) fail(pass, `population '${p.name}' bias beyond the state width`);
  }
}

export function validatePartition(pass: string, q: QuantGraph, part: Partition): void {
  for (const pop of q.populations) {
    const covered = (part.byPopulation.get(pop.name) ?? []).reduce((a, i) => a + boxSize(part.cores[i].box), 0);
    if (covered !== pop.size) fail(pass, `population '${pop.name}' has ${pop.size} neurons, its cores hold ${covered}`);
  }
}

export function validatePlacement(pass: string, coreOf: Int32Array, count: number): void {
  const seen = new Set<number>();
  for (const id of coreOf) {
    if (id < 0 || id >= count) fail(pass, `core id ${id} outside the chip's ${count} cores`);
    if (seen.has(id)) fail(pass, `two virtual cores on physical core ${id}`);
    seen.add(id);
  }
}
