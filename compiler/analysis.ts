/**
 * Analyses of a quantized network that the compiler makes and the simulator and reports read: the order in
 * which populations update within a step, and how many steps the readout lags the input on a chip that
 * delivers spikes a step late.
 */
import type { QuantGraph } from './types.js';
import { UserError } from '../src/util/errors.js';

/** Population indices in an order where every feed-forward source comes before its targets. */
export function populationOrder(graph: QuantGraph): number[] {
  const index = new Map(graph.populations.map((p, i) => [p.name, i]));
  const indegree = new Array<number>(graph.populations.length).fill(0);
  const succ: number[][] = graph.populations.map(() => []);
  for (const p of graph.projections) {
    const to = index.get(p.to);
    if (to === undefined) throw new UserError(`projection '${p.name}' targets unknown population '${p.to}'`);
    if (p.from === 'input') continue;
    const from = index.get(p.from);
    if (from === undefined) throw new UserError(`projection '${p.name}' comes from unknown population '${p.from}'`);
    if (from === to) continue;
    indegree[to]++;
    succ[from].push(to);
  }
  const order: number[] = [];
  const ready = indegree.map((d, i) => (d === 0 ? i : -1)).filter((i) => i >= 0);
  while (ready.length > 0) {
    const i = ready.shift()!;
    order.push(i);
    for (const j of succ[i]) if (--indegree[j] === 0) ready.push(j);
  }
  // Recurrent loops: the rest keep their declared order (their back edges act with one step of delay).
  for (let i = 0; i < graph.populations.length; i++) if (!order.includes(i)) order.push(i);
  return order;
}

/**
 * Steps by which the readout lags the input under 'hardware' delay: input events are integrated in the step
 * they arrive, and every population-to-population projection on the longest path adds one step. A network
 * run for T steps on a delayed chip therefore integrates only T − lag steps of evidence at its readout
 * unless the run is extended (input held) by the lag.
 */
export function readoutLag(graph: QuantGraph): number {
  const index = new Map(graph.populations.map((p, i) => [p.name, i]));
  const lag = new Array<number>(graph.populations.length).fill(-1);
  for (const pi of populationOrder(graph)) {
    for (const p of graph.projections) {
      if (index.get(p.to) !== pi) continue;
      const from = p.from === 'input' ? -2 : index.get(p.from)!;
      const candidate = from === -2 ? 0 : lag[from] >= 0 ? lag[from] + 1 : -1;
      if (candidate > lag[pi]) lag[pi] = candidate;
    }
  }
  const readout = graph.populations.findIndex((p) => p.readout);
  const target = readout >= 0 ? readout : populationOrder(graph).at(-1)!;
  return Math.max(0, lag[target]);
}
