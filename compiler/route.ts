import type { TargetSpec } from '../targets/target.js';
import type { Route } from './types.js';
import type { Partition } from './partition.js';
import { meshOf } from './place.js';

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
 * Routes between placed cores, dimension-order (x then y). With multicast a source core has one route
 * whose links are the union of the paths to all its destination cores (each link listed once, as a
 * multicast tree forks the packet); without it, one route per destination core.
 */
export function route(p: Partition, target: TargetSpec, coreOf: Int32Array): Route[] {
  const mesh = meshOf(target);
  const dests = new Map<number, number[]>();
  for (const l of p.links) {
    if (l.from === l.to) continue;
    dests.set(l.from, [...(dests.get(l.from) ?? []), l.to]);
  }
  const tile = (i: number) => Math.floor(coreOf[i] / mesh.perTile);
  const routes: Route[] = [];
  for (const from of [...dests.keys()].sort((a, b) => coreOf[a] - coreOf[b])) {
    const to = [...new Set(dests.get(from)!)].sort((a, b) => coreOf[a] - coreOf[b]);
    if (target.mesh.multicast.value) {
      const seen = new Set<string>();
      const links: [number, number][] = [];
      for (const d of to) {
        for (const l of xyPath(mesh.width, tile(from), tile(d))) {
          const key = `${l[0]},${l[1]}`;
          if (!seen.has(key)) { seen.add(key); links.push(l); }
        }
      }
      routes.push({ fromCore: coreOf[from], toCores: to.map((d) => coreOf[d]), links, hops: links.length });
    } else {
      for (const d of to) {
        const links = xyPath(mesh.width, tile(from), tile(d));
        routes.push({ fromCore: coreOf[from], toCores: [coreOf[d]], links, hops: links.length });
      }
    }
  }
  return routes;
}
