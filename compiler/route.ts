import type { TargetSpec } from '../targets/target.js';
import type { MappedChip, PlacedNetwork, Route } from './types.js';
import { meshOf } from './mesh.js';

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
