/**
 * A plain mapping for hand-built QuantGraphs (tests, benchmarks, vectors without a placement): populations
 * are cut into slices of at most `neuronsPerCore` neurons and laid on consecutive cores, tiles row-major.
 * The compiler's placer (compiler/) is what real networks use; this exists so the engine can be exercised
 * on networks that never went through it.
 */
import type { CoreAssignment, MappedChip, QuantGraph } from '../compiler/types.js';
import { UserError } from '../src/util/errors.js';
import { routeCores } from '../compiler/route.js';
import { buildSynapses } from './synapses.js';

export function sequentialMapping(graph: QuantGraph, neuronsPerCore = graph.target.core.neurons.value, firstCore = 0): MappedChip {
  const t = graph.target;
  const perTile = t.mesh.coresPerTile.value;
  const width = t.mesh.width.value;
  const available = t.mesh.width.value * t.mesh.height.value * perTile;
  const cores: CoreAssignment[] = [];
  let id = firstCore;
  for (const pop of graph.populations) {
    for (let start = 0; start < pop.size; start += neuronsPerCore) {
      if (id >= available) throw new UserError(`'${graph.name}' needs more than the ${available} cores of '${t.name}' at ${neuronsPerCore} neurons per core`);
      const end = Math.min(pop.size, start + neuronsPerCore);
      const tile = Math.floor(id / perTile);
      cores.push({
        id, tile, x: tile % width, y: Math.floor(tile / width),
        slices: [{ population: pop.name, start, end }],
        usage: { neurons: end - start, inputAxons: 0, outputAxons: 0, synapseBits: 0 },
      });
      id++;
    }
  }
  return routedChip(graph, cores);
}

/**
 * A pinned mapping of hand-placed cores, routed by the compiler's router (compiler/route.ts): every pair of cores
 * that exchange spikes (some neuron of the first has a synapse onto a neuron of the second) gets its route.
 */
export function routedChip(graph: QuantGraph, cores: CoreAssignment[]): MappedChip {
  const index = new Map(graph.populations.map((p, i) => [p.name, i]));
  const coreOf = graph.populations.map((p) => new Int32Array(p.size).fill(-1));
  for (const c of cores) {
    for (const s of c.slices) {
      const pi = index.get(s.population);
      if (pi !== undefined) coreOf[pi].fill(c.id, Math.max(0, s.start), Math.min(graph.populations[pi].size, s.end));
    }
  }
  const pairs = new Map<string, [number, number]>();
  for (const q of buildSynapses(graph)) {
    if (q.from < 0) continue;
    const src = coreOf[q.from], dst = coreOf[q.to];
    for (let i = 0; i < q.preSize; i++) {
      const a = src[i];
      let last = -2;
      q.forEachTarget(i, (post) => {
        const b = dst[post];
        if (b === last || a < 0 || b < 0) return;
        last = b;
        const key = `${a}>${b}`;
        if (!pairs.has(key)) pairs.set(key, [a, b]);
      });
    }
  }
  return { format: 'snnc-mapped', version: 1, placement: { graph, cores, cost: 0, rowMajorCost: 0, pinned: true }, routes: routeCores(graph.target, pairs.values()) };
}
