/**
 * The mesh network-on-chip: dimension-order (x first, then y) routes between tiles, one link per tile
 * and direction, each carrying `linkPacketsPerCycle` packets per cycle. Packets that find their link busy
 * wait in its queue; the wait is what link contention adds to a step's latency.
 */

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

/** The tile of mesh position (x, y). */
export function tileAt(grid: TileGrid, x: number, y: number): number {
  return y * grid.width + x;
}

/** The dimension-order route from one mesh position to another. */
export function xyRoute(grid: TileGrid, fromX: number, fromY: number, toX: number, toY: number): MeshPath {
  const links: number[] = [];
  let x = fromX;
  let y = fromY;
  let ew = 0;
  let ns = 0;
  while (x !== toX) {
    const dir = toX > x ? EAST : WEST;
    links.push(tileAt(grid, x, y) * 4 + dir);
    x += toX > x ? 1 : -1;
    ew++;
  }
  while (y !== toY) {
    const dir = toY > y ? SOUTH : NORTH;
    links.push(tileAt(grid, x, y) * 4 + dir);
    y += toY > y ? 1 : -1;
    ns++;
  }
  return { links: Int32Array.from(links), eastWestHops: ew, northSouthHops: ns };
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
