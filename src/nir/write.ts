/**
 * Writes an IR graph as a NIR file in the layout `nir.write` writes (NIR 1.0): `/version`; `/node` a NIRGraph with
 * `type`, `nodes/<name>/{type, fields…, metadata/…}` and `edges` an (E, 2) array of node names; strings
 * variable-length UTF-8; the graph's and each node's `metadata` group. Each node's fields come from its NIR type's
 * entry in table.ts. What NIR cannot say is written as `snnc_*` metadata, so that snnc reads the file back as the
 * same network, and reported as a warning, because other NIR readers will not see it (NIR has no reset by
 * subtraction: they reset such neurons to v_reset).
 */
import { shapeSize, type Graph } from '../ir/graph.js';
import { UserError } from '../util/errors.js';
import { writeHdf5, type H5Data, type H5Tree } from './hdf5.js';
import { entryForKind, FieldWriter } from './table.js';
import { DEFAULT_NIR_DT } from './read.js';

/** The NIR release whose file layout snnc writes. */
export const NIR_LAYOUT_VERSION = '1.0.7';

export interface WriteNirOptions {
  warn?: (message: string) => void;
}

/** What other NIR readers lose of a node, by the FieldWriter's loss tags. */
const LOSSES: Record<string, (nodes: string) => string> = {
  'reset-subtract': (n) => `NIR has no reset by subtraction: ${n} reset by subtracting the threshold; the file records it (metadata snnc_reset) and snnc reads it back exactly, but other NIR readers will reset them to v_reset (0)`,
  'fire-ge': (n) => `NIR neurons fire when v > θ: ${n} fire at v ≥ θ (metadata snnc_fire), which other NIR readers will not see`,
  'v-init': (n) => `${n} start from a non-zero potential (metadata snnc_v_init); other NIR readers start from 0`,
  'scale-bias': (n) => `NIR's Scale has no bias: the bias of ${n} is in metadata snnc_bias only`,
  'asymmetric-padding': (n) => `NIR stores symmetric padding: the asymmetric padding of ${n} is in metadata snnc_padding only`,
  'count-include-pad': (n) => `${n} average over in-bounds cells only (metadata snnc_count_include_pad); other readers divide by the kernel area`,
};

/** HDF5 names cannot hold '/' nor be '.' or '..': such IR names (ONNX's '/conv1/Conv') are stored escaped. */
function storedNames(graph: Graph): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const name of graph.order) {
    let base = name.replace(/\//g, '_');
    if (base === '' || base === '.' || base === '..') base = `node${base}`;
    let stored = base;
    for (let k = 1; taken.has(stored) || (stored !== name && graph.nodes.has(stored)); k++) stored = `${base}_${k}`;
    taken.add(stored);
    out.set(name, stored);
  }
  return out;
}

/**
 * Writes `graph` to `path` as NIR (atomically). Throws UserError for a node NIR has no type for (ReLU, Clip,
 * MaxPool2d: convert the ANN to a spiking network first). Returns the warnings (also passed to `opts.warn`).
 */
export function writeNir(graph: Graph, path: string, opts: WriteNirOptions = {}): { warnings: string[] } {
  const warnings: string[] = [];
  const warn = (m: string) => { warnings.push(m); opts.warn?.(m); };
  const dt = graph.meta.dt ?? DEFAULT_NIR_DT;
  const names = storedNames(graph);
  const losses = new Map<string, string[]>();
  const dtFree: string[] = [];
  const nodeGroups: [string, H5Tree][] = [];
  for (const name of graph.order) {
    const node = graph.nodes.get(name)!;
    const found = entryForKind(node.kind);
    if (!found) {
      throw new UserError(`node '${name}' is a ${node.kind}, which NIR has no type for: NIR holds spiking networks; convert the ANN first (snnc export converts an ANN model it reads)`);
    }
    const [type, entry] = found;
    const w = new FieldWriter(graph.shapes.get(name)!, dt);
    const stored = entry.write!(node, w) || type;
    const fields = node as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (fields[key] !== undefined && !w.used.has(key)) throw new Error(`internal: the NIR ${type} writer leaves out ${node.kind}.${key} of node '${name}'`);
    }
    for (const loss of w.losses) losses.set(loss, [...(losses.get(loss) ?? []), name]);
    if (node.kind === 'LIF' && node.leak !== undefined) dtFree.push(name);
    if (names.get(name) !== name) w.metaString('name', name);
    const datasets: [string, H5Data][] = [['type', { kind: 'string', value: stored }], ...w.datasets];
    nodeGroups.push([names.get(name)!, { datasets, groups: w.metadata.length > 0 ? [['metadata', { datasets: w.metadata, groups: [] }]] : [] }]);
  }
  for (const [loss, nodes] of losses) warn(LOSSES[loss](list(nodes)));
  if (dtFree.length > 0) warn(`snnc's dt-free LIF ${list(dtFree)} written as NIR LIF with tau = dt/leak and r = 1/leak for dt = ${dt} s (metadata snnc_dt): other readers must run them at that dt`);

  const edges = graph.edges.flatMap(([a, b]) => [names.get(a)!, names.get(b)!]);
  const m = graph.meta;
  const graphMeta: [string, H5Data][] = [
    ['snnc_dt', { kind: 'float64', value: [dt], shape: [] }],
    ['snnc_name', { kind: 'string', value: m.name }],
    ...(m.producer !== undefined ? [['snnc_producer', { kind: 'string', value: m.producer }] as [string, H5Data]] : []),
    ...(m.timesteps !== undefined ? [['snnc_timesteps', { kind: 'float64', value: [m.timesteps], shape: [] }] as [string, H5Data]] : []),
    ...(m.encoding !== undefined ? [['snnc_encoding', { kind: 'string', value: m.encoding }] as [string, H5Data]] : []),
    ...(m.notes !== undefined ? [['snnc_notes', { kind: 'string', value: JSON.stringify(m.notes) }] as [string, H5Data]] : []),
  ];
  const tree: H5Tree = {
    datasets: [['version', { kind: 'string', value: NIR_LAYOUT_VERSION }]],
    groups: [['node', {
      datasets: [['type', { kind: 'string', value: 'NIRGraph' }], ['edges', { kind: 'string', value: edges, shape: [graph.edges.length, 2] }]],
      groups: [['nodes', { datasets: [], groups: nodeGroups }], ['metadata', { datasets: graphMeta, groups: [] }]],
    }]],
  };
  if (shapeSize([graph.edges.length, 2]) !== edges.length) throw new Error('internal: edge list');
  writeHdf5(path, tree);
  return { warnings };
}

function list(nodes: string[]): string {
  const shown = nodes.slice(0, 6).map((n) => `'${n}'`).join(', ');
  return nodes.length > 6 ? `${shown} and ${nodes.length - 6} more` : shown;
}
