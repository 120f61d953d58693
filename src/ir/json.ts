import { READ_LIMITS, readJsonFile } from '../util/safe-read.js';
import { validateSchema } from '../util/schema.js';
import { writeFileAtomic } from '../util/fs.js';
import { buildGraph, kindOf, shapeSize, GraphError, NODE_KINDS, type Graph, type GraphMeta, type IRNode, type Tensor } from './graph.js';

/** A tensor in JSON: little-endian float32 values in base64 (compact and exact). */
export interface TensorJson {
  shape: number[];
  dtype: 'float32';
  data: string;
}

/** A node in JSON: its name plus the node's fields, tensors as {@link TensorJson}. */
export type NodeJson = { name: string; kind: IRNode['kind'] } & Record<string, unknown>;

/** The JSON form of a graph (schemas/ir.schema.json). */
export interface IrJson {
  $schema?: string;
  format: 'snnc-ir';
  version: 1;
  meta: GraphMeta;
  nodes: NodeJson[];
  edges: [string, string][];
}

/** Largest IR JSON file read (a graph this size would not fit any target anyway). */
export const MAX_IR_JSON_BYTES = READ_LIMITS.json;


export function tensorToJson(t: Tensor): TensorJson {
  const bytes = new Uint8Array(t.data.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < t.data.length; i++) view.setFloat32(i * 4, t.data[i], true);
  return { shape: [...t.shape], dtype: 'float32', data: Buffer.from(bytes).toString('base64') };
}

export function tensorFromJson(j: TensorJson, what: string): Tensor {
  const size = shapeSize(j.shape);
  // base64 length fixes the byte count: check it before decoding anything.
  const expectedChars = Math.ceil((size * 4) / 3) * 4;
  if (j.data.length !== expectedChars) throw new GraphError(`${what}: shape [${j.shape}] needs ${size * 4} bytes, the base64 data holds about ${Math.floor((j.data.length * 3) / 4)}`);
  const bytes = Buffer.from(j.data, 'base64');
  if (bytes.length !== size * 4) throw new GraphError(`${what}: shape [${j.shape}] needs ${size * 4} bytes, the data holds ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = view.getFloat32(i * 4, true);
  return { shape: [...j.shape], data };
}

/** Serialises a graph; nodes in topological order, edges as built. */
export function graphToJson(g: Graph): IrJson {
  const nodes: NodeJson[] = g.order.map((name) => {
    const node = g.nodes.get(name)!;
    const out: NodeJson = { name, kind: node.kind };
    const tensors = kindOf(node).tensors;
    for (const [k, v] of Object.entries(node)) {
      if (k === 'kind' || v === undefined) continue;
      out[k] = tensors.includes(k) && typeof v === 'object' ? tensorToJson(v as Tensor) : Array.isArray(v) ? [...v] : v;
    }
    return out;
  });
  const meta: GraphMeta = JSON.parse(JSON.stringify(g.meta));
  return { format: 'snnc-ir', version: 1, meta, nodes, edges: g.edges.map(([a, b]) => [a, b]) };
}

/** Validates JSON against schemas/ir.schema.json, decodes tensors and builds (and so checks) the graph. */
export function graphFromJson(json: unknown, origin = 'IR JSON'): Graph {
  const ir = validateSchema<IrJson>('ir.schema.json', json, origin);
  const nodes: [string, IRNode][] = ir.nodes.map((n) => {
    const node: Record<string, unknown> = {};
    // An unknown kind is left to buildGraph, which names it.
    const tensors = NODE_KINDS.includes(n.kind) ? kindOf(n as unknown as IRNode).tensors : [];
    for (const [k, v] of Object.entries(n)) {
      if (k === 'name') continue;
      node[k] = tensors.includes(k) && typeof v === 'object' && v !== null ? tensorFromJson(v as TensorJson, `node '${n.name}' ${k}`) : v;
    }
    return [n.name, node as unknown as IRNode];
  });
  return buildGraph(nodes, ir.edges, ir.meta);
}

export function writeGraphJson(path: string, g: Graph): void {
  writeFileAtomic(path, JSON.stringify(graphToJson(g)) + '\n');
}

export function readGraphJson(path: string): Graph {
  const json = readJsonFile(path, { what: 'IR graph', maxBytes: MAX_IR_JSON_BYTES });
  return graphFromJson(json, `'${path}'`);
}
