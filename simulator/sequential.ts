/**
 * A plain mapping for hand-built QuantGraphs (tests, benchmarks, vectors without a placement): populations
 * are cut into slices of at most `neuronsPerCore` neurons and laid on consecutive cores, tiles row-major.
 * The compiler's placer (compiler/) is what real networks use; this exists so the engine can be exercised
 * on networks that never went through it.
 */
import type { CoreAssignment, MappedChip, QuantGraph } from '../compiler/types.js';
import { UserError } from '../src/util/errors.js';

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
  return { format: 'snnc-mapped', version: 1, placement: { graph, cores, cost: 0, rowMajorCost: 0, pinned: true }, routes: [] };
}
