/**
 * The neuron kinds, Delay and the cycle rule against steps computed by hand (the equations of src/ir/nodes.ts):
 * each test drives one layer with a known input sequence and checks every step's output.
 */
import { describe, expect, it } from 'vitest';
import { buildGraph, GraphError, tensor, type IRNode } from '../../src/ir/graph.js';
import { runGraph } from '../../src/ir/execute.js';

/** Input [n] → Linear (identity) → node → Output, run on `frames` (one array per step); returns every step's output. */
function drive(node: IRNode, frames: number[][], dt?: number): number[][] {
  const n = frames[0].length;
  const eye = tensor([n, n], Array.from({ length: n * n }, (_, i) => (Math.floor(i / n) === i % n ? 1 : 0)));
  const g = buildGraph([
    ['in', { kind: 'Input', shape: [n] }], ['w', { kind: 'Linear', weight: eye }], ['x', node], ['out', { kind: 'Output' }],
  ], [['in', 'w'], ['w', 'x'], ['x', 'out']], { name: 'drive', ...(dt !== undefined ? { dt } : {}) });
  const seen: number[][] = [];
  runGraph(g, Float32Array.from(frames.flat()), 1, {
    mode: 'snn', inputSteps: frames.length,
    record: (name, _t, values) => { if (name === 'x') seen.push(Array.from(values)); },
  });
  return seen;
}

describe('neuron kinds, step by step', () => {
  it('IF: v += r·I; spike at v ≥ θ; reset by subtraction or to v_reset', () => {
    const input = [[0.6], [0.6], [0.6], [0.6], [0]];
    // subtract: v = .6, 1.2→.2 (spike), .8, 1.4→.4 (spike), .4
    expect(drive({ kind: 'IF', threshold: 1, reset: 'subtract' }, input)).toEqual([[0], [1], [0], [1], [0]]);
    // to v_reset 0.5: v = .6, 1.2→.5, 1.1→.5, 1.1→.5, .5
    expect(drive({ kind: 'IF', threshold: 1, reset: 'zero', vReset: 0.5 }, input)).toEqual([[0], [1], [1], [1], [0]]);
    // r = 2: v = 1.2→.2 (spike), 1.4→.4, 1.6→.6, 1.8→.8, .8
    expect(drive({ kind: 'IF', threshold: 1, reset: 'subtract', r: 2 }, input)).toEqual([[1], [1], [1], [1], [0]]);
  });

  it('per-neuron thresholds, and v ≥ θ against v > θ', () => {
    const input = [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]];
    // v reaches exactly 1.0 at step 2: fires under 'ge' only; θ = 0.5 fires at once under 'ge'.
    expect(drive({ kind: 'IF', threshold: tensor([3], [1, 0.5, 2]), reset: 'zero' }, input)).toEqual([[0, 1, 0], [1, 1, 0]]);
    expect(drive({ kind: 'IF', threshold: tensor([3], [1, 0.5, 2]), reset: 'zero', fire: 'gt' }, input)).toEqual([[0, 0, 0], [0, 1, 0]]);
  });

  it('LIF, dt-free (snnc): v = (1 − leak)·v + I', () => {
    // leak .5, I = .8: v = .8, 1.2→.2 (spike), .9, 1.25→.25 (spike)
    expect(drive({ kind: 'LIF', threshold: 1, reset: 'subtract', leak: 0.5 }, [[0.8], [0.8], [0.8], [0.8]])).toEqual([[0], [1], [0], [1]]);
  });

  it('LIF, NIR (forward Euler): v += dt/τ·(v_leak − v + r·I)', () => {
    // dt/τ = 0.5, r = 2, v_leak = 0.2: v' = .5v + .1 + I; I = .4 → .5, .75, .875, .9375 → never reaches θ = 1
    const out = drive({ kind: 'LIF', tau: 2e-3, r: 2, vLeak: 0.2, threshold: 1, reset: 'zero' }, [[0.4], [0.4], [0.4], [0.4]], 1e-3);
    expect(out).toEqual([[0], [0], [0], [0]]);
    // I = .6 → v' = .5v + .1 + 1.2·.5 = .5v + .7: .7, 1.05 (spike → 0), .7, 1.05 (spike)
    expect(drive({ kind: 'LIF', tau: 2e-3, r: 2, vLeak: 0.2, threshold: 1, reset: 'zero' }, [[0.6], [0.6], [0.6], [0.6]], 1e-3)).toEqual([[0], [1], [0], [1]]);
  });

  it('CubaLIF: the current first (I ← β·I + (1 − β)·w_in·x), then the voltage from the updated current', () => {
    // dt/τ_syn = .5, w_in = 2; dt/τ_mem = .25, r = 4: I = .5I + x; v = .75v + I
    // x = 1,1,0,0: I = 1, 1.5, .75, .375; v = 1, 2.25→(θ 2: spike → 0), .75, .9375
    const node: IRNode = { kind: 'CubaLIF', tauSyn: 2e-3, tauMem: 4e-3, wIn: 2, r: 4, threshold: 2, reset: 'zero' };
    expect(drive(node, [[1], [1], [0], [0]], 1e-3)).toEqual([[0], [1], [0], [0]]);
  });

  it('LI, CubaLI and I output their potential and never spike', () => {
    // LI: dt/τ = .5, r = 1: v = .5v + .5x; x = 1,1,1: .5, .75, .875
    expect(drive({ kind: 'LI', tau: 2e-3 }, [[1], [1], [1]], 1e-3)).toEqual([[0.5], [0.75], [0.875]]);
    // CubaLI: I = .5I + .5x (w_in 1): .5, .75; v = .5v + .5I: .25, .5
    expect(drive({ kind: 'CubaLI', tauSyn: 2e-3, tauMem: 2e-3 }, [[1], [1]], 1e-3)).toEqual([[0.25], [0.5]]);
    // I: v += r·x with r = .5 and v_init .25: .75, 1.25, 1.25
    expect(drive({ kind: 'I', r: 0.5, vInit: 0.25 }, [[1], [1], [0]])).toEqual([[0.75], [1.25], [1.25]]);
  });

  it('Threshold: s = x ≥ θ with no memory', () => {
    expect(drive({ kind: 'Threshold', threshold: 0.5 }, [[0.4], [0.4], [0.5], [0.6]])).toEqual([[0], [0], [1], [1]]);
  });

  it('Delay: y[t] = x[t − d] per neuron, zero before the first input arrives', () => {
    const frames = [[1, 2, 3], [4, 5, 6], [7, 8, 9], [0, 0, 0]];
    expect(drive({ kind: 'Delay', delay: tensor([3], [0, 1, 2]) }, frames)).toEqual([[1, 0, 0], [4, 2, 0], [7, 5, 3], [0, 8, 6]]);
  });

  it('parameters: one value or one per neuron; others are refused naming the node', () => {
    const bad = (node: IRNode, dt?: number) => () => drive(node, [[1, 1]], dt);
    expect(bad({ kind: 'IF', threshold: tensor([3], [1, 1, 1]), reset: 'zero' })).toThrow(/node 'x': threshold has 3 values, the layer has 2 neurons/);
    expect(bad({ kind: 'LI', tau: -1 }, 1e-3)).toThrow(/node 'x': tau must be positive/);
    expect(bad({ kind: 'LI', tau: 1e-3 })).toThrow(/node 'x': tau is a time constant: the graph needs a time step dt/);
    expect(bad({ kind: 'LI', tau: 1e-4 }, 1e-3)).toThrow(/shorter than the time step/);
    expect(bad({ kind: 'Delay', delay: 1.5 })).toThrow(/node 'x': delay must be an integer number of steps/);
    expect(bad({ kind: 'LIF', threshold: 1, reset: 'zero', leak: 0.1, tau: 1e-3 }, 1e-3)).toThrow(/either leak .* or tau/);
    expect(bad({ kind: 'IF', threshold: 0, reset: 'zero' })).toThrow(/threshold must be a positive finite number/);
  });
});

describe('the cycle rule: an edge that closes a cycle carries the previous step\'s output', () => {
  it('a 2-neuron recurrent loop fires at the times computed by hand', () => {
    // a drives b (weight 1), b drives a back (weight 1) over the recurrent edge: IF θ = 1, reset by subtraction.
    // The input kicks a with 1 at step 1 only.
    //   t=1: a = 1 → spike; b = 0 + a(t=1) = 1 → spike          (feed-forward edge: same step)
    //   t=2: a = 0 + b(t=1) = 1 → spike; b = a(t=2) = 1 → spike  (recurrent edge: previous step)
    // …so the pair keeps firing every step.
    const loop = (back: number) => buildGraph([
      ['in', { kind: 'Input', shape: [1] }],
      ['wa', { kind: 'Linear', weight: tensor([1, 1], [1]) }],
      ['a', { kind: 'IF', threshold: 1, reset: 'subtract' }],
      ['wb', { kind: 'Linear', weight: tensor([1, 1], [1]) }],
      ['b', { kind: 'IF', threshold: 1, reset: 'subtract' }],
      ['wr', { kind: 'Linear', weight: tensor([1, 1], [back]) }],
      ['head', { kind: 'Linear', weight: tensor([1, 1], [1]) }],
      ['out', { kind: 'Output' }],
    ], [['in', 'wa'], ['wa', 'a'], ['a', 'wb'], ['wb', 'b'], ['b', 'wr'], ['wr', 'wa'], ['b', 'head'], ['head', 'out']], { name: 'loop' });
    const g = loop(1);
    expect([...g.recurrent].map((e) => g.edges[e])).toEqual([['wr', 'wa']]);
    const spikes = (graph: ReturnType<typeof loop>, input = [1, 0, 0, 0, 0, 0]) => {
      const a: number[] = [], b: number[] = [];
      runGraph(graph, Float32Array.from(input), 1, {
        inputSteps: 6,
        record: (name, _t, v) => { if (name === 'a') a.push(v[0]); if (name === 'b') b.push(v[0]); },
      });
      return { a, b };
    };
    expect(spikes(g)).toEqual({ a: [1, 1, 1, 1, 1, 1], b: [1, 1, 1, 1, 1, 1] });
    // Back weight .5, input .5 at every step. a: t1 .5; t2 .5 + .5 = 1 → spike (b fires in the same step);
    // t3 0 + .5 + .5·b(t2) = 1 → spike; and so on. A two-step lag would give t3 .5 and t4 1.5 instead.
    expect(spikes(loop(0.5), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5])).toEqual({ a: [0, 1, 1, 1, 1, 1], b: [0, 1, 1, 1, 1, 1] });
  });

  it('a cycle with no node that holds state is refused, naming it', () => {
    expect(() => buildGraph([
      ['in', { kind: 'Input', shape: [1] }],
      ['w1', { kind: 'Linear', weight: tensor([1, 1], [1]) }],
      ['w2', { kind: 'Linear', weight: tensor([1, 1], [1]) }],
      ['n', { kind: 'IF', threshold: 1, reset: 'zero' }],
      ['out', { kind: 'Output' }],
    ], [['in', 'w1'], ['w1', 'w2'], ['w2', 'w1'], ['w2', 'n'], ['n', 'out']], { name: 'bad' })).toThrow(GraphError);
    expect(() => buildGraph([
      ['in', { kind: 'Input', shape: [1] }],
      ['w1', { kind: 'Linear', weight: tensor([1, 1], [1]) }],
      ['t', { kind: 'Threshold', threshold: 1 }],
      ['out', { kind: 'Output' }],
    ], [['in', 'w1'], ['w1', 't'], ['t', 'w1'], ['t', 'out']], { name: 'bad' })).toThrow(/cycle through w1 -> t -> w1 with no node that holds state/);
  });

  it('a loop the Input does not reach runs on its biases, entered through its neuron (the closing edge lands there)', () => {
    // in → out directly; the loop n → a → n runs on a's bias. The walk enters the loop at n (it holds state), so
    // a → n is the recurrent edge and n reads a's output of the previous step (0 at the first):
    //   neuron 0 (bias .6, self-weight .5): v 0, .6, 1.2 → spike (.2 left), then .2 + 1.1 = 1.3 → spike, … every step;
    //   neuron 1 (bias .3): v 0, .3, .6, .9, 1.2 → spike (.2), .2 + .8 = 1 → spike.
    const g = buildGraph([
      ['in', { kind: 'Input', shape: [2] }],
      ['a', { kind: 'Affine', weight: tensor([2, 2], [0.5, 0, 0, 0.5]), bias: tensor([2], [0.6, 0.3]) }],
      ['n', { kind: 'IF', threshold: tensor([2], [1, 1]), reset: 'subtract' }],
      ['head', { kind: 'Linear', weight: tensor([2, 2], [1, 0, 0, 1]) }],
      ['out', { kind: 'Output' }],
    ], [['in', 'out'], ['n', 'a'], ['a', 'n'], ['n', 'head'], ['head', 'out']], { name: 'autonomous' });
    expect([...g.recurrent].map((e) => g.edges[e])).toEqual([['a', 'n']]);
    expect(g.shapes.get('n')).toEqual({ input: [2], output: [2] });
    const fired: number[][] = [];
    const out = runGraph(g, new Float32Array(2 * 6), 1, { inputSteps: 6, record: (name, _t, v) => { if (name === 'n') fired.push([v[0], v[1]]); } });
    expect(fired).toEqual([[0, 0], [0, 0], [1, 0], [1, 0], [1, 1], [1, 1]]);
    // The Output sums what reaches it over the steps: the (zero) input plus the spikes through the head.
    expect(Array.from(out)).toEqual([4, 2]);
  });

  it('a loop the Input does not reach needs a neuron whose parameters give its size, and state', () => {
    const loop = (threshold: number | ReturnType<typeof tensor>) => () => buildGraph([
      ['in', { kind: 'Input', shape: [2] }],
      ['a', { kind: 'Affine', weight: tensor([2, 2], [0.5, 0, 0, 0.5]), bias: tensor([2], [0.6, 0.3]) }],
      ['n', { kind: 'IF', threshold, reset: 'subtract' }],
      ['out', { kind: 'Output' }],
    ], [['in', 'out'], ['n', 'a'], ['a', 'n'], ['n', 'out']], { name: 'autonomous' });
    expect(loop(tensor([2], [1, 1]))).not.toThrow();
    expect(loop(1)).toThrow(/node 'n': node is fed only through a cycle, and its parameters are all scalars/);
    expect(() => buildGraph([
      ['in', { kind: 'Input', shape: [2] }],
      ['a', { kind: 'Linear', weight: tensor([2, 2], [1, 0, 0, 1]) }],
      ['b', { kind: 'Linear', weight: tensor([2, 2], [1, 0, 0, 1]) }],
      ['out', { kind: 'Output' }],
    ], [['in', 'out'], ['a', 'b'], ['b', 'a'], ['b', 'out']], { name: 'stateless' })).toThrow(/cannot be reached from the Input, and no node with state feeds it/);
  });

  it('a Delay is state: a loop through it is a valid cycle', () => {
    const g = buildGraph([
      ['in', { kind: 'Input', shape: [1] }],
      ['w', { kind: 'Linear', weight: tensor([1, 1], [1]) }],
      ['d', { kind: 'Delay', delay: 2 }],
      ['n', { kind: 'IF', threshold: 1, reset: 'subtract' }],
      ['out', { kind: 'Output' }],
    ], [['in', 'w'], ['w', 'n'], ['n', 'd'], ['d', 'w'], ['n', 'out']], { name: 'echo' });
    const seen: number[] = [];
    runGraph(g, Float32Array.from([1, 0, 0, 0, 0, 0, 0]), 1, { inputSteps: 7, record: (name, _t, v) => { if (name === 'n') seen.push(v[0]); } });
    // n fires at t=1; its spike returns through the 2-step delay and the recurrent edge 3 steps later, and so on.
    expect(seen).toEqual([1, 0, 0, 1, 0, 0, 1]);
  });
});
