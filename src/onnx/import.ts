import { readRegularFile } from '../util/safe-read.js';
import { basename, dirname, extname } from 'node:path';
import { UserError } from '../util/errors.js';
import {
  buildGraph, inferShape, shapeSize, tensor, GraphError, MAX_ACTIVATION_ELEMENTS,
  type Graph, type GraphMeta, type IRNode, type Pads, type Pair, type Tensor, type ResetMode,
} from '../ir/graph.js';
import { onnx, AttrType, DataType, int64, type AttributeProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';
import { checkModelBudget } from './budget.js';
import { OnnxError, decodeTensor, typeName, type ConstTensor, type ExternalDataContext } from './tensor.js';

export { OnnxError } from './tensor.js';

/** What {@link importOnnx} returns. `graph.meta` carries producer, opset and dropped as well. */
export interface ImportedModel {
  graph: Graph;
  /** `producer_name producer_version` of the file. */
  producer: string;
  /** Version of the default ONNX domain the file imports. */
  opset: number;
  /** Ops removed because they only matter to training or to probabilities (e.g. `Softmax (node 'prob')`). */
  dropped: string[];
}

export interface ImportOptions {
  /** Folder external data is read from (and confined to). */
  baseDir?: string;
  /** Graph name; default the ONNX graph's name. */
  name?: string;
}

/** The default-domain opsets this importer understands. */
export const MIN_OPSET = 11;
export const MAX_OPSET = 21;
/** The domain of snnc's spiking neuron nodes. */
export const SNNC_DOMAIN = 'snnc';
/** Largest model file read (protobuf itself cannot exceed 2 GiB). */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;

/** ONNX ops understood by the importer (default domain), for diagnostics and docs. */
export const SUPPORTED_OPS: readonly string[] = [
  'Conv', 'Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'Div', 'Relu', 'Clip', 'BatchNormalization', 'MaxPool',
  'AveragePool', 'GlobalAveragePool', 'Pad', 'Flatten', 'Reshape', 'Shape', 'Gather', 'Unsqueeze', 'Squeeze',
  'Concat', 'Cast', 'Constant', 'Identity', 'Dropout', 'Softmax', 'LogSoftmax',
];

/** Reads an ONNX file; external data is confined to the file's folder. */
export function importOnnxFile(path: string): ImportedModel {
  const bytes = readRegularFile(path, { what: 'model', maxBytes: MAX_MODEL_BYTES, error: (m) => new OnnxError(m) });
  try {
    return importOnnx(bytes, { baseDir: dirname(path), name: basename(path, extname(path)) });
  } catch (e) {
    // Name the file: a user running several commands needs to know which model is broken.
    if (e instanceof UserError && !e.message.includes(path)) e.message = `${path}: ${e.message}`;
    throw e;
  }
}

/** Parses ONNX bytes and imports the graph into the IR (see SUPPORTED_OPS). Throws OnnxError / GraphError. */
export function importOnnx(bytes: Uint8Array, opts: ImportOptions = {}): ImportedModel {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxError(`not a valid ONNX file (protobuf decoding failed: ${(e as Error).message})`);
  }
  checkModelBudget(model);
  return new Importer(model, opts).run();
}

/** A value flowing between ONNX nodes. */
type Value =
  | { kind: 'const'; t: ConstTensor }
  /**
   * An activation: the sum of the outputs of IR nodes `srcs` (several after a residual Add), per-sample
   * `shape`, and a zero padding still to be applied by the consumer (a Pad node before Conv/AveragePool).
   */
  | { kind: 'act'; srcs: string[]; shape: number[]; pad?: Pads };

type Act = Extract<Value, { kind: 'act' }>;

interface OpContext {
  node: NodeProto;
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, AttributeProto>;
}

type OpHandler = (imp: Importer, ctx: OpContext) => void;

class Importer {
  private readonly values = new Map<string, Value>();
  private readonly initializers = new Map<string, TensorProto>();
  private readonly nodes = new Map<string, IRNode>();
  private readonly edges: [string, string][] = [];
  /** How many ONNX consumers read an IR node's output (folding into a node requires exactly one). */
  private readonly consumers = new Map<string, number>();
  /** How many times each ONNX value is read (by live nodes and graph outputs). */
  private readonly uses = new Map<string, number>();
  private readonly dropped: string[] = [];
  private readonly ext: ExternalDataContext;
  private readonly graphOutputs = new Set<string>();
  opset = 0;
  private current?: OpContext;

  constructor(private readonly model: ModelProto, private readonly opts: ImportOptions) {
    this.ext = { baseDir: opts.baseDir };
  }

  run(): ImportedModel {
    const model = this.model;
    const graph = model.graph;
    if (!graph) throw new OnnxError('the file holds no graph (is it an ONNX model?)');
    this.opset = this.readOpsets();
    const producer = [model.producerName ?? '', model.producerVersion ?? ''].join(' ').trim();
    const meta: GraphMeta = { name: this.opts.name ?? (graph.name || 'model'), producer, opset: this.opset, dropped: this.dropped };
    this.readMetadata(meta);

    for (const init of graph.initializer ?? []) {
      if (!init.name) throw new OnnxError('an initializer has no name');
      this.initializers.set(init.name, init);
    }
    const realInputs = (graph.input ?? []).filter((v) => !this.initializers.has(v.name ?? ''));
    if (realInputs.length !== 1) {
      throw new OnnxError(`the graph must have exactly one input that is not an initializer, found ${realInputs.length}${realInputs.length ? ` (${realInputs.map((v) => `'${v.name}'`).join(', ')})` : ''}`);
    }
    const outputs = graph.output ?? [];
    if (outputs.length !== 1) throw new OnnxError(`the graph must have exactly one output, found ${outputs.length}`);
    const outputName = outputs[0].name ?? '';
    if (!outputName) throw new OnnxError('the graph output has no name');
    this.graphOutputs.add(outputName);

    const inputName = this.addInput(realInputs[0]);
    const order = this.liveNodesInOrder(graph.node ?? [], outputName);
    // The input was bound before its readers were counted.
    this.consumers.set(inputName, this.uses.get(realInputs[0].name!) ?? 0);
    for (const index of order) this.importNode(graph.node![index], index);

    const out = this.values.get(outputName);
    if (!out) throw new OnnxError(`graph output '${outputName}' is not produced by any node`);
    if (out.kind !== 'act') throw new OnnxError(`graph output '${outputName}' is a constant, not computed from the input`);
    const outNode = this.uniqueName(outputName === inputName ? `${outputName}_output` : outputName);
    this.connect(out, outNode, 'the graph output');
    this.nodes.set(outNode, { kind: 'Output' });

    const irGraph = buildGraph(this.nodes, this.edges, meta);
    return { graph: irGraph, producer, opset: this.opset, dropped: [...this.dropped] };
  }

  private readOpsets(): number {
    let opset: number | undefined;
    for (const o of this.model.opsetImport ?? []) {
      const domain = o.domain ?? '';
      if (domain === '' || domain === 'ai.onnx') opset = int64(o.version);
    }
    if (opset === undefined) throw new OnnxError('the model imports no version of the default ONNX operator set (opset_import)');
    if (!(opset >= MIN_OPSET && opset <= MAX_OPSET)) throw new OnnxError(`opset ${opset} is not supported (supported: ${MIN_OPSET} to ${MAX_OPSET})`);
    return opset;
  }

  private readMetadata(meta: GraphMeta): void {
    for (const p of this.model.metadataProps ?? []) {
      if (p.key === 'snnc.timesteps') {
        const t = Number(p.value);
        if (!Number.isInteger(t) || t < 1 || t > 1_000_000) throw new OnnxError(`metadata snnc.timesteps must be a positive integer, got '${p.value}'`);
        meta.timesteps = t;
      } else if (p.key === 'snnc.notes') {
        meta.notes = parseNotes(p.value ?? '');
      } else if (p.key === 'snnc.encoding') {
        if (p.value !== 'direct' && p.value !== 'rate') throw new OnnxError(`metadata snnc.encoding must be 'direct' or 'rate', got '${p.value}'`);
        meta.encoding = p.value;
      }
    }
  }

  private addInput(info: ValueInfoProto): string {
    const name = info.name ?? '';
    if (!name) throw new OnnxError('the graph input has no name');
    const tensorType = info.type?.tensorType;
    if (!tensorType) throw new OnnxError(`graph input '${name}' is not a tensor`);
    if (tensorType.elemType !== DataType.FLOAT) throw new OnnxError(`graph input '${name}' has element type ${typeName(tensorType.elemType ?? 0)}; only float32 inputs are supported`);
    const dims = tensorType.shape?.dim ?? [];
    if (dims.length < 2) throw new OnnxError(`graph input '${name}' must have a batch dimension and at least one more, got rank ${dims.length}`);
    // dims[0] is the batch: symbolic (dim_param) or any fixed value; the per-sample dims must be fixed.
    const shape = dims.slice(1).map((d, i) => {
      const v = d.dimValue !== undefined && d.dimValue !== null ? int64(d.dimValue) : NaN;
      if (!Number.isSafeInteger(v) || v < 1) throw new OnnxError(`graph input '${name}': dimension ${i + 1} must be a fixed positive size, got ${d.dimParam ? `'${d.dimParam}'` : v}`);
      return v;
    });
    if (shape.length > 3) throw new OnnxError(`graph input '${name}' has per-sample shape [${shape}]; at most 3 dimensions (C, H, W) are supported`);
    if (shapeSize(shape) > MAX_ACTIVATION_ELEMENTS) throw new OnnxError(`graph input '${name}' has ${shapeSize(shape)} elements per sample, more than the limit ${MAX_ACTIVATION_ELEMENTS}`);
    const irName = this.uniqueName(name);
    this.nodes.set(irName, { kind: 'Input', shape });
    this.setValue(name, { kind: 'act', srcs: [irName], shape });
    return irName;
  }

  /** Nodes that lead to the graph output, in a dependency order; refuses cycles and dangling inputs. */
  private liveNodesInOrder(all: NodeProto[], outputName: string): number[] {
    const producer = new Map<string, number>();
    all.forEach((n, i) => {
      for (const o of n.output ?? []) {
        if (!o) continue;
        if (producer.has(o) || this.initializers.has(o) || this.values.has(o)) {
          throw new OnnxError(`${describe(n, i)} writes value '${o}', which is already defined`);
        }
        producer.set(o, i);
      }
    });
    const live = new Set<number>();
    const stack: string[] = [outputName];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (seen.has(v)) continue;
      seen.add(v);
      const p = producer.get(v);
      if (p === undefined) {
        if (!this.initializers.has(v) && !this.values.has(v)) {
          const reader = all.find((n) => (n.input ?? []).includes(v));
          throw new OnnxError(reader
            ? `input '${v}' of ${describe(reader, all.indexOf(reader))} is not produced by any node, initializer or graph input (dangling edge)`
            : `graph output '${v}' is not produced by any node`);
        }
        continue;
      }
      if (!live.has(p)) {
        live.add(p);
        for (const i of all[p].input ?? []) if (i) stack.push(i);
      }
    }
    // Kahn's algorithm over live nodes, in file order among the ready ones.
    const indegree = new Map<number, number>();
    const readers = new Map<number, number[]>();
    for (const i of live) {
      let d = 0;
      for (const v of all[i].input ?? []) {
        if (!v) continue;
        this.uses.set(v, (this.uses.get(v) ?? 0) + 1);
        const p = producer.get(v);
        if (p !== undefined) { d++; (readers.get(p) ?? readers.set(p, []).get(p)!).push(i); }
      }
      indegree.set(i, d);
    }
    this.uses.set(outputName, (this.uses.get(outputName) ?? 0) + 1);
    const ready = [...live].filter((i) => indegree.get(i) === 0).sort((a, b) => a - b);
    const order: number[] = [];
    for (let head = 0; head < ready.length; head++) {
      const i = ready[head];
      order.push(i);
      for (const r of readers.get(i) ?? []) {
        const d = indegree.get(r)! - 1;
        indegree.set(r, d);
        if (d === 0) ready.push(r);
      }
    }
    if (order.length !== live.size) {
      const stuck = [...live].filter((i) => indegree.get(i)! > 0);
      throw new OnnxError(`the graph has a cycle through ${stuck.slice(0, 3).map((i) => describe(all[i], i)).join(', ')}`);
    }
    return order;
  }

  private importNode(node: NodeProto, index: number): void {
    const domain = node.domain ?? '';
    const op = node.opType ?? '';
    const name = node.name || `${op || 'node'}_${index}`;
    const attrs = new Map<string, AttributeProto>();
    for (const a of node.attribute ?? []) attrs.set(a.name ?? '', a);
    const ctx: OpContext = { node, name, op, inputs: node.input ?? [], outputs: node.output ?? [], attrs };
    this.current = ctx;
    let handler: OpHandler | undefined;
    if (domain === '' || domain === 'ai.onnx') handler = Object.hasOwn(OPS, op) ? OPS[op] : undefined;
    else if (domain === SNNC_DOMAIN) handler = Object.hasOwn(SNNC_OPS, op) ? SNNC_OPS[op] : undefined;
    if (!handler) {
      throw new OnnxError(`node '${name}': operator ${domain && domain !== 'ai.onnx' ? `${domain}::` : ''}${op || '(empty)'} (opset ${this.opset}) is not supported; supported: ${SUPPORTED_OPS.join(', ')}, ${SNNC_DOMAIN}::IF, ${SNNC_DOMAIN}::LIF`);
    }
    const known = Object.hasOwn(KNOWN_ATTRIBUTES, op) ? KNOWN_ATTRIBUTES[op] : [];
    for (const a of attrs.keys()) {
      if (!known.includes(a)) throw this.error(`'${a}' is not an attribute of ${op}`);
    }
    try {
      // Decode every initializer the node reads, even ones the op ignores (Dropout's ratio), so a broken
      // tensor is reported rather than silently carried along.
      ctx.inputs.forEach((input, i) => { if (input && this.initializers.has(input)) this.value(ctx, i); });
      handler(this, ctx);
    } catch (e) {
      if (e instanceof OnnxError) throw e.message.startsWith('node ') ? e : this.error(e.message);
      if (e instanceof GraphError) throw this.error(e.message.replace(/^node '[^']*': /, ''));
      throw e;
    }
  }

  // ---- helpers used by op handlers ----

  error(message: string): OnnxError {
    const c = this.current;
    return new OnnxError(c ? `node '${c.name}' (${c.op}, opset ${this.opset}): ${message}` : message);
  }

  uniqueName(base: string): string {
    let name = base || 'node';
    for (let i = 1; this.nodes.has(name); i++) name = `${base}_${i}`;
    return name;
  }

  /** The value of input `i`, decoding initializers on first use. */
  value(ctx: OpContext, i: number): Value {
    const name = ctx.inputs[i];
    if (!name) throw this.error(`input ${i} is missing`);
    const v = this.values.get(name);
    if (v) return v;
    const init = this.initializers.get(name);
    if (!init) throw this.error(`input '${name}' is not defined`);
    const t = decodeTensor(init, `initializer '${name}'`, this.ext);
    const value: Value = { kind: 'const', t };
    this.values.set(name, value);
    return value;
  }

  optionalValue(ctx: OpContext, i: number): Value | undefined {
    return ctx.inputs[i] ? this.value(ctx, i) : undefined;
  }

  act(ctx: OpContext, i: number): Act {
    const v = this.value(ctx, i);
    if (v.kind !== 'act') throw this.error(`input '${ctx.inputs[i]}' is a constant; this op needs a value computed from the graph input`);
    return v;
  }

  constant(ctx: OpContext, i: number): ConstTensor {
    const v = this.value(ctx, i);
    if (v.kind !== 'const') throw this.error(`input '${ctx.inputs[i]}' must be a constant (initializer or Constant), it is computed from the graph input`);
    return v.t;
  }

  /** Finite constant as float32 weights of the given shape. */
  weights(t: ConstTensor, what: string, shape = t.dims): Tensor {
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i])) throw this.error(`${what} holds a non-finite value (${t.data[i]}) at index ${i}`);
    }
    return tensor(shape, t.data);
  }

  /** Records an ONNX output value; its readers are counted so that later folds know whether they are alone. */
  setValue(name: string, v: Value): void {
    if (!name) return;
    this.values.set(name, v);
    if (v.kind === 'act') for (const s of v.srcs) this.consumers.set(s, (this.consumers.get(s) ?? 0) + (this.uses.get(name) ?? 0));
  }

  /** Passes a value through under a new name (Identity, Dropout, dropped Softmax). */
  alias(ctx: OpContext, from: Value): void {
    if (from.kind === 'act') for (const s of from.srcs) this.consumers.set(s, (this.consumers.get(s) ?? 0) - 1);
    this.setValue(ctx.outputs[0], from);
  }

  /** The single IR node behind an activation when only this ONNX reader consumes it (so it may be rewritten). */
  foldable(a: Act): string | undefined {
    if (a.srcs.length !== 1 || a.pad) return undefined;
    return this.consumers.get(a.srcs[0]) === 1 ? a.srcs[0] : undefined;
  }

  irNode(name: string): IRNode {
    return this.nodes.get(name)!;
  }

  replaceNode(name: string, node: IRNode): void {
    this.nodes.set(name, node);
  }

  /** Replaces a folded reader's output: the same IR node now stands for `ctx.outputs[0]`. */
  rebind(ctx: OpContext, src: string, shape: number[]): void {
    this.consumers.set(src, (this.consumers.get(src) ?? 0) - 1);
    this.setValue(ctx.outputs[0], { kind: 'act', srcs: [src], shape });
  }

  connect(a: Act, to: string, what: string): void {
    if (a.pad) throw this.error(`${what} reads a Pad output; Pad is only supported right before Conv or AveragePool`);
    for (const s of a.srcs) this.edges.push([s, to]);
  }

  /** Adds an IR node fed by `input`, infers its shape and binds ONNX output 0 to it. */
  emit(ctx: OpContext, node: IRNode, input: Act, suffix = ''): Act {
    const name = this.uniqueName(ctx.name + suffix);
    const shape = inferShape(name, node, input.shape);
    if (shapeSize(shape) > MAX_ACTIVATION_ELEMENTS) throw this.error(`output shape [${shape}] has ${shapeSize(shape)} elements, more than the limit ${MAX_ACTIVATION_ELEMENTS}`);
    this.connect(input, name, 'this node');
    this.nodes.set(name, node);
    const out: Act = { kind: 'act', srcs: [name], shape };
    this.setValue(ctx.outputs[0], out);
    return out;
  }

  /** True when some live node or the graph output reads ONNX value `name`. */
  isUsed(name: string): boolean {
    return (this.uses.get(name) ?? 0) > 0;
  }

  record(what: string): void {
    this.dropped.push(what);
  }

  isFinalOutput(ctx: OpContext): boolean {
    const o = ctx.outputs[0];
    return this.graphOutputs.has(o) && this.uses.get(o) === 1;
  }

  // ---- attributes ----

  attr(ctx: OpContext, name: string): AttributeProto | undefined {
    return ctx.attrs.get(name);
  }

  int(ctx: OpContext, name: string, fallback: number): number {
    const a = ctx.attrs.get(name);
    if (!a) return fallback;
    if (a.type !== AttrType.INT && a.type !== undefined && a.type !== 0) throw this.error(`attribute '${name}' must be an int`);
    return int64(a.i);
  }

  ints(ctx: OpContext, name: string): number[] | undefined {
    const a = ctx.attrs.get(name);
    if (!a) return undefined;
    if (a.type !== AttrType.INTS && a.type !== undefined && a.type !== 0) throw this.error(`attribute '${name}' must be a list of ints`);
    return (a.ints ?? []).map(int64);
  }

  float(ctx: OpContext, name: string, fallback: number): number {
    const a = ctx.attrs.get(name);
    if (!a) return fallback;
    if (a.type !== AttrType.FLOAT && a.type !== undefined && a.type !== 0) throw this.error(`attribute '${name}' must be a float`);
    return a.f ?? 0;
  }

  string(ctx: OpContext, name: string, fallback: string): string {
    const a = ctx.attrs.get(name);
    if (!a) return fallback;
    if (a.type !== AttrType.STRING && a.type !== undefined && a.type !== 0) throw this.error(`attribute '${name}' must be a string`);
    return new TextDecoder().decode(a.s ?? new Uint8Array());
  }
}

/** `snnc.notes` metadata: a JSON object of strings, numbers and booleans (provenance written by snnc). */
function parseNotes(text: string): Record<string, string | number | boolean> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new OnnxError('metadata snnc.notes is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new OnnxError('metadata snnc.notes must be a JSON object');
  for (const [k, v] of Object.entries(value)) {
    if (!['string', 'number', 'boolean'].includes(typeof v)) throw new OnnxError(`metadata snnc.notes: '${k}' must be a string, number or boolean`);
  }
  return value as Record<string, string | number | boolean>;
}

function describe(n: NodeProto, index: number): string {
  return `node '${n.name || `${n.opType}_${index}`}' (${n.opType})`;
}

// ---------------------------------------------------------------------------------------------------------
// Op table: one handler per ONNX op.

/** Per-channel (or scalar) values of a constant broadcast against a per-sample shape, or undefined. */
function channelVector(t: ConstTensor, shape: number[]): Float64Array | undefined {
  const dims = [...t.dims];
  const total = t.data.length;
  if (total === 1) return Float64Array.of(t.data[0]);
  // Align to the full [batch, ...shape] rank from the right (numpy broadcasting).
  const full = [1, ...shape];
  if (dims.length > full.length) return undefined;
  while (dims.length < full.length) dims.unshift(1);
  // Only the channel axis (index 1) may differ from 1.
  for (let i = 0; i < dims.length; i++) if (i !== 1 && dims[i] !== 1) return undefined;
  if (dims[1] !== shape[0]) return undefined;
  return t.data;
}

function scaleNode(scale: ArrayLike<number>, bias: ArrayLike<number> | undefined): IRNode {
  const s = tensor([scale.length], scale);
  return bias ? { kind: 'Scale', scale: s, bias: tensor([bias.length], bias) } : { kind: 'Scale', scale: s };
}

/**
 * y = a ⊙ x + b on an activation, per channel or scalar: folded into a sole Scale producer when possible,
 * otherwise a new Scale node. Used by Sub/Div/Mul/Add with constants and by BatchNormalization.
 */
function applyAffine(imp: Importer, ctx: OpContext, x: Act, a: Float64Array, b: Float64Array | undefined): void {
  const src = imp.foldable(x);
  const prev = src ? imp.irNode(src) : undefined;
  if (src && prev?.kind === 'Scale') {
    const len = Math.max(a.length, b?.length ?? 1, prev.scale.data.length, prev.bias?.data.length ?? 1);
    const at = (v: ArrayLike<number> | undefined, i: number, d: number) => (v ? (v.length === 1 ? v[0] : v[i]) : d);
    const s = new Float64Array(len);
    const bb = new Float64Array(len);
    for (let i = 0; i < len; i++) {
      s[i] = at(a, i, 1) * at(prev.scale.data, i, 1);
      bb[i] = at(a, i, 1) * at(prev.bias?.data, i, 0) + at(b, i, 0);
    }
    checkFinite(imp, s, 'folded scale'); checkFinite(imp, bb, 'folded bias');
    imp.replaceNode(src, scaleNode(s, bb));
    imp.rebind(ctx, src, x.shape);
    return;
  }
  checkFinite(imp, a, 'scale'); if (b) checkFinite(imp, b, 'bias');
  imp.emit(ctx, scaleNode(a, b), x);
}

function checkFinite(imp: Importer, v: ArrayLike<number>, what: string): void {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw imp.error(`${what} holds a non-finite value (${v[i]}) at index ${i}`);
}

/** Adds a per-output-channel bias into a sole synaptic producer; false if there is none. */
function foldBias(imp: Importer, ctx: OpContext, x: Act, bias: Float64Array): boolean {
  const src = imp.foldable(x);
  if (!src) return false;
  const node = imp.irNode(src);
  const channels = x.shape[0];
  const at = (i: number) => (bias.length === 1 ? bias[0] : bias[i]);
  const add = (old: Float32Array | undefined) => {
    const b = new Float64Array(channels);
    for (let i = 0; i < channels; i++) b[i] = (old ? old[i] : 0) + at(i);
    checkFinite(imp, b, 'bias');
    return tensor([channels], b);
  };
  if (node.kind === 'Conv2d') imp.replaceNode(src, { ...node, bias: add(node.bias?.data) });
  else if (node.kind === 'Affine') imp.replaceNode(src, { ...node, bias: add(node.bias.data) });
  else if (node.kind === 'Linear') imp.replaceNode(src, { kind: 'Affine', weight: node.weight, bias: add(undefined) });
  else return false;
  imp.rebind(ctx, src, x.shape);
  return true;
}

function binaryWithConstant(imp: Importer, ctx: OpContext, kind: 'Add' | 'Sub' | 'Mul' | 'Div'): void {
  const a = imp.value(ctx, 0);
  const b = imp.value(ctx, 1);
  if (a.kind === 'act' && b.kind === 'act') {
    if (kind !== 'Add') throw imp.error(`${kind} of two computed values is not supported (only Add, as a residual sum)`);
    if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
      throw imp.error(`Add of shapes [${a.shape}] and [${b.shape}]: residual sums need equal shapes`);
    }
    if (a.pad || b.pad) throw imp.error('Add reads a Pad output; Pad is only supported right before Conv or AveragePool');
    imp.setValue(ctx.outputs[0], { kind: 'act', srcs: [...a.srcs, ...b.srcs], shape: a.shape });
    return;
  }
  if (a.kind === 'const' && b.kind === 'const') throw imp.error(`${kind} of two constants is not supported`);
  const x = (a.kind === 'act' ? a : b) as Act;
  const c = (a.kind === 'const' ? a : b) as { kind: 'const'; t: ConstTensor };
  const constFirst = a.kind === 'const';
  const v = channelVector(c.t, x.shape);
  if (!v) throw imp.error(`${kind} with a constant of shape [${c.t.dims}] on values of shape [batch, ${x.shape}]: only scalar or per-channel constants are supported`);
  switch (kind) {
    case 'Add':
      if (!foldBias(imp, ctx, x, v)) applyAffine(imp, ctx, x, Float64Array.of(1), Float64Array.from(v));
      return;
    case 'Sub':
      if (constFirst) applyAffine(imp, ctx, x, Float64Array.of(-1), Float64Array.from(v));
      else if (!foldBias(imp, ctx, x, v.map((e) => -e))) applyAffine(imp, ctx, x, Float64Array.of(1), v.map((e) => -e));
      return;
    case 'Mul':
      applyAffine(imp, ctx, x, Float64Array.from(v), undefined);
      return;
    case 'Div':
      if (constFirst) throw imp.error('division of a constant by a computed value is not supported');
      applyAffine(imp, ctx, x, v.map((e) => 1 / e), undefined);
      return;
  }
}

function pair(imp: Importer, v: number[] | undefined, fallback: number, what: string): Pair {
  if (!v) return [fallback, fallback];
  if (v.length !== 2) throw imp.error(`${what} must have 2 values for a 2-D op, got [${v}]`);
  return [v[0], v[1]];
}

/** Padding from pads / auto_pad for a 2-D window op. */
function windowPads(imp: Importer, ctx: OpContext, input: number[], kernel: Pair, stride: Pair, dilation: Pair): Pads {
  const autoPad = imp.string(ctx, 'auto_pad', 'NOTSET');
  const pads = imp.ints(ctx, 'pads');
  if (autoPad === 'NOTSET') {
    if (!pads) return [0, 0, 0, 0];
    if (pads.length !== 4) throw imp.error(`pads must have 4 values for a 2-D op, got [${pads}]`);
    if (pads.some((p) => !Number.isSafeInteger(p) || p < 0 || p > 1 << 16)) throw imp.error(`pads [${pads}] are invalid`);
    return [pads[0], pads[1], pads[2], pads[3]];
  }
  if (pads) throw imp.error(`pads [${pads}] cannot be combined with auto_pad '${autoPad}'`);
  if (autoPad === 'VALID') return [0, 0, 0, 0];
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') throw imp.error(`auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  const result: number[] = [0, 0, 0, 0];
  for (let axis = 0; axis < 2; axis++) {
    const size = input[1 + axis];
    const out = Math.ceil(size / stride[axis]);
    const total = Math.max(0, (out - 1) * stride[axis] + (kernel[axis] - 1) * dilation[axis] + 1 - size);
    const small = Math.floor(total / 2);
    const [before, after] = autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    result[axis] = before;
    result[axis + 2] = after;
  }
  return result as Pads;
}

function addPads(a: Pads, b: Pads | undefined): Pads {
  return b ? [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]] : a;
}

function positiveInts(imp: Importer, v: readonly number[], what: string): void {
  if (!v.every((x) => Number.isSafeInteger(x) && x >= 1 && x <= 1 << 16)) throw imp.error(`${what} must be positive integers, got [${v}]`);
}

function pool(imp: Importer, ctx: OpContext, kind: 'MaxPool2d' | 'AvgPool2d'): void {
  const x = imp.act(ctx, 0);
  if (x.shape.length !== 3) throw imp.error(`needs [batch, C, H, W] input, got [batch, ${x.shape}]`);
  if (kind === 'MaxPool2d' && ctx.outputs.length > 1 && ctx.outputs[1] && imp.isUsed(ctx.outputs[1])) {
    throw imp.error('the Indices output of MaxPool is not supported');
  }
  const kernelShape = imp.ints(ctx, 'kernel_shape');
  if (!kernelShape) throw imp.error('kernel_shape is required');
  const kernel = pair(imp, kernelShape, 1, 'kernel_shape');
  const stride = pair(imp, imp.ints(ctx, 'strides'), 1, 'strides');
  const dilation = pair(imp, imp.ints(ctx, 'dilations'), 1, 'dilations');
  positiveInts(imp, [...kernel, ...stride, ...dilation], 'kernel_shape, strides and dilations');
  if (dilation[0] !== 1 || dilation[1] !== 1) throw imp.error(`dilations [${dilation}] are not supported for pooling`);
  const own = windowPads(imp, ctx, x.shape, kernel, stride, dilation);
  let countIncludePad = imp.int(ctx, 'count_include_pad', 0) === 1;
  let padding = own;
  if (x.pad) {
    if (kind === 'MaxPool2d') throw imp.error('a zero Pad before MaxPool is not supported (MaxPool pads with −∞)');
    // The Pad node's zeros are real elements, so they are always counted; that equals count_include_pad
    // only when the pool adds no padding of its own or counts its own padding too.
    if (!countIncludePad && own.some((p) => p > 0)) throw imp.error('a Pad before an AveragePool that pads on its own with count_include_pad=0 is not supported');
    padding = addPads(own, x.pad);
    countIncludePad = true;
  }
  const ceil = imp.int(ctx, 'ceil_mode', 0) === 1;
  if (ceil) {
    for (let axis = 0; axis < 2; axis++) {
      const span = x.shape[1 + axis] + padding[axis] + padding[axis + 2] - kernel[axis];
      if (span % stride[axis] !== 0) throw imp.error('ceil_mode=1 changes the output size here; it is not supported');
    }
  }
  const node: IRNode = kind === 'MaxPool2d'
    ? { kind, kernel, stride, padding }
    : { kind, kernel, stride, padding, countIncludePad };
  imp.emit(ctx, node, { ...x, pad: undefined });
}

/** Resolves a Reshape target against a per-sample shape. Position 0 is the batch (symbolic NaN, 0, -1 or fixed). */
function reshapeTarget(imp: Importer, target: Float64Array, shape: number[], allowZero: boolean): number[] {
  const size = shapeSize(shape);
  const t = Array.from(target);
  if (t.length < 1) throw imp.error('the target shape is empty');
  const rest = t.slice(1).map((d, i) => {
    if (Number.isNaN(d)) throw imp.error('the target shape uses the batch size outside the first position');
    if (d === 0 && !allowZero) {
      if (i + 1 >= shape.length + 1) throw imp.error(`target dimension ${i + 1} is 0 (copy) but the input has no such dimension`);
      return shape[i];
    }
    return d;
  });
  const first = t[0];
  const unknown = rest.filter((d) => d === -1).length + (first === -1 ? 1 : 0);
  if (unknown > 1) throw imp.error(`target shape [${t}] has more than one -1`);
  if (rest.some((d) => !Number.isSafeInteger(d) || d < -1 || d === 0)) throw imp.error(`target shape [${t}] is invalid`);
  const known = rest.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  if (rest.includes(-1)) {
    if (first !== -1 && !Number.isNaN(first) && first !== 0 && first !== 1) {
      throw imp.error(`target shape [${t}] fixes the batch size to ${first}`);
    }
    if (size % known !== 0) throw imp.error(`cannot reshape [${shape}] to [${t}]`);
    return rest.map((d) => (d === -1 ? size / known : d));
  }
  if (known !== size) throw imp.error(`cannot reshape per-sample [${shape}] (${size} values) to [${t.slice(1)}] (${known} values)`);
  return rest;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Shape-chain ops run on small integer constants; refuse anything large so a hostile file cannot blow up. */
function smallConst(imp: Importer, t: ConstTensor, what: string): ConstTensor {
  if (t.data.length > 4096) throw imp.error(`${what} has ${t.data.length} values; shape computations are limited to 4096`);
  return t;
}

function axesFrom(imp: Importer, ctx: OpContext, inputIndex: number): number[] | undefined {
  if (imp.opset >= 13) {
    const v = imp.optionalValue(ctx, inputIndex);
    if (!v) return undefined;
    if (v.kind !== 'const') throw imp.error('axes must be a constant');
    return Array.from(v.t.data);
  }
  return imp.ints(ctx, 'axes');
}

/** Attributes each op may carry (ONNX schemas, opsets 11–21); anything else is refused as a malformed node. */
const KNOWN_ATTRIBUTES: Record<string, readonly string[]> = {
  Conv: ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'],
  MaxPool: ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides'],
  AveragePool: ['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides'],
  Gemm: ['alpha', 'beta', 'transA', 'transB'],
  BatchNormalization: ['epsilon', 'momentum', 'training_mode', 'spatial'],
  Flatten: ['axis'], Softmax: ['axis'], LogSoftmax: ['axis'], Gather: ['axis'], Concat: ['axis'],
  Unsqueeze: ['axes'], Squeeze: ['axes'], Cast: ['to', 'saturate'], Shape: ['start', 'end'], Reshape: ['allowzero'],
  Pad: ['mode'], Dropout: ['seed'], Clip: [],
  Constant: ['value', 'value_float', 'value_floats', 'value_int', 'value_ints', 'value_string', 'value_strings', 'sparse_value'],
  IF: ['threshold', 'reset', 'v_init'], LIF: ['threshold', 'reset', 'leak', 'v_init'],
};

const OPS: Record<string, OpHandler> = {
  Identity: (imp, ctx) => imp.alias(ctx, imp.value(ctx, 0)),
  Dropout: (imp, ctx) => {
    if (ctx.outputs[1] && imp.isUsed(ctx.outputs[1])) throw imp.error('the mask output of Dropout is not supported');
    imp.record(`Dropout (node '${ctx.name}')`);
    imp.alias(ctx, imp.value(ctx, 0));
  },
  Softmax: (imp, ctx) => finalSoftmax(imp, ctx),
  LogSoftmax: (imp, ctx) => finalSoftmax(imp, ctx),

  Constant: (imp, ctx) => {
    const [name, attr] = [...ctx.attrs][0] ?? [];
    if (ctx.attrs.size !== 1 || !attr) throw imp.error('a Constant needs exactly one value attribute');
    let t: ConstTensor;
    if (name === 'value') {
      if (!attr.t) throw imp.error("attribute 'value' holds no tensor");
      t = decodeTensor(attr.t, `Constant '${ctx.name}'`, {});
    } else if (name === 'value_float') t = { dims: [], data: Float64Array.of(attr.f ?? 0) };
    else if (name === 'value_floats') t = { dims: [attr.floats?.length ?? 0], data: Float64Array.from(attr.floats ?? []) };
    else if (name === 'value_int') t = { dims: [], data: Float64Array.of(int64(attr.i)) };
    else if (name === 'value_ints') t = { dims: [attr.ints?.length ?? 0], data: Float64Array.from((attr.ints ?? []).map(int64)) };
    else throw imp.error(`Constant attribute '${name}' is not supported`);
    imp.setValue(ctx.outputs[0], { kind: 'const', t });
  },

  Relu: (imp, ctx) => { imp.emit(ctx, { kind: 'ReLU' }, imp.act(ctx, 0)); },
  Clip: (imp, ctx) => {
    const x = imp.act(ctx, 0);
    const bound = (i: number, fallback: number) => {
      const v = imp.optionalValue(ctx, i);
      if (!v) return fallback;
      if (v.kind !== 'const' || v.t.data.length !== 1) throw imp.error(`Clip bound ${i === 1 ? 'min' : 'max'} must be a scalar constant`);
      return v.t.data[0];
    };
    const lo = bound(1, -Infinity);
    const hi = bound(2, Infinity);
    if (Number.isNaN(lo) || Number.isNaN(hi)) throw imp.error('Clip bounds are NaN');
    if (lo === 0 && hi === Infinity) { imp.emit(ctx, { kind: 'ReLU' }, x); return; }
    const FLT_MAX = 3.4028234663852886e38;
    imp.emit(ctx, { kind: 'Clip', min: Math.max(lo, -FLT_MAX), max: Math.min(hi, FLT_MAX) }, x);
  },

  Conv: (imp, ctx) => {
    const x = imp.act(ctx, 0);
    const w = imp.constant(ctx, 1);
    if (x.shape.length !== 3 || w.dims.length !== 4) throw imp.error(`only 2-D convolution is supported (input [batch, ${x.shape}], weight [${w.dims}])`);
    const kernel = pair(imp, imp.ints(ctx, 'kernel_shape') ?? [w.dims[2], w.dims[3]], 1, 'kernel_shape');
    if (kernel[0] !== w.dims[2] || kernel[1] !== w.dims[3]) throw imp.error(`kernel_shape [${kernel}] does not match weight [${w.dims}]`);
    const stride = pair(imp, imp.ints(ctx, 'strides'), 1, 'strides');
    const dilation = pair(imp, imp.ints(ctx, 'dilations'), 1, 'dilations');
    positiveInts(imp, [...stride, ...dilation], 'strides and dilations');
    const groups = imp.int(ctx, 'group', 1);
    const padding = addPads(windowPads(imp, ctx, x.shape, kernel, stride, dilation), x.pad);
    const b = imp.optionalValue(ctx, 2);
    if (b && b.kind !== 'const') throw imp.error('the bias must be a constant');
    const node: IRNode = {
      kind: 'Conv2d', weight: imp.weights(w, 'weight'), stride, padding, dilation, groups,
      ...(b ? { bias: imp.weights(b.t, 'bias', [b.t.data.length]) } : {}),
    };
    imp.emit(ctx, node, { ...x, pad: undefined });
  },

  Gemm: (imp, ctx) => {
    const a = imp.act(ctx, 0);
    const bT = imp.constant(ctx, 1);
    if (imp.int(ctx, 'transA', 0) !== 0) throw imp.error('transA=1 on the activation is not supported');
    if (a.shape.length !== 1) throw imp.error(`needs a flat [batch, features] input, got [batch, ${a.shape}]`);
    if (bT.dims.length !== 2) throw imp.error(`B must be 2-D, got [${bT.dims}]`);
    const transB = imp.int(ctx, 'transB', 0) === 1;
    const alpha = imp.float(ctx, 'alpha', 1);
    const beta = imp.float(ctx, 'beta', 1);
    const [k, n] = transB ? [bT.dims[1], bT.dims[0]] : [bT.dims[0], bT.dims[1]];
    if (k !== a.shape[0]) throw imp.error(`B [${bT.dims}]${transB ? ' (transposed)' : ''} does not match ${a.shape[0]} input features`);
    const w = new Float64Array(n * k);
    for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) w[o * k + i] = alpha * (transB ? bT.data[o * k + i] : bT.data[i * n + o]);
    const weight = imp.weights({ dims: [n, k], data: w }, 'weight');
    const c = imp.optionalValue(ctx, 2);
    if (!c) { imp.emit(ctx, { kind: 'Linear', weight }, a); return; }
    if (c.kind !== 'const') throw imp.error('C must be a constant');
    const cv = channelVector(c.t, [n]);
    if (!cv) throw imp.error(`C of shape [${c.t.dims}] does not broadcast to [batch, ${n}] per output`);
    const bias = new Float64Array(n);
    for (let o = 0; o < n; o++) bias[o] = beta * (cv.length === 1 ? cv[0] : cv[o]);
    imp.emit(ctx, { kind: 'Affine', weight, bias: imp.weights({ dims: [n], data: bias }, 'bias') }, a);
  },

  MatMul: (imp, ctx) => {
    const a = imp.act(ctx, 0);
    const b = imp.constant(ctx, 1);
    if (a.shape.length !== 1) throw imp.error(`needs a flat [batch, features] input, got [batch, ${a.shape}]`);
    if (b.dims.length !== 2 || b.dims[0] !== a.shape[0]) throw imp.error(`weight [${b.dims}] does not match ${a.shape[0]} input features`);
    const [k, n] = b.dims;
    const w = new Float64Array(n * k);
    for (let o = 0; o < n; o++) for (let i = 0; i < k; i++) w[o * k + i] = b.data[i * n + o];
    imp.emit(ctx, { kind: 'Linear', weight: imp.weights({ dims: [n, k], data: w }, 'weight') }, a);
  },

  Add: (imp, ctx) => binaryWithConstant(imp, ctx, 'Add'),
  Sub: (imp, ctx) => binaryWithConstant(imp, ctx, 'Sub'),
  Mul: (imp, ctx) => binaryWithConstant(imp, ctx, 'Mul'),
  Div: (imp, ctx) => binaryWithConstant(imp, ctx, 'Div'),

  BatchNormalization: (imp, ctx) => {
    const x = imp.act(ctx, 0);
    if (imp.int(ctx, 'training_mode', 0) !== 0) throw imp.error('training_mode=1 is not supported');
    if (ctx.outputs.slice(1).some((o) => o && imp.isUsed(o))) throw imp.error('running mean/var outputs are not supported');
    const eps = imp.float(ctx, 'epsilon', 1e-5);
    const channels = x.shape[0];
    const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => {
      const t = imp.constant(ctx, i);
      if (t.data.length !== channels) throw imp.error(`input ${i} has ${t.data.length} values, the input has ${channels} channels`);
      checkFinite(imp, t.data, ['', 'scale', 'B', 'input_mean', 'input_var'][i]);
      return t.data;
    });
    const a = new Float64Array(channels);
    const b = new Float64Array(channels);
    for (let c = 0; c < channels; c++) {
      if (!(variance[c] + eps > 0)) throw imp.error(`variance + epsilon of channel ${c} is not positive (${variance[c] + eps})`);
      a[c] = gamma[c] / Math.sqrt(variance[c] + eps);
      b[c] = beta[c] - mean[c] * a[c];
    }
    checkFinite(imp, a, 'folded scale'); checkFinite(imp, b, 'folded shift');
    const src = imp.foldable(x);
    const node = src ? imp.irNode(src) : undefined;
    if (src && node && (node.kind === 'Conv2d' || node.kind === 'Affine' || node.kind === 'Linear')) {
      const weight = tensor(node.weight.shape, node.weight.data);
      const per = weight.data.length / channels;
      for (let c = 0; c < channels; c++) for (let i = 0; i < per; i++) weight.data[c * per + i] *= a[c];
      const oldBias = node.kind === 'Linear' ? undefined : node.bias?.data;
      const bias = tensor([channels]);
      for (let c = 0; c < channels; c++) bias.data[c] = a[c] * (oldBias ? oldBias[c] : 0) + b[c];
      imp.replaceNode(src, node.kind === 'Conv2d' ? { ...node, weight, bias } : { kind: 'Affine', weight, bias });
      imp.rebind(ctx, src, x.shape);
      return;
    }
    applyAffine(imp, ctx, x, a, b);
  },

  MaxPool: (imp, ctx) => pool(imp, ctx, 'MaxPool2d'),
  AveragePool: (imp, ctx) => pool(imp, ctx, 'AvgPool2d'),
  GlobalAveragePool: (imp, ctx) => {
    const x = imp.act(ctx, 0);
    if (x.shape.length !== 3) throw imp.error(`needs [batch, C, H, W] input, got [batch, ${x.shape}]`);
    imp.emit(ctx, { kind: 'AvgPool2d', kernel: [x.shape[1], x.shape[2]], stride: [1, 1], padding: [0, 0, 0, 0], countIncludePad: true }, x);
  },

  Pad: (imp, ctx) => {
    const x = imp.act(ctx, 0);
    const mode = imp.string(ctx, 'mode', 'constant');
    if (mode !== 'constant') throw imp.error(`Pad mode '${mode}' is not supported (only constant zero padding)`);
    const pads = Array.from(imp.constant(ctx, 1).data);
    const value = imp.optionalValue(ctx, 2);
    if (value && (value.kind !== 'const' || value.t.data.some((v) => v !== 0))) throw imp.error('only zero padding is supported');
    const rank = x.shape.length + 1;
    let axes = [...Array(rank).keys()];
    const axesValue = imp.optionalValue(ctx, 3);
    if (axesValue) {
      if (axesValue.kind !== 'const') throw imp.error('axes must be a constant');
      axes = Array.from(axesValue.t.data).map((a) => (a < 0 ? a + rank : a));
    }
    if (pads.length !== 2 * axes.length) throw imp.error(`pads has ${pads.length} values for ${axes.length} axes`);
    if (x.shape.length !== 3) throw imp.error(`Pad is only supported on [batch, C, H, W] values, got [batch, ${x.shape}]`);
    const full = new Array(2 * rank).fill(0);
    axes.forEach((a, i) => {
      if (!Number.isInteger(a) || a < 0 || a >= rank) throw imp.error(`axis ${a} is out of range`);
      full[a] = pads[i];
      full[a + rank] = pads[i + axes.length];
    });
    if (full.some((p) => !Number.isSafeInteger(p) || p < 0 || p > 1 << 16)) throw imp.error(`pads [${pads}] are invalid (negative pads are not supported)`);
    if (full[0] || full[1] || full[rank] || full[rank + 1]) throw imp.error('only spatial (H, W) padding is supported');
    // The activation keeps its unpadded shape; the consumer (Conv, AveragePool) adds `pad` to its own padding.
    imp.alias(ctx, { kind: 'act', srcs: x.srcs, shape: x.shape, pad: addPads([full[2], full[3], full[6], full[7]], x.pad) });
  },

  Flatten: (imp, ctx) => {
    const x = imp.act(ctx, 0);
    const rank = x.shape.length + 1;
    let axis = imp.int(ctx, 'axis', 1);
    if (axis < 0) axis += rank;
    if (axis !== 1) throw imp.error(`Flatten axis ${imp.int(ctx, 'axis', 1)} is not supported (only 1: keep the batch)`);
    if (x.shape.length === 1) { imp.alias(ctx, x); return; }
    imp.emit(ctx, { kind: 'Flatten' }, x);
  },

  Reshape: (imp, ctx) => {
    const x = imp.act(ctx, 0);
    const target = smallConst(imp, imp.constant(ctx, 1), 'the target shape');
    const shape = reshapeTarget(imp, target.data, x.shape, imp.int(ctx, 'allowzero', 0) === 1);
    if (sameShape(shape, x.shape)) { imp.alias(ctx, x); return; }
    if (shape.length === 1) { imp.emit(ctx, { kind: 'Flatten' }, x); return; }
    // Reshaping the graph input itself (e.g. [N, 784] → [N, 1, 28, 28]) only relabels its layout: give the
    // Input node the new per-sample shape when nothing else reads the unreshaped input.
    const src = imp.foldable(x);
    if (src && imp.irNode(src).kind === 'Input' && shape.length <= 3) {
      imp.replaceNode(src, { kind: 'Input', shape });
      imp.rebind(ctx, src, shape);
      return;
    }
    throw imp.error(`reshape of [batch, ${x.shape}] to [batch, ${shape}] is not supported (only flattening)`);
  },

  Shape: (imp, ctx) => {
    const v = imp.value(ctx, 0);
    // The batch size is unknown at import time: NaN marks it so only Reshape's first position may use it.
    const dims = v.kind === 'act' ? [NaN, ...v.shape] : v.t.dims;
    let start = imp.int(ctx, 'start', 0);
    let end = imp.int(ctx, 'end', dims.length);
    if (start < 0) start += dims.length;
    if (end < 0) end += dims.length;
    const slice = dims.slice(Math.max(0, start), Math.min(dims.length, end));
    imp.setValue(ctx.outputs[0], { kind: 'const', t: { dims: [slice.length], data: Float64Array.from(slice) } });
  },

  Gather: (imp, ctx) => {
    const data = smallConst(imp, imp.constant(ctx, 0), 'Gather data');
    const indices = smallConst(imp, imp.constant(ctx, 1), 'Gather indices');
    const axis = imp.int(ctx, 'axis', 0);
    if (data.dims.length !== 1 || (axis !== 0 && axis !== -1)) throw imp.error('Gather is only supported on 1-D constants (shape computations)');
    const n = data.dims[0];
    const out = Array.from(indices.data).map((i) => {
      const j = i < 0 ? i + n : i;
      if (!Number.isInteger(j) || j < 0 || j >= n) throw imp.error(`index ${i} is out of range for ${n} values`);
      return data.data[j];
    });
    imp.setValue(ctx.outputs[0], { kind: 'const', t: { dims: [...indices.dims], data: Float64Array.from(out) } });
  },

  Unsqueeze: (imp, ctx) => {
    const data = smallConst(imp, imp.constant(ctx, 0), 'Unsqueeze data');
    const axes = axesFrom(imp, ctx, 1);
    if (!axes) throw imp.error('axes are required');
    const rank = data.dims.length + axes.length;
    const norm = axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
    if (norm.some((a) => !Number.isInteger(a) || a < 0 || a >= rank) || new Set(norm).size !== norm.length) throw imp.error(`axes [${axes}] are invalid`);
    const dims = [...data.dims];
    for (const a of norm) dims.splice(a, 0, 1);
    imp.setValue(ctx.outputs[0], { kind: 'const', t: { dims, data: data.data } });
  },

  Squeeze: (imp, ctx) => {
    const data = smallConst(imp, imp.constant(ctx, 0), 'Squeeze data');
    const axes = axesFrom(imp, ctx, 1);
    const rank = data.dims.length;
    const norm = (axes ?? data.dims.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => (a < 0 ? a + rank : a));
    if (norm.some((a) => data.dims[a] !== 1)) throw imp.error(`cannot squeeze axes [${axes}] of shape [${data.dims}]`);
    imp.setValue(ctx.outputs[0], { kind: 'const', t: { dims: data.dims.filter((_, i) => !norm.includes(i)), data: data.data } });
  },

  Concat: (imp, ctx) => {
    const parts = ctx.inputs.map((_, i) => smallConst(imp, imp.constant(ctx, i), `Concat input ${i}`));
    const axis = imp.int(ctx, 'axis', 0);
    if (parts.some((p) => p.dims.length !== 1) || (axis !== 0 && axis !== -1)) throw imp.error('Concat is only supported on 1-D constants (shape computations)');
    const data = Float64Array.from(parts.flatMap((p) => Array.from(p.data)));
    imp.setValue(ctx.outputs[0], { kind: 'const', t: { dims: [data.length], data } });
  },

  Cast: (imp, ctx) => {
    const v = imp.value(ctx, 0);
    if (v.kind === 'act') {
      if (imp.int(ctx, 'to', DataType.FLOAT) !== DataType.FLOAT) throw imp.error('casting computed values to a non-float type is not supported');
      imp.alias(ctx, v);
      return;
    }
    const to = imp.int(ctx, 'to', DataType.FLOAT);
    const integer = [DataType.INT64, DataType.INT32, DataType.INT16, DataType.INT8, DataType.UINT8, DataType.UINT16, DataType.UINT32, DataType.UINT64].includes(to as 7);
    imp.setValue(ctx.outputs[0], { kind: 'const', t: { dims: v.t.dims, data: integer ? v.t.data.map(Math.trunc) : v.t.data } });
  },
};

function finalSoftmax(imp: Importer, ctx: OpContext): void {
  const x = imp.act(ctx, 0);
  if (!imp.isFinalOutput(ctx)) throw imp.error(`${ctx.op} is only supported as the last op before the graph output (it is dropped; the class is the argmax)`);
  if (x.shape.length !== 1) throw imp.error(`${ctx.op} over [batch, ${x.shape}] is not supported (only over class scores)`);
  const axis = imp.int(ctx, 'axis', imp.opset >= 13 ? -1 : 1);
  if (axis !== -1 && axis !== 1) throw imp.error(`${ctx.op} axis ${axis} is not over the class scores`);
  imp.record(`${ctx.op} (node '${ctx.name}')`);
  imp.alias(ctx, x);
}

function neuron(imp: Importer, ctx: OpContext, kind: 'IF' | 'LIF'): void {
  const x = imp.act(ctx, 0);
  const threshold = imp.float(ctx, 'threshold', 1);
  const reset = imp.string(ctx, 'reset', 'subtract');
  if (reset !== 'subtract' && reset !== 'zero') throw imp.error(`reset must be 'subtract' or 'zero', got '${reset}'`);
  const vInitAttr = imp.attr(ctx, 'v_init');
  const vInit = vInitAttr ? imp.float(ctx, 'v_init', 0) : undefined;
  if (vInit !== undefined && !Number.isFinite(vInit)) throw imp.error(`v_init must be finite, got ${vInit}`);
  const base = { threshold, reset: reset as ResetMode, ...(vInit !== undefined ? { vInit } : {}) };
  const node: IRNode = kind === 'IF' ? { kind, ...base } : { kind, ...base, leak: imp.float(ctx, 'leak', 0) };
  imp.emit(ctx, node, x);
}

const SNNC_OPS: Record<string, OpHandler> = {
  IF: (imp, ctx) => neuron(imp, ctx, 'IF'),
  LIF: (imp, ctx) => neuron(imp, ctx, 'LIF'),
};
