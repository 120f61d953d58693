import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { runCli } from '../../src/cli/main.js';
import { writeMapped } from '../../compiler/emit.js';
import { sequentialMapping } from '../../simulator/index.js';
import { loadTarget } from '../../targets/load.js';
import { denseFlat, ifPopulation, intWeights } from './helpers.js';
import { captureOutput } from '../fixtures/capture.js';

const require = createRequire(import.meta.url);
const Ajv = require('ajv').default;
const validate = new Ajv({ strict: false }).compile(JSON.parse(readFileSync('schemas/sim-report.schema.json', 'utf8')));

const VECTOR = resolve('../shared/vectors/sanafe-ff/network.json');
const dir = mkdtempSync(join(tmpdir(), 'snnc-sim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const io = captureOutput();

describe('snnc simulate', () => {
  it.skipIf(!existsSync(VECTOR))('--vector --json prints SANA-FE\'s quantities in a schema-valid report', async () => {
    const code = await runCli(['simulate', '--vector', VECTOR, '--target', 'sanafe-loihi', '--steps', '100', '--json']);
    expect(code, io.stderr).toBe(0);
    const report = JSON.parse(io.stdout);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.totals.synapticEvents).toBe(3_649_752);
    expect(report.totals.packets).toBe(18_585);
    expect(report.sanafe.comparison.find((r: { quantity: string }) => r.quantity === 'spikes').snnc).toBe(18_774);
  });

  it('simulates a compiled folder on MNIST: accuracy, counts, bit-identity with the reference', async () => {
    const target = loadTarget('loihi-like');
    const graph = {
      name: 'cli-mlp', target, timesteps: 4, delay: 'hardware' as const,
      input: { shape: [1, 28, 28], encoding: 'direct' as const, inputScale: 127 },
      populations: [ifPopulation('h', 64, 900), ifPopulation('out', 10, 1 << 20, { readout: true })],
      projections: [denseFlat('input', 'h', [1, 28, 28], 64, intWeights(64 * 784, -7, 7, 1)), denseFlat('h', 'out', [64], 10, intWeights(640, -7, 7, 2))],
      quantError: {},
    };
    const out = join(dir, 'mlp');
    writeMapped(out, sequentialMapping(graph, 32));
    const code = await runCli(['simulate', out, '--dataset', 'mnist', '--samples', '20', '--check', '--json']);
    expect(code, io.stderr).toBe(0);
    const report = JSON.parse(io.stdout);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.samples).toBe(20);
    expect(report.referenceIdentical).toBe(20);
    expect(report.perInference.synapticEvents).toBeGreaterThan(0);
    expect(report.cores.length).toBe(3);
    io.stdout = '';
    expect(await runCli(['simulate', out, '--samples', '5', '--delay', 'same-step'])).toBe(0);
    expect(io.stdout).toMatch(/delay same-step, T=4, 5 sample/);
    expect(io.stdout).toMatch(/energy .* = synaptic .* \+ neuron .* \+ network .* \+ sync .* \+ static/);
    // Hardware delay: the readout (one spiking layer behind the input) lags by one step; --extend adds it.
    io.stdout = '';
    expect(await runCli(['simulate', out, '--samples', '3', '--extend', '--json'])).toBe(0);
    expect(JSON.parse(io.stdout).timesteps).toBe(5);
  });

  it('refuses bad flags and files with one line and exit 2', async () => {
    for (const args of [
      ['simulate'],
      ['simulate', dir],
      ['simulate', '--vector', join(dir, 'none.json')],
      ['simulate', '--vector', VECTOR, '--steps', '0'],
      ['simulate', '--vector', VECTOR, '--target', 'no-such-chip'],
      ['simulate', join(dir, 'mlp'), '--samples', '-3'],
      ['simulate', join(dir, 'mlp'), '--dataset', 'nope'],
    ]) {
      io.stderr = '';
      expect(await runCli(args), args.join(' ')).toBe(2);
      expect(io.stderr).toMatch(/^snnc: error: \S.*\n$/);
    }
  });
});
