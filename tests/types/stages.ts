/**
 * Type test (run by `npm run typecheck`, not by vitest): the compile stages only chain in order. Every
 * `@ts-expect-error` line below is a call out of order; if one of them ever type-checks, tsc fails with
 * "Unused '@ts-expect-error' directive". The last function is the pipeline in order, which must compile.
 */
import type { Graph } from '../../src/ir/graph.js';
import type { TargetSpec } from '../../targets/target.js';
import { foldScale } from '../../compiler/passes/fold-scale.js';
import { lowerMaxPool } from '../../compiler/passes/lower-maxpool.js';
import { convertToSnn } from '../../compiler/passes/convert.js';
import { lowerToPopulations } from '../../compiler/passes/lower.js';
import { quantize } from '../../compiler/quantize.js';
import { partition } from '../../compiler/partition.js';
import { place } from '../../compiler/place.js';
import { route } from '../../compiler/route.js';

export function outOfOrder(ann: Graph, target: TargetSpec): void {
  const warn = () => {};
  // @ts-expect-error: conversion takes an unconverted graph; converting twice is a mistake
  convertToSnn(convertToSnn(ann));
  // @ts-expect-error: scale folding runs before conversion
  foldScale(convertToSnn(ann));
  // @ts-expect-error: max-pool lowering runs before conversion
  lowerMaxPool(convertToSnn(ann), 'avg', warn);
  // @ts-expect-error: lowering needs a converted graph
  lowerToPopulations(foldScale(ann));
  // @ts-expect-error: lowering needs a converted graph, not a raw one
  lowerToPopulations(ann);
  // @ts-expect-error: quantization takes the lowered populations, not a graph
  quantize(convertToSnn(ann), target, { timesteps: 4 });
  const net = lowerToPopulations(convertToSnn(ann));
  // @ts-expect-error: partitioning takes a quantized graph
  partition(net);
  const q = quantize(net, target, { timesteps: 4 });
  // @ts-expect-error: placement takes a partition
  place(q);
  // @ts-expect-error: routing takes a placement, not a partition and core ids
  route(partition(q), target, new Int32Array(0));
  // @ts-expect-error: routing takes a placement, not a partition
  route(partition(q));
  // @ts-expect-error: the issue's example, out of order end to end
  route(partition(quantize(lowerToPopulations(foldScale(convertToSnn(convertToSnn(ann)))), target, { timesteps: 4 })), target, new Int32Array(0));
}

export function inOrder(ann: Graph, target: TargetSpec) {
  const warn = () => {};
  const spiking = convertToSnn(lowerMaxPool(foldScale(ann), 'avg', warn));
  return route(place(partition(quantize(lowerToPopulations(spiking), target, { timesteps: 4, hold: 'auto' }))));
}
