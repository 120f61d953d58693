/**
 * The NIR node types (NIR 1.0.7) and how each maps to an IR node, both ways: one entry per NIR type, keyed by
 * the type string stored in the file. The reader calls an entry's `read` with the node's stored fields and the
 * shape its inputs deliver; the writer calls the entry that writes the IR node's kind. What NIR cannot say
 * (reset by subtraction, firing at v ≥ θ, snnc's dt-free leak, initial potentials, a Scale's bias, asymmetric
 * padding) goes into the node's `metadata` group as `snnc_*` entries, which this table reads back, so that a
 * file snnc writes reads back as the same IR. Conventions chosen where NIR leaves them to the exporter:
 *  - neurons fire on v > θ (`fire: 'gt'`, NIR's Heaviside) and reset to v_reset (`reset: 'zero'`; v_reset 0 when
 *    the file has none, as NIR 0.x files);
 *  - time constants are discretised by forward Euler with the graph's dt (nodes.ts, "Time"); IF integrates r·I
 *    once per step, with no dt;
 *  - Conv1d is read as a Conv2d over [C, 1, L] (the IR has no 1-D convolution): the writer writes it as Conv2d;
 *  - Delay holds seconds in NIR and whole steps in the IR: steps = delay / dt.
 */
import {
  GraphError, shapeSize, type AffineNode, type Conv2dNode, type CubaLIFNode, type CubaLINode, type DelayNode,
  type FireMode, type IFNode, type INode, type IRNode, type LIFNode, type LINode, type LinearNode, type NodeKind, type NodeShapes,
  type Pads, type Param, type PoolNode, type ResetMode, type ScaleNode, type Tensor, type ThresholdNode,
} from '../ir/nodes.js';
import type { H5Data, H5Value } from './hdf5.js';

/** One NIR node as stored in the file (its name is the full dotted name after subgraphs are inlined). */
export interface NirNode {
  name: string;
  type: string;
  fields: ReadonlyMap<string, H5Value>;
  metadata: ReadonlyMap<string, H5Value>;
}

/** Kinds of version drift a reader meets in real files: reported once per kind, with the nodes. */
export type Drift =
  | 'scalar-param' | 'batch-param' | 'int-param' | 'no-v_reset' | 'no-w_in' | 'no-input_shape' | 'flatten-batch-start'
  | 'flatten-placeholder' | 'conv1d' | 'input-batch-axis' | 'output-batch-axis';

/** The per-sample input a node's own parameters declare (NIR's input_type): a shape, or only a rank. */
export interface Accepts { shape?: number[]; rank?: number; /** a 1-D convolution, read over [C, 1, L] */ conv1d?: boolean }

/** What an entry's `read` knows besides the node's fields. */
export interface ReadContext {
  /** Per-sample shape the node's inputs deliver (for the Input: its declared shape). */
  input: number[];
  dt: number;
  /** What the node's successors declare they take (undefined where their parameters do not say). */
  successorsAccept(): (Accepts | undefined)[];
  warn(message: string): void;
  drift(kind: Drift): void;
  /** A dense weight was read transposed (stored (in, out)). */
  transposed(): void;
}

/** Typed access to a stored node's fields and snnc metadata; every failure names the node and the field. */
export class NodeFields {
  constructor(readonly node: NirNode, private readonly ctx?: Pick<ReadContext, 'drift'>) {}

  fail(message: string): never {
    throw new GraphError(message, this.node.name);
  }
  has(field: string): boolean {
    return this.node.fields.has(field);
  }
  private value(field: string): H5Value {
    const v = this.node.fields.get(field);
    if (!v) this.fail(`${this.node.type} has no '${field}' (NIR's ${this.node.type} needs ${ENTRY_FIELDS(this.node.type)})`);
    return v;
  }
  numbers(field: string): { shape: number[]; data: Float64Array; dtype: string } {
    const v = this.value(field);
    if (v.kind !== 'number') this.fail(`'${field}' holds strings, not numbers`);
    for (let i = 0; i < v.data.length; i++) if (!Number.isFinite(v.data[i])) this.fail(`'${field}' holds a non-finite value at index ${i}`);
    return v;
  }
  /** A stored array as an IR tensor, with its stored shape. */
  tensor(field: string): Tensor {
    const v = this.numbers(field);
    return { shape: v.shape.length === 0 ? [1] : [...v.shape], data: Float32Array.from(v.data) };
  }
  /** One integer (a scalar or one-element array). */
  int(field: string, fallback?: number): number {
    if (!this.has(field) && fallback !== undefined) return fallback;
    const v = this.numbers(field);
    if (v.data.length !== 1 || !Number.isInteger(v.data[0])) this.fail(`'${field}' must be one integer, got [${Array.from(v.data)}]`);
    return v.data[0];
  }
  /** `n` integers: a scalar repeated, or exactly n values (NIR stores stride/padding both ways). */
  ints(field: string, n: number): number[] {
    const v = this.numbers(field);
    const values = Array.from(v.data);
    if (!values.every(Number.isInteger)) this.fail(`'${field}' must hold integers, got [${values}]`);
    if (values.length === 1) return new Array(n).fill(values[0]);
    if (values.length !== n) this.fail(`'${field}' must hold 1 or ${n} integers, got [${values}]`);
    return values;
  }
  string(field: string): string {
    const v = this.value(field);
    if (v.kind !== 'string' || v.data.length !== 1) this.fail(`'${field}' must be one string`);
    return v.data[0];
  }
  isString(field: string): boolean {
    return this.node.fields.get(field)?.kind === 'string';
  }
  /**
   * A per-neuron parameter for a layer of `shape`: one stored value broadcast, or one per neuron (any stored
   * shape holding the layer's count, e.g. with a leading batch axis 1×16×16×16), as a tensor of the layer's shape.
   */
  param(field: string, shape: number[], fallback?: number): Tensor {
    const size = shapeSize(shape);
    if (!this.has(field)) {
      if (fallback === undefined) this.value(field);
      return { shape: [...shape], data: new Float32Array(size).fill(fallback!) };
    }
    const v = this.numbers(field);
    if (/[bhiqBHIQ]/.test(v.dtype)) this.ctx?.drift('int-param');
    if (v.data.length === 1) {
      if (size > 1 || v.shape.length === 0) this.ctx?.drift('scalar-param');
      return { shape: [...shape], data: new Float32Array(size).fill(v.data[0]) };
    }
    if (v.data.length !== size) this.fail(`'${field}' holds ${v.data.length} values (shape [${v.shape}]), the layer receives ${size} ([${shape}])`);
    if (v.shape.length !== shape.length || v.shape.some((d, i) => d !== shape[i])) this.ctx?.drift('batch-param');
    return { shape: [...shape], data: Float32Array.from(v.data) };
  }
  /** The stored shape of a per-neuron parameter (undefined for a scalar). */
  paramShape(field: string): number[] | undefined {
    const v = this.node.fields.get(field);
    if (!v || v.kind !== 'number' || v.data.length <= 1) return undefined;
    return [...v.shape];
  }

  /** snnc's own metadata entry (`metadata/snnc_<key>`), if the file was written by snnc. */
  meta(key: string): H5Value | undefined {
    return this.node.metadata.get(`snnc_${key}`);
  }
  metaString(key: string): string | undefined {
    const v = this.meta(key);
    return v?.kind === 'string' && v.data.length === 1 ? v.data[0] : undefined;
  }
  metaNumber(key: string): number | undefined {
    const v = this.meta(key);
    return v?.kind === 'number' && v.data.length === 1 ? v.data[0] : undefined;
  }
  metaTensor(key: string): Tensor | undefined {
    const v = this.meta(key);
    return v?.kind === 'number' ? { shape: v.shape.length === 0 ? [1] : [...v.shape], data: Float32Array.from(v.data) } : undefined;
  }
}

export function squeezeLeading(shape: readonly number[]): number[] {
  let k = 0;
  while (k < shape.length - 1 && shape[k] === 1) k++;
  return shape.slice(k);
}

/** Collects a node's datasets and metadata for the writer, and which IR fields were written. */
export class FieldWriter {
  readonly datasets: [string, H5Data][] = [];
  readonly metadata: [string, H5Data][] = [];
  /** IR fields written (as NIR fields or as snnc metadata): the writer checks that none is left out. */
  readonly used = new Set<string>(['kind']);
  /** What other NIR readers will not see (the writer turns these into warnings naming the nodes). */
  readonly losses: string[] = [];

  constructor(readonly shapes: NodeShapes, readonly dt: number) {}

  floats(field: string, shape: number[], data: ArrayLike<number>): void {
    this.datasets.push([field, { kind: 'float32', value: data, shape }]);
  }
  tensor(field: string, t: Tensor): void {
    this.floats(field, t.shape, t.data);
  }
  /** A per-neuron parameter at the layer's shape (a number broadcast). */
  param(field: string, p: Param | undefined, fallback: number, shape: number[] = this.shapes.output): void {
    this.floats(field, shape, paramArray(p, shapeSize(shape), fallback));
  }
  ints(field: string, values: readonly number[]): void {
    this.datasets.push([field, { kind: 'int64', value: values, shape: [values.length] }]);
  }
  int(field: string, value: number): void {
    this.datasets.push([field, { kind: 'int64', value: [value], shape: [] }]);
  }
  string(field: string, value: string): void {
    this.datasets.push([field, { kind: 'string', value }]);
  }
  metaString(key: string, value: string): void {
    this.metadata.push([`snnc_${key}`, { kind: 'string', value }]);
  }
  metaNumber(key: string, value: number): void {
    this.metadata.push([`snnc_${key}`, { kind: 'float64', value: [value], shape: [] }]);
  }
  metaTensor(key: string, t: Tensor): void {
    this.metadata.push([`snnc_${key}`, { kind: 'float32', value: t.data, shape: t.shape }]);
  }
  use(...fields: string[]): void {
    for (const f of fields) this.used.add(f);
  }
}

/** A parameter's values for `size` neurons (a number or one value broadcast). */
export function paramArray(p: Param | undefined, size: number, fallback: number): Float32Array {
  if (p === undefined) return new Float32Array(size).fill(fallback);
  if (typeof p === 'number') return new Float32Array(size).fill(p);
  if (p.data.length === 1) return new Float32Array(size).fill(p.data[0]);
  return Float32Array.from(p.data);
}

/** The registry entry of one NIR type. */
export interface NirEntry {
  /** IR kinds this entry writes; the first is what it reads as. */
  kinds: readonly NodeKind[];
  /** NIR field → IR field (documentation, and the message of a missing field). */
  fields: readonly (readonly [nir: string, ir: string])[];
  /** The IR node for the stored node, given what its inputs deliver. Throws GraphError naming the node. */
  read(f: NodeFields, c: ReadContext): IRNode;
  /** Writes the IR node's fields (and metadata); returns the NIR type to store when it is not this entry's
   * own. Absent: the type is read only (Conv1d). */
  write?(node: IRNode, w: FieldWriter): string | void;
  /** The per-sample input shape (or rank) the node's own parameters declare, as NIR's input_type. */
  accepts?(f: NodeFields): Accepts | undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Neurons: per-neuron parameters of the layer's shape, NIR's firing and reset unless snnc's metadata says otherwise.

/** A neuron parameter: NIR field, IR field, and the value NIR implies when a file omits it (none: required). */
type ParamSpec = readonly [nir: string, ir: string, fallback?: number, drift?: Drift];

const SPIKING_TAIL: readonly ParamSpec[] = [['v_threshold', 'threshold'], ['v_reset', 'vReset', 0, 'no-v_reset']];

function readParams(f: NodeFields, c: ReadContext, specs: readonly ParamSpec[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [nir, ir, fallback, drift] of specs) {
    if (!f.has(nir) && drift) c.drift(drift);
    out[ir] = f.param(nir, c.input, fallback);
  }
  return out;
}

function writeParams(node: IRNode, w: FieldWriter, specs: readonly ParamSpec[]): void {
  const fields = node as unknown as Record<string, Param | undefined>;
  for (const [nir, ir, fallback] of specs) {
    w.param(nir, fields[ir], fallback ?? 0);
    w.use(ir);
  }
}

/** snnc's firing and reset (NIR's when the file has no snnc metadata) and initial potential. */
function readSpiking(f: NodeFields): { reset: ResetMode; fire: FireMode; vInit?: Tensor } {
  const reset = f.metaString('reset') ?? 'zero';
  const fire = f.metaString('fire') ?? 'gt';
  if (reset !== 'zero' && reset !== 'subtract') f.fail(`metadata snnc_reset must be 'zero' or 'subtract', got '${reset}'`);
  if (fire !== 'gt' && fire !== 'ge') f.fail(`metadata snnc_fire must be 'gt' or 'ge', got '${fire}'`);
  const vInit = f.metaTensor('v_init');
  return { reset, fire, ...(vInit ? { vInit } : {}) };
}

function writeSpiking(node: IFNode | LIFNode | CubaLIFNode, w: FieldWriter): void {
  if (node.reset === 'subtract') { w.metaString('reset', 'subtract'); w.losses.push('reset-subtract'); }
  if ((node.fire ?? 'ge') !== 'gt') { w.metaString('fire', 'ge'); w.losses.push('fire-ge'); }
  writeInit(node.vInit, w);
  w.use('reset', 'fire');
}

function writeInit(vInit: Param | undefined, w: FieldWriter): void {
  if (vInit !== undefined) {
    const values = paramArray(vInit, shapeSize(w.shapes.output), 0);
    w.metaTensor('v_init', { shape: [...w.shapes.output], data: values });
    if (values.some((v) => v !== 0)) w.losses.push('v-init');
  }
  w.use('vInit');
}

function neuronAccepts(field: string) {
  return (f: NodeFields) => {
    const shape = f.paramShape(field);
    return shape ? { shape } : undefined;
  };
}

const IF_PARAMS: readonly ParamSpec[] = [['r', 'r'], ...SPIKING_TAIL];
const LIF_PARAMS: readonly ParamSpec[] = [['tau', 'tau'], ['r', 'r'], ['v_leak', 'vLeak'], ...SPIKING_TAIL];
const CUBA_LIF_PARAMS: readonly ParamSpec[] = [['tau_syn', 'tauSyn'], ['tau_mem', 'tauMem'], ['r', 'r'], ['v_leak', 'vLeak'], ['w_in', 'wIn', 1, 'no-w_in'], ...SPIKING_TAIL];
const LI_PARAMS: readonly ParamSpec[] = [['tau', 'tau'], ['r', 'r'], ['v_leak', 'vLeak']];
const CUBA_LI_PARAMS: readonly ParamSpec[] = [['tau_syn', 'tauSyn'], ['tau_mem', 'tauMem'], ['r', 'r'], ['v_leak', 'vLeak'], ['w_in', 'wIn', 1, 'no-w_in']];
const I_PARAMS: readonly ParamSpec[] = [['r', 'r']];

const fieldsOf = (specs: readonly ParamSpec[]) => specs.map(([nir, ir]) => [nir, ir] as const);

/** snnc's dt-free LIF (v ← (1 − leak)·v + I) written as NIR's LIF: α = 1 − dt/τ = 1 − leak gives τ = dt/leak, and a unit
 * input gain (dt/τ)·r = 1 gives r = 1/leak. A leak of 0 is an IF (NIR's LIF cannot have τ = ∞). */
function writeDtFreeLif(node: LIFNode, w: FieldWriter): string {
  const leak = node.leak!;
  w.metaNumber('leak', leak);
  w.use('leak', 'tau', 'r', 'vLeak');
  if (leak === 0) {
    w.metaString('kind', 'LIF');
    w.param('r', 1, 1);
    writeParams(node, w, SPIKING_TAIL);
    writeSpiking(node, w);
    return 'IF';
  }
  const size = shapeSize(w.shapes.output);
  w.floats('tau', w.shapes.output, new Float32Array(size).fill(w.dt / leak));
  w.floats('r', w.shapes.output, new Float32Array(size).fill(1 / leak));
  w.floats('v_leak', w.shapes.output, new Float32Array(size));
  writeParams(node, w, SPIKING_TAIL);
  writeSpiking(node, w);
  return 'LIF';
}

const IF: NirEntry = {
  kinds: ['IF'],
  fields: fieldsOf(IF_PARAMS),
  read(f, c) {
    const spiking = readSpiking(f);
    const p = readParams(f, c, IF_PARAMS);
    const leak = f.metaNumber('leak');
    if (f.metaString('kind') === 'LIF' && leak !== undefined) return { kind: 'LIF', leak, threshold: p.threshold, vReset: p.vReset, ...spiking } satisfies LIFNode;
    return { kind: 'IF', r: p.r, threshold: p.threshold, vReset: p.vReset, ...spiking } satisfies IFNode;
  },
  write(node, w) {
    writeParams(node, w, [['r', 'r', 1], ...SPIKING_TAIL]);
    writeSpiking(node as IFNode, w);
  },
  accepts: neuronAccepts('v_threshold'),
};

const LIF: NirEntry = {
  kinds: ['LIF'],
  fields: fieldsOf(LIF_PARAMS),
  read(f, c) {
    const spiking = readSpiking(f);
    const leak = f.metaNumber('leak');
    if (leak !== undefined) {
      const p = readParams(f, c, SPIKING_TAIL);
      return { kind: 'LIF', leak, threshold: p.threshold, vReset: p.vReset, ...spiking } satisfies LIFNode;
    }
    const p = readParams(f, c, LIF_PARAMS);
    return { kind: 'LIF', tau: p.tau, r: p.r, vLeak: p.vLeak, threshold: p.threshold, vReset: p.vReset, ...spiking } satisfies LIFNode;
  },
  write(node, w) {
    const lif = node as LIFNode;
    if (lif.leak !== undefined) return writeDtFreeLif(lif, w);
    writeParams(node, w, [['tau', 'tau'], ['r', 'r', 1], ['v_leak', 'vLeak', 0], ...SPIKING_TAIL]);
    writeSpiking(lif, w);
    w.use('leak');
  },
  accepts: neuronAccepts('tau'),
};

const CubaLIF: NirEntry = {
  kinds: ['CubaLIF'],
  fields: fieldsOf(CUBA_LIF_PARAMS),
  read(f, c) {
    const p = readParams(f, c, CUBA_LIF_PARAMS);
    return { kind: 'CubaLIF', tauSyn: p.tauSyn, tauMem: p.tauMem, r: p.r, vLeak: p.vLeak, wIn: p.wIn, threshold: p.threshold, vReset: p.vReset, ...readSpiking(f) } satisfies CubaLIFNode;
  },
  write(node, w) {
    writeParams(node, w, [['tau_syn', 'tauSyn'], ['tau_mem', 'tauMem'], ['r', 'r', 1], ['v_leak', 'vLeak', 0], ['w_in', 'wIn', 1], ...SPIKING_TAIL]);
    writeSpiking(node as CubaLIFNode, w);
  },
  accepts: neuronAccepts('tau_mem'),
};

function integratorEntry(kind: 'LI' | 'CubaLI' | 'I', specs: readonly ParamSpec[], writeSpecs: readonly ParamSpec[]): NirEntry {
  return {
    kinds: [kind],
    fields: fieldsOf(specs),
    read(f, c) {
      const vInit = f.metaTensor('v_init');
      return { kind, ...readParams(f, c, specs), ...(vInit ? { vInit } : {}) } as LINode | CubaLINode | INode;
    },
    write(node, w) {
      writeParams(node, w, writeSpecs);
      writeInit((node as LINode).vInit, w);
    },
    accepts: neuronAccepts('r'),
  };
}

const LI = integratorEntry('LI', LI_PARAMS, [['tau', 'tau'], ['r', 'r', 1], ['v_leak', 'vLeak', 0]]);
const CubaLI = integratorEntry('CubaLI', CUBA_LI_PARAMS, [['tau_syn', 'tauSyn'], ['tau_mem', 'tauMem'], ['r', 'r', 1], ['v_leak', 'vLeak', 0], ['w_in', 'wIn', 1]]);
const I = integratorEntry('I', I_PARAMS, [['r', 'r', 1]]);

const Threshold: NirEntry = {
  kinds: ['Threshold'],
  fields: [['threshold', 'threshold']],
  read(f, c) {
    return { kind: 'Threshold', threshold: f.param('threshold', c.input), fire: readSpiking(f).fire } satisfies ThresholdNode;
  },
  write(node, w) {
    const t = node as ThresholdNode;
    w.param('threshold', t.threshold, 0);
    if ((t.fire ?? 'ge') !== 'gt') { w.metaString('fire', 'ge'); w.losses.push('fire-ge'); }
    w.use('threshold', 'fire');
  },
  accepts: neuronAccepts('threshold'),
};

/** NIR's delay is a time (y(t) = x(t − τ)); the IR's a whole number of steps of dt. */
const Delay: NirEntry = {
  kinds: ['Delay'],
  fields: [['delay', 'delay (÷ dt)']],
  read(f, c) {
    const seconds = f.param('delay', c.input);
    const steps = new Float32Array(seconds.data.length);
    for (let i = 0; i < steps.length; i++) {
      const s = seconds.data[i] / c.dt;
      const k = Math.round(s);
      if (!(k >= 0) || Math.abs(s - k) > 1e-3 * Math.max(1, k)) f.fail(`delay ${seconds.data[i]} s is not a whole number of steps of dt = ${c.dt} s${steps.length > 1 ? ` (neuron ${i})` : ''}: give the --dt the network was exported for`);
      steps[i] = k;
    }
    return { kind: 'Delay', delay: { shape: seconds.shape, data: steps } } satisfies DelayNode;
  },
  write(node, w) {
    const steps = paramArray((node as DelayNode).delay, shapeSize(w.shapes.output), 0);
    w.floats('delay', w.shapes.output, steps.map((k) => k * w.dt));
    w.use('delay');
  },
  accepts: neuronAccepts('delay'),
};

// ---------------------------------------------------------------------------------------------------------------
// Synaptic and structural types.

/** A dense weight, stored (out, in); a leading batch axis of 1 dropped. */
function denseWeight(f: NodeFields): Tensor {
  const w = f.tensor('weight');
  const shape = squeezeLeading(w.shape);
  if (shape.length === 1) return { shape: [1, shape[0]], data: w.data };
  if (shape.length !== 2) f.fail(`weight has shape [${w.shape}]; NIR's ${f.node.type} weight is (out, in)`);
  return { shape, data: w.data };
}

function transpose(t: Tensor): Tensor {
  const [rows, cols] = t.shape;
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) data[k * rows + r] = t.data[r * cols + k];
  return { shape: [cols, rows], data };
}

/** A dense weight oriented (out, in) for the `inputs` it receives: stored (in, out) is repaired when only the transpose fits. */
function orientDense(f: NodeFields, c: ReadContext, w: Tensor): Tensor {
  const inputs = shapeSize(c.input);
  if (c.input.length !== 1 || w.shape[1] === inputs || w.shape[0] !== inputs) return w;
  c.warn(`node '${f.node.name}': weight is stored [${w.shape}], which takes ${w.shape[1]} inputs, but it receives ${inputs}; only the transpose fits (the exporter wrote (in, out) instead of NIR's (out, in)): read transposed`);
  c.transposed();
  return transpose(w);
}

export { transpose as transposeWeight };

const Affine: NirEntry = {
  kinds: ['Affine'],
  fields: [['weight', 'weight'], ['bias', 'bias']],
  read(f, c) {
    const weight = orientDense(f, c, denseWeight(f));
    const b = f.tensor('bias');
    if (b.data.length !== weight.shape[0]) f.fail(`bias holds ${b.data.length} values, the weight [${weight.shape}] has ${weight.shape[0]} outputs`);
    return { kind: 'Affine', weight, bias: { shape: [weight.shape[0]], data: b.data } } satisfies AffineNode;
  },
  write(node, w) {
    const a = node as AffineNode;
    w.tensor('weight', a.weight);
    w.tensor('bias', a.bias);
    w.use('weight', 'bias');
  },
  accepts: (f) => { const w = denseWeight(f); return { shape: [w.shape[1]] }; },
};

const Linear: NirEntry = {
  kinds: ['Linear'],
  fields: [['weight', 'weight']],
  read(f, c) {
    return { kind: 'Linear', weight: orientDense(f, c, denseWeight(f)) } satisfies LinearNode;
  },
  write(node, w) {
    w.tensor('weight', (node as LinearNode).weight);
    w.use('weight');
  },
  accepts: (f) => { const w = denseWeight(f); return { shape: [w.shape[1]] }; },
};

/** Explicit [top, left, bottom, right] padding from NIR's symmetric (int, pair, 'valid' or 'same'). */
function convPadding(f: NodeFields, kernel: number[], dilation: number[], dims: 1 | 2): Pads {
  const own = f.meta('padding');
  if (own?.kind === 'number' && own.data.length === 4) return Array.from(own.data) as Pads;
  if (f.isString('padding')) {
    const mode = f.string('padding');
    if (mode === 'valid') return [0, 0, 0, 0];
    if (mode !== 'same') f.fail(`padding '${mode}' is neither 'same', 'valid' nor a number`);
    // PyTorch's 'same': the total d·(k − 1) split with the odd cell after.
    const split = (k: number, d: number) => { const total = d * (k - 1); const before = Math.floor(total / 2); return [before, total - before]; };
    const [t, b] = dims === 1 ? [0, 0] : split(kernel[0], dilation[0]);
    const [l, r] = split(kernel[kernel.length - 1], dilation[dilation.length - 1]);
    return [t, l, b, r];
  }
  const p = f.ints('padding', dims);
  return dims === 1 ? [0, p[0], 0, p[0]] : [p[0], p[1], p[0], p[1]];
}

/** Writes explicit padding as NIR's symmetric pair; asymmetric padding goes to metadata too (other readers lose it). */
function writePadding(pads: Pads, w: FieldWriter): void {
  w.ints('padding', [pads[0], pads[1]]);
  if (pads[2] !== pads[0] || pads[3] !== pads[1]) {
    w.metadata.push(['snnc_padding', { kind: 'int64', value: [...pads], shape: [4] }]);
    w.losses.push('asymmetric-padding');
  }
  w.use('padding');
}

const Conv2d: NirEntry = {
  kinds: ['Conv2d'],
  fields: [['weight', 'weight'], ['bias', 'bias'], ['stride', 'stride'], ['padding', 'padding'], ['dilation', 'dilation'], ['groups', 'groups'], ['input_shape', '(inferred)']],
  read(f, c) {
    const weight = f.tensor('weight');
    if (weight.shape.length !== 4) f.fail(`weight has shape [${weight.shape}]; NIR's Conv2d weight is (out, in/groups, kh, kw)`);
    const stride = f.ints('stride', 2) as [number, number];
    const dilation = f.ints('dilation', 2) as [number, number];
    const groups = f.int('groups', 1);
    const padding = convPadding(f, weight.shape.slice(2), dilation, 2);
    if (f.has('input_shape')) {
      const declared = f.ints('input_shape', 2);
      if (c.input.length === 3 && (declared[0] !== c.input[1] || declared[1] !== c.input[2])) f.fail(`input_shape is [${declared}], but the layer receives [${c.input}]`);
    } else {
      c.drift('no-input_shape');
    }
    const bias = f.has('bias') ? f.tensor('bias') : undefined;
    if (bias && bias.data.length !== weight.shape[0]) f.fail(`bias holds ${bias.data.length} values for ${weight.shape[0]} output channels`);
    const own = f.metaString('bias');
    return {
      kind: 'Conv2d', weight, ...(bias && own !== 'none' ? { bias: { shape: [weight.shape[0]], data: bias.data } } : {}),
      stride, padding, dilation, groups,
    } satisfies Conv2dNode;
  },
  write(node, w) {
    const c = node as Conv2dNode;
    w.tensor('weight', c.weight);
    if (c.bias) w.tensor('bias', c.bias);
    else { w.floats('bias', [c.weight.shape[0]], new Float32Array(c.weight.shape[0])); w.metaString('bias', 'none'); }
    w.ints('stride', c.stride);
    writePadding(c.padding, w);
    w.ints('dilation', c.dilation);
    w.int('groups', c.groups);
    w.ints('input_shape', w.shapes.input.slice(1));
    w.use('weight', 'bias', 'stride', 'dilation', 'groups');
  },
  accepts: (f) => {
    const weight = f.tensor('weight');
    const groups = f.int('groups', 1);
    return f.has('input_shape') ? { shape: [weight.shape[1] * groups, ...f.ints('input_shape', 2)] } : { rank: 3 };
  },
};

/** NIR Conv1d over [C, L], read as the IR's Conv2d over [C, 1, L]. */
const Conv1d: NirEntry = {
  kinds: ['Conv2d'],
  fields: [['weight', 'weight (out, in, 1, k)'], ['bias', 'bias'], ['stride', 'stride [1, s]'], ['padding', 'padding [0, p, 0, p]'], ['dilation', 'dilation [1, d]'], ['groups', 'groups']],
  read(f, c) {
    c.drift('conv1d');
    const w = f.tensor('weight');
    if (w.shape.length !== 3) f.fail(`weight has shape [${w.shape}]; NIR's Conv1d weight is (out, in/groups, k)`);
    const [stride] = f.ints('stride', 1);
    const [dilation] = f.ints('dilation', 1);
    const bias = f.has('bias') ? f.tensor('bias') : undefined;
    return {
      kind: 'Conv2d', weight: { shape: [w.shape[0], w.shape[1], 1, w.shape[2]], data: w.data },
      ...(bias ? { bias: { shape: [w.shape[0]], data: bias.data } } : {}),
      stride: [1, stride], padding: convPadding(f, [w.shape[2]], [dilation], 1), dilation: [1, dilation], groups: f.int('groups', 1),
    } satisfies Conv2dNode;
  },
  accepts: (f) => {
    const w = f.tensor('weight');
    return f.has('input_shape') ? { shape: [w.shape[1] * f.int('groups', 1), 1, f.int('input_shape')], conv1d: true } : { rank: 3, conv1d: true };
  },
};

function poolEntry(kind: 'SumPool2d' | 'AvgPool2d'): NirEntry {
  return {
    kinds: [kind],
    fields: [['kernel_size', 'kernel'], ['stride', 'stride'], ['padding', 'padding']],
    read(f) {
      const kernel = f.ints('kernel_size', 2) as [number, number];
      const include = f.metaNumber('count_include_pad');
      return {
        kind, kernel, stride: f.ints('stride', 2) as [number, number], padding: convPadding(f, kernel, [1, 1], 2),
        ...(include !== undefined ? { countIncludePad: include !== 0 } : {}),
      } satisfies PoolNode;
    },
    write(node, w) {
      const p = node as PoolNode;
      w.ints('kernel_size', p.kernel);
      w.ints('stride', p.stride);
      writePadding(p.padding, w);
      if (p.countIncludePad !== undefined) { w.metaNumber('count_include_pad', p.countIncludePad ? 1 : 0); if (!p.countIncludePad) w.losses.push('count-include-pad'); }
      w.use('kernel', 'stride', 'countIncludePad');
    },
    accepts: () => ({ rank: 3 }),
  };
}

/**
 * NIR Flatten(start_dim, end_dim, input_type). The IR flattens a sample to a vector. PyTorch exporters count the
 * batch axis: start_dim 1 over a per-sample [8, 4, 4] meant the whole sample when the next layer takes 128 values.
 */
const Flatten: NirEntry = {
  kinds: ['Flatten'],
  fields: [['start_dim', '(0)'], ['end_dim', '(-1)'], ['input_type', '(the input shape)']],
  read(f, c) {
    let start = f.int('start_dim', 1);
    let end = f.int('end_dim', -1);
    const input = c.input;
    if (f.has('input_type')) {
      const declared = Array.from(f.numbers('input_type').data);
      if (declared.some((d) => d <= 0)) c.drift('flatten-placeholder');
      else {
        const perSample = declared.length === input.length + 1 && declared[0] === 1 ? declared.slice(1) : declared;
        if (perSample !== declared) { start -= start > 0 ? 1 : 0; if (end > 0) end -= 1; }
        if (shapeSize(perSample) !== shapeSize(input)) f.fail(`input_type [${declared}] holds ${shapeSize(perSample)} values, the node receives [${input}] (${shapeSize(input)})`);
      }
    }
    const rank = input.length;
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    if (!(start >= 0 && end < rank && start <= end + 1)) f.fail(`start_dim ${f.int('start_dim', 1)} and end_dim ${f.int('end_dim', -1)} do not fit an input of rank ${rank} ([${input}])`);
    const flattensAll = (start === 0 && end === rank - 1) || rank === 1 || (shapeSize(input.slice(0, start)) === 1 && shapeSize(input.slice(end + 1)) === 1);
    if (!flattensAll) {
      const total = shapeSize(input);
      const next = c.successorsAccept().map((a) => a?.shape).filter((s): s is number[] => s !== undefined);
      if (start === 1 && end === rank - 1 && next.length > 0 && next.every((s) => s.length === 1 && s[0] === total)) c.drift('flatten-batch-start');
      else f.fail(`flattening dims ${start}..${end} of [${input}] leaves a shape of rank > 1, and the IR flattens a whole sample only`);
    }
    return { kind: 'Flatten' };
  },
  write(_node, w) {
    w.int('start_dim', 0);
    w.int('end_dim', -1);
    w.ints('input_type', w.shapes.input);
  },
};

/** NIR Scale: y = s ⊙ x, s of the input's shape. The IR's Scale is per channel (or one value). */
const Scale: NirEntry = {
  kinds: ['Scale', 'Sum'],
  fields: [['scale', 'scale (per channel)']],
  read(f, c) {
    if (f.metaString('kind') === 'Sum') return { kind: 'Sum' };
    const s = f.param('scale', c.input);
    const channels = c.input[0];
    const inner = s.data.length / channels;
    const uniformAll = s.data.every((v) => v === s.data[0]);
    let scale: Tensor;
    if (uniformAll) scale = { shape: [1], data: Float32Array.of(s.data[0]) };
    else {
      const per = new Float32Array(channels);
      for (let ch = 0; ch < channels; ch++) {
        per[ch] = s.data[ch * inner];
        for (let k = 1; k < inner; k++) if (s.data[ch * inner + k] !== per[ch]) f.fail(`scale varies within channel ${ch}; snnc's Scale has one factor per channel`);
      }
      scale = { shape: [channels], data: per };
    }
    const bias = f.metaTensor('bias');
    return { kind: 'Scale', scale, ...(bias ? { bias } : {}) } satisfies ScaleNode;
  },
  write(node, w) {
    const shape = w.shapes.input;
    const size = shapeSize(shape);
    if (node.kind === 'Sum') {
      w.floats('scale', shape, new Float32Array(size).fill(1));
      w.metaString('kind', 'Sum');
      return;
    }
    const s = node as ScaleNode;
    const channels = shape[0];
    const inner = size / channels;
    const full = new Float32Array(size);
    for (let i = 0; i < size; i++) full[i] = s.scale.data.length === 1 ? s.scale.data[0] : s.scale.data[Math.floor(i / inner)];
    w.floats('scale', shape, full);
    if (s.bias) { w.metaTensor('bias', s.bias); w.losses.push('scale-bias'); }
    w.use('scale', 'bias');
  },
  accepts: (f) => { const shape = f.paramShape('scale'); return shape ? { shape } : undefined; },
};

/** The Input: its shape per sample. A leading batch axis of 1, or a leading time axis, is dropped when the node it
 * feeds takes the remaining shape (Sinabs wrote [1, 2, 34, 34], snnTorch [256, 12] for 256 steps of 12). */
const Input: NirEntry = {
  kinds: ['Input'],
  fields: [['shape', 'shape']],
  read(f, c) {
    const declared = f.ints('shape', f.numbers('shape').data.length);
    let shape = declared;
    const next = c.successorsAccept();
    const accepted = next.find((a) => a?.shape) ?? next.find((a) => a?.rank !== undefined);
    const trailing = (want: number[]) => shape.length > want.length && want.every((d, i) => shape[shape.length - want.length + i] === d);
    // A 1-D convolution's [C, L] is the IR's [C, 1, L].
    if (accepted?.conv1d && shape.length === 2) shape = [shape[0], 1, shape[1]];
    if (accepted?.shape && trailing(accepted.shape)) {
      const lead = shape.slice(0, shape.length - accepted.shape.length);
      if (lead.every((d) => d === 1)) c.drift('input-batch-axis');
      else c.warn(`node '${f.node.name}': Input shape [${declared}] has a leading time axis (${lead.join(' × ')} steps) before the [${accepted.shape}] its successor takes: read as [${accepted.shape}] per step`);
      shape = [...accepted.shape];
    } else if (accepted?.rank !== undefined && shape.length > accepted.rank && shape.slice(0, shape.length - accepted.rank).every((d) => d === 1)) {
      c.drift('input-batch-axis');
      shape = shape.slice(shape.length - accepted.rank);
    }
    return { kind: 'Input', shape };
  },
  write(node, w) {
    w.ints('shape', (node as { shape: number[] }).shape);
    w.use('shape');
  },
};

/** The Output; a declared shape holding the same values as what arrives is read as what arrives. */
const Output: NirEntry = {
  kinds: ['Output'],
  fields: [['shape', '(the input shape)']],
  read(f, c) {
    if (f.has('shape')) {
      const declared = Array.from(f.numbers('shape').data);
      const same = declared.length === c.input.length && declared.every((d, i) => d === c.input[i]);
      if (!same) {
        if (shapeSize(declared) !== shapeSize(c.input)) f.fail(`Output declares shape [${declared}], the graph delivers [${c.input}]`);
        if (declared.length === c.input.length + 1 && declared[0] === 1 && c.input.every((d, i) => declared[i + 1] === d)) c.drift('output-batch-axis');
        else c.warn(`node '${f.node.name}': Output declares shape [${declared}], the graph delivers [${c.input}] (the same ${shapeSize(declared)} values): read as [${c.input}]`);
      }
    }
    return { kind: 'Output' };
  },
  write(_node, w) {
    w.ints('shape', w.shapes.output);
  },
};

/** Every NIR 1.0.7 node type but NIRGraph (subgraphs are inlined by the reader), by the type string the file stores. */
export const NIR_TYPES: Readonly<Record<string, NirEntry>> = {
  Input, Output, Affine, Linear, Scale, Conv1d, Conv2d, SumPool2d: poolEntry('SumPool2d'), AvgPool2d: poolEntry('AvgPool2d'),
  Flatten, Threshold, Delay, I, IF, LI, LIF, CubaLI, CubaLIF,
};

/** The NIR types snnc reads (including NIRGraph). */
export const NIR_TYPE_NAMES: readonly string[] = [...Object.keys(NIR_TYPES), 'NIRGraph'];

/** The NIR type and entry that write an IR node kind (undefined: NIR has no type for it, e.g. ReLU). */
export function entryForKind(kind: NodeKind): [string, NirEntry] | undefined {
  for (const [type, entry] of Object.entries(NIR_TYPES)) if (entry.write && entry.kinds.includes(kind)) return [type, entry];
  return undefined;
}

function ENTRY_FIELDS(type: string): string {
  const e = NIR_TYPES[type];
  return e ? e.fields.map(([nir]) => `'${nir}'`).join(', ') : 'its fields';
}
