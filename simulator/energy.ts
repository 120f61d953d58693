/**
 * Energy from event counts and the target's per-event table: every joule is a count times a figure, so a
 * report can be checked by hand. Synaptic energy is charged per stored connection a spike reaches (zero
 * weights included: the core reads them), which is also SANA-FE's count for dense edges.
 */
import type { TargetSpec } from '../targets/target.js';
import type { SimCounts } from './engine.js';

/** Energy in joules, split by where it is spent. */
export interface EnergySplit {
  synapticJ: number;
  neuronJ: number;
  networkJ: number;
  syncJ: number;
  staticJ: number;
  totalJ: number;
}

const PJ = 1e-12;

/** Chips a placement occupies (static power is per chip). */
export function chipsInUse(target: TargetSpec, tiles: Iterable<number>): number {
  const width = target.mesh.width.value;
  const [cw, ch] = target.mesh.chipTiles.value;
  const chips = new Set<number>();
  for (const t of tiles) {
    const x = t % width, y = Math.floor(t / width);
    chips.add(Math.floor(y / ch) * Math.ceil(width / cw) + Math.floor(x / cw));
  }
  return Math.max(1, chips.size);
}

/** The energy of everything counted in `counts` (all samples together). */
export function energyOf(counts: SimCounts, target: TargetSpec, chips = 1): EnergySplit {
  const e = target.energy;
  let synapticEvents = 0, active = 0, idle = 0, spikes = 0;
  for (const l of counts.layers) {
    synapticEvents += l.synapticEvents;
    active += l.neuronUpdatesActive;
    idle += l.neuronUpdatesIdle;
    spikes += l.spikes;
  }
  const net = counts.network;
  const synapticJ = synapticEvents * e.synapticOpPJ.value * PJ;
  const neuronJ = (active * e.neuronUpdateActivePJ.value + idle * e.neuronUpdateIdlePJ.value + spikes * e.spikeOutPJ.value) * PJ;
  const networkJ = (net.packets * e.messageOutPJ.value + net.hopsEastWest * e.hopEastWestPJ.value + net.hopsNorthSouth * e.hopNorthSouthPJ.value) * PJ;
  const syncJ = counts.timing.steps * e.syncPJ.value * PJ;
  const staticJ = e.staticW.value * chips * counts.timing.totalNs * 1e-9;
  return { synapticJ, neuronJ, networkJ, syncJ, staticJ, totalJ: synapticJ + neuronJ + networkJ + syncJ + staticJ };
}

/** Divides every part of a split by `n` (per-inference figures from totals). */
export function scaleEnergy(s: EnergySplit, factor: number): EnergySplit {
  return {
    synapticJ: s.synapticJ * factor, neuronJ: s.neuronJ * factor, networkJ: s.networkJ * factor,
    syncJ: s.syncJ * factor, staticJ: s.staticJ * factor, totalJ: s.totalJ * factor,
  };
}
