/**
 * Bad temporal input through the CLI, as a user meets it: a cycle with no state, a Delay longer than the target's
 * synaptic delays, neuron parameters of the wrong length, and npz archives whose x and y disagree or whose time
 * axis does not fit the model. Each is one line on stderr, exit code 2, and no output folder or file.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { encodeNpz } from '../../src/data/numpy.js';
import { loadTarget } from '../../targets/load.js';

const dir = mkdtempSync(join(tmpdir(), 'snnc-temporal-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A tensor as IR JSON stores it (float32 little-endian, base64). */
const t = (shape: number[], values: number[]) => ({ shape, dtype: 'float32', data: Buffer.from(new Float32Array(values).buffer).toString('base64') });
const fill = (n: number, v: number) => new Array(n).fill(v);

function irFile(name: string, nodes: object[], edges: [string, string][]): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ format: 'snnc-ir', version: 1, meta: { name, dt: 1e-3 }, nodes, edges }));
  return path;
}

const lif = (n: number) => ({ kind: 'LIF', tau: t([n], fill(n, 1e-2)), r: 1, vLeak: 0, threshold: 1, reset: 'zero' });

/** Runs snnc; returns exit code and stderr. */
async function snnc(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  const out = process.stdout.write.bind(process.stdout);
  process.stderr.write = ((s: string) => { stderr += s; return true; }) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return { code: await runCli(args), stderr };
  } finally {
    process.stderr.write = write;
    process.stdout.write = out;
  }
}

async function refused(args: string[], message: RegExp, output: string): Promise<void> {
  const before = readdirSync(dir).sort();
  const r = await snnc(args);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(/^snnc: error: /);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  expect(existsSync(output), `${output} was written`).toBe(false);
  expect(readdirSync(dir).sort()).toEqual(before);
}

describe('bad temporal input on the command line', () => {
  it('a cycle through Affine nodes alone (no state to start from)', async () => {
    const model = irFile('stateless-cycle', [
      { name: 'input', kind: 'Input', shape: [4] },
      { name: 'a', kind: 'Affine', weight: t([4, 4], fill(16, 0.1)), bias: t([4], fill(4, 0)) },
      { name: 'b', kind: 'Affine', weight: t([4, 4], fill(16, 0.1)), bias: t([4], fill(4, 0)) },
      { name: 'lif', ...lif(4) },
      { name: 'output', kind: 'Output' },
    ], [['input', 'a'], ['a', 'b'], ['b', 'a'], ['b', 'lif'], ['lif', 'output']]);
    const out = join(dir, 'out-cycle');
    await refused(['compile', model, '-t', 'loihi-like', '-T', '8', '-o', out], /cycle through .*a.*b.* no node that holds state/, out);
  });

  it('a Delay beyond the target\'s longest synaptic delay', async () => {
    const limit = loadTarget('loihi-like').features!.synapticDelayMax.value;
    const steps = limit + 1;
    const model = irFile('long-delay', [
      { name: 'input', kind: 'Input', shape: [3] },
      { name: 'fc', kind: 'Affine', weight: t([3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1]), bias: t([3], fill(3, 0)) },
      { name: 'lif1', ...lif(3) },
      // NIR's Delay is in seconds; the IR's in steps.
      { name: 'delay', kind: 'Delay', delay: t([3], [1, 2, steps]) },
      { name: 'fc2', kind: 'Affine', weight: t([2, 3], fill(6, 1)), bias: t([2], fill(2, 0)) },
      { name: 'lif2', ...lif(2) },
      { name: 'output', kind: 'Output' },
    ], [['input', 'fc'], ['fc', 'lif1'], ['lif1', 'delay'], ['delay', 'fc2'], ['fc2', 'lif2'], ['lif2', 'output']]);
    const out = join(dir, 'out-delay');
    await refused(['compile', model, '-t', 'loihi-like', '-T', '8', '-o', out], new RegExp(`synaptic delay of ${steps} steps.*loihi-like|loihi-like.*${steps}`), out);
  });

  it('neuron parameters of the wrong length', async () => {
    const model = irFile('bad-params', [
      { name: 'input', kind: 'Input', shape: [4] },
      { name: 'fc', kind: 'Affine', weight: t([5, 4], fill(20, 0.5)), bias: t([5], fill(5, 0)) },
      { name: 'cuba', kind: 'CubaLIF', tauSyn: t([3], fill(3, 5e-3)), tauMem: t([5], fill(5, 1e-2)), r: 1, vLeak: 0, wIn: 1, threshold: 1, reset: 'zero' },
      { name: 'output', kind: 'Output' },
    ], [['input', 'fc'], ['fc', 'cuba'], ['cuba', 'output']]);
    const out = join(dir, 'out-params');
    await refused(['compile', model, '-t', 'loihi-like', '-T', '8', '-o', out], /node 'cuba': tau_syn has 3 values, the layer has 5 neurons/, out);
  });

  describe('npz data', () => {
    const model = irFile('timed-mlp', [
      { name: 'input', kind: 'Input', shape: [6] },
      { name: 'fc', kind: 'Affine', weight: t([3, 6], fill(18, 0.4)), bias: t([3], fill(3, 0)) },
      { name: 'lif', ...lif(3) },
      { name: 'output', kind: 'Output' },
    ], [['input', 'fc'], ['fc', 'lif'], ['lif', 'output']]);
    const f32 = (n: number) => ({ data: new Float32Array(n).map((_, i) => (i % 3 === 0 ? 1 : 0)) });
    const labels = (n: number) => ({ data: BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 3)), shape: [n] });

    it('x and y that disagree in count', async () => {
      const npz = join(dir, 'disagree.npz');
      writeFileSync(npz, encodeNpz({ x: { ...f32(4 * 10 * 6), shape: [4, 10, 6] }, y: labels(3) }));
      const out = join(dir, 'verify-disagree.json');
      await refused(['verify', model, '--dataset', `npz:${npz}`, '--target', 'loihi-like', '-o', out], /x and y disagree/, out);
      rmSync(npz);
    });

    it('a time axis whose frames do not fit the model input', async () => {
      const npz = join(dir, 'wrong-frame.npz');
      writeFileSync(npz, encodeNpz({ x: { ...f32(4 * 10 * 7), shape: [4, 10, 7] }, y: labels(4) }));
      const out = join(dir, 'verify-frame.json');
      await refused(['verify', model, '--dataset', `npz:${npz}`, '--target', 'loihi-like', '-o', out], /has samples of shape \[10,7\], the model takes \[6\]/, out);
      rmSync(npz);
    });

    it('and a good archive of the same model passes, so the refusals above are about the data', async () => {
      const npz = join(dir, 'good.npz');
      writeFileSync(npz, encodeNpz({ x: { ...f32(4 * 10 * 6), shape: [4, 10, 6] }, y: labels(4) }));
      const out = join(dir, 'verify-good.json');
      const r = await snnc(['verify', model, '--dataset', `npz:${npz}`, '--target', 'loihi-like', '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(out)).toBe(true);
      rmSync(npz);
      rmSync(out);
    });
  });
});
