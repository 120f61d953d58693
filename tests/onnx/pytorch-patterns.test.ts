/**
 * PyTorch 1.13 exports of the everyday layers issue 21 lists (tests/fixtures/onnx/patterns/, made by
 * make_patterns.py there): torch.cat of two branches, x.mean(dim=(2, 3)), an NHWC permute-and-reshape head,
 * x.transpose(2, 3), F.pad, conv(x).squeeze(), Conv1d + BatchNorm1d, ConvTranspose2d, nn.Upsample and a Linear
 * over a 32 × 14 × 14 map. Each imports and runs in the float executor as onnxruntime runs it (within 1e-5 on 20
 * inputs); `snnc compile` maps it onto loihi-like (exit 0); and its lowered network (populations and
 * projections) computes what its spiking graph computes.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importOnnxFile } from '../../src/onnx/import.js';
import { onnx } from '../../src/onnx/proto.js';
import { runGraph } from '../../src/ir/execute.js';
import { runCli } from '../../src/cli/main.js';
import { compile } from '../../compiler/index.js';
import { SeededRandom } from '../fixtures/models.js';
import { runOrt } from '../fixtures/ort.js';
import { runFloatNet } from '../fixtures/float-net.js';

const DIR = join('tests', 'fixtures', 'onnx', 'patterns');
const SAMPLES = 20;

/** Each export, the ops it must hold (what the pattern is about), and the IR kinds they become. */
const PATTERNS: { file: string; ops: string[]; kinds: string[] }[] = [
  { file: 'cat', ops: ['Concat'], kinds: ['IndexMap'] },
  { file: 'mean', ops: ['ReduceMean'], kinds: ['AvgPool2d'] },
  { file: 'nhwc', ops: ['Transpose', 'Reshape'], kinds: ['IndexMap'] },
  { file: 'transpose', ops: ['Transpose'], kinds: ['IndexMap'] },
  { file: 'fpad', ops: ['Pad', 'ConstantOfShape'], kinds: [] },
  { file: 'squeeze', ops: ['Squeeze'], kinds: ['Flatten'] },
  { file: 'conv1d_bn', ops: ['Conv', 'ReduceMean'], kinds: ['Conv2d'] },
  { file: 'conv_transpose', ops: ['ConvTranspose'], kinds: ['IndexMap'] },
  { file: 'upsample', ops: ['Resize'], kinds: ['IndexMap'] },
  { file: 'wide_linear', ops: ['Gemm'], kinds: ['Affine'] },
];

function opsIn(bytes: Uint8Array): string[] {
  return (onnx.ModelProto.decode(bytes).graph?.node ?? []).map((n) => n.opType ?? '');
}

async function run(args: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => { err.push(String(s)); return true; }) as typeof process.stderr.write;
  try {
    return { code: await runCli(args), err: err.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

describe('PyTorch 1.13 exports of the issue-21 patterns', () => {
  const out = mkdtempSync(join(tmpdir(), 'snnc-patterns-'));

  it.each(PATTERNS.map((p) => [p.file, p] as const))('%s: the float executor equals onnxruntime within 1e-5 on 20 inputs', async (_, p) => {
    const path = join(DIR, `${p.file}.onnx`);
    const bytes = readFileSync(path);
    for (const op of p.ops) expect(opsIn(bytes), `${p.file} holds ${op}`).toContain(op);
    const { graph } = importOnnxFile(path);
    for (const kind of p.kinds) expect([...graph.nodes.values()].some((n) => n.kind === kind), `${p.file} imports as ${kind}`).toBe(true);
    const shape = graph.shapes.get(graph.inputName)!.output;
    const size = shape.reduce((a, b) => a * b, 1);
    const rnd = new SeededRandom(21);
    const x = Float32Array.from({ length: SAMPLES * size }, () => rnd.uniform());
    const expected = await runOrt(bytes, x, SAMPLES, shape);
    const actual = runGraph(graph, x, SAMPLES, { mode: 'ann' });
    expect(actual.length).toBe(expected.length);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it.each(PATTERNS.map((p) => [p.file, p] as const))('%s: snnc compile for loihi-like exits 0, and lowering is exact', async (_, p) => {
    const path = join(DIR, `${p.file}.onnx`);
    const r = await run(['compile', path, '-t', 'loihi-like', '-o', join(out, p.file), '-T', '16']);
    expect(r.code, r.err).toBe(0);
    const c = compile(path, { target: 'loihi-like', timesteps: 16 });
    // Lowering inserts a relay (with a warning) only where folding would exceed a core: the Linear over 32 × 14 × 14
    // is split (split-fan-in) and its average pooling, folded, would need 4 × 3,136 inputs; the relay rate-codes the
    // pooled spikes, which is not exact. Every other pattern folds into exact projections.
    const relays = c.floatNet.populations.filter((q) => /\.relay\d+$/.test(q.name)).map((q) => q.name);
    if (p.file === 'wide_linear') {
      expect(c.fanInSplits.map((s) => [s.layer, s.fanIn, s.parts])).toEqual([['/head/Gemm', 6272, 2]]);
      expect(relays.length).toBe(1);
      return;
    }
    expect(relays).toEqual([]);
    // The lowered network computes what the spiking graph computes (same thresholds, same-step delivery).
    const shape = c.spikingGraph.shapes.get(c.spikingGraph.inputName)!.output;
    const size = shape.reduce((a, b) => a * b, 1);
    const n = 8;
    const rnd = new SeededRandom(7);
    const x = Float32Array.from({ length: n * size }, () => rnd.uniform());
    const graphOut = runGraph(c.spikingGraph, x, n, { mode: 'snn', timesteps: 16 });
    const netOut = runFloatNet(c.floatNet, x, n, 16);
    let scale = 0;
    for (const v of graphOut) scale = Math.max(scale, Math.abs(v));
    expect(scale, 'spikes reach the readout').toBeGreaterThan(0);
    let worst = 0;
    for (let i = 0; i < graphOut.length; i++) worst = Math.max(worst, Math.abs(graphOut[i] - netOut[i]));
    expect(worst / scale).toBeLessThan(1e-4);
  });
});
