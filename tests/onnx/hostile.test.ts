/**
 * Hostile input: seeded mutations of the valid fixture models, each run through the CLI (`snnc inspect`).
 * Every case must end with exit code 2 and one clear `snnc: error:` line (or, for a random byte flip that
 * happens to leave a valid model, exit 0) — never an internal error, crash, hang or unbounded allocation.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { onnx, type ModelProto, type TensorProto } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/builder.js';
import { FIXTURES, SeededRandom } from '../fixtures/models.js';

const dir = mkdtempSync(join(tmpdir(), 'snnc-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Case { name: string; bytes: Uint8Array; mustFail: boolean }

const rnd = new SeededRandom(20261127);
const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd.uniform() * list.length)];
const int = (n: number) => Math.floor(rnd.uniform() * n);

const originals = Object.entries(FIXTURES).map(([name, build]) => ({ name, bytes: build() }));
const decode = (bytes: Uint8Array): ModelProto => onnx.ModelProto.decode(bytes);

function usedInitializers(m: ModelProto): TensorProto[] {
  const used = new Set(m.graph!.node!.flatMap((n) => n.input ?? []));
  return (m.graph!.initializer ?? []).filter((t) => used.has(t.name!));
}

function usedFloatInitializers(m: ModelProto): TensorProto[] {
  const used = new Set(m.graph!.node!.flatMap((n) => n.input ?? []));
  return (m.graph!.initializer ?? []).filter((t) => used.has(t.name!) && t.dataType === 1 && (t.dims ?? []).map(Number).reduce((a, b) => a * b, 1) > 1);
}

/** Structured mutations: each one makes the model invalid in a specific, documented way. */
const STRUCTURED: Record<string, (m: ModelProto) => void> = {
  'absurd dims (2^40 elements)': (m) => { const t = pick(usedInitializers(m)); t.dims = [2 ** 20, 2 ** 20]; },
  'absurd dims (negative)': (m) => { const t = pick(usedInitializers(m)); t.dims = [-3, 4]; },
  'dims larger than the data': (m) => { const t = pick(usedFloatInitializers(m)); t.dims = [...(t.dims ?? []).map(Number).slice(0, -1), Number(t.dims!.at(-1)) + 1 + int(5)]; },
  'NaN weight': (m) => poison(m, NaN),
  'Inf weight': (m) => poison(m, rnd.uniform() < 0.5 ? Infinity : -Infinity),
  'graph cycle': (m) => {
    const nodes = m.graph!.node!;
    const i = 1 + int(nodes.length - 2);
    const later = nodes[i + int(nodes.length - i)];
    const target = nodes[i];
    target.input![0] = later.output![0];
  },
  'missing initializer': (m) => {
    const used = usedFloatInitializers(m);
    const victim = pick(used);
    m.graph!.initializer = m.graph!.initializer!.filter((t) => t !== victim);
  },
  'dangling edge': (m) => { const n = pick(m.graph!.node!); n.input![int(n.input!.length)] = `ghost_${int(1000)}`; },
  'hostile names': (m) => { const n = pick(m.graph!.node!); n.opType = `Op\nwith\rcontrol\u0000chars${'x'.repeat(int(100000))}`; },
  'node removed': (m) => { const nodes = m.graph!.node!; nodes.splice(int(nodes.length - 1), 1); },
  'unsupported op': (m) => { pick(m.graph!.node!).opType = pick(['Tanh', 'LSTM', 'Resize', 'Einsum', 'NonMaxSuppression', '']); },
  'foreign domain': (m) => { pick(m.graph!.node!).domain = 'com.microsoft'; },
  'absurd attribute': (m) => {
    const convs = m.graph!.node!.filter((n) => ['Conv', 'MaxPool', 'AveragePool'].includes(n.opType!));
    if (convs.length === 0) {
      const gemm = m.graph!.node!.find((n) => n.opType === 'Gemm')!;
      gemm.attribute = [...(gemm.attribute ?? []), pick([{ name: 'transA', type: 2, i: 1 }, { name: 'transB', type: 3, s: new Uint8Array([1]) }])];
      return;
    }
    const n = pick(convs);
    const a = pick([
      { name: 'strides', type: 7, ints: [0, 0] },
      { name: 'pads', type: 7, ints: [-5, 0, 0, 0] },
      { name: 'pads', type: 7, ints: [2 ** 40, 0, 0, 0] },
      { name: 'kernel_shape', type: 7, ints: [1000, 1000] },
      { name: 'dilations', type: 7, ints: [2 ** 31, 1] },
      { name: 'auto_pad', type: 3, s: new TextEncoder().encode('SAME_SIDEWAYS') },
      { name: 'group', type: 2, i: 3 },
      { name: 'strides', type: 1, f: 2.5 },
    ]);
    n.attribute = [...(n.attribute ?? []).filter((x) => x.name !== a.name), a];
  },
  'absurd input shape': (m) => {
    const dims = m.graph!.input![0].type!.tensorType!.shape!.dim!;
    dims[1 + int(dims.length - 1)] = pick([{ dimValue: 2 ** 31 }, { dimValue: 0 }, { dimParam: 'height' }, { dimValue: -1 }]);
  },
  'input type not float': (m) => { m.graph!.input![0].type!.tensorType!.elemType = pick([7, 10, 11, 2]); },
  'opset out of range': (m) => { m.opsetImport = [{ domain: '', version: pick([1, 7, 10, 22, 99, 2 ** 40]) }]; },
  'no opset': (m) => { m.opsetImport = []; },
  'no graph': (m) => { m.graph = null; },
  'two outputs': (m) => { m.graph!.output = [...m.graph!.output!, { ...m.graph!.output![0], name: m.graph!.node![0].output![0] }]; },
  'no output': (m) => { m.graph!.output = []; },
  'duplicate producer': (m) => {
    const nodes = m.graph!.node!;
    const a = int(nodes.length);
    const b = (a + 1 + int(nodes.length - 1)) % nodes.length;
    nodes[a].output![0] = nodes[b].output![0];
  },
  'string initializer': (m) => { const t = pick(usedFloatInitializers(m)); t.dataType = 8; },
  'external data escaping the folder': (m) => {
    const t = pick(usedFloatInitializers(m));
    t.rawData = new Uint8Array();
    t.dataLocation = 1;
    t.externalData = [{ key: 'location', value: pick(['../../etc/passwd', '/etc/passwd', 'sub/../../x.bin', 'missing.bin']) }];
  },
};

function poison(m: ModelProto, value: number): void {
  const t = pick(usedFloatInitializers(m));
  const raw = t.rawData!;
  const copy = new Uint8Array(raw);
  new DataView(copy.buffer).setFloat32(4 * int(copy.length / 4), value, true);
  t.rawData = copy;
}

function buildCases(): Case[] {
  const cases: Case[] = [];
  for (const { name, bytes } of originals) {
    // Truncation at random offsets (never the full length).
    for (let i = 0; i < 35; i++) {
      const cut = int(bytes.length - 1);
      cases.push({ name: `${name}: truncated to ${cut} bytes`, bytes: bytes.slice(0, cut), mustFail: true });
    }
    // Random byte flips: the result may still be a valid model (a changed weight), but must never crash.
    for (let i = 0; i < 40; i++) {
      const copy = bytes.slice();
      const flips = 1 + int(4);
      for (let f = 0; f < flips; f++) copy[int(copy.length)] ^= 1 + int(255);
      cases.push({ name: `${name}: ${flips} flipped byte(s) #${i}`, bytes: copy, mustFail: false });
    }
    // Structured mutations.
    const kinds = Object.keys(STRUCTURED);
    for (let i = 0; i < 3 * kinds.length; i++) {
      const kind = kinds[i % kinds.length];
      const m = decode(bytes);
      STRUCTURED[kind](m);
      cases.push({ name: `${name}: ${kind} #${i}`, bytes: encodeModel(m), mustFail: true });
    }
  }
  return cases;
}

describe('hostile ONNX input through `snnc inspect`', () => {
  const cases = buildCases();
  let stderr = '';
  let stdout = '';
  beforeAll(() => {
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { stderr += String(chunk); return true; });
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { stdout += String(chunk); return true; });
  });
  afterAll(() => vi.restoreAllMocks());

  it(`has at least 500 seeded cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(500);
  });

  it('every case ends in a one-line user error (exit 2), or exit 0 for a still-valid flip', async () => {
    const outcomes = { failed: 0, passed: 0 };
    let slowest = 0;
    const baseRss = process.memoryUsage().rss;
    let peakRss = baseRss;
    const messages = new Set<string>();
    for (const [i, c] of cases.entries()) {
      const file = join(dir, `case${i}.onnx`);
      writeFileSync(file, c.bytes);
      stderr = '';
      stdout = '';
      const started = performance.now();
      const code = await runCli(['inspect', file]);
      slowest = Math.max(slowest, performance.now() - started);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      const detail = `${c.name}: exit ${code}, stderr: ${stderr.trim()}`;
      if (code === 2) {
        outcomes.failed++;
        expect(stderr, detail).toMatch(/^snnc: error: \S.*\n$/);
        expect(stderr.length, detail).toBeLessThan(2000);
        messages.add(stderr.replace(/case\d+/g, 'caseN'));
      } else {
        expect(code, detail).toBe(0);
        expect(c.mustFail, `${detail} (this mutation must be refused)`).toBe(false);
        expect(stdout, detail).toMatch(/total/);
        outcomes.passed++;
      }
      rmSync(file);
    }
    // Most random flips land in weight bytes and leave a valid model; the structured ones all fail.
    expect(outcomes.failed).toBeGreaterThan(cases.filter((c) => c.mustFail).length - 1);
    expect(messages.size).toBeGreaterThan(30);
    // No case hangs or allocates for an absurd shape (the largest fixture is 440 kB).
    expect(slowest).toBeLessThan(10_000);
    expect(peakRss - baseRss).toBeLessThan(512 * 2 ** 20);
  });
});

describe('hostile input through a real child process', () => {
  const bin = resolve('dist/src/cli/bin.js');
  beforeAll(() => {
    // CI builds dist in `npm install` (prepare); build here when running the suite alone from a fresh tree.
    if (!existsSync(bin)) execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'ignore' });
  });

  it('exits 2 with one error line for truncated, absurd and cyclic models, 0 for a valid one', () => {
    const lenet = originals[0].bytes;
    const absurd = decode(lenet);
    STRUCTURED['absurd dims (2^40 elements)'](absurd);
    const cyclic = decode(lenet);
    cyclic.graph!.node![2].input![0] = cyclic.graph!.node![5].output![0];
    const files: [string, Uint8Array, number][] = [
      ['truncated', lenet.slice(0, 1000), 2],
      ['absurd', encodeModel(absurd), 2],
      ['cyclic', encodeModel(cyclic), 2],
      ['garbage', new TextEncoder().encode('\x08\x96\x01 hello'), 2],
      ['valid', lenet, 0],
    ];
    for (const [name, bytes, expected] of files) {
      const file = join(dir, `${name}.onnx`);
      writeFileSync(file, bytes);
      const r = spawnSync(process.execPath, [bin, 'inspect', file], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, `${name}: ${r.stderr}`).toBe(expected);
      if (expected === 2) expect(r.stderr).toMatch(/^snnc: error: .+\n$/);
      else expect(r.stdout).toContain('416,520');
    }
    const missing = spawnSync(process.execPath, [bin, 'inspect', join(dir, 'nope.onnx')], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/model '.*nope\.onnx' does not exist/);
  });
});
