/**
 * What a network needs of a chip beyond capacity: recurrent connections, current-based neurons, a multiplicative
 * leak, synaptic delays, parameters that differ between neurons of a layer, a reset to a value other than 0.
 * Each target states what its hardware offers (targets/*.json `features`, with sources); a network that needs
 * more is refused at compile time with the feature, the layer and the target named.
 */
import type { TargetSpec } from '../targets/target.js';
import { uniform } from '../src/ir/dynamics.js';
import { UserError } from '../src/util/errors.js';
import type { FloatNet } from './types.js';

/** A network that needs a feature its target does not have. */
export class FeatureError extends UserError {
  constructor(readonly target: string, readonly layer: string, readonly feature: string, reason: string) {
    super(`layer '${layer}' needs ${feature}, which ${target} does not have: ${reason}`);
    this.name = 'FeatureError';
  }
}


/** Refuses a lowered network that needs a feature the target lacks (FeatureError naming the first such layer). */
export function checkFeatures(net: FloatNet, target: TargetSpec): void {
  const has = Object.fromEntries(Object.entries(target.features).map(([k, v]) => [k, v.value])) as { [K in keyof TargetSpec['features']]: TargetSpec['features'][K]['value'] };
  const name = target.name;
  for (const p of net.projections) {
    if (p.recurrent && !has.recurrence) {
      throw new FeatureError(name, p.to, 'recurrent connections', `the projection '${p.name}' closes a cycle (its spikes come back a step later); ${name} maps feed-forward networks only`);
    }
    if (p.delays) {
      const most = Math.max(...p.delays);
      if (most > has.synapticDelayMax) {
        throw new FeatureError(name, p.to, `a synaptic delay of ${most} steps`, has.synapticDelayMax === 0 ? `${name} has no synaptic delays` : `its synapses delay spikes by at most ${has.synapticDelayMax} steps`);
      }
    }
  }
  for (const pop of net.populations) {
    const d = pop.dynamics;
    if (d.syn && !has.currentBased) {
      throw new FeatureError(name, pop.name, `current-based neurons (${pop.model})`, `its neurons have no synaptic-current register with a decay of its own`);
    }
    if (!d.keep.every((k) => k === 1) && !pop.readout && !has.leak) {
      throw new FeatureError(name, pop.name, `a multiplicative leak (${pop.model})`, `its neurons leak by a constant, not in proportion to the potential`);
    }
    if (d.vReset.some((v) => v !== 0) && !has.resetToValue) {
      throw new FeatureError(name, pop.name, 'a reset to a potential other than 0', 'its neurons reset to 0 or by subtraction');
    }
    // Gains fold into the weights, and biases and initial potentials are per neuron on every target: only the
    // registers a layer shares (thresholds, decays, reset values) need per-neuron hardware.
    const varies = [d.keep, d.vReset, ...(d.threshold ? [d.threshold] : []), ...(d.syn ? [d.syn.keep] : [])].some((a) => !uniform(a));
    if (varies && !has.perNeuronParameters) {
      throw new FeatureError(name, pop.name, 'parameters that differ between its neurons', 'its layers share one set of neuron parameters');
    }
  }
}
