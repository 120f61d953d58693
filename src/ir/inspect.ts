import { kindOf, type Graph, type IRNode, type NodeShapes } from './graph.js';
import { printable } from '../util/text.js';

/** One row of {@link InspectReport}. */
export interface LayerReport {
  name: string;
  kind: IRNode['kind'];
  /** Per-sample output shape (no batch dimension). */
  outputShape: number[];
  /** Weights and biases held by the node. */
  params: number;
  /**
   * Multiply–accumulates per inference: Conv2d = output elements × kernel area × input channels per group;
   * Affine/Linear = weight elements; every other kind 0.
   */
  macs: number;
}

/** What `snnc inspect` prints. */
export interface InspectReport {
  name: string;
  producer?: string;
  opset?: number;
  timesteps?: number;
  encoding?: string;
  dropped: string[];
  inputShape: number[];
  outputShape: number[];
  layers: LayerReport[];
  totals: { layers: number; params: number; macs: number };
}

/** Parameters of one node (weights, biases, Scale factors): its registry entry's count. */
export function nodeParams(node: IRNode): number {
  return kindOf(node).parameters(node);
}

/** MACs per inference of one node (see {@link LayerReport.macs}): its registry entry's count. */
export function nodeMacs(node: IRNode, shapes: NodeShapes): number {
  return kindOf(node).macs(node, shapes);
}

/** Layers with shapes, parameters and MACs, and the totals. */
export function inspectGraph(g: Graph): InspectReport {
  const layers: LayerReport[] = g.order.map((name) => {
    const node = g.nodes.get(name)!;
    const outputShape = [...g.shapes.get(name)!.output];
    return { name, kind: node.kind, outputShape, params: nodeParams(node), macs: nodeMacs(node, g.shapes.get(name)!) };
  });
  const report: InspectReport = {
    name: g.meta.name,
    ...(g.meta.producer !== undefined ? { producer: g.meta.producer } : {}),
    ...(g.meta.opset !== undefined ? { opset: g.meta.opset } : {}),
    ...(g.meta.timesteps !== undefined ? { timesteps: g.meta.timesteps } : {}),
    ...(g.meta.encoding !== undefined ? { encoding: g.meta.encoding } : {}),
    dropped: [...(g.meta.dropped ?? [])],
    inputShape: [...g.shapes.get(g.inputName)!.output],
    outputShape: [...g.shapes.get(g.outputName)!.output],
    layers,
    totals: {
      layers: layers.filter((l) => l.kind !== 'Input' && l.kind !== 'Output').length,
      params: layers.reduce((a, l) => a + l.params, 0),
      macs: layers.reduce((a, l) => a + l.macs, 0),
    },
  };
  return report;
}

/** A fixed-width table of the report for terminals. */
export function formatInspectReport(r: InspectReport): string {
  const lines: string[] = [];
  lines.push(`model:     ${printable(r.name)}`);
  lines.push(`producer:  ${printable(r.producer || '(none)')}`);
  if (r.opset !== undefined) lines.push(`opset:     ${r.opset}`);
  if (r.timesteps !== undefined) lines.push(`timesteps: ${r.timesteps}`);
  if (r.encoding !== undefined) lines.push(`encoding:  ${r.encoding}`);
  lines.push(`input:     [${r.inputShape.join(', ')}] per sample`);
  if (r.dropped.length) lines.push(`dropped:   ${printable(r.dropped.join(', '))}`);
  lines.push('');
  const rows = r.layers.map((l) => [printable(l.name), l.kind, `[${l.outputShape.join(', ')}]`, fmt(l.params), fmt(l.macs)]);
  const header = ['layer', 'kind', 'output shape', 'params', 'MACs'];
  const all = [header, ...rows, ['total', `${r.totals.layers} layers`, `[${r.outputShape.join(', ')}]`, fmt(r.totals.params), fmt(r.totals.macs)]];
  const widths = header.map((_, c) => Math.max(...all.map((row) => row[c].length)));
  const line = (row: string[]) => row.map((cell, c) => (c >= 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  lines.push(line(header));
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) lines.push(line(row));
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  lines.push(line(all[all.length - 1]));
  return lines.join('\n') + '\n';
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
