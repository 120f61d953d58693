/** The chip's mesh as the partitioner, placer and router see it: tiles row-major, cores numbered tile by tile. */
import type { TargetSpec } from '../targets/target.js';

export interface Mesh { width: number; height: number; perTile: number; count: number }

export function meshOf(t: TargetSpec): Mesh {
  return { width: t.mesh.width.value, height: t.mesh.height.value, perTile: t.mesh.coresPerTile.value, count: t.core.count.value };
}

/** Tile coordinates of a physical core id (tile = id / coresPerTile, tiles row-major on the mesh). */
export function tileXY(mesh: Mesh, id: number): [number, number] {
  const tile = Math.floor(id / mesh.perTile);
  return [tile % mesh.width, Math.floor(tile / mesh.width)];
}

/** Manhattan distance in tiles between two physical cores. */
export function hopsBetween(mesh: Mesh, a: number, b: number): number {
  const [x1, y1] = tileXY(mesh, a);
  const [x2, y2] = tileXY(mesh, b);
  return Math.abs(x1 - x2) + Math.abs(y1 - y2);
}
