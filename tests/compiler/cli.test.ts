import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { readMapped } from '../../compiler/index.js';
import { buildLeNet, buildResNet } from '../fixtures/models.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => { out.push(String(s)); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => { err.push(String(s)); return true; }) as typeof process.stderr.write;
  try {
    const code = await runCli(args);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

describe('snnc compile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-compile-cli-'));
  const lenet = join(dir, 'lenet.onnx');
  writeFileSync(lenet, buildLeNet());
  const resnet = join(dir, 'resnet.onnx');
  writeFileSync(resnet, buildResNet());

  it('compiles an ONNX LeNet for loihi-like: artifact folder, summary table, max-pool warning', async () => {
    const out = join(dir, 'lenet-loihi');
    const r = await run(['compile', lenet, '--target', 'loihi-like', '-o', out, '--calibrate', 'mnist', '--samples', '16', '-T', '16']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/snnc: warning: max pooling replaced by average pooling/);
    expect(r.out).toMatch(/on loihi-like: \d+ of 4,096 cores/);
    expect(r.out).toMatch(/layer\s+neurons\s+cores\s+util %\s+synapses\s+weight KiB\s+q-err %/);
    for (const f of ['mapped.json', 'weights.pb', 'summary.txt', 'summary.json']) expect(existsSync(join(out, f))).toBe(true);
    const chip = readMapped(out);
    expect(chip.placement.graph.timesteps).toBe(16);
    expect(chip.placement.graph.target.name).toBe('loihi-like');
  });

  it('--json prints the summary; --dump-after writes the IR after that pass', async () => {
    const out = join(dir, 'resnet-dump');
    const r = await run(['compile', resnet, '-t', 'spinnaker-like', '-o', out, '--json', '--dump-after', 'convert']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out);
    expect(s.target).toBe('spinnaker-like');
    expect(s.layers.length).toBeGreaterThan(2);
    const dump = JSON.parse(readFileSync(join(out, 'dump-after-convert.json'), 'utf8'));
    expect(dump.nodes.some((n: { kind: string }) => n.kind === 'IF')).toBe(true);
    expect(dump.nodes.some((n: { kind: string }) => n.kind === 'ReLU')).toBe(false);
  });

  it('--target all: one table across the shipped targets, fits or why not', async () => {
    const r = await run(['compile', lenet, '-t', 'all', '-o', join(dir, 'all')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^target\s+fits\s+cores used\s+why not/);
    expect(r.out).toMatch(/loihi-like\s+yes\s+\d+ of 4096/);
    expect(r.out).toMatch(/truenorth-like\s+no\s+-\s+layer '.+' does not fit truenorth-like: .+ needed \d+, capacity 256/);
  });

  it('bad input: one line, exit 2, nothing half-written', async () => {
    const cases: [string[], RegExp][] = [
      [['compile', join(dir, 'missing.onnx'), '-t', 'loihi-like', '-o', join(dir, 'x1')], /missing\.onnx/],
      [['compile', lenet, '-t', 'loihi-lik', '-o', join(dir, 'x2')], /unknown target 'loihi-lik'/],
      [['compile', lenet, '-t', 'loihi-like', '-o', join(dir, 'x3'), '--timesteps', '0'], /--timesteps must be an integer from 1 to 100000, got 0/],
      [['compile', lenet, '-t', 'loihi-like', '-o', join(dir, 'x4'), '--dump-after', 'nope'], /unknown pass 'nope'/],
      [['compile', lenet, '-t', 'loihi-like', '-o', join(dir, 'x5'), '--maxpool', 'refuse'], /max pooling.*--maxpool avg/],
      [['compile', lenet, '-t', 'truenorth-like', '-o', join(dir, 'x6')], /does not fit truenorth-like/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err.trim().split('\n').filter((l) => l.startsWith('snnc: error')).length).toBe(1);
      expect(existsSync(join(args[args.indexOf('-o') + 1], 'mapped.json'))).toBe(false);
    }
  });

  it('refuses a non-empty folder it did not create unless --force', async () => {
    const out = join(dir, 'foreign');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    expect((await run(['compile', lenet, '-t', 'loihi-like', '-o', out])).code).toBe(2);
    expect((await run(['compile', lenet, '-t', 'loihi-like', '-o', out, '--force'])).code).toBe(0);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
  });
});

describe('snnc targets', () => {
  it('lists the shipped targets with headline figures', async () => {
    const r = await run(['targets']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/loihi-like\s+4096\s+64x16x4\s+1024\s+4096\s+128\s+8\s+24\s+23\.6\s+81/);
    for (const n of ['truenorth-like', 'spinnaker-like', 'speck-like']) expect(r.out).toContain(n);
    const j = JSON.parse((await run(['targets', '--json'])).out);
    expect(j.find((t: { name: string }) => t.name === 'truenorth-like').neuronsPerCore).toBe(256);
  });
});
