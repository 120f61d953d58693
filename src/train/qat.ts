/**
 * Quantization-aware training (`snnc train --quantize-for TARGET`, issue 20 point 3). The student's forward pass
 * runs with the values the chip holds: every step, the current float weights go through the compiler's own
 * passes up to quantize (compiler/pipeline.ts `quantizeForTarget`, the same code `snnc compile` runs) and are
 * read back in float units (compiler/quantize.ts `dequantize`): per-projection shared exponent and N-bit
 * mantissa, threshold register, biases and leaks rounded to the target's state unit, direct input rounded to
 * the target's input scale. Backward passes the gradient through the rounding as identity (straight-through
 * estimator): the forward uses w + (q(w) − w) with the difference held constant. The float weights stay the
 * trained (and exported) ones; compiling them gives exactly the integers the last forward pass used.
 *
 * The compiler's projections are compositions of the student's layers (a pooling folds into the next layer's
 * weights, a Flatten reorders them), so the mapping from a projection's weight back to the student's parameter
 * is found once, by lowering the student with probe values (all one, all two, indices, random) and solving
 * for each weight `value = constant + c · parameter[g]`. A weight that mixes several parameters is refused.
 */
import { tf } from './backend.js';
import { UserError } from '../util/errors.js';
import { mulberry32 } from '../data/rng.js';
import { loadTarget } from '../../targets/load.js';
import type { TargetSpec } from '../../targets/target.js';
import { quantizeForTarget, runPipeline } from '../../compiler/pipeline.js';
import { dequantize } from '../../compiler/quantize.js';
import { neuronParams } from '../../simulator/arith.js';
import type { FloatNet, QuantGraph } from '../../compiler/types.js';
import { runStudent, studentToGraph, type Student, type StudentOutput } from './student.js';
import type { NeuronOptions } from './spiking.js';

/** Where one value of the lowered network (a projection weight or a population bias) comes from. */
interface Origin {
  /** Index into the student's parameter vector (every layer's w then b, in layer order), or −1 for a constant. */
  param: number;
  coeff: number;
  constant: number;
}

/** One student variable's slice of the parameter vector. */
interface Slot { layer: string; part: 'w' | 'b'; offset: number; size: number; shape: number[] }

export interface Qat {
  target: TargetSpec;
  /** What the user gave (a shipped name or a path): stored in checkpoints. */
  spec: string;
  slots: Slot[];
  size: number;
  /** Per projection and per population bias of the lowered student, the origin of each value. */
  weights: Map<string, Origin[]>;
  biases: Map<string, Origin[]>;
  /** Average poolings whose output the compiler carries by a relay population (a pooling it could not fold into
   * the next layer), with the relay's initial potential as a fraction of its threshold. */
  relays: Map<string, { population: string; start: number }>;
}

/** Loads `--quantize-for`'s target with the resolver `snnc compile --target` uses (a shipped name or a JSON path). */
export function resolveQuantizeTarget(spec: string): TargetSpec {
  try {
    return loadTarget(spec);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`--quantize-for: ${e.message}`);
    throw e;
  }
}

function slotsOf(student: Student): Slot[] {
  const slots: Slot[] = [];
  let offset = 0;
  for (const [layer, p] of student.weights) {
    for (const part of ['w', 'b'] as const) {
      const v = p[part];
      slots.push({ layer, part, offset, size: v.size, shape: v.shape });
      offset += v.size;
    }
  }
  return slots;
}

/** The student with its parameters replaced by `values` (the parameter vector), as plain tensors. */
function withValues(student: Student, slots: Slot[], values: Float32Array): { student: Student; dispose: () => void } {
  const weights = new Map<string, { w: tf.Variable; b: tf.Variable }>();
  const made: tf.Tensor[] = [];
  for (const s of slots) {
    const t = tf.tensor(values.subarray(s.offset, s.offset + s.size), s.shape);
    made.push(t);
    const entry = weights.get(s.layer) ?? ({} as { w: tf.Variable; b: tf.Variable });
    // studentToGraph only reads the values and shapes of the parameters.
    entry[s.part] = t as tf.Variable;
    weights.set(s.layer, entry);
  }
  return { student: { ...student, weights }, dispose: () => made.forEach((t) => t.dispose()) };
}

function lowerAndQuantize(student: Student, target: TargetSpec): { net: FloatNet; quant: QuantGraph } {
  const r = quantizeForTarget(studentToGraph(student), { target, timesteps: student.timesteps });
  return { net: r.floatNet, quant: r.quant };
}

/**
 * Prepares quantization-aware training of `student` for `target`: checks that the compiler maps the student onto
 * the target (the whole pipeline, once) and finds where each lowered value comes from. Every refusal is a
 * UserError naming the target.
 */
export function createQat(student: Student, spec: string, target: TargetSpec = resolveQuantizeTarget(spec)): Qat {
  const fail = (m: string): never => { throw new UserError(`--quantize-for ${spec}: ${m}`); };
  try {
    runPipeline(studentToGraph(student), { target, timesteps: student.timesteps });
  } catch (e) {
    if (e instanceof UserError) fail(`the student cannot be mapped onto ${target.name}: ${e.message}`);
    throw e;
  }
  const { quant } = lowerAndQuantize(student, target);
  if (quant.input.encoding !== student.encoding) {
    fail(`${target.name} takes ${quant.input.encoding} input only; train the student with --encoding ${quant.input.encoding} to train it for this target`);
  }
  const slots = slotsOf(student);
  const size = slots.reduce((n, s) => n + s.size, 0);
  const rand = mulberry32(0x9a7);
  const probes = {
    // No all-zero probe: lowering may drop a projection whose weights are all zero.
    one: new Float32Array(size).fill(1),
    two: new Float32Array(size).fill(2),
    index: Float32Array.from({ length: size }, (_, i) => i + 1),
    random: Float32Array.from({ length: size }, () => 0.5 + rand()),
  };
  const lowered = Object.fromEntries(Object.entries(probes).map(([k, v]) => {
    const s = withValues(student, slots, v);
    try {
      return [k, quantizeForTarget(studentToGraph(s.student), { target, timesteps: student.timesteps }).floatNet];
    } finally {
      s.dispose();
    }
  })) as Record<keyof typeof probes, FloatNet>;
  for (const pop of lowered.one.populations) {
    const d = pop.dynamics;
    if (d.syn || d.gain.some((g) => g !== 1)) fail(`population '${pop.name}' has input gains; quantization-aware training handles IF/LIF students`);
  }
  const solve = (where: string, values: Record<keyof typeof probes, ArrayLike<number>>): Origin[] => {
    const n = values.one.length;
    const out: Origin[] = new Array(n);
    for (let j = 0; j < n; j++) {
      const coeff = (values.two[j] ?? 0) - (values.one[j] ?? 0);
      const constant = (values.one[j] ?? 0) - coeff;
      if (Math.abs(coeff) < 1e-12) { out[j] = { param: -1, coeff: 0, constant }; continue; }
      const param = Math.round(((values.index[j] ?? 0) - constant) / coeff) - 1;
      const check = param >= 0 && param < size ? constant + coeff * probes.random[param] : NaN;
      if (!(Math.abs(check - (values.random[j] ?? 0)) <= 1e-4 * Math.max(1, Math.abs(check)))) {
        fail(`${where}[${j}] of the compiled network is not a multiple of one student parameter; quantization-aware training cannot map it back`);
      }
      out[j] = { param, coeff, constant };
    }
    return out;
  };
  const byName = <T extends { name: string }>(list: T[], name: string) => list.find((x) => x.name === name)!;
  const weights = new Map<string, Origin[]>();
  for (const p of lowered.one.projections) {
    const w = (net: FloatNet) => byName(net.projections, p.name).synapse.weights;
    weights.set(p.name, solve(`projection '${p.name}' weight`, { one: w(lowered.one), two: w(lowered.two), index: w(lowered.index), random: w(lowered.random) }));
  }
  const biases = new Map<string, Origin[]>();
  for (const pop of lowered.one.populations) {
    const b = (net: FloatNet) => {
      const x = byName(net.populations, pop.name).bias;
      return x.length > 0 ? x : new Float32Array(pop.size);
    };
    biases.set(pop.name, solve(`population '${pop.name}' bias`, { one: b(lowered.one), two: b(lowered.two), index: b(lowered.index), random: b(lowered.random) }));
  }
  return { target, spec, slots, size, weights, biases, relays: relaysOf(student, lowered.one, fail) };
}

/**
 * The relays the compiler inserts (lower.ts): IF populations of threshold 1 carrying a pooling's rates as spikes.
 * The chip rounds those rates, so the student's forward must too; each is found as the student's average pooling
 * that reads the relay's source and has the relay's shape.
 */
function relaysOf(student: Student, net: FloatNet, fail: (m: string) => never): Qat['relays'] {
  const neurons = new Set(student.spec.layers.filter((l) => l.kind === 'neuron').map((l) => l.name));
  const relays: Qat['relays'] = new Map();
  for (const pop of net.populations) {
    if (pop.readout || neurons.has(pop.name)) continue;
    const ins = net.projections.filter((p) => p.to === pop.name);
    const [c, h, w] = pop.shape.length === 3 ? pop.shape : [pop.shape[0], 1, 1];
    const pool = ins.length === 1
      ? student.spec.layers.find((l) => l.kind === 'avgpool' && l.inputs.length === 1 && l.inputs[0] === ins[0].from && student.shapes.get(l.name)!.join() === [h, w, c].join())
      : undefined;
    if (!pool) fail(`the compiler inserts population '${pop.name}', which is not a relay of one of the student's poolings; quantization-aware training cannot model it`);
    const d = pop.dynamics;
    relays.set(pool.name, { population: pop.name, start: d.threshold ? d.vInit[0] / d.threshold[0] : 0 });
  }
  return relays;
}

/**
 * An IF relay of threshold 1 starting at `start` on inputs in [0, 1] per step (`[T·B, …]`, step-major): it fires at
 * most once a step, so after t steps it has fired floor(start + Σ x) times when it fires at v ≥ 1, ceil(start + Σ x) − 1
 * when at v > 1 (`strict`). Backward: identity (it carries rates).
 */
function relaySpikes(T: number, start: number, strict: boolean): (x: tf.Tensor) => tf.Tensor {
  return tf.customGrad(((x: tf.Tensor) => {
    const steps = tf.split(x, T, 0);
    const out: tf.Tensor[] = [];
    let sum: tf.Tensor = tf.zerosLike(steps[0]);
    let fired: tf.Tensor = tf.zerosLike(steps[0]);
    for (const s of steps) {
      sum = tf.add(sum, s);
      const total = strict ? tf.sub(tf.ceil(tf.add(sum, start)), 1) : tf.floor(tf.add(sum, start));
      out.push(tf.sub(total, fired));
      fired = total;
    }
    return { value: tf.concat(out, 0), gradFunc: (dy: tf.Tensor) => dy };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
}

/** What the student's forward pass substitutes under QAT. */
export interface QuantizedStudent {
  /** Per student layer, its weights and bias as the chip holds them (the student's layout, float units). */
  params: Map<string, { w: Float32Array; b: Float32Array }>;
  /** The neuron settings with the chip's leak (LIF; IF unchanged). */
  neuron: NeuronOptions;
  /** Direct input is delivered as round(x · inputScale); 1 for rate input. */
  inputScale: number;
  encoding: 'direct' | 'rate';
  /** Per population, whether the chip fires at v > θ (else v ≥ θ). */
  strict: Map<string, boolean>;
}

/**
 * The student's parameters as the compiler quantizes them now. A population's threshold register is folded into
 * its inputs (scaling a neuron's inputs, bias and threshold together leaves its spikes unchanged), so the student
 * keeps its one threshold θ: every value into population P is multiplied by θ / θ_chip(P).
 */
export function quantizedStudent(qat: Qat, student: Student): QuantizedStudent {
  const { quant } = lowerAndQuantize(student, qat.target);
  const d = dequantize(quant);
  const current = new Float32Array(qat.size);
  for (const s of qat.slots) current.set(student.weights.get(s.layer)![s.part].dataSync() as Float32Array, s.offset);
  const values = current.slice();
  const assigned = new Uint8Array(qat.size);
  const put = (origins: Origin[], chip: Float32Array, scale: number) => {
    for (let j = 0; j < origins.length; j++) {
      const o = origins[j];
      if (o.param < 0 || assigned[o.param]) continue;
      values[o.param] = (scale * chip[j] - o.constant) / o.coeff;
      assigned[o.param] = 1;
    }
  };
  const strict = new Map<string, boolean>();
  for (const pop of quant.populations) {
    const theta = d.threshold.get(pop.name);
    strict.set(pop.name, neuronParams(pop, quant.target).fireStrict);
    // The chip's potential is a whole number of units u: v > θ is v ≥ θ + u, and θ + u/2 keeps float noise off the edge.
    const edge = strict.get(pop.name) ? quant.stateUnits![pop.name] / 2 : 0;
    const scale = theta ? student.neuron.threshold / (theta.reduce((a, b) => a + b, 0) / theta.length + edge) : 1;
    for (const p of quant.projections) if (p.to === pop.name) put(qat.weights.get(p.name)!, d.weights.get(p.name)!, scale);
    put(qat.biases.get(pop.name)!, d.bias.get(pop.name)!, scale);
  }
  const params = new Map<string, { w: Float32Array; b: Float32Array }>();
  for (const s of qat.slots) {
    const entry = params.get(s.layer) ?? { w: new Float32Array(0), b: new Float32Array(0) };
    entry[s.part] = values.slice(s.offset, s.offset + s.size);
    params.set(s.layer, entry);
  }
  const keep = [...d.keep.values()][0];
  const neuron = student.neuron.model === 'LIF' && keep ? { ...student.neuron, leak: 1 - keep[0] } : student.neuron;
  return { params, neuron, inputScale: quant.input.inputScale, encoding: quant.input.encoding, strict };
}

/**
 * The student's forward pass under the target's rounding, with straight-through gradients: each parameter enters
 * as w + (q(w) − w), the difference a constant, so d/dw is the identity. Call inside tf.tidy / optimizer.minimize.
 */
export function runQuantized(qat: Qat, student: Student, x: tf.Tensor4D, options: { rateTaps?: string[]; seed?: number } = {}): StudentOutput {
  const q = quantizedStudent(qat, student);
  const params = new Map<string, { w: tf.Tensor; b: tf.Tensor }>();
  for (const [layer, p] of student.weights) {
    const v = q.params.get(layer)!;
    const ste = (variable: tf.Variable, chip: Float32Array) => {
      const now = variable.dataSync() as Float32Array;
      return tf.add(variable, tf.tensor(Float32Array.from(chip, (c, i) => c - now[i]), variable.shape));
    };
    params.set(layer, { w: ste(p.w, v.w), b: ste(p.b, v.b) });
  }
  const input = q.encoding === 'direct' && q.inputScale > 1 ? tf.div(tf.round(tf.mul(x, q.inputScale)), q.inputScale) as tf.Tensor4D : x;
  const perStepMaps = new Map([...qat.relays].map(([pool, r]) => [pool, relaySpikes(student.timesteps, r.start, q.strict.get(r.population)!)]));
  return runStudent(student, input, { ...options, params, neuron: q.neuron, perStepMaps });
}
