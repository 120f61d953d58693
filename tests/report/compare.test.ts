import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnist } from '../../src/data/mnist.js';
import { compareTargets, compareText, type CompareReport } from '../../src/report/compare.js';
import { runReport } from '../../src/cli/report.js';
import { runCli } from '../../src/cli/main.js';
import { listTargets } from '../../targets/load.js';
import type { SimReport } from '../../simulator/report.js';
import { writeSpikingCentroid } from './fixtures.js';

let dir: string;
let student: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'snnc-compare-'));
  student = join(dir, 'student.onnx');
  writeSpikingCentroid(student, loadMnist('train'), 16);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('snnc compare', () => {
  it('compiles and simulates on every shipped target; a model that does not fit says why', async () => {
    const out = join(dir, 'cmp');
    const r = await compareTargets(student, { dataset: 'mnist', samples: 60, outDir: out });
    expect(r.rows.map((x) => x.target)).toEqual(listTargets());
    expect(r.software.engine).toBe('float');
    expect(r.software.accuracy).toBeGreaterThan(0.6);
    const fits = r.rows.filter((x) => x.fits);
    const not = r.rows.filter((x) => !x.fits);
    expect(fits.length).toBeGreaterThanOrEqual(2);
    // a dense 784-input layer exceeds TrueNorth's 256 axons per core and Speck's 16×16 kernels
    expect(not.map((x) => x.target).sort()).toEqual(['speck-like', 'truenorth-like']);
    for (const x of not) expect(x.reason).toMatch(/does not fit/);
    // the mapped network classifies like the software one on Loihi's figures
    expect(r.rows.find((x) => x.target === 'loihi-like')!.accuracy!).toBeGreaterThan(0.5);
    const saved = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as CompareReport;
    expect(saved.rows.length).toBe(r.rows.length);
    for (const x of fits) {
      expect(x.coresUsed).toBe(2);
      const sim = JSON.parse(readFileSync(join(out, x.target, 'sim-report.json'), 'utf8')) as SimReport;
      expect(x.energyJ).toBe(sim.perInference.energyJ.totalJ);
      expect(x.latencyNs).toBe(sim.perInference.latency.ns);
      expect(x.accuracy).toBe(sim.accuracy);
      expect(existsSync(join(out, x.target, 'summary.json'))).toBe(true);
    }
    const text = compareText(r);
    expect(text).toContain('| truenorth-like');

    // the report of that folder: comparison, compilation and simulation sections, numbers equal the JSON
    const rep = runReport({ dir: out });
    const titles = rep.sections.map((s) => s.title);
    expect(titles).toEqual(expect.arrayContaining(['Target comparison', 'Compilation: cores and memory', 'Energy per inference by target']));
    const md = readFileSync(rep.markdown, 'utf8');
    for (const x of r.rows) {
      const line = md.split('\n').find((l) => l.startsWith(`| ${x.target} `) && l.includes(x.fits ? '| yes ' : '| no '))!;
      expect(line).toBeDefined();
      const cells = line.slice(1, -1).split(' | ').map((c) => c.trim());
      if (x.fits) {
        expect(Math.abs(Number(cells[4]) - x.energyJ! * 1e6)).toBeLessThanOrEqual(x.energyJ! * 1e6 * 5e-4);
        expect(Math.abs(Number(cells[5]) - x.latencyNs! / 1000)).toBeLessThanOrEqual(x.latencyNs! / 1000 * 5e-4);
        // Four significant digits, as printed.
        expect(Math.abs(Number(cells[6]) - x.synapticOps!)).toBeLessThanOrEqual(x.synapticOps! * 5e-4);
        expect(Math.abs(Number(cells[7]) - x.spikes!)).toBeLessThanOrEqual(x.spikes! * 5e-4);
        expect(Number(cells[8])).toBeCloseTo(x.accuracy! * 100, 2);
      } else {
        expect(cells[9]).toContain('does not fit');
      }
    }
  });

  it('refuses an unknown target and bad sample counts before writing anything', async () => {
    const chunks: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => { chunks.push(String(s)); return true; }) as typeof process.stderr.write;
    try {
      expect(await runCli(['compare', student, '--target', 'nochip', '-o', join(dir, 'c1')])).toBe(2);
      expect(await runCli(['compare', student, '--samples', '-3', '-o', join(dir, 'c2')])).toBe(2);
    } finally {
      process.stderr.write = orig;
    }
    expect(chunks.join('')).toMatch(/unknown target 'nochip'/);
    expect(chunks.join('')).toMatch(/--samples must be an integer from 1 to 10000000/);
    expect(existsSync(join(dir, 'c1'))).toBe(false);
    expect(existsSync(join(dir, 'c2'))).toBe(false);
  });
});
