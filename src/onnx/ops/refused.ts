/**
 * Ops refused with a reason. Activations without an exact spiking equivalent: a spiking layer passes on a
 * firing rate, which is never negative and grows linearly with its input current until it saturates, so a
 * rate code represents ReLU (max(0, x)) and Clip(0, max) exactly and nothing else.
 */
import { refuseOp } from './types.js';

const INSTEAD = 'retrain the ANN with Relu or Clip(0, max) in its place before conversion, or train a spiking student directly with `snnc train`';

const noSpikingEquivalent = (op: string, why: string) =>
  refuseOp(op, `${op} has no exact spiking equivalent: a spiking neuron's firing rate is non-negative and linear in its input up to saturation, so only Relu and Clip(0, max) have a rate code, and ${why}; ${INSTEAD}`);

export const REFUSED_OPS = [
  noSpikingEquivalent('Tanh', 'Tanh is negative for negative inputs and curved everywhere'),
  noSpikingEquivalent('Sigmoid', 'Sigmoid is positive for negative inputs and curved everywhere'),
  noSpikingEquivalent('LeakyRelu', 'LeakyRelu passes negative inputs on (scaled by alpha)'),
  noSpikingEquivalent('PRelu', 'PRelu passes negative inputs on (scaled by its learned slopes)'),
  noSpikingEquivalent('Elu', 'Elu is negative for negative inputs'),
  noSpikingEquivalent('Selu', 'Selu is negative for negative inputs'),
  noSpikingEquivalent('Celu', 'Celu is negative for negative inputs'),
  noSpikingEquivalent('Gelu', 'Gelu is negative for some negative inputs and curved'),
  noSpikingEquivalent('Erf', 'Erf (how exporters write GELU) is negative for negative inputs and curved'),
  noSpikingEquivalent('Softplus', 'Softplus is positive for negative inputs and curved'),
  noSpikingEquivalent('Mish', 'Mish is negative for some negative inputs and curved'),
  noSpikingEquivalent('HardSwish', 'HardSwish is negative between -3 and 0 and quadratic there'),
  ...['LSTM', 'GRU', 'RNN'].map((op) => refuseOp(op, `${op} has no exact spiking equivalent: its gates multiply sigmoid and tanh activations with each other and with its state, and neither such products nor a signed tanh have a non-negative rate code; train a spiking student with \`snnc train\` (snnc's neurons carry state over time steps) or use a feed-forward model`)),
];
