/**
 * The timing model of the chip (as SANA-FE's schedule.cpp is apart from its chip.cpp). Each step, from the
 * spikes the functional model (chip.ts) produced:
 *   1. a core's send timeline is its neuron updates in order (active or idle cost), each spike's packets leaving
 *      as its neuron is done: one packet per destination core, or one multicast packet per spike;
 *   2. packets cross the mesh in global send order along the mapped chip's routes (noc.ts), with link contention
 *      and per-direction hop latency;
 *   3. a destination core's receive timeline processes arriving packets in arrival order (message-in cost plus
 *      synaptic events × cost);
 *   4. the step lasts until the last core finishes, plus the barrier.
 * It also keeps the per-core and network counters.
 */
import type { CoreAssignment, MappedChip } from '../compiler/types.js';
import type { TargetSpec } from '../targets/target.js';
import { UserError } from '../src/util/errors.js';
import type { PopState } from './chip.js';
import type { Synapses } from './synapses.js';
import type { SimCounts } from './counts.js';
import { LinkState, RoutedPaths, isEastWest, type MeshPath } from './noc.js';

/** Outgoing packets per source neuron: [ptr[i], ptr[i+1]) of core/syn/nnz/path = destination core (index into
 * the cores), synapses there, non-zero synapses, and the path's index. */
interface Fan { ptr: Int32Array; core: Int32Array; syn: Int32Array; nnz: Int32Array; path: Int32Array }

function interpolateSync(table: [number, number][], tiles: number): number {
  if (table.length === 0) return 0;
  const sorted = [...table].sort((a, b) => a[0] - b[0]);
  if (tiles <= sorted[0][0]) return sorted[0][1];
  for (let k = 1; k < sorted.length; k++) {
    const [t1, ns1] = sorted[k];
    if (tiles <= t1) {
      const [t0, ns0] = sorted[k - 1];
      return ns0 + ((ns1 - ns0) * (tiles - t0)) / (t1 - t0);
    }
  }
  return sorted[sorted.length - 1][1];
}

/** Whether run a's head message goes before run b's: earlier send time, ties to the lower core. */
function runBefore(sent: Float64Array, head: Int32Array, a: number, b: number): boolean {
  const ta = sent[head[a]], tb = sent[head[b]];
  return ta < tb || (ta === tb && a < b);
}

/** Growable message list of one step (typed arrays, no per-message objects). */
class MessageList {
  count = 0;
  sent = new Float64Array(1024);
  src = new Int32Array(1024);
  dst = new Int32Array(1024);
  syn = new Int32Array(1024);
  path = new Int32Array(1024);
  /** Multicast: messages of one spike share a group id (a tree of links); unicast: every message its own. */
  group = new Int32Array(1024);
  /** Source population of each message (per-layer packet and hop counts). */
  pop = new Int32Array(1024);
  order = new Uint32Array(1024);

  push(sent: number, src: number, dst: number, syn: number, path: number, group: number, pop: number): void {
    if (this.count === this.sent.length) this.grow();
    const k = this.count++;
    this.sent[k] = sent;
    this.src[k] = src;
    this.dst[k] = dst;
    this.syn[k] = syn;
    this.path[k] = path;
    this.group[k] = group;
    this.pop[k] = pop;
  }

  private grow(): void {
    const n = this.sent.length * 2;
    const f = new Float64Array(n); f.set(this.sent); this.sent = f;
    const a = new Int32Array(n); a.set(this.src); this.src = a;
    const b = new Int32Array(n); b.set(this.dst); this.dst = b;
    const c = new Int32Array(n); c.set(this.syn); this.syn = c;
    const d = new Int32Array(n); d.set(this.path); this.path = d;
    const g = new Int32Array(n); g.set(this.group); this.group = g;
    const p = new Int32Array(n); p.set(this.pop); this.pop = p;
    this.order = new Uint32Array(n);
  }

  /** Where each core's run of messages ends (messages are appended core by core, each run in time order). */
  runEnd = new Int32Array(0);
  private heap = new Int32Array(0);
  private head = new Int32Array(0);

  /**
   * Message indices by send time, ties broken by core then emission order: a k-way merge of the per-core
   * runs (each already sorted), with a binary heap of run heads, so no comparator closures or copies.
   */
  sortedOrder(runs: number): Uint32Array {
    const order = this.order.subarray(0, this.count);
    if (this.heap.length < runs) { this.heap = new Int32Array(runs); this.head = new Int32Array(runs); }
    const sent = this.sent, heap = this.heap, head = this.head, runEnd = this.runEnd, group = this.group;
    let size = 0;
    let start = 0;
    for (let r = 0; r < runs; r++) {
      if (runEnd[r] > start) {
        head[r] = start;
        // sift up
        let k = size++;
        heap[k] = r;
        while (k > 0) {
          const parent = (k - 1) >> 1;
          if (!runBefore(sent, head, heap[k], heap[parent])) break;
          const t = heap[k]; heap[k] = heap[parent]; heap[parent] = t;
          k = parent;
        }
      }
      start = runEnd[r];
    }
    let out = 0;
    while (size > 0) {
      const r = heap[0];
      order[out++] = head[r]++;
      // The messages of one multicast spike stay together (same send time, same group): they form one packet.
      while (head[r] < runEnd[r] && group[head[r]] === group[head[r] - 1]) order[out++] = head[r]++;
      if (head[r] === runEnd[r]) heap[0] = heap[--size];
      // sift down
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        if (l >= size) break;
        let m = l;
        if (l + 1 < size && runBefore(sent, head, heap[l + 1], heap[l])) m = l + 1;
        if (!runBefore(sent, head, heap[m], heap[k])) break;
        const t = heap[k]; heap[k] = heap[m]; heap[m] = t;
        k = m;
      }
    }
    return order;
  }
}


/** Times the steps of a mapped chip and counts its packets, hops and per-core work. */
export class StepSchedule {
  readonly cores: CoreAssignment[];
  /** Neuron → core index of each population. */
  readonly coreOf: Int32Array[];
  private readonly fans: Fan[];
  private readonly inputFan: Fan;
  private readonly paths: MeshPath[] = [];
  private readonly links: LinkState;
  private readonly sendNs: Float64Array;
  private readonly recvNs: Float64Array;
  private readonly messages = new MessageList();
  /** Core c's slices are [sliceCore[c], sliceCore[c+1]) of slicePop/sliceStart/sliceEnd. */
  private readonly sliceCore: Int32Array;
  private readonly slicePop: Int32Array;
  private readonly sliceStart: Int32Array;
  private readonly sliceEnd: Int32Array;
  /** Synaptic events and effective ops each core received from spikes this step. */
  private readonly coreSynIn: Float64Array;
  private readonly coreNnzIn: Float64Array;
  /** Per-step packet counters of routeUnicast, by core and by layer. */
  private readonly corePacketsOut: Float64Array;
  private readonly corePacketsIn: Float64Array;
  private readonly coreHops: Float64Array;
  private readonly coreQueue: Float64Array;
  private readonly layerPacketsOut: Float64Array;
  private readonly layerHops: Float64Array;
  /** Per-core synaptic events and effective ops of the last injected input step, and the receive timelines
   * after it, replayed on later steps of a directly encoded sample. */
  private readonly inputCoreSyn: Float64Array;
  private readonly inputCoreNnz: Float64Array;
  private readonly inputRecvNs: Float64Array;
  private inputEventsLast = 0;
  /** Whether one packet per spike reaches all its destination cores (a multicast tree). */
  private readonly multicast: boolean;
  private readonly treeLinks = new Map<number, number>();
  readonly syncNs: number;
  /** Timing constants, ns. */
  private readonly ns: { syn: number; active: number; idle: number; spikeOut: number; msgOut: number; msgIn: number; hopEw: number; hopNs: number; occupancy: number; tick: number };

  constructor(mapped: MappedChip, target: TargetSpec, pops: readonly PopState[], synapses: readonly Synapses[], inputProjections: readonly number[], inputSize: number, private readonly counts: SimCounts) {
    const t = target;
    this.multicast = t.mesh.multicast.value;
    this.cores = mapped.placement.cores;
    const ids = new Set<number>();
    for (const c of this.cores) {
      if (ids.has(c.id)) throw new UserError(`core ${c.id} appears twice in the placement`);
      ids.add(c.id);
    }
    // Neuron → core, from the placement; every neuron must sit on exactly one core.
    const popIndex = new Map(pops.map((p) => [p.name, p.index]));
    this.coreOf = pops.map((p) => new Int32Array(p.size).fill(-1));
    const coreSlices: { pop: number; start: number; end: number }[][] = this.cores.map(() => []);
    this.cores.forEach((core, k) => {
      for (const s of core.slices) {
        const pi = popIndex.get(s.population);
        if (pi === undefined) throw new UserError(`core ${core.id}: slice of unknown population '${s.population}'`);
        const pop = pops[pi];
        if (!(Number.isInteger(s.start) && Number.isInteger(s.end) && s.start >= 0 && s.end <= pop.size && s.start < s.end)) {
          throw new UserError(`core ${core.id}: slice [${s.start}, ${s.end}) does not fit population '${s.population}' of ${pop.size} neurons`);
        }
        const coreOf = this.coreOf[pi];
        for (let j = s.start; j < s.end; j++) {
          if (coreOf[j] !== -1) throw new UserError(`neuron ${j} of '${s.population}' is placed on two cores (${this.cores[coreOf[j]].id} and ${core.id})`);
          coreOf[j] = k;
        }
        coreSlices[k].push({ pop: pi, start: s.start, end: s.end });
      }
    });
    const allSlices = coreSlices.flat();
    this.sliceCore = new Int32Array(this.cores.length + 1);
    coreSlices.forEach((list, k) => { this.sliceCore[k + 1] = this.sliceCore[k] + list.length; });
    this.slicePop = Int32Array.from(allSlices, (s) => s.pop);
    this.sliceStart = Int32Array.from(allSlices, (s) => s.start);
    this.sliceEnd = Int32Array.from(allSlices, (s) => s.end);
    const n = this.cores.length;
    this.coreSynIn = new Float64Array(n);
    this.coreNnzIn = new Float64Array(n);
    this.corePacketsOut = new Float64Array(n);
    this.corePacketsIn = new Float64Array(n);
    this.coreHops = new Float64Array(n);
    this.coreQueue = new Float64Array(n);
    this.layerPacketsOut = new Float64Array(pops.length);
    this.layerHops = new Float64Array(pops.length);
    this.inputCoreSyn = new Float64Array(n);
    this.inputCoreNnz = new Float64Array(n);
    this.inputRecvNs = new Float64Array(n);
    pops.forEach((pop, pi) => {
      const missing = this.coreOf[pi].indexOf(-1);
      if (missing !== -1) throw new UserError(`neuron ${missing} of population '${pop.name}' is not placed on any core`);
    });

    const grid = { width: t.mesh.width.value, height: t.mesh.height.value };
    for (const c of this.cores) {
      if (!(c.x >= 0 && c.x < grid.width && c.y >= 0 && c.y < grid.height)) {
        throw new UserError(`core ${c.id} sits at (${c.x}, ${c.y}), outside the ${grid.width}×${grid.height} mesh of '${t.name}'`);
      }
    }
    const routed = new RoutedPaths(grid, t.mesh.coresPerTile.value, mapped.routes);
    const pathIndex = new Map<number, number>();
    const pathOf = (srcK: number, dstK: number): number => {
      const key = srcK * n + dstK;
      let p = pathIndex.get(key);
      if (p === undefined) {
        p = this.paths.length;
        this.paths.push(routed.pathOf(this.cores[srcK].id, this.cores[dstK].id));
        pathIndex.set(key, p);
      }
      return p;
    };

    // Fan-out tables: one packet per (spiking neuron, destination core), over all the neuron's projections.
    const perCoreSyn = new Int32Array(n);
    const perCoreNnz = new Int32Array(n);
    const seen: number[] = [];
    const buildFan = (size: number, projs: readonly number[], srcCore: (i: number) => number): Fan => {
      const ptr = new Int32Array(size + 1);
      const core: number[] = [], syn: number[] = [], nnz: number[] = [], path: number[] = [];
      for (let i = 0; i < size; i++) {
        for (const k of projs) {
          const q = synapses[k];
          const coreOf = this.coreOf[q.to];
          q.forEachTarget(i, (post, w) => {
            const c = coreOf[post];
            if (perCoreSyn[c] === 0 && perCoreNnz[c] === 0) seen.push(c);
            perCoreSyn[c]++;
            if (w !== 0) perCoreNnz[c]++;
          });
        }
        seen.sort((a, b) => a - b);
        for (const c of seen) {
          core.push(c); syn.push(perCoreSyn[c]); nnz.push(perCoreNnz[c]);
          const s = srcCore(i);
          path.push(s >= 0 ? pathOf(s, c) : -1);
          perCoreSyn[c] = 0; perCoreNnz[c] = 0;
        }
        seen.length = 0;
        ptr[i + 1] = core.length;
      }
      return { ptr, core: Int32Array.from(core), syn: Int32Array.from(syn), nnz: Int32Array.from(nnz), path: Int32Array.from(path) };
    };
    this.fans = pops.map((pop, pi) => buildFan(pop.size, pop.outgoing, (i) => this.coreOf[pi][i]));
    this.inputFan = buildFan(inputProjections.length > 0 ? inputSize : 0, inputProjections, () => -1);

    const tm = t.timing;
    const clockNs = 1e9 / tm.clockHz.value;
    this.ns = {
      syn: tm.synapticOpNs.value,
      active: tm.neuronUpdateActiveNs.value,
      idle: tm.neuronUpdateIdleNs.value,
      spikeOut: tm.spikeOutNs.value,
      msgOut: tm.messageOutNs.value,
      msgIn: tm.messageInNs.value,
      hopEw: tm.hopEastWestNs.value,
      hopNs: tm.hopNorthSouthNs.value,
      occupancy: clockNs / t.mesh.linkPacketsPerCycle.value,
      tick: tm.tickNs.value,
    };
    this.links = new LinkState(grid.width * grid.height * 4, this.ns.occupancy, t.mesh.linkBuffer.value);
    this.sendNs = new Float64Array(n);
    this.recvNs = new Float64Array(n);
    const tilesInUse = new Set(this.cores.filter((c) => c.slices.length > 0).map((c) => c.tile)).size;
    this.syncNs = interpolateSync(tm.syncNs.value, Math.max(1, tilesInUse));
  }

  /** Neurons held by each core. */
  neuronsOf(k: number): number {
    let n = 0;
    for (let si = this.sliceCore[k]; si < this.sliceCore[k + 1]; si++) n += this.sliceEnd[si] - this.sliceStart[si];
    return n;
  }

  /** Starts a step: empty send and receive timelines. */
  beginStep(): void {
    this.sendNs.fill(0);
    this.recvNs.fill(0);
  }

  /**
   * The cost of this step's input events at their destination cores (they arrive at the start of the step):
   * `events` computed afresh, or null to replay the last injected step's (direct input, the same every step).
   */
  input(events: Int32Array | null): void {
    const cores = this.counts.cores, coreSyn = this.inputCoreSyn, coreNnz = this.inputCoreNnz;
    if (events) {
      const fan = this.inputFan, synNs = this.ns.syn;
      coreSyn.fill(0); coreNnz.fill(0);
      let inputEvents = 0;
      const size = fan.ptr.length - 1;
      for (let i = 0; i < size; i++) {
        if (events[i] === 0) continue;
        inputEvents++;
        for (let f = fan.ptr[i]; f < fan.ptr[i + 1]; f++) {
          const c = fan.core[f];
          coreSyn[c] += fan.syn[f];
          coreNnz[c] += fan.nnz[f];
          this.recvNs[c] += fan.syn[f] * synNs;
        }
      }
      this.inputRecvNs.set(this.recvNs);
      this.inputEventsLast = inputEvents;
    } else {
      // The receive timelines were zero before the first step's injection, as they are now.
      this.recvNs.set(this.inputRecvNs);
    }
    for (let c = 0; c < cores.length; c++) {
      cores[c].synapticEvents += coreSyn[c];
      cores[c].effectiveSynapticOps += coreNnz[c];
    }
    this.counts.inputEvents += this.inputEventsLast;
  }

  /**
   * Each core's send timeline: its neurons in order (active or idle cost), each spike's packets leaving as its
   * neuron is done. Appends the messages core by core and counts the synaptic events each destination receives.
   * Only the spikes are visited: the time at a spike is the slice's start time, plus the update costs of the
   * neurons up to and including it (counted from the population's active prefix counts, so idle stretches cost
   * a multiplication, not a loop), plus the send costs of the slice's earlier spikes.
   */
  private sendTimelines(pops: readonly PopState[]): void {
    const ns = this.ns, msgs = this.messages, cores = this.counts.cores, multicast = this.multicast;
    const activeNs = ns.active, idleNs = ns.idle, spikeOutNs = ns.spikeOut, msgOutNs = ns.msgOut;
    const synIn = this.coreSynIn, nnzIn = this.coreNnzIn;
    synIn.fill(0); nnzIn.fill(0);
    const sliceCore = this.sliceCore, slicePop = this.slicePop, sliceStart = this.sliceStart, sliceEnd = this.sliceEnd;
    let groups = 0;
    for (let c = 0; c < this.cores.length; c++) {
      let base = 0;
      let spikes = 0;
      let coreActive = 0, coreIdle = 0;
      for (let si = sliceCore[c]; si < sliceCore[c + 1]; si++) {
        const pi = slicePop[si];
        const pop = pops[pi];
        const fan = this.fans[pi];
        const prefix = pop.activeBefore, fanPtr = fan.ptr, fanCore = fan.core, fanSyn = fan.syn, fanNnz = fan.nnz, fanPath = fan.path;
        const start = sliceStart[si], end = sliceEnd[si];
        const a0 = prefix[start];
        // Send costs of this slice's spikes so far.
        let extra = 0;
        const list = pop.spikes, n = pop.spikeCount;
        // First spike at or after `start` (the list is in neuron order).
        let lo = 0, hi = n;
        while (lo < hi) { const mid = (lo + hi) >> 1; if (list[mid] < start) lo = mid + 1; else hi = mid; }
        for (let s = lo; s < n; s++) {
          const j = list[s];
          if (j >= end) break;
          const active = prefix[j + 1] - a0;
          extra += spikeOutNs;
          let time = base + active * activeNs + (j + 1 - start - active) * idleNs + extra;
          spikes++;
          const f0 = fanPtr[j], f1 = fanPtr[j + 1];
          // Multicast: one packet leaves for all destinations (a tree); unicast: one per destination core.
          if (multicast && f1 > f0) { extra += msgOutNs; time += msgOutNs; }
          const group = multicast ? groups++ : -1;
          for (let f = f0; f < f1; f++) {
            if (!multicast) { extra += msgOutNs; time += msgOutNs; }
            const d = fanCore[f], syn = fanSyn[f];
            msgs.push(time, c, d, syn, fanPath[f], group === -1 ? groups++ : group, pi);
            synIn[d] += syn;
            nnzIn[d] += fanNnz[f];
          }
        }
        const active = prefix[end] - a0;
        coreActive += active;
        coreIdle += end - start - active;
        base += active * activeNs + (end - start - active) * idleNs + extra;
      }
      const cc = cores[c];
      cc.neuronUpdatesActive += coreActive;
      cc.neuronUpdatesIdle += coreIdle;
      cc.spikes += spikes;
      this.sendNs[c] = base;
      msgs.runEnd[c] = msgs.count;
    }
    for (let c = 0; c < this.cores.length; c++) {
      cores[c].synapticEvents += synIn[c];
      cores[c].effectiveSynapticOps += nnzIn[c];
    }
  }

  /**
   * Unicast packets in send order: each message is its own packet over its own path. Per-core and per-layer
   * counters gather in typed arrays and are added to the counts once per step (integer sums: order-free).
   */
  private routeUnicast(order: Uint32Array): number {
    const msgs = this.messages, links = this.links, paths = this.paths, recvNs = this.recvNs;
    const hopEw = this.ns.hopEw, hopNs = this.ns.hopNs, msgInNs = this.ns.msgIn, synNs = this.ns.syn;
    const coreOut = this.corePacketsOut, coreIn = this.corePacketsIn, coreHops = this.coreHops, coreQueue = this.coreQueue;
    const layerOut = this.layerPacketsOut, layerHops = this.layerHops;
    coreOut.fill(0); coreIn.fill(0); coreHops.fill(0); coreQueue.fill(0); layerOut.fill(0); layerHops.fill(0);
    const sent = msgs.sent, srcOf = msgs.src, dstOf = msgs.dst, synOf = msgs.syn, pathOf = msgs.path, popOf = msgs.pop;
    let ew = 0, nsHops = 0;
    for (let k = 0; k < order.length; k++) {
      const m = order[k];
      const path = paths[pathOf[m]];
      const src = srcOf[m], dst = dstOf[m], pop = popOf[m];
      const hops = path.links.length;
      const arrival = hops === 0 ? sent[m] : links.traverse(path, sent[m], hopEw, hopNs);
      coreOut[src]++;
      layerOut[pop]++;
      coreHops[src] += hops;
      layerHops[pop] += hops;
      ew += path.eastWestHops;
      nsHops += path.northSouthHops;
      if (hops !== 0 && links.lastQueue > coreQueue[src]) coreQueue[src] = links.lastQueue;
      const free = recvNs[dst];
      recvNs[dst] = (free > arrival ? free : arrival) + msgInNs + synOf[m] * synNs;
      coreIn[dst]++;
    }
    const cores = this.counts.cores, layers = this.counts.layers, net = this.counts.network;
    for (let c = 0; c < cores.length; c++) {
      const cc = cores[c];
      cc.packetsOut += coreOut[c];
      cc.packetsIn += coreIn[c];
      cc.hopsOut += coreHops[c];
      if (coreQueue[c] > cc.maxLinkQueue) cc.maxLinkQueue = coreQueue[c];
    }
    for (let l = 0; l < layers.length; l++) {
      layers[l].packetsOut += layerOut[l];
      layers[l].hopsOut += layerHops[l];
    }
    net.hopsEastWest += ew;
    net.hopsNorthSouth += nsHops;
    return order.length;
  }

  /**
   * Times one step: each core's send timeline in neuron order, packets over the mesh in global send order,
   * each destination core's receive timeline in arrival order; returns the step latency and its critical core.
   */
  step(pops: readonly PopState[]): { ns: number; critical: number } {
    const ns = this.ns;
    const msgs = this.messages;
    msgs.count = 0;
    if (msgs.runEnd.length !== this.cores.length) msgs.runEnd = new Int32Array(this.cores.length);
    const cores = this.counts.cores;
    const net = this.counts.network;
    this.sendTimelines(pops);
    const links = this.links;
    links.reset();
    const order = msgs.sortedOrder(this.cores.length);
    // Links a multicast tree has already crossed, with the time the packet left each (reset per group).
    const treeLinks = this.treeLinks;
    const layers = this.counts.layers;
    let packets = 0;
    if (!this.multicast) packets = this.routeUnicast(order);
    else {
      let currentGroup = -1;
      for (let k = 0; k < order.length; k++) {
        const m = order[k];
        const path = this.paths[msgs.path[m]];
        const src = msgs.src[m], dst = msgs.dst[m];
        if (msgs.group[m] !== currentGroup) {
          currentGroup = msgs.group[m];
          treeLinks.clear();
          packets++;
          cores[src].packetsOut++;
          layers[msgs.pop[m]].packetsOut++;
        }
        // The branches of a tree share their common prefix: each link is crossed (and counted) once.
        let t = msgs.sent[m];
        links.lastQueue = 0;
        for (const l of path.links) {
          const known = treeLinks.get(l);
          if (known !== undefined) { t = known; continue; }
          t = links.cross(l, t, ns.hopEw, ns.hopNs);
          treeLinks.set(l, t);
          cores[src].hopsOut++;
          layers[msgs.pop[m]].hopsOut++;
          if (isEastWest(l)) net.hopsEastWest++;
          else net.hopsNorthSouth++;
        }
        if (links.lastQueue > cores[src].maxLinkQueue) cores[src].maxLinkQueue = links.lastQueue;
        const begin = Math.max(this.recvNs[dst], t);
        this.recvNs[dst] = begin + ns.msgIn + msgs.syn[m] * ns.syn;
        cores[dst].packetsIn++;
      }
    }
    net.packets += packets;
    net.linkWaitNs += links.waitNs;
    if (links.maxQueue > net.maxLinkQueue) net.maxLinkQueue = links.maxQueue;
    net.bufferOverflows += links.overflows;
    let busiest = 0;
    let critical = -1;
    for (let c = 0; c < this.cores.length; c++) {
      const done = Math.max(this.sendNs[c], this.recvNs[c]);
      if (done > busiest || critical === -1) { busiest = done; critical = c; }
    }
    if (critical >= 0) cores[critical].criticalSteps++;
    let stepNs = busiest + this.syncNs;
    if (ns.tick > stepNs) stepNs = ns.tick;
    const tm = this.counts.timing;
    tm.steps++;
    tm.totalNs += stepNs;
    tm.syncNs += this.syncNs;
    if (stepNs > tm.maxStepNs) tm.maxStepNs = stepNs;
    return { ns: stepNs, critical: critical >= 0 ? this.cores[critical].id : -1 };
  }
}
