import { readRegularFile } from '../util/safe-read.js';
import { basename, dirname, extname } from 'node:path';
import { UserError } from '../util/errors.js';
import {
  buildGraph, inferShape, shapeSize, tensor, GraphError, MAX_ACTIVATION_ELEMENTS,
  type Graph, type GraphMeta, type IRNode, type Tensor,
} from '../ir/graph.js';
import { onnx, AttrType, DataType, int64, type AttributeProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';
import { checkModelBudget } from './budget.js';
import { OnnxError, decodeTensor, typeName, type ConstTensor, type ExternalDataContext } from './tensor.js';
import { findOp, MAX_OPSET, MIN_OPSET, normaliseDomain, SUPPORTED_OP_NAMES } from './ops/index.js';
import type { Act, AnyOpEntry, AttrKind, ImportContext, OpContext, Value } from './ops/types.js';

export { OnnxError } from './tensor.js';
export { MAX_OPSET, MIN_OPSET, SNNC_DOMAIN, SUPPORTED_OPS } from './ops/index.js';

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

/** Largest model file read (protobuf itself cannot exceed 2 GiB). */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;

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

/** Parses ONNX bytes and imports the graph into the IR (see SUPPORTED_OPS and the op table in ops/). Throws OnnxError / GraphError. */
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

class Importer implements ImportContext {
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
      } else if (p.key === 'snnc.dt') {
        const dt = Number(p.value);
        if (!(Number.isFinite(dt) && dt > 0)) throw new OnnxError(`metadata snnc.dt must be a positive number of seconds, got '${p.value}'`);
        meta.dt = dt;
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
    const entry = findOp(domain, op, this.opset);
    const spelled = `${normaliseDomain(domain) ? `${domain}::` : ''}${op || '(empty)'}`;
    if (!entry) {
      throw new OnnxError(`node '${name}': operator ${spelled} (opset ${this.opset}) is not supported; supported: ${SUPPORTED_OP_NAMES.join(', ')}`);
    }
    if (entry.refusal || !entry.handler) throw new OnnxError(`node '${name}': operator ${spelled} (opset ${this.opset}) is not supported: ${entry.refusal}`);
    const values = this.parseAttributes(entry, attrs);
    try {
      // Decode every initializer the node reads, even ones the op ignores (Dropout's ratio), so a broken
      // tensor is reported rather than silently carried along.
      ctx.inputs.forEach((input, i) => { if (input && this.initializers.has(input)) this.value(ctx, i); });
      // Constant folding: an op of the shape family whose inputs are all constants yields a constant.
      const inputs = ctx.inputs.map((input) => (input ? this.values.get(input) : undefined));
      if (entry.fold && inputs.every((v, i) => !ctx.inputs[i] || v?.kind === 'const')) {
        const t = entry.fold(this, ctx, values, inputs.map((v) => (v?.kind === 'const' ? v.t : undefined)));
        this.setValue(ctx.outputs[0], { kind: 'const', t });
        return;
      }
      entry.handler(this, ctx, values);
    } catch (e) {
      if (e instanceof OnnxError) throw e.message.startsWith('node ') ? e : this.error(e.message);
      if (e instanceof GraphError) throw this.error(e.message.replace(/^node '[^']*': /, ''));
      throw e;
    }
  }

  /**
   * The node's attributes checked against the entry's declaration (names and types) and read, with the
   * declared defaults for absent ones. An attribute without a type tag is read as the declared type.
   */
  private parseAttributes(entry: AnyOpEntry, attrs: Map<string, AttributeProto>): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(entry.attributes)) values[name] = spec.default;
    for (const [name, a] of attrs) {
      const spec = Object.hasOwn(entry.attributes, name) ? entry.attributes[name] : undefined;
      if (!spec) throw this.error(`'${name}' is not an attribute of ${entry.op}`);
      if (a.type !== ATTR_CODES[spec.type] && a.type !== undefined && a.type !== null && a.type !== 0) {
        throw this.error(`attribute '${name}' must be ${ATTR_NAMES[spec.type]}`);
      }
      values[name] = readAttribute(spec.type, a);
    }
    return values;
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
    return this.unpadded(ctx, this.paddedAct(ctx, i));
  }

  paddedAct(ctx: OpContext, i: number): Act {
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

  /** Adds an IR node fed by `input` without binding an ONNX output: the first of several IR nodes for one op. */
  addNode(ctx: OpContext, node: IRNode, input: Act, suffix = ''): Act {
    if (input.pad) input = this.unpadded(ctx, input);
    const name = this.uniqueName(ctx.name + suffix);
    const shape = inferShape(name, node, input.shape);
    if (shapeSize(shape) > MAX_ACTIVATION_ELEMENTS) throw this.error(`output shape [${shape}] has ${shapeSize(shape)} elements, more than the limit ${MAX_ACTIVATION_ELEMENTS}`);
    this.connect(input, name, 'this node');
    this.nodes.set(name, node);
    // Its one reader is the IR node the same op adds next.
    this.consumers.set(name, 1);
    return { kind: 'act', srcs: [name], shape };
  }

  /** Binds ONNX output 0 to the sum of `parts`, nodes this op added with `addNode` (their one reader is that output). */
  emitSum(ctx: OpContext, parts: Act[], shape: number[]): void {
    for (const p of parts) for (const s of p.srcs) this.consumers.delete(s);
    this.setValue(ctx.outputs[0], { kind: 'act', srcs: parts.flatMap((p) => p.srcs), shape });
  }

  /** A pending zero padding (over H and W, or L) as an IndexMap node. */
  unpadded(ctx: OpContext, a: Act): Act {
    if (!a.pad) return a;
    const [top, left, bottom, right] = a.pad;
    const padded = (n: number, before: number, after: number) => [...new Array(before).fill(-1), ...Array.from({ length: n }, (_, i) => i), ...new Array(after).fill(-1)];
    const channels = Array.from({ length: a.shape[0] }, (_, i) => i);
    const index = a.shape.length === 3 ? [channels, padded(a.shape[1], top, bottom), padded(a.shape[2], left, right)] : [channels, padded(a.shape[1], left, right)];
    return this.addNode(ctx, { kind: 'IndexMap', index }, { ...a, pad: undefined }, '/pad');
  }

  /** Adds an IR node fed by `input`, infers its shape and binds ONNX output 0 to it. */
  emit(ctx: OpContext, node: IRNode, input: Act, suffix = ''): Act {
    const out = this.addNode(ctx, node, input, suffix);
    this.consumers.delete(out.srcs[0]);
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
}

const ATTR_CODES: Record<AttrKind, number> = {
  int: AttrType.INT, ints: AttrType.INTS, float: AttrType.FLOAT, floats: AttrType.FLOATS, string: AttrType.STRING,
  strings: AttrType.STRINGS, tensor: AttrType.TENSOR, sparse_tensor: AttrType.SPARSE_TENSOR,
};

const ATTR_NAMES: Record<AttrKind, string> = {
  int: 'an int', ints: 'a list of ints', float: 'a float', floats: 'a list of floats', string: 'a string',
  strings: 'a list of strings', tensor: 'a tensor', sparse_tensor: 'a sparse tensor',
};

function readAttribute(type: AttrKind, a: AttributeProto): unknown {
  const text = (b: Uint8Array | null | undefined) => new TextDecoder().decode(b ?? new Uint8Array());
  switch (type) {
    case 'int': return int64(a.i);
    case 'ints': return (a.ints ?? []).map(int64);
    case 'float': return a.f ?? 0;
    case 'floats': return [...(a.floats ?? [])];
    case 'string': return text(a.s);
    case 'strings': return (a.strings ?? []).map(text);
    case 'tensor': return a.t ?? undefined;
    case 'sparse_tensor': return a.sparseTensor ?? undefined;
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
