/**
 * The fuzz suite of issue 22: seeded mutations of a real ONNX model (the shipped demo teacher), a mapped
 * artifact compiled from it and a target file (loihi-like.json) — bit flips, truncations, field deletions,
 * type swaps and numeric extremes — each run in-process through the CLI (`runCli`). Every case must end
 * in exit 0 or exit 2 with exactly one `snnc: error:` line: never an internal error, a stack trace, a
 * hang or an unbounded allocation, and never a half-written output.
 *
 * Bounds this test states and checks: no case takes more than 15 s, the whole suite runs in under 150 s on
 * the 2-core CI machine, and it raises the process's peak memory by less than 1 GiB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { runCliCaptured } from '../fixtures/capture.js';
import { SeededRandom } from '../fixtures/models.js';
import { onnx, type ModelProto } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/builder.js';

const TEACHER = resolve('src/assets/mnist-lenet-teacher.onnx');
const MLP = resolve('tests/fixtures/onnx/mlp.onnx');
const tmp = mkdtempSync(join(tmpdir(), 'snnc-fuzz-'));
const ART = join(tmp, 'art');
const FAILURES = join(tmpdir(), 'snnc-fuzz-failures');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const rnd = new SeededRandom(Number(process.env.SNNC_FUZZ_SEED ?? 22_2022));
const int = (n: number) => Math.floor(rnd.uniform() * n);
const pick = <T>(list: readonly T[]): T => list[int(list.length)];

/** Numbers at the edges: zero, signs, the integer and float limits, fractions, overflow to Infinity. */
const EXTREMES = [0, -1, 1, -0.5, 0.5, 2 ** 31, -(2 ** 31), 2 ** 53, 1e308, -1e308, 1e-300, 'Infinity'] as const;

type Json = unknown;
/** Every [container, key] path of a JSON value (objects and arrays), for picking a place to mutate. */
function places(v: Json, out: [Record<string | number, Json>, string | number][] = []): typeof out {
  if (Array.isArray(v)) v.forEach((x, i) => { out.push([v as unknown as Record<number, Json>, i]); places(x, out); });
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { out.push([v as Record<string, Json>, k]); places(x, out); }
  return out;
}

/** One structured JSON mutation, written back as text (`Infinity` as the literal 1e999, which JSON.parse reads so). */
function mutateJson(text: string): { text: string; what: string } {
  const doc = JSON.parse(text);
  // A section first (every top-level field alike), then a place in it: the small sections (input,
  // populations, projections, the target's precision) are reached as often as the large placement.
  const top = Object.keys(doc);
  const section = pick(top);
  const inner = places(doc[section]);
  const all: ReturnType<typeof places> = [[doc, section], ...inner];
  const numeric = all.filter(([c, k]) => typeof c[k] === 'number');
  const kind = pick(['delete', 'extreme', 'extreme', 'type', 'text-flip', 'truncate'] as const);
  if (kind === 'truncate') return { text: text.slice(0, int(text.length - 1)), what: 'truncated' };
  if (kind === 'text-flip') {
    const b = Buffer.from(text);
    for (let f = 1 + int(4); f > 0; f--) b[int(b.length)] ^= 1 << int(8);
    return { text: b.toString('latin1'), what: 'flipped bits' };
  }
  const [c, k] = kind === 'extreme' && numeric.length ? pick(numeric) : pick(all);
  if (kind === 'delete') {
    if (Array.isArray(c)) c.splice(k as number, 1); else delete c[k];
    return { text: JSON.stringify(doc), what: `deleted ${String(k)}` };
  }
  if (kind === 'type') {
    c[k] = pick([null, 'x', [], {}, true, [1, 2, 3]] as Json[]);
    return { text: JSON.stringify(doc), what: `retyped ${String(k)}` };
  }
  const v = pick(EXTREMES);
  c[k] = v === 'Infinity' ? '__INF__' : v;
  return { text: JSON.stringify(doc).replace('"__INF__"', '1e999'), what: `${String(k)} = ${v}` };
}

function flipBytes(b: Uint8Array): Uint8Array {
  const copy = b.slice();
  for (let f = 1 + int(6); f > 0; f--) copy[int(copy.length)] ^= 1 + int(255);
  return copy;
}

/** Structured protobuf mutations of the teacher. */
const MODEL_EDITS: ((m: ModelProto) => void)[] = [
  (m) => { const t = pick(m.graph!.initializer!); t.dims = (t.dims ?? []).map(() => pick([0, -1, 2 ** 31, 2 ** 20, 1])); },
  (m) => { const n = pick(m.graph!.node!); n.attribute = (n.attribute ?? []).map((a) => ({ ...a, ints: (a.ints ?? []).map(() => pick([0, -7, 2 ** 40, 1])), i: pick([0, -1, 2 ** 33]) })); },
  (m) => { m.graph!.node!.splice(int(m.graph!.node!.length), 1); },
  (m) => { m.graph!.initializer!.splice(int(m.graph!.initializer!.length), 1); },
  (m) => { pick(m.graph!.node!).opType = pick(['Tanh', 'LSTM', '', 'Conv', 'Gemm', 'Relu\x1b[2J']); },
  (m) => { const d = m.graph!.input![0].type!.tensorType!.shape!.dim!; d[int(d.length)] = pick([{ dimValue: 0 }, { dimValue: 2 ** 31 }, { dimParam: 'h' }]); },
  (m) => { const t = pick(m.graph!.initializer!); t.rawData = t.rawData?.slice(0, int(t.rawData.length)); },
  (m) => { m.opsetImport = [{ domain: '', version: pick([1, 10, 22, 2 ** 40]) }]; },
  (m) => {
    // Finite but extreme weights: overflow once thresholds are folded in, or vanish below float32.
    const t = pick(m.graph!.initializer!.filter((x) => (x.rawData?.length ?? 0) >= 4));
    const raw = new Uint8Array(t.rawData!);
    new DataView(raw.buffer).setFloat32(4 * int(raw.length / 4), pick([1e35, -3e38, 1e-45, 7e30]), true);
    t.rawData = raw;
  },
];

interface Case { name: string; run: () => Promise<{ code: number; stderr: string; stdout: string }>; mustFail: boolean; output?: string; input: string }
const cases: Case[] = [];
let caseNo = 0;
const file = (name: string, data: string | Uint8Array) => { const p = join(tmp, `c${caseNo++}-${name}`); writeFileSync(p, data); return p; };

function buildCases(teacher: Uint8Array, mappedText: string, weights: Uint8Array, targetText: string): void {
  // ONNX: 200 cases; inspect reads them all, compile a quarter.
  for (let i = 0; i < 200; i++) {
    let bytes: Uint8Array;
    let name: string;
    let mustFail = false;
    const kind = i % 4;
    if (kind === 0) { const cut = int(teacher.length - 1); bytes = teacher.slice(0, cut); name = `onnx truncated to ${cut}`; mustFail = true; }
    else if (kind === 1) { bytes = flipBytes(teacher); name = `onnx flipped #${i}`; }
    else {
      const m = onnx.ModelProto.decode(teacher);
      const e = int(MODEL_EDITS.length);
      MODEL_EDITS[e](m);
      bytes = encodeModel(m);
      name = `onnx edit ${e} #${i}`;
    }
    const p = file('m.onnx', bytes);
    if (i % 8 === 3) {
      const out = join(tmp, `c${caseNo++}-out`);
      cases.push({ name: `${name} (compile)`, mustFail, output: out, input: p, run: () => runCliCaptured(['compile', p, '-t', 'loihi-like', '--calibrate', 'none', '-T', '4', '-o', out]) });
    } else {
      cases.push({ name: `${name} (inspect)`, mustFail, input: p, run: () => runCliCaptured(['inspect', p]) });
    }
  }
  // Mapped artifact: 200 cases, mapped.json (160) or weights.pb (40) mutated; simulated for 1 sample of 2 steps.
  for (let i = 0; i < 200; i++) {
    const dir = join(tmp, `c${caseNo++}-art`);
    mkdirSync(dir);
    let name: string;
    let mustFail = false;
    if (i % 5 === 4) {
      const w = i % 10 === 4 ? weights.slice(0, int(weights.length)) : flipBytes(weights);
      name = i % 10 === 4 ? 'weights.pb truncated' : 'weights.pb flipped';
      mustFail = true; // its SHA-256 no longer matches
      writeFileSync(join(dir, 'weights.pb'), w);
      writeFileSync(join(dir, 'mapped.json'), mappedText);
    } else {
      const m = mutateJson(mappedText);
      name = `mapped.json ${m.what}`;
      mustFail = m.what === 'truncated';
      writeFileSync(join(dir, 'mapped.json'), m.text);
      writeFileSync(join(dir, 'weights.pb'), weights);
    }
    const report = join(dir, 'report.json');
    cases.push({ name, mustFail, output: report, input: dir, run: () => runCliCaptured(['simulate', dir, '--samples', '1', '--timesteps', '2', '-o', report]) });
  }
  // Target file: 150 cases, validated by `snnc targets`; one in five also compiles the MLP fixture for it.
  for (let i = 0; i < 150; i++) {
    const m = mutateJson(targetText);
    const p = file('target.json', m.text);
    const mustFail = m.what === 'truncated';
    if (i % 5 === 0) {
      const out = join(tmp, `c${caseNo++}-tout`);
      cases.push({ name: `target ${m.what} (compile)`, mustFail, output: out, input: p, run: () => runCliCaptured(['compile', MLP, '-t', p, '--calibrate', 'none', '-T', '4', '-o', out]) });
    } else {
      cases.push({ name: `target ${m.what}`, mustFail, input: p, run: () => runCliCaptured(['targets', p]) });
    }
  }
}

describe('fuzzing the CLI with seeded mutations of real files', () => {
  beforeAll(async () => {
    const r = await runCliCaptured(['compile', TEACHER, '-t', 'loihi-like', '--calibrate', 'mnist', '-o', ART]);
    expect(r.code, r.stderr).toBe(0);
    // Plain Uint8Array copies: a Node Buffer's slice() shares memory, and every mutation must start from the original.
    const bytes = (p: string) => new Uint8Array(readFileSync(p));
    buildCases(bytes(TEACHER), readFileSync(join(ART, 'mapped.json'), 'utf8'), bytes(join(ART, 'weights.pb')), readFileSync(resolve('targets/loihi-like.json'), 'utf8'));
  }, 120_000);

  it('at least 500 cases, each exit 0 or one error line with exit 2, within the stated time and memory', async () => {
    expect(cases.length).toBeGreaterThanOrEqual(500);
    const started = performance.now();
    const peakBefore = process.resourceUsage().maxRSS;
    const outcome = { ok: 0, refused: 0 };
    const messages = new Set<string>();
    let slowest = { ms: 0, name: '' };
    for (const c of cases) {
      const t0 = performance.now();
      const r = await c.run();
      const ms = performance.now() - t0;
      if (ms > slowest.ms) slowest = { ms, name: c.name };
      const detail = `${c.name} (input ${c.input}, kept in ${FAILURES}): exit ${r.code}\n${r.stderr.slice(-2000)}`;
      const bad = ![0, 2].includes(r.code) || /internal error|\n\s+at \S+ \(/.test(r.stderr);
      // A failing input is kept for replay (the temporary folder is removed).
      if (bad) cpSync(c.input, join(FAILURES, basename(c.input)), { recursive: true });
      expect([0, 2], detail).toContain(r.code);
      expect(r.stderr, detail).not.toMatch(/internal error|\n\s+at \S+ \(|Maximum call stack/);
      if (r.code === 2) {
        outcome.refused++;
        const lines = r.stderr.trimEnd().split('\n');
        expect(lines.filter((l) => l.startsWith('snnc: error: ')), detail).toHaveLength(1);
        expect(lines.at(-1), detail).toMatch(/^snnc: error: \S/);
        expect(r.stderr.length, detail).toBeLessThan(4000);
        messages.add(lines.at(-1)!.replace(/c\d+-/g, 'cN-').replace(/\d+/g, 'N'));
        // Nothing half-written: a refused command leaves no output behind.
        if (c.output) expect(existsSync(c.output), `${detail}\nleft ${c.output}`).toBe(false);
      } else {
        outcome.ok++;
        expect(c.mustFail, `${detail}\n(this mutation must be refused)`).toBe(false);
        if (c.output && c.output.endsWith('out')) expect(readdirSync(c.output).sort(), detail).toEqual(expect.arrayContaining(['mapped.json', 'weights.pb', 'summary.json']));
      }
      expect(ms, `${c.name} took ${ms.toFixed(0)} ms`).toBeLessThan(15_000);
    }
    const seconds = (performance.now() - started) / 1000;
    expect(seconds, `slowest: ${slowest.name} ${slowest.ms.toFixed(0)} ms`).toBeLessThan(150);
    expect(process.resourceUsage().maxRSS - peakBefore).toBeLessThan(1024 * 1024); // KiB: 1 GiB
    // The mutations reach many different checks, and some still-valid ones run to the end.
    expect(messages.size).toBeGreaterThan(60);
    expect(outcome.ok).toBeGreaterThan(20);
    expect(outcome.refused).toBeGreaterThan(300);
  }, 200_000);
});
