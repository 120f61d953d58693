/**
 * The mesh network-on-chip: packets follow the routes of the mapped chip (compiler/route.ts) from tile to
 * tile, one link per tile and direction, each carrying `linkPacketsPerCycle` packets per cycle. Packets that find their link busy
 * wait in its queue; the wait is what link contention adds to a step's latency.
 */

import type { Route } from '../compiler/types.js';
import { linksTo } from '../compiler/route.js';
import { UserError } from '../src/util/errors.js';

/** Output link directions of a tile (index into the per-tile link table). */
export const EAST = 0, WEST = 1, NORTH = 2, SOUTH = 3;

export interface TileGrid {
  width: number;
  height: number;
}

/** A path as consecutive link ids (tile · 4 + direction); east/west links are the even-x moves. */
export interface MeshPath {
  links: Int32Array;
  eastWestHops: number;
  northSouthHops: number;
}

/**
 * Packet paths from the mapped chip's routes (compiler/route.ts is the one router; the simulator only follows
 * what it computed). A unicast route's links are its path; a multicast route is a tree whose links fork, and the
 * path to one destination is the walk from the source tile down the tree. `pathOf(from, to)` (physical core ids)
 * throws a UserError when the artifact holds no route between two cores that exchange spikes, or a route that is
 * not a path on the mesh.
 */
export class RoutedPaths {
  private readonly byPair = new Map<string, MeshPath>();
  private readonly routeOf = new Map<string, Route>();

  constructor(private readonly grid: TileGrid, private readonly perTile: number, routes: readonly Route[]) {
    for (const r of routes) for (const to of r.toCores) this.routeOf.set(`${r.fromCore}>${to}`, r);
  }

  /** The path a packet from core `from` to core `to` takes. */
  pathOf(from: number, to: number): MeshPath {
    const key = `${from}>${to}`;
    const known = this.byPair.get(key);
    if (known) return known;
    const r = this.routeOf.get(key);
    // Cores of one tile exchange spikes without the mesh.
    if (!r && Math.floor(from / this.perTile) !== Math.floor(to / this.perTile)) throw new UserError(`mapped.json has no route from core ${from} to core ${to}, which exchange spikes`);
    let links: readonly (readonly [number, number])[] = [];
    try {
      if (r) links = linksTo(r, to, this.perTile);
    } catch (e) {
      throw new UserError(`mapped.json: ${(e as Error).message}`);
    }
    const ids: number[] = [];
    let at = Math.floor(from / this.perTile);
    let ew = 0, ns = 0;
    for (const [a, b] of links) {
      if (a !== at) throw new UserError(`mapped.json: the route from core ${from} to core ${to} is broken: link ${a}->${b} does not start at tile ${at}`);
      const id = linkId(this.grid, a, b, from);
      ids.push(id);
      if (isEastWest(id)) ew++; else ns++;
      at = b;
    }
    if (at !== Math.floor(to / this.perTile)) throw new UserError(`mapped.json: the route from core ${from} to core ${to} ends at tile ${at}, not at the destination's tile ${Math.floor(to / this.perTile)}`);
    const path = { links: Int32Array.from(ids), eastWestHops: ew, northSouthHops: ns };
    this.byPair.set(key, path);
    return path;
  }
}

/** The link id (tile · 4 + direction) of a hop between two neighbouring tiles; refuses any other pair. */
function linkId(grid: TileGrid, a: number, b: number, fromCore: number): number {
  const tiles = grid.width * grid.height;
  if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= 0 && a < tiles && b < tiles)) {
    throw new UserError(`mapped.json: the route from core ${fromCore} uses tile ${a < 0 || a >= tiles || !Number.isInteger(a) ? a : b}, outside the ${grid.width}×${grid.height} mesh`);
  }
  const ax = a % grid.width, ay = Math.floor(a / grid.width), bx = b % grid.width, by = Math.floor(b / grid.width);
  if (ay === by && bx === ax + 1) return a * 4 + EAST;
  if (ay === by && bx === ax - 1) return a * 4 + WEST;
  if (ax === bx && by === ay + 1) return a * 4 + SOUTH;
  if (ax === bx && by === ay - 1) return a * 4 + NORTH;
  throw new UserError(`mapped.json: the route from core ${fromCore} has a link ${a}->${b} between tiles that are not neighbours`);
}

/** Whether a link id runs east-west (for per-direction hop latency and energy). */
export function isEastWest(link: number): boolean {
  const dir = link & 3;
  return dir === EAST || dir === WEST;
}

/**
 * Link occupancy within one time step. The barrier at the end of a step drains the network, so the state
 * is cleared per step. Times are in ns; one packet holds a link for `occupancyNs`.
 */
export class LinkState {
  private readonly freeAt: Float64Array;
  /** Largest number of packets found waiting ahead of a packet at any link (this step). */
  maxQueue = 0;
  /** Total ns packets spent waiting for links (this step). */
  waitNs = 0;
  /** Packets that found a link queue deeper than the buffer (backpressure into the sender, not modelled further). */
  overflows = 0;
  /** Deepest queue the last traversed packet met on its path. */
  lastQueue = 0;

  /** Links used this step (their freeAt is non-zero): a large mesh is cleared link by link, not whole. */
  private readonly used: Int32Array;
  private usedCount = 0;

  constructor(links: number, private readonly occupancyNs: number, private readonly buffer: number) {
    this.freeAt = new Float64Array(links);
    this.used = new Int32Array(links);
  }

  reset(): void {
    const freeAt = this.freeAt, used = this.used;
    for (let k = 0; k < this.usedCount; k++) freeAt[used[k]] = 0;
    this.usedCount = 0;
    this.maxQueue = 0;
    this.waitNs = 0;
    this.overflows = 0;
  }

  /**
   * Sends a packet along `path` leaving its source at `start`; returns its arrival time at the destination
   * tile. `hopEwNs`/`hopNsNs` are the per-hop latencies of the two directions.
   */
  traverse(path: MeshPath, start: number, hopEwNs: number, hopNsNs: number): number {
    let t = start;
    this.lastQueue = 0;
    const links = path.links;
    for (let k = 0; k < links.length; k++) t = this.cross(links[k], t, hopEwNs, hopNsNs);
    return t;
  }

  /** One packet crosses one link, arriving at it at `t`: returns when it reaches the next tile. */
  cross(l: number, t: number, hopEwNs: number, hopNsNs: number): number {
    const free = this.freeAt[l];
    // Every packet holds its link for occupancyNs > 0, so a used link's freeAt is never 0 again this step.
    if (free === 0) this.used[this.usedCount++] = l;
    let begin = t;
    if (free > t) {
      begin = free;
      const wait = free - t;
      this.waitNs += wait;
      const ahead = Math.ceil(wait / this.occupancyNs - 1e-9);
      if (ahead > this.maxQueue) this.maxQueue = ahead;
      if (ahead > this.lastQueue) this.lastQueue = ahead;
      if (ahead > this.buffer) this.overflows++;
    }
    this.freeAt[l] = begin + this.occupancyNs;
    return begin + (isEastWest(l) ? hopEwNs : hopNsNs);
  }
}
