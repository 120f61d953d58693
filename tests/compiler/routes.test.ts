/**
 * One router: the simulator's packets follow the routes the compiler wrote into the mapped chip. On every shipped
 * target, a compiled network with every neuron made to fire at every step crosses exactly the hops the compile
 * summary computes from the routes and the partition's footprints (hopsAllSpiking), two counts made from
 * independent descriptions of the connectivity (receptive-field footprints vs the simulator's synapse rows).
 * A detour in a route reaches the simulator's hop count, and a chip without the route it needs is refused.
 */
import { describe, expect, it } from 'vitest';
import { compile, FitError } from '../../compiler/index.js';
import type { MappedChip } from '../../compiler/types.js';
import { listTargets, loadTarget } from '../../targets/load.js';
import { ChipSimulator } from '../../simulator/index.js';
import { denseNet, lenet } from './helpers.js';

/**
 * Every non-readout neuron fires at every step: a bias above threshold and no negative synaptic current (every
 * non-zero weight set to 1; a zero stays zero, so the connectivity — which sources a dense row connects — stays).
 */
function alwaysFiring(chip: MappedChip): MappedChip {
  const fired = structuredClone(chip);
  const strict = fired.placement.graph.target.precision.fireCondition.value === 'gt';
  for (const p of fired.placement.graph.projections) p.synapse.weights.forEach((w, i, a) => { if (w !== 0) a[i] = 1; });
  for (const pop of fired.placement.graph.populations) {
    if (pop.readout) continue;
    pop.bias = new Int32Array(pop.size).fill(pop.neuron.threshold + (strict ? 1 : 0));
  }
  return fired;
}

const SAMPLE = new Float32Array(784).fill(0.5);

describe('the simulator runs the compiler\'s routes', () => {
  it('on every shipped target, hops with every neuron firing equal the compile summary\'s', () => {
    const checked: string[] = [];
    for (const target of listTargets()) {
      let fitted = false;
      for (const graph of [lenet(), denseNet(784, 200), denseNet(64, 48)]) {
        let r;
        try {
          r = compile(graph, { target, timesteps: 3 });
        } catch (e) {
          if (e instanceof FitError) continue;
          throw e;
        }
        fitted = true;
        const sim = new ChipSimulator(alwaysFiring(r.chip), { delay: 'same-step' });
        const size = r.chip.placement.graph.input.shape.reduce((a, b) => a * b, 1);
        sim.runSample(SAMPLE.subarray(0, size), 0);
        const steps = sim.timesteps;
        const net = sim.counts.network;
        expect(r.summary.hopsAllSpiking, `${target}: ${graph.meta.name} has traffic between tiles`).toBeGreaterThan(0);
        expect(net.hopsEastWest + net.hopsNorthSouth, `${target}: ${graph.meta.name}`).toBe(steps * r.summary.hopsAllSpiking);
        for (const row of r.summary.layers) {
          const layer = sim.counts.layers.find((l) => l.name === row.layer)!;
          expect(layer.hopsOut, `${target}: ${row.layer}`).toBe(steps * row.hopsAllSpiking);
        }
        checked.push(`${target}:${graph.meta.name}`);
        break;
      }
      expect(fitted, `${target} holds one of the test networks`).toBe(true);
    }
    expect(checked.length).toBe(listTargets().length);
  });

  it('a detour in a route reaches the simulator; a missing route is refused', () => {
    const target = loadTarget('loihi-like');
    const { chip } = compile(lenet(), { target, timesteps: 3 });
    const fired = alwaysFiring(chip);
    const base = new ChipSimulator(fired, { delay: 'same-step' });
    base.runSample(SAMPLE, 0);
    // A route of one hop becomes a three-hop detour around it: two hops more per packet that takes it.
    const width = target.mesh.width.value, height = target.mesh.height.value;
    const route = fired.routes.find((r) => r.links.length === 1 && r.toCores.length === 1);
    expect(route, 'a one-hop route').toBeDefined();
    const [a, b] = route!.links[0];
    const horizontal = Math.floor(a / width) === Math.floor(b / width);
    const side = horizontal ? (Math.floor(a / width) + 1 < height ? width : -width) : (a % width + 1 < width ? 1 : -1);
    const detour = structuredClone(fired);
    const changed = detour.routes.find((r) => r.fromCore === route!.fromCore && r.toCores[0] === route!.toCores[0])!;
    changed.links = [[a, a + side], [a + side, b + side], [b + side, b]];
    changed.hops = 3;
    const sim = new ChipSimulator(detour, { delay: 'same-step' });
    sim.runSample(SAMPLE, 0);
    // Every packet over the detour crosses two more links, each perpendicular to the replaced hop.
    const sideways = (x: ChipSimulator) => (horizontal ? x.counts.network.hopsNorthSouth : x.counts.network.hopsEastWest);
    const along = (x: ChipSimulator) => (horizontal ? x.counts.network.hopsEastWest : x.counts.network.hopsNorthSouth);
    const extra = sideways(sim) - sideways(base);
    expect(extra).toBeGreaterThan(0);
    expect(along(sim)).toBe(along(base));
    const fromLayer = base.counts.layers.find((l) => l.name === fired.placement.cores.find((c) => c.id === route!.fromCore)!.slices[0].population)!;
    expect(extra % 2).toBe(0);
    expect(extra / 2).toBeLessThanOrEqual(fromLayer.spikes);
    const missing = structuredClone(fired);
    missing.routes = missing.routes.filter((r) => r !== missing.routes.find((x) => x.fromCore === route!.fromCore && x.toCores[0] === route!.toCores[0]));
    expect(() => new ChipSimulator(missing)).toThrow(new RegExp(`no route from core ${route!.fromCore} to core ${route!.toCores[0]}`));
    const broken = structuredClone(fired);
    broken.routes.find((r) => r.fromCore === route!.fromCore && r.toCores[0] === route!.toCores[0])!.links = [[a, a + 2]];
    expect(() => new ChipSimulator(broken)).toThrow(/not neighbours/);
  });
});
