import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { schemaValidator } from '../src/util/schema.js';
import { writeFileAtomic } from '../src/util/fs.js';
import { READ_LIMITS, readJsonFile, readRegularFile } from '../src/util/safe-read.js';
import { checkMappedStructure, checkMappedValues, MappedError } from './artifact-check.js';
export { MappedError };
import { targetFile, validateTarget } from '../targets/load.js';
import { packageRoot } from '../src/util/package-root.js';
import type { MappedChip, Population, Projection, QuantGraph } from './types.js';

const require = createRequire(import.meta.url);


export const MAPPED_FILE = 'mapped.json';
export const WEIGHTS_FILE = 'weights.pb';

interface ProtoTypes {
  MappedWeights: {
    create(o: unknown): unknown;
    encode(m: unknown): { finish(): Uint8Array };
    decode(b: Uint8Array): { format: string; version: number; arrays: { name: string; elementBits: number; length: number; data: Uint8Array }[] };
  };
}
let proto: ProtoTypes | undefined;
function weightsProto(): ProtoTypes {
  if (!proto) {
    const protobuf = require('protobufjs');
    const root = protobuf.loadSync(join(packageRoot(), 'schemas', 'weights.proto'));
    proto = { MappedWeights: root.lookupType('snnc.MappedWeights') };
  }
  return proto!;
}

const mappedSchema = () => schemaValidator('mapped.schema.json');

function encodeInts(values: Int32Array): { elementBits: number; data: Uint8Array } {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < values.length; i++) { const v = values[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
  if (lo >= -128 && hi <= 127) return { elementBits: 8, data: new Uint8Array(Int8Array.from(values).buffer) };
  if (lo >= -32768 && hi <= 32767) {
    const a = Int16Array.from(values);
    return { elementBits: 16, data: new Uint8Array(a.buffer, a.byteOffset, a.byteLength) };
  }
  return { elementBits: 32, data: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) };
}

function decodeInts(bits: number, length: number, data: Uint8Array, name: string): Int32Array {
  const bytes = bits / 8;
  if (![1, 2, 4].includes(bytes) || data.length !== length * bytes) throw new MappedError(`${WEIGHTS_FILE}: array '${name}' holds ${data.length} bytes for ${length} elements of ${bits} bits`);
  // protobufjs hands out Node Buffers whose slice() shares memory: copy into an aligned buffer.
  const copy = new Uint8Array(data.length);
  copy.set(data);
  const view = bits === 8 ? new Int8Array(copy.buffer) : bits === 16 ? new Int16Array(copy.buffer) : new Int32Array(copy.buffer);
  return Int32Array.from(view);
}

/** Optional per-neuron arrays of a population, and their names in weights.pb. */
const POPULATION_ARRAYS = [
  ['currentBias', 'currentbias'], ['thresholdPerNeuron', 'threshold'], ['decayPerNeuron', 'decay'],
  ['currentDecayPerNeuron', 'currentdecay'], ['vResetPerNeuron', 'vreset'],
] as const;

/** mapped.json without its integer arrays (they are in weights.pb), in a fixed key order. */
function toJson(chip: MappedChip, weights: { sha256: string; arrays: number }): unknown {
  const q = chip.placement.graph;
  return {
    format: chip.format,
    version: chip.version,
    name: q.name,
    target: targetFile(q.target),
    timesteps: q.timesteps,
    delay: q.delay,
    holdSteps: q.holdSteps ?? 0,
    input: q.input,
    populations: q.populations.map((p) => ({
      name: p.name, shape: p.shape, size: p.size, neuron: p.neuron, readout: p.readout, source: p.source,
      bias: p.bias.length > 0 ? `population/${p.name}/bias` : null,
      vInitPerNeuron: p.vInitPerNeuron ? `population/${p.name}/vinit` : null,
      ...(p.read ? { read: p.read } : {}),
      ...Object.fromEntries(POPULATION_ARRAYS.filter(([field]) => p[field]).map(([field, file]) => [field, `population/${p.name}/${file}`])),
    })),
    projections: q.projections.map((p) => ({
      name: p.name, from: p.from, to: p.to, preShape: p.preShape, postShape: p.postShape,
      weightExponent: p.weightExponent, weightBits: p.weightBits,
      ...(p.recurrent ? { recurrent: true } : {}),
      ...(p.delays ? { delays: `projection/${p.name}/delays` } : {}),
      synapse: p.synapse.kind === 'dense'
        ? { kind: 'dense', weights: `projection/${p.name}/weights` }
        : { kind: 'conv', kernel: p.synapse.kernel, stride: p.synapse.stride, padding: p.synapse.padding, dilation: p.synapse.dilation, groups: p.synapse.groups, weights: `projection/${p.name}/weights` },
    })),
    quantError: q.quantError,
    placement: { pinned: chip.placement.pinned, cost: chip.placement.cost, rowMajorCost: chip.placement.rowMajorCost, cores: chip.placement.cores },
    routes: chip.routes,
    weights: { file: WEIGHTS_FILE, sha256: weights.sha256, arrays: weights.arrays },
  };
}

/** The binary weights file of a mapped chip. */
export function encodeWeights(q: QuantGraph): Uint8Array {
  const arrays: { name: string; elementBits: number; length: number; data: Uint8Array }[] = [];
  const add = (name: string, values: Int32Array) => arrays.push({ name, length: values.length, ...encodeInts(values) });
  for (const p of q.populations) {
    if (p.bias.length > 0) add(`population/${p.name}/bias`, p.bias);
    if (p.vInitPerNeuron) add(`population/${p.name}/vinit`, p.vInitPerNeuron);
    for (const [field, file] of POPULATION_ARRAYS) if (p[field]) add(`population/${p.name}/${file}`, p[field]!);
  }
  for (const p of q.projections) {
    add(`projection/${p.name}/weights`, p.synapse.weights);
    if (p.delays) add(`projection/${p.name}/delays`, p.delays);
  }
  const { MappedWeights } = weightsProto();
  return MappedWeights.encode(MappedWeights.create({ format: 'snnc-weights', version: 1, arrays })).finish();
}

/** Serialises a mapped chip: returns the two files' contents (mapped.json text and weights.pb bytes). */
export function serializeMapped(chip: MappedChip): { json: string; weights: Uint8Array } {
  const weights = encodeWeights(chip.placement.graph);
  const sha256 = createHash('sha256').update(weights).digest('hex');
  const g = chip.placement.graph;
  const arrays = g.populations.reduce((a, p) => a + (p.bias.length > 0 ? 1 : 0) + (p.vInitPerNeuron ? 1 : 0) + POPULATION_ARRAYS.filter(([f]) => p[f]).length, 0)
    + g.projections.reduce((a, p) => a + 1 + (p.delays ? 1 : 0), 0);
  const json = `${JSON.stringify(toJson(chip, { sha256, arrays }), null, 1)}\n`;
  return { json, weights };
}

/** Writes mapped.json and weights.pb into `dir` (atomically, weights first so a reader never sees a json without them). */
export function writeMapped(dir: string, chip: MappedChip): { json: string; weights: Uint8Array } {
  const out = serializeMapped(chip);
  const check = mappedSchema();
  if (!check(JSON.parse(out.json))) throw new Error(`internal: mapped.json fails its schema: ${JSON.stringify(check.errors?.[0])}`);
  writeFileAtomic(join(dir, WEIGHTS_FILE), out.weights);
  writeFileAtomic(join(dir, MAPPED_FILE), out.json);
  return out;
}

/**
 * Reads a mapped artifact folder (mapped.json + weights.pb) back into a MappedChip: validates the JSON
 * against schemas/mapped.schema.json and the target against its schema, checks the weights' SHA-256 and
 * every array's length. Errors are MappedError (user errors) naming the file and the fault.
 */
export function readMapped(dir: string): MappedChip {
  const jsonPath = join(dir, MAPPED_FILE);
  const mappedError = (m: string) => new MappedError(m);
  let data: Record<string, unknown>;
  try {
    data = readJsonFile(jsonPath, { what: 'mapped artifact', maxBytes: READ_LIMITS.json, error: mappedError }) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof MappedError && e.message.endsWith(`'${jsonPath}' does not exist`)) {
      throw new MappedError(`'${dir}' holds no ${MAPPED_FILE} (compile a model first: snnc compile MODEL --target NAME -o ${dir})`);
    }
    throw e;
  }
  const check = mappedSchema();
  if (!check(data)) {
    const err = check.errors![0];
    throw new MappedError(`${jsonPath}: ${err.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(top level)'} ${err.message}`);
  }
  const target = validateTarget(data.target, `in ${jsonPath}`);
  // The meaning, not only the types: shapes, cores and capacities, before anything is sized from them.
  const declared = checkMappedStructure(data, target, jsonPath);
  const w = data.weights as { file: string; sha256: string };
  if (w.file.includes('/') || w.file.includes('\\') || w.file === '.' || w.file === '..' || w.file === '') throw new MappedError(`${jsonPath}: weights file '${w.file}' must be a file name beside it`);
  const weightsPath = join(dir, w.file);
  // The weights file cannot be larger than the arrays mapped.json declares (4 bytes a value at most, plus framing).
  const maxWeightBytes = Math.min(READ_LIMITS.onnx, 64 + declared.reduce((a, d) => a + 4 * d.length + d.name.length + 32, 0));
  const bytes = readRegularFile(weightsPath, { what: 'weights file', maxBytes: maxWeightBytes, error: mappedError });
  if (createHash('sha256').update(bytes).digest('hex') !== w.sha256) throw new MappedError(`${weightsPath} does not match the SHA-256 recorded in ${MAPPED_FILE} (written by another compile?)`);
  let decoded: ReturnType<ProtoTypes['MappedWeights']['decode']>;
  try {
    decoded = weightsProto().MappedWeights.decode(bytes);
  } catch (e) {
    throw new MappedError(`${weightsPath} is not a weights file: ${(e as Error).message}`);
  }
  const arrays = new Map<string, Int32Array>();
  for (const a of decoded.arrays) arrays.set(a.name, decodeInts(a.elementBits, a.length, a.data, a.name));
  const get = (name: string, length: number): Int32Array => {
    const a = arrays.get(name);
    if (!a) throw new MappedError(`${weightsPath} has no array '${name}'`);
    if (a.length !== length) throw new MappedError(`${weightsPath}: array '${name}' has ${a.length} values, ${length} expected`);
    return a;
  };
  type JsonPop = Omit<Population, 'bias' | 'vInitPerNeuron' | (typeof POPULATION_ARRAYS)[number][0]> & { bias: string | null; vInitPerNeuron: string | null } & Partial<Record<(typeof POPULATION_ARRAYS)[number][0], string>>;
  type JsonProj = Omit<Projection, 'synapse' | 'delays'> & { delays?: string; synapse: Record<string, unknown> & { kind: 'dense' | 'conv'; weights: string } };
  const populations: Population[] = (data.populations as JsonPop[]).map((p) => ({
    name: p.name, shape: p.shape, size: p.size, neuron: p.neuron, readout: p.readout, source: p.source,
    bias: p.bias ? get(p.bias, p.size) : new Int32Array(0),
    ...(p.vInitPerNeuron ? { vInitPerNeuron: get(p.vInitPerNeuron, p.size) } : {}),
    ...(p.read ? { read: p.read } : {}),
    ...Object.fromEntries(POPULATION_ARRAYS.filter(([field]) => p[field]).map(([field]) => [field, get(p[field]!, p.size)])),
  }));
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const projections: Projection[] = (data.projections as JsonProj[]).map(({ delays: delayRef, ...p }) => {
    const s = p.synapse;
    const delays = delayRef ? { delays: get(delayRef, size(p.preShape)) } : {};
    if (s.kind === 'dense') {
      return { ...p, ...delays, synapse: { kind: 'dense', weights: get(s.weights, size(p.preShape) * size(p.postShape)) } };
    }
    const kernel = s.kernel as [number, number];
    const groups = s.groups as number;
    const n = p.postShape[0] * (p.preShape[0] / groups) * kernel[0] * kernel[1];
    return {
      ...p, ...delays,
      synapse: {
        kind: 'conv', weights: get(s.weights, n), kernel, stride: s.stride as [number, number],
        padding: s.padding as [number, number, number, number], dilation: s.dilation as [number, number], groups,
      },
    };
  });
  const placement = data.placement as { pinned: boolean; cost: number; rowMajorCost: number; cores: MappedChip['placement']['cores'] };
  const graph: QuantGraph = {
    name: data.name as string, target, timesteps: data.timesteps as number, delay: data.delay as QuantGraph['delay'],
    input: data.input as QuantGraph['input'], populations, projections,
    quantError: data.quantError as Record<string, number>,
    ...(typeof data.holdSteps === 'number' ? { holdSteps: data.holdSteps } : {}),
  };
  const chip: MappedChip = {
    format: 'snnc-mapped', version: 1,
    placement: { graph, cores: placement.cores, cost: placement.cost, rowMajorCost: placement.rowMajorCost, pinned: placement.pinned },
    routes: data.routes as MappedChip['routes'],
  };
  checkMappedValues(chip, jsonPath);
  return chip;
}
