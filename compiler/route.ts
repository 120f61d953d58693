import type { TargetSpec } from '../targets/target.js';
import type { MappedChip, PlacedNetwork, Route } from './types.js';
import { meshOf } from './mesh.js';
import { boxSize, footprint, inFootprint, populationShapes } from './partition.js';

/** Tiles along the dimension-order (x first, then y) path between two tiles, as links [fromTile, toTile]. */
export function xyPath(width: number, fromTile: number, toTile: number): [number, number][] {
  const links: [number, number][] = [];
  let x = fromTile % width;
  let y = Math.floor(fromTile / width);
  const tx = toTile % width;
  const ty = Math.floor(toTile / width);
  while (x !== tx) { const nx = x + Math.sign(tx - x); links.push([y * width + x, y * width + nx]); x = nx; }
  while (y !== ty) { const ny = y + Math.sign(ty - y); links.push([y * width + x, ny * width + x]); y = ny; }
  return links;
}

/**
 * Routes between physical cores, dimension-order (x then y): the one router of snnc (the simulator builds its
 * packet paths from these routes). With multicast a source core has one route whose links are the union of
 * the paths to all its destination cores (each link listed once, as a multicast tree forks the packet);
 * without it, one route per destination core. `pairs` lists (source core id, destination core id); routes come
 * out sorted by source, then destination id.
 */
export function routeCores(target: TargetSpec, pairs: Iterable<readonly [number, number]>): Route[] {
  const mesh = meshOf(target);
  const dests = new Map<number, Set<number>>();
  for (const [from, to] of pairs) {
    if (from === to) continue;
    let set = dests.get(from);
    if (!set) dests.set(from, (set = new Set()));
    set.add(to);
  }
  const tile = (id: number) => Math.floor(id / mesh.perTile);
  const routes: Route[] = [];
  for (const from of [...dests.keys()].sort((a, b) => a - b)) {
    const to = [...dests.get(from)!].sort((a, b) => a - b);
    if (target.mesh.multicast.value) {
      const seen = new Set<string>();
      const links: [number, number][] = [];
      for (const d of to) {
        for (const l of xyPath(mesh.width, tile(from), tile(d))) {
          const key = `${l[0]},${l[1]}`;
          if (!seen.has(key)) { seen.add(key); links.push(l); }
        }
      }
      routes.push({ fromCore: from, toCores: to, links, hops: links.length });
    } else {
      for (const d of to) {
        const links = xyPath(mesh.width, tile(from), tile(d));
        routes.push({ fromCore: from, toCores: [d], links, hops: links.length });
      }
    }
  }
  return routes;
}

/** Routes a placed network: the spike traffic between its cores, over the target's mesh. */
export function route(placed: PlacedNetwork): MappedChip {
  const { partition: p, coreOf } = placed;
  const routes = routeCores(placed.graph.target, p.links.map((l) => [coreOf[l.from], coreOf[l.to]] as const));
  const { partition: _partition, coreOf: _coreOf, ...placement } = placed;
  return { format: 'snnc-mapped', version: 1, placement, routes };
}

/**
 * The links a packet from a route's source core to core `to` crosses: a unicast route's own links, or in a
 * multicast tree the walk from the source tile down to `to`'s tile. Throws (a plain Error; the simulator turns
 * it into a user error about the artifact) when the route does not reach that tile or is not a tree.
 */
export function linksTo(r: Route, to: number, perTile: number): (readonly [number, number])[] {
  const source = Math.floor(r.fromCore / perTile);
  const target = Math.floor(to / perTile);
  if (source === target) return [];
  if (r.toCores.length === 1) return r.links;
  const parent = new Map<number, number>();
  for (const [a, b] of r.links) {
    if (parent.has(b) && parent.get(b) !== a) throw new Error(`route from core ${r.fromCore} is not a tree: tile ${b} is entered twice`);
    parent.set(b, a);
  }
  const down: [number, number][] = [];
  for (let at = target; at !== source;) {
    const p = parent.get(at);
    if (p === undefined || down.length >= r.links.length) throw new Error(`route from core ${r.fromCore} does not reach core ${to}'s tile ${target}`);
    down.push([p, at]);
    at = p;
  }
  return down.reverse();
}

/**
 * Mesh hops per step of each population if every one of its neurons spikes once, over the given routes: a spike
 * goes to every core holding a target of its synapses (the receptive-field footprints of the partition), one
 * packet per destination core (unicast: the route's hops each), or one multicast packet whose tree branches are
 * crossed once. The chip simulator counts the same hops from its own synapse rows (a test checks the two agree).
 */
export function hopsIfAllSpike(placed: PlacedNetwork, routes: readonly Route[]): Map<string, number> {
  const { partition: part, coreOf, graph: q } = placed;
  const perTile = meshOf(q.target).perTile;
  const multicast = q.target.mesh.multicast.value;
  const shapes = populationShapes(q);
  const result = new Map(q.populations.map((p) => [p.name, 0]));
  const byRoute = new Map<string, Route>();
  for (const r of routes) for (const d of r.toCores) byRoute.set(`${r.fromCore}>${d}`, r);
  for (const pop of q.populations) {
    const [c, h, w] = shapes.get(pop.name)!;
    const size = c * h * w;
    // The virtual core of every neuron, and each neuron's destination cores (a list, deduplicated by the last entry).
    const owner = new Int32Array(size).fill(-1);
    for (const k of part.byPopulation.get(pop.name) ?? []) {
      const b = part.cores[k].box;
      for (let ch = b.c0; ch < b.c1; ch++) for (let y = b.y0; y < b.y1; y++) for (let x = b.x0; x < b.x1; x++) owner[(ch * h + y) * w + x] = k;
    }
    const dests: number[][] = Array.from({ length: size }, () => []);
    for (let k = 0; k < part.cores.length; k++) {
      const vc = part.cores[k];
      if (boxSize(vc.box) === 0) continue;
      for (const p of q.projections) {
        if (p.from !== pop.name || p.to !== vc.population) continue;
        const f = footprint(p, shapes.get(p.from)!, vc.box);
        for (let ch = f.c0; ch < f.c1; ch++) {
          for (let y = 0; y < h; y++) {
            for (let x = 0; x < w; x++) {
              if (!inFootprint(f, ch, y, x, h, w)) continue;
              const list = dests[(ch * h + y) * w + x];
              if (list[list.length - 1] !== k) list.push(k);
            }
          }
        }
      }
    }
    let hops = 0;
    for (let j = 0; j < size; j++) {
      if (dests[j].length === 0) continue;
      const from = coreOf[owner[j]];
      const crossed = new Set<string>();
      for (const k of dests[j]) {
        const to = coreOf[k];
        if (from === to || Math.floor(from / perTile) === Math.floor(to / perTile)) continue;
        const r = byRoute.get(`${from}>${to}`);
        if (!r) throw new Error(`internal: no route from core ${from} to core ${to}`);
        if (!multicast) { hops += r.hops; continue; }
        for (const [a, b] of linksTo(r, to, perTile)) crossed.add(`${a},${b}`);
      }
      hops += crossed.size;
    }
    result.set(pop.name, hops);
  }
  return result;
}
