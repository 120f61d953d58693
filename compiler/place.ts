import { boxToSlices, populationShapes, type Partition } from './partition.js';
import { hopsBetween, meshOf, tileXY, type Mesh } from './mesh.js';
import type { CoreAssignment, PlacedNetwork } from './types.js';

interface CoreIds {
  /** Physical core id of every virtual core. */
  coreOf: Int32Array;
  cost: number;
  rowMajorCost: number;
}

/** Undirected weighted adjacency between virtual cores: spikes per step both ways. */
function adjacency(p: Partition, rates: Float64Array): { nbr: Int32Array[]; weight: Float64Array[] } {
  const maps = p.cores.map(() => new Map<number, number>());
  for (const l of p.links) {
    if (l.from === l.to) continue;
    const w = l.neurons * rates[l.from];
    maps[l.from].set(l.to, (maps[l.from].get(l.to) ?? 0) + w);
    maps[l.to].set(l.from, (maps[l.to].get(l.from) ?? 0) + w);
  }
  return {
    nbr: maps.map((m) => Int32Array.from([...m.keys()].sort((a, b) => a - b))),
    weight: maps.map((m) => Float64Array.from([...m.keys()].sort((a, b) => a - b).map((k) => m.get(k)!))),
  };
}

/** Hop-weighted traffic: Σ over core pairs of spikes per step × Manhattan distance of their tiles. */
export function placementCost(p: Partition, mesh: Mesh, coreOf: Int32Array, rates: Float64Array): number {
  let cost = 0;
  for (const l of p.links) cost += l.neurons * rates[l.from] * hopsBetween(mesh, coreOf[l.from], coreOf[l.to]);
  return cost;
}

/**
 * Places virtual cores on the mesh to minimise hop-weighted spike traffic. Row-major placement (virtual
 * core i on physical core i) is the baseline. The placer works in a near-square region of tiles just
 * large enough for the network: cores are placed in dependency order, each on the free tile closest (in
 * traffic-weighted hops) to the cores it exchanges spikes with that are already placed; the first layer
 * follows a serpentine through the region. Then a few passes of local search move or swap each core
 * with the tiles around the weighted centre of its neighbours when that lowers the cost. Deterministic.
 * `rates` are spikes per neuron per step of every virtual core (calibration, else 1).
 */
export function place(p: Partition, rates?: Float64Array): PlacedNetwork {
  const ids = placeCores(p, rates);
  return {
    graph: p.graph, cores: coreAssignments(p, ids.coreOf), cost: ids.cost, rowMajorCost: ids.rowMajorCost, pinned: false,
    partition: p, coreOf: ids.coreOf,
  };
}

/** Physical cores with their slices, sorted by id. */
function coreAssignments(part: Partition, coreOf: Int32Array): CoreAssignment[] {
  const mesh = meshOf(part.graph.target);
  const shapes = populationShapes(part.graph);
  const cores: CoreAssignment[] = part.cores.map((c, i) => {
    const id = coreOf[i];
    const [x, y] = tileXY(mesh, id);
    return {
      id, tile: Math.floor(id / mesh.perTile), x, y,
      slices: boxToSlices(c.population, shapes.get(c.population)!, c.box),
      box: { channels: [c.box.c0, c.box.c1], rows: [c.box.y0, c.box.y1], cols: [c.box.x0, c.box.x1] },
      usage: { ...c.usage },
    };
  });
  return cores.sort((a, b) => a.id - b.id);
}

function placeCores(p: Partition, rates?: Float64Array): CoreIds {
  const mesh = meshOf(p.graph.target);
  const n = p.cores.length;
  const r = rates ?? new Float64Array(n).fill(1);
  const rowMajor = Int32Array.from({ length: n }, (_, i) => i);
  const rowMajorCost = placementCost(p, mesh, rowMajor, r);
  if (p.cores.some((c) => c.fixedCore !== undefined)) {
    const fixed = Int32Array.from(p.cores.map((c, i) => c.fixedCore ?? i));
    return { coreOf: fixed, cost: placementCost(p, mesh, fixed, r), rowMajorCost };
  }
  const tiles = mesh.width * mesh.height;
  const usableTiles = Math.ceil(mesh.count / mesh.perTile);
  const tilesNeeded = Math.ceil(n / mesh.perTile);
  let rw = Math.min(mesh.width, Math.ceil(Math.sqrt(tilesNeeded)));
  let rh = Math.ceil(tilesNeeded / rw);
  if (rh > mesh.height) { rh = mesh.height; rw = Math.min(mesh.width, Math.ceil(tilesNeeded / rh)); }
  // Serpentine order of the region's tiles, then the rest of the mesh.
  const order: number[] = [];
  for (let y = 0; y < rh; y++) for (let k = 0; k < rw; k++) order.push(y * mesh.width + (y % 2 === 0 ? k : rw - 1 - k));
  const inRegion = new Uint8Array(tiles);
  for (const t of order) inRegion[t] = 1;
  for (let t = 0; t < tiles; t++) if (!inRegion[t]) order.push(t);
  const free = new Int32Array(tiles);
  for (let t = 0; t < tiles; t++) free[t] = t < usableTiles ? Math.min(mesh.perTile, mesh.count - t * mesh.perTile) : 0;
  const { nbr, weight } = adjacency(p, r);
  const tileOf = new Int32Array(n).fill(-1);
  const tx = (t: number) => t % mesh.width;
  const ty = (t: number) => Math.floor(t / mesh.width);
  const costAt = (i: number, t: number, skip = -1) => {
    let c = 0;
    const x = tx(t);
    const y = ty(t);
    const ns = nbr[i];
    const ws = weight[i];
    for (let k = 0; k < ns.length; k++) {
      const j = ns[k];
      if (j === skip) continue;
      const tj = tileOf[j];
      if (tj < 0) continue;
      c += ws[k] * (Math.abs(x - tx(tj)) + Math.abs(y - ty(tj)));
    }
    return c;
  };
  let cursor = 0;
  for (let i = 0; i < n; i++) {
    let hasPlaced = false;
    for (const j of nbr[i]) if (tileOf[j] >= 0) { hasPlaced = true; break; }
    let best = -1;
    if (!hasPlaced) {
      while (cursor < order.length && free[order[cursor]] === 0) cursor++;
      best = order[cursor];
    } else {
      let bestCost = Infinity;
      for (const t of order) {
        if (free[t] === 0) continue;
        const c = costAt(i, t);
        if (c < bestCost) { bestCost = c; best = t; }
      }
    }
    tileOf[i] = best;
    free[best]--;
  }
  // Local search: move to a free tile or swap with a core near the neighbours' weighted centre.
  const coresOn = new Map<number, number[]>();
  for (let i = 0; i < n; i++) coresOn.set(tileOf[i], [...(coresOn.get(tileOf[i]) ?? []), i]);
  const radius = 3;
  for (let pass = 0; pass < 4; pass++) {
    let improved = false;
    for (let i = 0; i < n; i++) {
      if (nbr[i].length === 0) continue;
      let sx = 0, sy = 0, sw = 0;
      for (let k = 0; k < nbr[i].length; k++) {
        const t = tileOf[nbr[i][k]];
        sx += weight[i][k] * tx(t); sy += weight[i][k] * ty(t); sw += weight[i][k];
      }
      if (sw === 0) continue;
      const cx = Math.round(sx / sw);
      const cy = Math.round(sy / sw);
      const here = tileOf[i];
      const currentCost = costAt(i, here);
      let bestGain = 1e-9;
      let bestTile = -1;
      let bestSwap = -1;
      for (let y = Math.max(0, cy - radius); y <= Math.min(mesh.height - 1, cy + radius); y++) {
        for (let x = Math.max(0, cx - radius); x <= Math.min(mesh.width - 1, cx + radius); x++) {
          const t = y * mesh.width + x;
          if (t === here) continue;
          if (free[t] > 0) {
            const gain = currentCost - costAt(i, t);
            if (gain > bestGain) { bestGain = gain; bestTile = t; bestSwap = -1; }
            continue;
          }
          for (const j of coresOn.get(t) ?? []) {
            const before = currentCost + costAt(j, t);
            tileOf[i] = t; tileOf[j] = here;
            const after = costAt(i, t) + costAt(j, here);
            tileOf[i] = here; tileOf[j] = t;
            const gain = before - after;
            if (gain > bestGain) { bestGain = gain; bestTile = t; bestSwap = j; }
          }
        }
      }
      if (bestTile < 0) continue;
      improved = true;
      const list = coresOn.get(here)!;
      list.splice(list.indexOf(i), 1);
      if (bestSwap >= 0) {
        const other = coresOn.get(bestTile)!;
        other.splice(other.indexOf(bestSwap), 1, i);
        list.push(bestSwap);
        tileOf[bestSwap] = here;
      } else {
        coresOn.set(bestTile, [...(coresOn.get(bestTile) ?? []), i]);
        free[bestTile]--;
        free[here]++;
      }
      tileOf[i] = bestTile;
    }
    if (!improved) break;
  }
  // Physical ids: cores on a tile in virtual-core order.
  const coreOf = new Int32Array(n);
  const nextOnTile = new Int32Array(tiles);
  for (let i = 0; i < n; i++) coreOf[i] = tileOf[i] * mesh.perTile + nextOnTile[tileOf[i]]++;
  const cost = placementCost(p, mesh, coreOf, r);
  // Never worse than the baseline: keep row-major when the search could not beat it (tiny networks).
  if (cost > rowMajorCost) return { coreOf: rowMajor, cost: rowMajorCost, rowMajorCost };
  return { coreOf, cost, rowMajorCost };
}
