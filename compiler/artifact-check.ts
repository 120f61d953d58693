/**
 * What a mapped artifact means, checked before the simulator trusts it. The schema says each field has the
 * right type; a hand-edited mapped.json can still be well-typed and impossible: a stride of 0, a kernel
 * that does not produce the layer's shape, a core id beyond the chip, more neurons on a core than the core
 * holds, two readouts, an exponent the target cannot shift by. Every such fault is a MappedError naming the
 * field, the value and the limit; none reaches the engine (which would loop, divide by zero or quietly
 * compute at chance).
 */
import type { TargetSpec } from '../targets/target.js';
import { RANGES, checkRange } from '../src/util/ranges.js';
import { MAX_ACTIVATION_ELEMENTS } from '../src/ir/graph.js';
import { UserError } from '../src/util/errors.js';
import { intFormats } from './quantize.js';
import type { MappedChip } from './types.js';

/** A mapped artifact that cannot be read: names the file and the fault. */
export class MappedError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'MappedError';
  }
}

/** Most neurons an artifact may declare in all (the IR's activation limit). */
export const MAX_ARTIFACT_NEURONS = MAX_ACTIVATION_ELEMENTS;

type Json = Record<string, unknown>;
interface JsonPop { name: string; shape: number[]; size: number; readout: boolean; neuron: { model: string; threshold: number; stateBits: number; decay?: number; vInit: number }; bias: string | null; vInitPerNeuron: string | null }
interface JsonProj {
  name: string; from: string; to: string; preShape: number[]; postShape: number[]; weightExponent: number; weightBits: number;
  synapse: { kind: 'dense' | 'conv'; weights: string; kernel?: number[]; stride?: number[]; padding?: number[]; dilation?: number[]; groups?: number };
}
interface JsonCore { id: number; tile: number; x: number; y: number; slices: { population: string; start: number; end: number }[]; usage: Record<string, number> }

const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** One array the weights file must hold, with its length (from mapped.json). */
export interface DeclaredArray { name: string; length: number }

/**
 * Checks the structure of a schema-valid mapped.json against its target, before weights.pb is read;
 * returns the arrays weights.pb must hold (names and lengths), so its size can be bounded before reading.
 */
export function checkMappedStructure(data: Json, target: TargetSpec, where: string): DeclaredArray[] {
  const fail = (m: string): never => { throw new MappedError(`${where}: ${m}`); };
  const err = (m: string) => new MappedError(`${where}: ${m}`);
  checkRange('timesteps', RANGES.timesteps, data.timesteps as number, err);
  checkRange('holdSteps', RANGES.holdSteps, (data.holdSteps ?? 0) as number, err);
  const input = data.input as { shape: number[] };
  if (product(input.shape) > MAX_ACTIVATION_ELEMENTS) fail(`input.shape [${input.shape}] has more than ${MAX_ACTIVATION_ELEMENTS} values`);

  const pops = data.populations as JsonPop[];
  const sizes = new Map<string, number[]>([['input', input.shape]]);
  let neurons = 0;
  const stateBits = target.precision.stateBits.value;
  const stateMax = 2 ** (stateBits - 1) - 1;
  const readouts = pops.filter((p) => p.readout);
  // A compiled network has exactly one readout; a pinned one (a SANA-FE vector) may have none.
  const pinned = (data.placement as { pinned?: boolean }).pinned === true;
  if (readouts.length > 1 || (readouts.length === 0 && !pinned)) fail(`${readouts.length === 0 ? 'no population is' : `${readouts.length} populations are`} the readout (${readouts.map((p) => `'${p.name}'`).join(', ') || 'none'}); exactly one must be`);
  pops.forEach((p, i) => {
    const at = `populations[${i}] '${p.name}'`;
    if (sizes.has(p.name)) fail(`${at}: the name is used twice (or is 'input')`);
    if (product(p.shape) !== p.size) fail(`${at}: size ${p.size} disagrees with shape [${p.shape}] (${product(p.shape)} neurons)`);
    neurons += p.size;
    if (neurons > MAX_ARTIFACT_NEURONS) fail(`more than ${MAX_ARTIFACT_NEURONS} neurons in all`);
    if (p.neuron.stateBits !== stateBits) fail(`${at}: neuron.stateBits ${p.neuron.stateBits}, the target's state is ${stateBits} bits`);
    if (!p.readout && !(p.neuron.threshold >= 1 && p.neuron.threshold <= stateMax)) fail(`${at}: neuron.threshold ${p.neuron.threshold} outside 1..${stateMax} (the target's ${stateBits}-bit state)`);
    if (Math.abs(p.neuron.vInit) > stateMax + 1) fail(`${at}: neuron.vInit ${p.neuron.vInit} beyond the target's ${stateBits}-bit state`);
    if ((p.neuron.model === 'LIF') !== (p.neuron.decay !== undefined)) fail(`${at}: a ${p.neuron.model} neuron ${p.neuron.model === 'LIF' ? 'needs' : 'has no'} neuron.decay`);
    const decayMax = 2 ** (target.precision.decayBits?.value ?? 12);
    if (p.neuron.decay !== undefined && p.neuron.decay > decayMax) fail(`${at}: neuron.decay ${p.neuron.decay} above ${decayMax} (the target's decay bits)`);
    sizes.set(p.name, p.shape);
  });

  const f = intFormats(target);
  const [eMin, eMax] = f.exponentRange;
  const names = new Set<string>();
  const declared: DeclaredArray[] = [];
  for (const p of pops) {
    if (p.bias) declared.push({ name: p.bias, length: p.size });
    if (p.vInitPerNeuron) declared.push({ name: p.vInitPerNeuron, length: p.size });
  }
  (data.projections as JsonProj[]).forEach((p, i) => {
    const at = `projections[${i}] '${p.name}'`;
    if (names.has(p.name)) fail(`${at}: the name is used twice`);
    names.add(p.name);
    const from = sizes.get(p.from);
    const to = p.to === 'input' ? undefined : sizes.get(p.to);
    if (!from) fail(`${at}: source '${p.from}' is not a population (nor 'input')`);
    if (!to) fail(`${at}: target '${p.to}' is not a population`);
    if (product(p.preShape) !== product(from!)) fail(`${at}: preShape [${p.preShape}] does not match the ${product(from!)} neurons of '${p.from}'`);
    if (product(p.postShape) !== product(to!)) fail(`${at}: postShape [${p.postShape}] does not match the ${product(to!)} neurons of '${p.to}'`);
    if (p.weightBits > target.precision.weightBits.value) fail(`${at}: weightBits ${p.weightBits}, the target stores ${target.precision.weightBits.value}-bit weights`);
    if (p.weightExponent < eMin || p.weightExponent > eMax) fail(`${at}: weightExponent ${p.weightExponent} outside the target's range [${eMin}, ${eMax}]`);
    const s = p.synapse;
    let length: number;
    if (s.kind === 'dense') {
      length = product(p.preShape) * product(p.postShape);
    } else {
      if (p.preShape.length !== 3 || p.postShape.length !== 3) fail(`${at}: a convolution needs [C, H, W] shapes, got [${p.preShape}] → [${p.postShape}]`);
      const [kh, kw] = s.kernel!, [sh, sw] = s.stride!, [dh, dw] = s.dilation!, pad = s.padding!, g = s.groups!;
      if (!(kh >= 1 && kw >= 1)) fail(`${at}: synapse.kernel [${s.kernel}] must be at least 1×1`);
      if (!(sh >= 1 && sw >= 1)) fail(`${at}: synapse.stride [${s.stride}] must be at least 1`);
      if (!(dh >= 1 && dw >= 1)) fail(`${at}: synapse.dilation [${s.dilation}] must be at least 1`);
      if (pad.some((x) => x < 0)) fail(`${at}: synapse.padding [${pad}] must not be negative`);
      const [cin, ih, iw] = p.preShape;
      const [cout, oh, ow] = p.postShape;
      if (cin % g !== 0 || cout % g !== 0) fail(`${at}: synapse.groups ${g} does not divide ${cin} input and ${cout} output channels`);
      const extent = (n: number, k: number, st: number, d: number, before: number, after: number) => Math.floor((n + before + after - d * (k - 1) - 1) / st) + 1;
      const eh = extent(ih, kh, sh, dh, pad[0], pad[2]), ew = extent(iw, kw, sw, dw, pad[1], pad[3]);
      if (eh !== oh || ew !== ow) fail(`${at}: kernel [${s.kernel}], stride [${s.stride}], padding [${pad}], dilation [${s.dilation}] on a ${ih}×${iw} input give ${eh}×${ew}, postShape says ${oh}×${ow}`);
      length = cout * (cin / g) * kh * kw;
    }
    declared.push({ name: s.weights, length });
  });

  const count = target.core.count.value;
  const perTile = target.mesh.coresPerTile.value;
  const width = target.mesh.width.value;
  const tiles = width * target.mesh.height.value;
  const covered = new Map<string, [number, number][]>();
  const ids = new Set<number>();
  const placement = data.placement as { cores: JsonCore[] };
  placement.cores.forEach((c, i) => {
    const at = `placement.cores[${i}]`;
    if (c.id >= count) fail(`${at}: core id ${c.id} beyond the target's ${count} cores`);
    if (ids.has(c.id)) fail(`${at}: core id ${c.id} is placed twice`);
    ids.add(c.id);
    const tile = Math.floor(c.id / perTile);
    if (c.tile !== tile || c.x !== tile % width || c.y !== Math.floor(tile / width)) fail(`${at}: core ${c.id} is on tile ${tile} at (${tile % width}, ${Math.floor(tile / width)}), the file says tile ${c.tile} at (${c.x}, ${c.y})`);
    let held = 0;
    for (const sl of c.slices) {
      const shape = sizes.get(sl.population);
      if (!shape || sl.population === 'input') fail(`${at}: slice of unknown population '${sl.population}'`);
      if (!(sl.start < sl.end && sl.end <= product(shape!))) fail(`${at}: slice [${sl.start}, ${sl.end}) of '${sl.population}' outside its ${product(shape!)} neurons`);
      held += sl.end - sl.start;
      const list = covered.get(sl.population) ?? [];
      list.push([sl.start, sl.end]);
      covered.set(sl.population, list);
    }
    const capacity = target.core.neuronMemory.value?.[c.id] ?? target.core.neurons.value;
    if (held > capacity) fail(`${at}: core ${c.id} holds ${held} neurons, the target's core holds ${capacity}`);
    const caps: [string, number][] = [['neurons', capacity], ['inputAxons', target.core.inputAxons.value], ['outputAxons', target.core.outputAxons.value], ['synapseBits', target.core.synapseMemoryBits.value]];
    for (const [key, cap] of caps) if ((c.usage[key] ?? 0) > cap) fail(`${at}: usage.${key} ${c.usage[key]} exceeds the target's ${cap} per core`);
  });
  for (const p of pops) {
    const spans = (covered.get(p.name) ?? []).sort((a, b) => a[0] - b[0]);
    let next = 0;
    for (const [a, b] of spans) {
      if (a !== next) fail(`population '${p.name}': neurons ${a < next ? `${a}..${next - 1} are placed on two cores` : `${next}..${a - 1} are on no core`}`);
      next = b;
    }
    if (next !== p.size) fail(`population '${p.name}': neurons ${next}..${p.size - 1} are on no core`);
  }
  (data.routes as { fromCore: number; toCores: number[]; links: number[][] }[]).forEach((r, i) => {
    for (const id of [r.fromCore, ...r.toCores]) if (!ids.has(id)) fail(`routes[${i}]: core ${id} holds nothing of this network`);
    for (const l of r.links) if (l.some((t) => t < 0 || t >= tiles)) fail(`routes[${i}]: link [${l}] leaves the target's ${tiles} tiles`);
  });
  return declared;
}

/** Checks the decoded integers against the target's formats (mantissas within the weight bits, biases within the state). */
export function checkMappedValues(chip: MappedChip, where: string): void {
  const q = chip.placement.graph;
  const f = intFormats(q.target);
  for (const p of q.projections) {
    const w = p.synapse.weights;
    for (let i = 0; i < w.length; i++) {
      if (w[i] < f.minMantissa || w[i] > f.maxMantissa) {
        throw new MappedError(`${where}: projection '${p.name}' weight ${i} is ${w[i]}, outside the target's ${q.target.precision.weightBits.value}-bit ${q.target.precision.weightSigned.value ? 'signed' : 'unsigned'} range [${f.minMantissa}, ${f.maxMantissa}]`);
      }
    }
  }
  for (const p of q.populations) {
    for (const [what, a] of [['bias', p.bias], ['vInitPerNeuron', p.vInitPerNeuron]] as const) {
      if (!a) continue;
      for (let i = 0; i < a.length; i++) {
        if (Math.abs(a[i]) > f.stateMax + 1) throw new MappedError(`${where}: population '${p.name}' ${what} ${i} is ${a[i]}, beyond the target's ${q.target.precision.stateBits.value}-bit state`);
      }
    }
  }
}
