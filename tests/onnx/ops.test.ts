/**
 * The per-op data cases of tests/onnx/op-cases.ts, run by one runner: each case becomes a one- or few-node
 * ONNX model (src/onnx/builder.ts); onnxruntime-node computes the expected output on seeded random inputs;
 * snnc imports the model and the float executor (ANN mode) must agree within 1e-5, relative to the larger of
 * 1 and the expected value (|snnc − ort| ≤ 1e-5 · max(1, |ort|)), on every output element. Refusal cases
 * check the message instead, and that onnxruntime loads the model (or, for malformed nodes, refuses it for
 * the same attribute). The op table's coverage by these cases is checked too.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { OnnxBuilder } from '../../src/onnx/builder.js';
import { importOnnx, OnnxError } from '../../src/onnx/import.js';
import { MAX_OPSET, MIN_OPSET, OP_TABLE, SUPPORTED_OPS } from '../../src/onnx/ops/index.js';
import { runGraph } from '../../src/ir/execute.js';
import { SeededRandom } from '../fixtures/models.js';
import { runOrt, softmaxRows } from '../fixtures/ort.js';
import { OP_CASES, type Const, type NodeSpec, type OpCase } from './op-cases.js';

const BATCH = 3;
const TOLERANCE = 1e-5;
const NODE_NAME = 'under_test';

function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The case's nodes; the one-node form reads `x` and initializers c1, c2, … (an absent optional input is ''). */
function nodesOf(c: OpCase): NodeSpec[] {
  if (c.nodes) return c.nodes;
  const inputs = ['x', ...(c.consts ?? []).map((k, i) => (k ? `c${i + 1}` : ''))];
  return [{ op: c.op, in: inputs, out: 'y', attrs: c.attributes ?? {}, name: NODE_NAME }];
}

function initsOf(c: OpCase): Record<string, Const> {
  if (c.nodes) return c.inits ?? {};
  return Object.fromEntries((c.consts ?? []).flatMap((k, i) => (k ? [[`c${i + 1}`, k]] : [])));
}

function build(c: OpCase): Uint8Array {
  const rnd = new SeededRandom(seedOf(c.name));
  const b = new OnnxBuilder({ opset: c.opset, name: 'op_case', producer: 'op-cases' });
  b.input('x', ['n', ...c.input]);
  for (const [name, k] of Object.entries(initsOf(c))) {
    const size = k.dims.reduce((p, d) => p * d, 1);
    const values = k.values ?? Array.from({ length: size }, () => (k.positive ? 0.5 + rnd.uniform() : 1.5 * (rnd.uniform() - 0.5)));
    b.init(name, k.dims, values, k.type ?? 'float32');
  }
  nodesOf(c).forEach((n, i) => b.node(n.op, n.in, typeof n.out === 'string' ? [n.out] : n.out, n.attrs ?? {}, { name: n.name ?? `${n.op}_${i}` }));
  b.output('y');
  return b.bytes();
}

function inputsFor(c: OpCase): Float32Array {
  const rnd = new SeededRandom(seedOf(`${c.name} input`));
  const size = BATCH * c.input.reduce((p, d) => p * d, 1);
  return Float32Array.from({ length: size }, () => 4 * (rnd.uniform() - 0.5));
}

function logSoftmaxRows(x: Float32Array, classes: number): Float32Array {
  return softmaxRows(x, classes).map(Math.log);
}

async function ortLoads(bytes: Uint8Array): Promise<string | undefined> {
  try {
    const session = await ort.InferenceSession.create(bytes);
    await session.release();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const supported = OP_CASES.filter((c) => !c.expectRefusal);
const refused = OP_CASES.filter((c) => c.expectRefusal);

describe('ONNX ops against onnxruntime-node: one runner over the data cases', () => {
  it.each(supported.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const bytes = build(c);
    const x = inputsFor(c);
    const expected = await runOrt(bytes, x, BATCH, c.input);
    const model = importOnnx(bytes);
    let actual = runGraph(model.graph, x, BATCH, { mode: 'ann' });
    // A final Softmax/LogSoftmax is dropped on import (the class is the argmax): apply it to compare.
    const final = model.dropped.find((d) => /^(Log)?Softmax /.test(d));
    if (final) actual = (final.startsWith('Log') ? logSoftmaxRows : softmaxRows)(actual, actual.length / BATCH);
    expect(actual.length).toBe(expected.length);
    // The case must exercise something: an all-zero reference would hide a wrong import.
    expect(expected.some((v) => v !== 0)).toBe(true);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  });

  it.each(refused.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const bytes = build(c);
    let error: unknown;
    try { importOnnx(bytes); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(OnnxError);
    const message = (error as Error).message;
    expect(message).toMatch(c.expectRefusal!);
    expect(message).toMatch(/^node '[^']+'/);
    expect(message).toContain(c.op);
    const ortError = await ortLoads(bytes);
    if (!c.invalidOnnx) {
      expect(ortError, 'onnxruntime must run the model snnc refuses').toBeUndefined();
    } else {
      // onnxruntime refuses the same malformed attribute.
      const attribute = /'(\w+)' is not an attribute/.exec(message)?.[1];
      expect(attribute).toBeDefined();
      expect(ortError).toContain(attribute);
    }
  });
});

describe('the op table', () => {
  const inRange = (e: (typeof OP_TABLE)[number], opset: number) => (e.since ?? MIN_OPSET) <= opset && opset <= (e.until ?? MAX_OPSET);

  it('covers opsets 11–21 exactly once per default-domain op', () => {
    const ops = new Set(OP_TABLE.filter((e) => e.domain === '').map((e) => e.op));
    for (const op of ops) {
      for (let opset = MIN_OPSET; opset <= MAX_OPSET; opset++) {
        expect(OP_TABLE.filter((e) => e.domain === '' && e.op === op && inRange(e, opset)).length, `${op} at opset ${opset}`).toBe(1);
      }
    }
  });

  it('has a case for every entry: a passing one for each supported op and opset range, a refusal for each refused op', () => {
    for (const e of OP_TABLE) {
      if (e.domain !== '') continue; // snnc::IF/LIF: onnxruntime cannot run them (tests/onnx/import.test.ts covers them)
      const label = `${e.op} (opsets ${e.since ?? MIN_OPSET}–${e.until ?? MAX_OPSET})`;
      if (e.refusal) {
        expect(refused.some((c) => c.op === e.op && inRange(e, c.opset)), label).toBe(true);
      } else {
        expect(supported.some((c) => inRange(e, c.opset) && nodesOf(c).some((n) => n.op === e.op)), label).toBe(true);
      }
    }
  });

  it('is the list the README gives of the ops a model may use', () => {
    const readme = readFileSync('README.md', 'utf8');
    const models = /^- \*\*Models\*\*:([\s\S]*?)\n- \*\*/m.exec(readme)?.[1] ?? '';
    for (const op of SUPPORTED_OPS) expect(models, op).toMatch(new RegExp(`\\b${op}\\b`));
  });
});
