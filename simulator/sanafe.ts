/**
 * Loads a SANA-FE conformance vector (the format of ../shared/vectors/sanafe-ff/network.json: integer IF
 * layers, dense source-major edges, a neuron-to-core mapping and SANA-FE's reported totals) into a
 * QuantGraph and a pinned MappedChip, so the same engine that runs compiled networks runs it.
 */
import { READ_LIMITS, readJsonFile } from '../src/util/safe-read.js';
import type {
  CoreAssignment, MappedChip, Population, Projection, QuantGraph,
} from '../compiler/types.js';
import type { TargetSpec } from '../targets/target.js';
import { UserError } from '../src/util/errors.js';
import { routeCores } from '../compiler/route.js';

/** What SANA-FE reported for the vector (`expected_from_sanafe`). */
export interface SanafeExpected {
  timesteps: number;
  synapticEvents: number;
  messages: number;
  neuronUpdates: number;
  spikes: number;
  simTimeS: number;
  energyJ: { synapse: number; dendrite: number; soma: number; network: number; total: number };
}

export interface SanafeVector {
  mapped: MappedChip;
  expected?: SanafeExpected;
}

export class VectorError extends UserError {
  constructor(file: string, message: string) {
    super(`vector '${file}': ${message}`);
    this.name = 'VectorError';
  }
}

type Json = Record<string, unknown>;

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Reads and converts a vector file for `target`; any fault in the file is a VectorError naming it. */
export function loadSanafeVector(file: string, target: TargetSpec): SanafeVector {
  const doc = readJsonFile(file, { what: 'SANA-FE vector', maxBytes: READ_LIMITS.json });
  return vectorFromJson(doc, target, file);
}

/** Converts a parsed vector document (see loadSanafeVector). */
export function vectorFromJson(doc: unknown, target: TargetSpec, file = '<vector>'): SanafeVector {
  const fail = (m: string): never => { throw new VectorError(file, m); };
  if (!isObject(doc) || !isObject(doc.network)) fail('has no "network" object');
  const net = (doc as Json).network as Json;
  if (!Array.isArray(net.layers) || net.layers.length === 0) fail('network.layers must be a non-empty list');
  if (!Array.isArray(net.edges)) fail('network.edges must be a list');
  const int = (x: unknown, what: string): number => {
    if (typeof x !== 'number' || !Number.isInteger(x)) fail(`${what} must be an integer, got ${JSON.stringify(x)}`);
    return x as number;
  };
  const stateBits = target.precision.stateBits.value;
  const decayBits = target.precision.decayBits.value;

  const populations: Population[] = [];
  const sizes = new Map<string, number>();
  for (const [k, raw] of (net.layers as unknown[]).entries()) {
    if (!isObject(raw)) fail(`layer ${k} is not an object`);
    const l = raw as Json;
    if (typeof l.name !== 'string' || l.name === '' || l.name === 'input') fail(`layer ${k} needs a name (not 'input')`);
    const name = l.name as string;
    if (sizes.has(name)) fail(`layer '${name}' is declared twice`);
    const size = int(l.size, `layer '${name}' size`);
    if (size < 1 || size > 1 << 24) fail(`layer '${name}' size ${size} is out of range`);
    const threshold = int(l.threshold, `layer '${name}' threshold`);
    const resetMode = l.reset_mode ?? 'hard';
    if (resetMode !== 'soft' && resetMode !== 'hard') fail(`layer '${name}' reset_mode must be 'soft' or 'hard', got ${JSON.stringify(resetMode)}`);
    const resetValue = l.reset_value === undefined ? 0 : int(l.reset_value, `layer '${name}' reset_value`);
    if (resetMode === 'hard' && resetValue !== 0) fail(`layer '${name}': hard reset to ${resetValue} is not supported (only 0)`);
    const bias = l.bias === undefined ? 0 : int(l.bias, `layer '${name}' bias`);
    const leakRaw = l.leak_decay === undefined ? 1 : l.leak_decay;
    if (typeof leakRaw !== 'number' || !(leakRaw > 0 && leakRaw <= 1)) fail(`layer '${name}' leak_decay must be in (0, 1], got ${JSON.stringify(leakRaw)}`);
    const leak = leakRaw as number;
    let vInit = 0;
    let vInitPerNeuron: Int32Array | undefined;
    if (Array.isArray(l.initial_potential)) {
      if (l.initial_potential.length !== size) fail(`layer '${name}' has ${l.initial_potential.length} initial potentials for ${size} neurons`);
      vInitPerNeuron = Int32Array.from(l.initial_potential as unknown[], (x, i) => int(x, `layer '${name}' initial_potential[${i}]`));
    } else if (l.initial_potential !== undefined) vInit = int(l.initial_potential, `layer '${name}' initial_potential`);
    const leaky = leak !== 1;
    populations.push({
      name, shape: [size], size,
      neuron: {
        model: leaky ? 'LIF' : 'IF',
        threshold,
        reset: resetMode === 'soft' ? 'subtract' : 'zero',
        // SANA-FE multiplies by a float decay; a 12-bit fraction is the nearest integer model.
        decay: leaky ? Math.round(leak * 2 ** decayBits) : undefined,
        stateBits,
        vInit,
      },
      bias: bias === 0 ? new Int32Array(0) : new Int32Array(size).fill(bias),
      readout: false,
      source: name,
      vInitPerNeuron,
    });
    sizes.set(name, size);
  }

  const projections: Projection[] = [];
  for (const [k, raw] of (net.edges as unknown[]).entries()) {
    if (!isObject(raw)) fail(`edge ${k} is not an object`);
    const e = raw as Json;
    const from = e.from as string, to = e.to as string;
    const nFrom = sizes.get(from), nTo = sizes.get(to);
    if (nFrom === undefined) fail(`edge ${k} comes from unknown layer ${JSON.stringify(e.from)}`);
    if (nTo === undefined) fail(`edge ${k} goes to unknown layer ${JSON.stringify(e.to)}`);
    if (!Array.isArray(e.weights) || e.weights.length !== nFrom! * nTo!) {
      fail(`edge ${from}→${to} needs ${nFrom! * nTo!} weights (${nFrom}×${nTo}, row = source), got ${Array.isArray(e.weights) ? e.weights.length : 'none'}`);
    }
    const w = e.weights as unknown[];
    // The vector stores rows by source; snnc's dense projections are [post][pre].
    const weights = new Int32Array(nFrom! * nTo!);
    let maxAbs = 0;
    for (let src = 0; src < nFrom!; src++) {
      for (let dst = 0; dst < nTo!; dst++) {
        const x = w[src * nTo! + dst];
        if (typeof x !== 'number' || !Number.isInteger(x)) fail(`edge ${from}→${to} weight [${src}, ${dst}] must be an integer, got ${JSON.stringify(x)}`);
        weights[dst * nFrom! + src] = x as number;
        maxAbs = Math.max(maxAbs, Math.abs(x as number));
      }
    }
    projections.push({
      name: `${from}->${to}`, from, to, preShape: [nFrom!], postShape: [nTo!], weightExponent: 0,
      weightBits: Math.max(1, Math.ceil(Math.log2(maxAbs + 1)) + 1),
      synapse: { kind: 'dense', weights },
    });
  }

  const graph: QuantGraph = {
    name: 'sanafe-vector',
    target,
    timesteps: isObject((doc as Json).expected_from_sanafe) ? Number(((doc as Json).expected_from_sanafe as Json).timesteps_executed) || 100 : 100,
    delay: 'hardware',
    // A vector has no external input (its first layer runs on bias): a one-value input that feeds nothing.
    input: { shape: [1], encoding: 'direct', inputScale: 1 },
    populations,
    projections,
    quantError: {},
  };

  // Pinned placement: tiles on the mesh row-major (tile t at x = t mod width, y = floor(t / width)).
  if (!Array.isArray((doc as Json).mapping)) fail('has no "mapping" list');
  const width = target.mesh.width.value, height = target.mesh.height.value, perTile = target.mesh.coresPerTile.value;
  const cores = new Map<number, CoreAssignment>();
  for (const [k, raw] of ((doc as Json).mapping as unknown[]).entries()) {
    if (!isObject(raw)) fail(`mapping entry ${k} is not an object`);
    const m = raw as Json;
    const size = sizes.get(m.layer as string);
    if (size === undefined) fail(`mapping entry ${k} names unknown layer ${JSON.stringify(m.layer)}`);
    const first = int(m.first, `mapping entry ${k} first`), last = int(m.last, `mapping entry ${k} last`);
    const tile = int(m.tile, `mapping entry ${k} tile`), core = int(m.core, `mapping entry ${k} core`);
    if (first < 0 || last >= size! || first > last) fail(`mapping entry ${k}: neurons ${first}..${last} outside layer '${m.layer}' of ${size}`);
    if (tile < 0 || tile >= width * height) fail(`mapping entry ${k}: tile ${tile} is not on the ${width}×${height} mesh of '${target.name}'`);
    if (core < 0 || core >= perTile) fail(`mapping entry ${k}: core ${core} (a tile of '${target.name}' has ${perTile})`);
    const id = tile * perTile + core;
    let a = cores.get(id);
    if (!a) {
      a = { id, tile, x: tile % width, y: Math.floor(tile / width), slices: [], usage: { neurons: 0, inputAxons: 0, outputAxons: 0, synapseBits: 0 } };
      cores.set(id, a);
    }
    a.slices.push({ population: m.layer as string, start: first, end: last + 1 });
    a.usage.neurons += last + 1 - first;
    if (a.usage.neurons > target.core.neurons.value) fail(`core ${id} holds ${a.usage.neurons} neurons, '${target.name}' cores hold ${target.core.neurons.value}`);
  }
  const coreList = [...cores.values()].sort((a, b) => a.id - b.id);
  // Core usage against capacity (reported, as the compiler does for compiled networks).
  const coreOf = new Map<string, Int32Array>();
  for (const p of populations) coreOf.set(p.name, new Int32Array(p.size).fill(-1));
  for (const c of coreList) for (const s of c.slices) coreOf.get(s.population)!.fill(c.id, s.start, s.end);
  for (const p of populations) {
    const missing = coreOf.get(p.name)!.indexOf(-1);
    if (missing !== -1) fail(`neuron ${missing} of layer '${p.name}' is not mapped to a core`);
  }
  const byId = new Map(coreList.map((c) => [c.id, c]));
  for (const pr of projections) {
    const src = coreOf.get(pr.from)!, dst = coreOf.get(pr.to)!;
    const srcCores = new Set(src), dstCores = new Set(dst);
    for (const c of dstCores) {
      const nSrc = src.length;
      byId.get(c)!.usage.inputAxons += nSrc;
      byId.get(c)!.usage.synapseBits += nSrc * dst.filter((x) => x === c).length * pr.weightBits;
    }
    for (const c of srcCores) byId.get(c)!.usage.outputAxons += src.filter((x) => x === c).length * dstCores.size;
  }

  // Every core holding a source layer of a projection sends to every core of its target layer (dense edges).
  const pairs: [number, number][] = [];
  for (const pr of projections) {
    if (pr.from === 'input') continue;
    for (const src of new Set(coreOf.get(pr.from)!)) for (const d of new Set(coreOf.get(pr.to)!)) pairs.push([src, d]);
  }
  const routes = routeCores(target, pairs);

  const mapped: MappedChip = {
    format: 'snnc-mapped',
    version: 1,
    placement: { graph, cores: coreList, cost: 0, rowMajorCost: 0, pinned: true },
    routes,
  };

  let expected: SanafeExpected | undefined;
  const ex = (doc as Json).expected_from_sanafe;
  if (isObject(ex)) {
    const en = isObject(ex.energy_J) ? ex.energy_J : {};
    const num = (x: unknown) => (typeof x === 'number' ? x : NaN);
    expected = {
      timesteps: num(ex.timesteps_executed),
      synapticEvents: num(ex.total_spikes),
      messages: num(ex.total_messages_sent),
      neuronUpdates: num(ex.total_neurons_updated),
      spikes: num(ex.total_neurons_fired),
      simTimeS: num(ex.sim_time),
      energyJ: { synapse: num(en.synapse), dendrite: num(en.dendrite), soma: num(en.soma), network: num(en.network), total: num(en.total) },
    };
  }
  return { mapped, expected };
}
