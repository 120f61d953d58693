/**
 * Reads a NIR file (neuromorphs/NIR's HDF5 layout: `/version`, `/node` a NIRGraph with `nodes/<name>/…` and
 * `edges`) into an IR graph. Each node type maps through its entry in table.ts; this file does what is about
 * the graph as a whole: subgraphs inlined with dotted names, edges resolved, the Input and Output settled, shapes
 * carried from the Input node by node, and what real files get wrong repaired when the intent is unambiguous
 * (with a warning saying what) or refused with one line naming the node and the problem.
 */
import { basename } from 'node:path';
import { buildGraph, GraphError, kindOf, type Graph, type GraphMeta, type IRNode } from '../ir/graph.js';
import { UserError } from '../util/errors.js';
import { readHdf5, type H5Group, type H5Value } from './hdf5.js';
import { NIR_TYPES, NIR_TYPE_NAMES, NodeFields, transposeWeight, type Accepts, type Drift, type NirNode } from './table.js';

/** The time step a NIR file's time constants are discretised with unless `--dt` says otherwise: the value snnTorch's
 * exporter and Lava's NIR scripts use (Norse's exports assume 1e-3). */
export const DEFAULT_NIR_DT = 1e-4;

export interface ReadNirOptions {
  /** Seconds per step (default: the file's own if snnc wrote it, else {@link DEFAULT_NIR_DT}). */
  dt?: number;
  /** Called with each warning as it is found. */
  warn?: (message: string) => void;
}

export interface NirReadResult {
  graph: Graph;
  /** What was repaired, what version drift was read and how, the dt convention. */
  warnings: string[];
  /** The file's `/version`. */
  version: string;
  /** The NIR node types the file holds (NIRGraph included when it nests subgraphs), sorted. */
  types: string[];
  /** The time step used and where it came from. */
  dt: { value: number; source: 'option' | 'file' | 'default' };
}

/** A file that is HDF5 but not a NIR graph snnc can read. */
export class NirError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'NirError';
  }
}

/** One stored node before inlining: a NIRGraph holds nodes and edges. */
interface RawNode {
  type: string;
  fields: Map<string, H5Value>;
  metadata: Map<string, H5Value>;
  nodes?: Map<string, RawNode>;
  edges?: [string, string][];
}

const DRIFT: Record<Drift, string> = {
  'scalar-param': 'scalar neuron parameters broadcast to the layer',
  'batch-param': 'neuron parameters stored with a leading batch axis (1 × …) read per neuron',
  'int-param': 'integer (int64) parameters read as numbers',
  'no-v_reset': 'no v_reset (NIR 0.x): reset to 0',
  'no-w_in': 'no w_in (NIR 0.x): input weight 1',
  'no-input_shape': 'Conv2d without input_shape: inferred from its input',
  'flatten-batch-start': 'Flatten start_dim 1 counts a batch axis (PyTorch\'s convention): read as flattening the whole sample, which the next layer takes',
  'flatten-placeholder': 'Flatten input_type [0, …] is a placeholder: inferred from its input',
  'conv1d': 'Conv1d read as a Conv2d over [C, 1, L] (the IR has no 1-D convolution; snnc writes it back as Conv2d)',
  'input-batch-axis': 'a leading batch axis of 1 on the Input shape dropped',
  'output-batch-axis': 'a leading batch axis of 1 on the Output shape dropped',
};

function parseNode(group: H5Group, path: string, depth = 0): RawNode {
  const typeValue = group.datasets.get('type');
  if (!typeValue) throw new NirError(`'${path}' has no 'type'`);
  if (typeValue.kind !== 'string' || typeValue.data.length !== 1) throw new NirError(`'${path}/type' is not a string`);
  const type = typeValue.data[0];
  const fields = new Map(group.datasets);
  fields.delete('type');
  const metadata = new Map<string, H5Value>();
  const meta = group.groups.get('metadata');
  if (meta) for (const [k, v] of meta.datasets) metadata.set(k, v);
  const raw: RawNode = { type, fields, metadata };
  if (type === 'NIRGraph') {
    const nodes = group.groups.get('nodes');
    if (!nodes) throw new NirError(`'${path}' is a NIRGraph without 'nodes'`);
    raw.nodes = new Map([...nodes.groups].map(([name, g]) => [name, parseNode(g, `${path}/nodes/${name}`, depth + 1)]));
    raw.edges = parseEdges(group, path);
    fields.delete('edges');
  }
  return raw;
}

/** Edges as NIR writes them: an (E, 2) array of strings; also an edges group of `src` and `dst` arrays. */
function parseEdges(group: H5Group, path: string): [string, string][] {
  const ds = group.datasets.get('edges');
  if (ds) {
    if (ds.data.length === 0) return [];
    if (ds.kind !== 'string' || ds.shape.length !== 2 || ds.shape[1] !== 2) throw new NirError(`'${path}/edges' must be an (E, 2) array of node names, got ${ds.kind === 'string' ? `strings of shape [${ds.shape}]` : 'numbers'}`);
    const edges: [string, string][] = [];
    for (let i = 0; i < ds.shape[0]; i++) edges.push([ds.data[2 * i], ds.data[2 * i + 1]]);
    return edges;
  }
  const g = group.groups.get('edges');
  const src = g?.datasets.get('src');
  const dst = g?.datasets.get('dst');
  if (src?.kind === 'string' && dst?.kind === 'string' && src.data.length === dst.data.length) return src.data.map((s, i) => [s, dst.data[i]]);
  throw new NirError(`'${path}' is a NIRGraph without 'edges'`);
}

function collectTypes(raw: RawNode, into: Set<string>): void {
  into.add(raw.type);
  for (const child of raw.nodes?.values() ?? []) collectTypes(child, into);
}

/** A flattened graph: every node under its full dotted name; `groups` are the names of inlined subgraphs. */
interface Flat { nodes: Map<string, NirNode>; edges: [string, string][]; groups: Set<string> }

/**
 * Inlines subgraphs (`g.x` for node x of subgraph g). A (sub)graph's edge that names no node of it, when exactly
 * one of its nodes is named by no edge, is read as naming that node (the snnTorch subgraph files name their
 * CubaLIF 'lif' in the edges and 'lif1' in the nodes).
 */
function inline(raw: RawNode, prefix: string, flat: Flat, warn: (m: string) => void): void {
  const names = new Set(raw.nodes!.keys());
  const isGroupPrefix = (x: string) => [...names].some((n) => n.startsWith(`${x}.`));
  const edges = raw.edges!.map(([a, b]) => [a, b] as [string, string]);
  const named = new Set(edges.flat());
  const missing = [...named].filter((x) => !names.has(x) && !isGroupPrefix(x));
  const where = prefix ? `subgraph '${prefix.slice(0, -1)}'` : 'the graph';
  for (const x of missing) {
    const unnamed = [...names].filter((n) => !named.has(n));
    if (missing.length === 1 && unnamed.length === 1) {
      warn(`${where}: its edges name '${x}', which is not one of its nodes (${[...names].join(', ')}); '${unnamed[0]}' is the one node no edge names: read as '${unnamed[0]}'`);
      for (const e of edges) for (let k = 0; k < 2; k++) if (e[k] === x) e[k] = unnamed[0];
    } else {
      const edge = edges.find((e) => e.includes(x))!;
      throw new NirError(`${where}: edge ${edge[0]} -> ${edge[1]} names '${x}', which is not one of its nodes (${[...names].slice(0, 12).join(', ')})`);
    }
  }
  for (const [name, child] of raw.nodes!) {
    const full = prefix + name;
    if (child.type === 'NIRGraph') {
      flat.groups.add(full);
      inline(child, `${full}.`, flat, warn);
    } else {
      flat.nodes.set(full, { name: full, type: child.type, fields: child.fields, metadata: child.metadata });
    }
  }
  for (const [a, b] of edges) flat.edges.push([prefix + a, prefix + b]);
}

/** The direct member of group `g` of a type (its Input, its Output). */
function memberOf(flat: Flat, g: string, type: string): string[] {
  return [...flat.nodes.values()].filter((n) => n.type === type && n.name.startsWith(`${g}.`) && !n.name.slice(g.length + 1).includes('.')).map((n) => n.name);
}

/** True when the members of group g hold a cycle among themselves. */
function hasInnerCycle(flat: Flat, g: string): boolean {
  const inside = (n: string) => n.startsWith(`${g}.`);
  const succ = new Map<string, string[]>();
  for (const [a, b] of flat.edges) if (inside(a) && inside(b)) succ.set(a, [...(succ.get(a) ?? []), b]);
  const state = new Map<string, number>();
  const visit = (n: string): boolean => {
    state.set(n, 1);
    for (const s of succ.get(n) ?? []) {
      if (state.get(s) === 1) return true;
      if (!state.has(s) && visit(s)) return true;
    }
    state.set(n, 2);
    return false;
  };
  return [...succ.keys()].some((n) => !state.has(n) && visit(n));
}

/**
 * Edges that name a subgraph (or a group of dotted names, as flattened files store them) go to its Input or come
 * from its Output; those inner Inputs and Outputs are then contracted away (they only relabel values). Returns
 * the declared shapes of the contracted nodes, to compare with what arrives once shapes are known.
 */
function resolveGroups(flat: Flat, warn: (m: string) => void): { name: string; declared: number[]; neighbour: string; side: 'in' | 'out' }[] {
  const isNode = (x: string) => flat.nodes.has(x);
  const resolved: [string, string][] = [];
  for (const [a, b] of flat.edges) {
    const end = (x: string, side: 'src' | 'dst'): string => {
      if (isNode(x)) return x;
      const type = side === 'dst' ? 'Input' : 'Output';
      const members = memberOf(flat, x, type);
      if (members.length === 1) { flat.groups.add(x); return members[0]; }
      if (members.length === 0 && ![...flat.nodes.keys()].some((n) => n.startsWith(`${x}.`))) throw new NirError(`edge ${a} -> ${b} names '${x}', which is not a node`);
      throw new NirError(`edge ${a} -> ${b}: subgraph '${x}' has ${members.length} ${type} nodes${members.length ? ` (${members.join(', ')})` : ''}, so the edge does not say which it ${side === 'dst' ? 'feeds' : 'comes from'}`);
    };
    if (a === b && !isNode(a) && hasInnerCycle(flat, a)) {
      warn(`edge ${a} -> ${b} feeds subgraph '${a}' back into itself, which already holds its own recurrent path: read as that path alone (the edge would add a second, unweighted recurrence)`);
      continue;
    }
    resolved.push([end(a, 'src'), end(b, 'dst')]);
  }
  flat.edges = resolved;
  const inner = [...flat.nodes.values()].filter((n) => (n.type === 'Input' || n.type === 'Output') && [...flat.groups].some((g) => n.name.startsWith(`${g}.`) && !n.name.slice(g.length + 1).includes('.')));
  const contracted: { name: string; declared: number[]; neighbour: string; side: 'in' | 'out' }[] = [];
  for (const p of inner) {
    const ins = flat.edges.filter(([, b]) => b === p.name).map(([a]) => a);
    const outs = flat.edges.filter(([a]) => a === p.name).map(([, b]) => b);
    const edges: [string, string][] = [];
    for (const [a, b] of flat.edges) {
      if (b === p.name) { for (const o of outs) edges.push([a, o]); } else if (a !== p.name) edges.push([a, b]);
    }
    flat.edges = edges;
    flat.nodes.delete(p.name);
    const shape = p.fields.get('shape');
    const neighbour = p.type === 'Input' ? outs[0] : ins[0];
    if (shape?.kind === 'number' && neighbour !== undefined) contracted.push({ name: p.name, declared: Array.from(shape.data), neighbour, side: p.type === 'Input' ? 'in' : 'out' });
  }
  return contracted;
}

/** Gives a graph without an Input (or Output) one, when a single node lacks predecessors (successors) and says what it takes. */
function settleIo(flat: Flat, warn: (m: string) => void): void {
  const ofType = (t: string) => [...flat.nodes.values()].filter((n) => n.type === t);
  const unique = (base: string) => { let n = base; for (let k = 1; flat.nodes.has(n); k++) n = `${base}_${k}`; return n; };
  if (ofType('Input').length === 0) {
    const roots = [...flat.nodes.keys()].filter((n) => !flat.edges.some(([, b]) => b === n));
    const accepts = roots.length === 1 ? acceptsOf(flat.nodes.get(roots[0])!)?.shape : undefined;
    if (!accepts) throw new NirError(`the graph has no Input node${roots.length > 1 ? ` and ${roots.length} nodes without inputs (${roots.slice(0, 6).join(', ')})` : ''}, so snnc cannot tell where data enters`);
    const name = unique('input');
    flat.nodes.set(name, { name, type: 'Input', fields: new Map([['shape', { kind: 'number', shape: [accepts.length], data: Float64Array.from(accepts), dtype: '<q' }]]), metadata: new Map() });
    flat.edges.unshift([name, roots[0]]);
    warn(`the graph has no Input node: added '${name}' of shape [${accepts}] before '${roots[0]}', the one node without inputs`);
  }
  if (ofType('Output').length === 0) {
    const sinks = [...flat.nodes.keys()].filter((n) => !flat.edges.some(([a]) => a === n));
    if (sinks.length !== 1) throw new NirError(`the graph has no Output node${sinks.length > 1 ? ` and ${sinks.length} nodes without successors (${sinks.slice(0, 6).join(', ')})` : ''}, so snnc cannot tell what it computes`);
    const name = unique('output');
    flat.nodes.set(name, { name, type: 'Output', fields: new Map(), metadata: new Map() });
    flat.edges.push([sinks[0], name]);
    warn(`the graph has no Output node: added '${name}' after '${sinks[0]}', the one node without successors`);
  }
  for (const t of ['Input', 'Output']) {
    const found = ofType(t);
    if (found.length > 1) throw new NirError(`the graph has ${found.length} ${t} nodes (${found.map((n) => n.name).join(', ')}); snnc runs networks of one ${t.toLowerCase()}`);
  }
}

/** NIR types with state: where a loop the Input does not reach is entered (its closing edge lands on one). */
const LOOP_SEEDS = new Set(['IF', 'LIF', 'CubaLIF', 'LI', 'CubaLI', 'I', 'Delay']);

function acceptsOf(node: NirNode): Accepts | undefined {
  const entry = NIR_TYPES[node.type];
  try {
    return entry?.accepts?.(new NodeFields(node));
  } catch {
    return undefined;
  }
}

/**
 * Reads a NIR file into an IR graph. Every node type of NIR 1.0.7 is read, older files' version drift included;
 * throws UserError (one line, naming the node) for a file that is not NIR, is damaged, or whose network does not
 * hold together.
 */
export function readNir(path: string, opts: ReadNirOptions = {}): NirReadResult {
  const warnings: string[] = [];
  const warn = (m: string) => { warnings.push(m); opts.warn?.(m); };
  if (opts.dt !== undefined && !(Number.isFinite(opts.dt) && opts.dt > 0)) throw new UserError(`--dt must be a positive number of seconds, got ${opts.dt}`);
  const file = readHdf5(path);
  try {
    return readTree(path, file, opts, warn, warnings);
  } catch (e) {
    if (e instanceof GraphError || e instanceof NirError) throw new NirError(`'${path}': ${e.message}`);
    throw e;
  }
}

/** A NIR file's version and node types, without building its graph (for a listing of files, refused ones included). */
export function readNirTypes(path: string): { version: string; types: string[] } {
  const file = readHdf5(path);
  const v = file.datasets.get('version');
  const top = file.groups.get('node');
  if (!top) throw new NirError(`'${path}': the file is HDF5 but not NIR: it has no /node group`);
  const types = new Set<string>();
  collectTypes(parseNode(top, 'node'), types);
  return { version: v?.kind === 'string' && v.data.length === 1 ? v.data[0] : 'unknown', types: [...types].sort() };
}

function readTree(path: string, file: H5Group, opts: ReadNirOptions, warn: (m: string) => void, warnings: string[]): NirReadResult {
  const versionValue = file.datasets.get('version');
  const version = versionValue?.kind === 'string' && versionValue.data.length === 1 ? versionValue.data[0] : 'unknown';
  const top = file.groups.get('node');
  if (!top) throw new NirError(`the file is HDF5 but not NIR: it has no /node group${file.groups.size + file.datasets.size > 0 ? ` (it holds ${[...file.groups.keys(), ...file.datasets.keys()].slice(0, 6).join(', ')})` : ''}`);
  const root = parseNode(top, 'node');
  if (root.type !== 'NIRGraph') throw new NirError(`/node is a single ${root.type} node, not a NIRGraph`);
  const typeSet = new Set<string>();
  collectTypes(root, typeSet);
  if (root.nodes!.size === 0) throw new NirError('the graph has no nodes');
  for (const t of typeSet) {
    if (!NIR_TYPE_NAMES.includes(t)) {
      const holder = findType(root, t, '');
      throw new NirError(`node '${holder}' has NIR type '${t}', which snnc does not know (it reads NIR 1.0.7: ${NIR_TYPE_NAMES.join(', ')}); was the file written by a newer NIR?`);
    }
  }
  const graphMeta = new NodeFields({ name: 'node', type: 'NIRGraph', fields: new Map(), metadata: root.metadata });
  const fileDt = graphMeta.metaNumber('dt');
  const dt = opts.dt ?? fileDt ?? DEFAULT_NIR_DT;
  const dtSource = opts.dt !== undefined ? 'option' : fileDt !== undefined ? 'file' : 'default';

  const flat: Flat = { nodes: new Map(), edges: [], groups: new Set() };
  inline(root, '', flat, warn);
  const contracted = resolveGroups(flat, warn);
  settleIo(flat, warn);

  // Carry shapes from the Input: a node is read once one of its predecessors has been (a recurrent predecessor
  // is read after it, and must deliver the same shape, which buildGraph checks).
  const drifts = new Map<Drift, Set<string>>();
  const preds = new Map<string, string[]>([...flat.nodes.keys()].map((n) => [n, []]));
  const succs = new Map<string, string[]>([...flat.nodes.keys()].map((n) => [n, []]));
  for (const [a, b] of flat.edges) { preds.get(b)!.push(a); succs.get(a)!.push(b); }
  const ir = new Map<string, IRNode>();
  const outShape = new Map<string, number[]>();
  const inShape = new Map<string, number[]>();
  const transposed = new Set<string>();
  const square: string[] = [];
  const inputName = [...flat.nodes.values()].find((n) => n.type === 'Input')!.name;
  const readNode = (name: string, input: number[]) => {
    const node = flat.nodes.get(name)!;
    const drift = (kind: Drift) => { if (!drifts.has(kind)) drifts.set(kind, new Set()); drifts.get(kind)!.add(name); };
    const fields = new NodeFields(node, { drift });
    const irNode = NIR_TYPES[node.type].read(fields, {
      input, dt, warn, drift,
      successorsAccept: () => succs.get(name)!.map((s) => acceptsOf(flat.nodes.get(s)!)),
      transposed: () => transposed.add(name),
    });
    if ((irNode.kind === 'Affine' || irNode.kind === 'Linear') && irNode.weight.shape[0] === irNode.weight.shape[1] && irNode.weight.shape[0] > 1) square.push(name);
    ir.set(name, irNode);
    inShape.set(name, input);
    outShape.set(name, kindOf(irNode).inferShape(name, irNode, input));
  };
  const declared = flat.nodes.get(inputName)!.fields.get('shape');
  if (!declared || declared.kind !== 'number') throw new NirError(`node '${inputName}': the Input has no shape`);
  readNode(inputName, Array.from(declared.data));
  for (;;) {
    for (let progress = true; progress;) {
      progress = false;
      for (const name of flat.nodes.keys()) {
        if (ir.has(name)) continue;
        const from = preds.get(name)!.find((p) => outShape.has(p));
        if (from === undefined) continue;
        readNode(name, outShape.get(from)!);
        progress = true;
      }
    }
    const unread = [...flat.nodes.keys()].filter((n) => !ir.has(n));
    if (unread.length === 0) break;
    const dangling = unread.find((n) => preds.get(n)!.length === 0);
    if (dangling !== undefined) throw new NirError(`node '${dangling}' cannot be reached from the Input '${inputName}' (no edge leads to it)`);
    // A loop the Input does not reach (it runs on its biases, as NIRTorch's feedback test graph): read on from the
    // first of its nodes whose own parameters give its input shape, a neuron layer before a weight matrix; the IR
    // then takes the loop as fed only through its recurrent edge (buildGraph).
    const declares = (n: string) => acceptsOf(flat.nodes.get(n)!)?.shape;
    const seed = unread.find((n) => LOOP_SEEDS.has(flat.nodes.get(n)!.type) && declares(n)) ?? unread.find((n) => declares(n));
    if (seed === undefined) {
      throw new NirError(`node '${unread[0]}' cannot be reached from the Input '${inputName}': it is fed only by nodes the Input does not reach, and none of them states its size`);
    }
    readNode(seed, declares(seed)!);
  }
  // An exporter that wrote its dense weights (in, out) wrote all of them so: square ones too, which no shape can tell.
  if (transposed.size > 0) {
    const fitted = [...flat.nodes.keys()].filter((n) => { const k = ir.get(n)!.kind; return (k === 'Affine' || k === 'Linear') && !transposed.has(n) && !square.includes(n); });
    if (fitted.length === 0 && square.length > 0) {
      for (const n of square) { const node = ir.get(n) as Extract<IRNode, { kind: 'Affine' | 'Linear' }>; node.weight = transposeWeight(node.weight); }
      warn(`the square weights of ${square.map((n) => `'${n}'`).join(', ')} read transposed too: the file stores its other dense weights (${[...transposed].join(', ')}) as (in, out)`);
    }
  }
  for (const c of contracted) {
    const arrives = c.side === 'in' ? inShape.get(c.neighbour) : outShape.get(c.neighbour);
    if (arrives && (arrives.length !== c.declared.length || arrives.some((d, i) => d !== c.declared[i]))) {
      warn(`subgraph ${c.side === 'in' ? 'Input' : 'Output'} '${c.name}' declares shape [${c.declared}], but [${arrives}] ${c.side === 'in' ? `arrives at '${c.neighbour}'` : `leaves '${c.neighbour}'`}: the declaration is ignored`);
    }
  }
  for (const [kind, nodes] of drifts) warn(`version drift: ${DRIFT[kind]} (${[...nodes].slice(0, 8).join(', ')}${nodes.size > 8 ? `, … ${nodes.size} nodes` : ''})`);

  const timeConstants = [...ir.values()].some((n) => kindOf(n).usesDt?.(n as never) || n.kind === 'Delay');
  if (timeConstants && dtSource === 'default') warn(`dt = ${DEFAULT_NIR_DT} s per step, the convention of snnTorch's exporter and Lava's NIR scripts (Norse exports assume 1e-3): pass --dt to change it`);

  const meta = graphMetaFrom(graphMeta, path, version, dt);
  // snnc's own names (HDF5 cannot hold '/' in a name) when the file was written by snnc.
  const rename = new Map<string, string>();
  for (const [name] of ir) { const own = new NodeFields(flat.nodes.get(name)!).metaString('name'); if (own !== undefined && own !== name) rename.set(name, own); }
  const nameOf = (n: string) => rename.get(n) ?? n;
  const graph = buildGraph([...ir].map(([n, node]) => [nameOf(n), node] as const), flat.edges.map(([a, b]) => [nameOf(a), nameOf(b)] as const), meta);
  return { graph, warnings, version, types: [...typeSet].sort(), dt: { value: dt, source: dtSource } };
}

function findType(raw: RawNode, type: string, prefix: string): string {
  for (const [name, child] of raw.nodes ?? []) {
    if (child.type === type) return prefix + name;
    const inner = child.nodes ? findType(child, type, `${prefix}${name}.`) : '';
    if (inner) return inner;
  }
  return '';
}

/** The graph's meta: snnc's own (when snnc wrote the file) or the file's name and NIR version. */
function graphMetaFrom(f: NodeFields, path: string, version: string, dt: number): GraphMeta {
  const notesJson = f.metaString('notes');
  let notes: GraphMeta['notes'];
  if (notesJson !== undefined) {
    try { notes = JSON.parse(notesJson); } catch { throw new NirError('metadata snnc_notes is not JSON'); }
  }
  const timesteps = f.metaNumber('timesteps');
  const encoding = f.metaString('encoding');
  return {
    name: f.metaString('name') ?? basename(path).replace(/\.(nir|h5|hdf5)$/i, ''),
    producer: f.metaString('producer') ?? `NIR ${version}`,
    ...(timesteps !== undefined ? { timesteps } : {}),
    ...(encoding === 'direct' || encoding === 'rate' ? { encoding } : {}),
    dt,
    notes: notes ?? { 'nir.version': version },
  };
}
