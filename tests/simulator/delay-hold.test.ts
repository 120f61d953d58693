import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, readMapped } from '../../compiler/index.js';
import type { MappedChip } from '../../compiler/types.js';
import { ChipSimulator, FixedPointReference, simulate } from '../../simulator/index.js';
import { readoutLag } from '../../compiler/analysis.js';
import { argmax } from '../../simulator/arith.js';
import { runCli } from '../../src/cli/main.js';
import { buildTemplateStudent } from '../fixtures/template-student.js';
import { loadDataset, take, type Dataset } from '../../src/data/index.js';
import { loadTarget } from '../../targets/load.js';
import { captureOutput } from '../fixtures/capture.js';

const require = createRequire(import.meta.url);
const Ajv = require('ajv').default;
const validateMapped = new Ajv({ strict: false }).compile(JSON.parse(readFileSync('schemas/mapped.schema.json', 'utf8')));

// A deep student trained (here: built) at T=4: three spiking layers and a readout, so on a chip that delivers
// a spike one step after it fires the readout lags the input by 3 steps.
const dir = mkdtempSync(join(tmpdir(), 'snnc-hold-'));
const student = join(dir, 'student.onnx');
let digits: Dataset;
beforeAll(() => {
  writeFileSync(student, buildTemplateStudent({ relays: 2, timesteps: 4 }));
  digits = take(loadDataset('mnist', { split: 'test' }), 200);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function accuracy(mapped: MappedChip, opts: { delay?: 'hardware' | 'same-step'; timesteps?: number } = {}): number {
  const sim = new ChipSimulator(mapped, opts);
  const size = 28 * 28;
  let ok = 0;
  for (let s = 0; s < digits.count; s++) if (argmax(sim.runSample(digits.images.subarray(s * size, (s + 1) * size), s).readout) === digits.labels[s]) ok++;
  return ok / digits.count;
}

describe('spike-delivery delay: hold steps in the compiled artifact', () => {
  it('by default a delayed target holds the input for the readout lag, and the chip keeps the same-step accuracy', () => {
    const out = join(dir, 'auto');
    const r = compile(student, { target: 'loihi-like', outDir: out });
    const q = r.chip.placement.graph;
    expect(q.delay).toBe('hardware');
    expect(readoutLag(q)).toBe(3);
    expect(q.holdSteps).toBe(3);
    expect(r.warnings.filter((w) => /step\(s\) late/.test(w))).toEqual([]);
    expect(r.summary).toMatchObject({ timesteps: 4, holdSteps: 3, readoutLag: 3, delay: 'hardware' });
    expect(r.table).toMatch(/run: 4 \+ 3 hold steps = 7 steps per sample/);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).holdSteps).toBe(3);

    const json = JSON.parse(readFileSync(join(out, 'mapped.json'), 'utf8'));
    expect(json.holdSteps).toBe(3);
    expect(validateMapped(json), JSON.stringify(validateMapped.errors)).toBe(true);
    const mapped = readMapped(out);
    expect(mapped.placement.graph.holdSteps).toBe(3);
    expect(new ChipSimulator(mapped).timesteps).toBe(7);
    expect(new FixedPointReference(mapped.placement.graph).timesteps).toBe(7);

    // Bit-exactness chip vs reference holds over the held steps; the report says how many steps ran.
    const run = simulate(mapped, take(digits, 40), { checkReference: true });
    expect(run.report.timesteps).toBe(7);
    expect(run.report.holdSteps).toBe(3);
    expect(run.report.referenceIdentical).toBe(40);

    const held = accuracy(mapped);
    const sameStep = accuracy(mapped, { delay: 'same-step', timesteps: 4 });
    const rawT = accuracy(mapped, { timesteps: 4 });
    expect(sameStep).toBeGreaterThan(0.55);
    expect(Math.abs(held - sameStep)).toBeLessThan(0.04);
    expect(rawT).toBeLessThan(sameStep - 0.3);
  });

  it('--hold none runs exactly T steps and warns, with the true lag (depth − 1), what the readout loses', () => {
    const out = join(dir, 'none');
    const r = compile(student, { target: 'loihi-like', outDir: out, hold: 'none' });
    expect(r.chip.placement.graph.holdSteps).toBe(0);
    const warning = r.warnings.find((w) => /late/.test(w));
    expect(warning).toMatch(/sees the input 3 step\(s\) late/);
    expect(warning).toMatch(/only 1 of the 4 steps of evidence/);
    expect(warning).toMatch(/T \+ 3 = 7 steps/);
    expect(r.table).toMatch(/run: 4 \+ 0 hold steps = 4 steps per sample .*integrates only 1 of 4 steps/);
    const mapped = readMapped(out);
    expect(mapped.placement.graph.holdSteps).toBe(0);
    expect(new ChipSimulator(mapped).timesteps).toBe(4);
    const chip = accuracy(mapped);
    const sameStep = accuracy(mapped, { delay: 'same-step' });
    expect(chip).toBeLessThan(sameStep - 0.3);
    // T + lag, not T + depth, is what recovers it.
    expect(Math.abs(accuracy(mapped, { timesteps: 7 }) - sameStep)).toBeLessThan(0.04);

    const partial = compile(student, { target: 'loihi-like', hold: 2 });
    expect(partial.chip.placement.graph.holdSteps).toBe(2);
    expect(partial.warnings.find((w) => /late/.test(w))).toMatch(/with 2 hold step\(s\) it integrates only 3 of the 4 steps/);
  });

  it('a same-step target needs no hold; artifacts without holdSteps read as 0', () => {
    const loihi = loadTarget('loihi-like');
    const sameStepTarget = { ...loihi, name: 'loihi-same-step', timing: { ...loihi.timing, delay: { ...loihi.timing.delay, value: 'same-step' as const } } };
    const r = compile(student, { target: sameStepTarget });
    expect(r.chip.placement.graph.delay).toBe('same-step');
    expect(r.chip.placement.graph.holdSteps).toBe(0);
    expect(r.warnings.filter((w) => /late/.test(w))).toEqual([]);
    expect(r.table).toMatch(/run: 4 \+ 0 hold steps = 4 steps per sample \(same-step delay/);

    const out = join(dir, 'old');
    compile(student, { target: 'loihi-like', outDir: out });
    const file = join(out, 'mapped.json');
    const json = JSON.parse(readFileSync(file, 'utf8'));
    delete json.holdSteps;
    writeFileSync(file, JSON.stringify(json));
    expect(readMapped(out).placement.graph.holdSteps).toBeUndefined();
    expect(new ChipSimulator(readMapped(out)).timesteps).toBe(4);
  });

  describe('CLI', () => {
    const io = captureOutput();

    it('compile --hold, simulate runs the artifact\'s steps, --extend still extends a --hold none artifact', async () => {
      const auto = join(dir, 'cli-auto');
      const none = join(dir, 'cli-none');
      expect(await runCli(['compile', student, '-t', 'loihi-like', '-o', auto]), io.stderr).toBe(0);
      expect(io.stdout).toMatch(/run: 4 \+ 3 hold steps = 7 steps per sample/);
      expect(io.stderr).not.toMatch(/late/);
      io.stdout = '';
      io.stderr = '';
      expect(await runCli(['compile', student, '-t', 'loihi-like', '-o', none, '--hold', 'none', '--json']), io.stderr).toBe(0);
      expect(io.stderr).toMatch(/snnc: warning: .*3 step\(s\) late.*only 1 of the 4 steps/);
      expect(JSON.parse(io.stdout).holdSteps).toBe(0);

      io.stdout = '';
      expect(await runCli(['simulate', auto, '--samples', '3', '--json'])).toBe(0);
      expect(JSON.parse(io.stdout)).toMatchObject({ timesteps: 7, holdSteps: 3 });
      io.stdout = '';
      expect(await runCli(['simulate', auto, '--samples', '3'])).toBe(0);
      expect(io.stdout).toMatch(/T=4 \+ 3 held = 7 steps/);
      io.stdout = '';
      expect(await runCli(['simulate', none, '--samples', '3', '--json'])).toBe(0);
      expect(JSON.parse(io.stdout)).toMatchObject({ timesteps: 4, holdSteps: 0 });
      io.stdout = '';
      expect(await runCli(['simulate', none, '--samples', '3', '--extend', '--json'])).toBe(0);
      expect(JSON.parse(io.stdout)).toMatchObject({ timesteps: 7, holdSteps: 3 });
      io.stdout = '';
      expect(await runCli(['simulate', auto, '--samples', '3', '--extend', '--json'])).toBe(0);
      expect(JSON.parse(io.stdout).timesteps).toBe(7);

      for (const bad of ['-1', 'soon', '2.5']) {
        io.stderr = '';
        expect(await runCli(['compile', student, '-t', 'loihi-like', '-o', join(dir, 'bad'), '--hold', bad])).toBe(2);
        expect(io.stderr).toMatch(/^snnc: error: --hold must be auto, none or an integer.*\n$/);
      }
    });
  });
});

describe('snnc verify with hold steps', () => {
  it('the chip row runs the artifact (T + hold); the delay study still reports raw-T hardware vs same-step', async () => {
    const { verifyModel } = await import('../../src/verify.js');
    const { formatVerifyReport } = await import('../../src/cli/verify.js');
    const held = await verifyModel(student, { target: 'loihi-like', dataset: 'mnist', samples: 150 });
    expect(held).toMatchObject({ timesteps: 4, holdSteps: 3, chipSteps: 7 });
    const chipRow = held.rows.find((r) => r.stage === 'mapped-chip')!;
    expect(chipRow.steps).toBe(7);
    expect(held.rows.find((r) => r.stage === 'float-snn')!.steps).toBe(4);
    expect(held.bitIdentical.all).toBe(true);
    const d = held.delayAnalysis;
    expect(d).toMatchObject({ timesteps: 4, holdSteps: 3, readoutLag: 3, recoveredWith: 3 });
    expect(d.hardwareAccuracy).toBeLessThan(d.sameStepAccuracy - 0.3);
    expect(Math.abs(chipRow.accuracy - d.sameStepAccuracy)).toBeLessThan(0.04);
    const text = formatVerifyReport(held);
    expect(text).toMatch(/T=4 \+ 3 hold steps = 7 steps on the chip/);
    expect(text).toMatch(/mapped chip \(hardware\)\s+simulator, loihi-like\s+7\s/);
    expect(text).toMatch(/holds the input 3 step\(s\)/);

    const raw = await verifyModel(student, { target: 'loihi-like', dataset: 'mnist', samples: 150, hold: 'none' });
    expect(raw).toMatchObject({ holdSteps: 0, chipSteps: 4 });
    expect(raw.rows.find((r) => r.stage === 'mapped-chip')!.accuracy).toBe(raw.delayAnalysis.hardwareAccuracy);
    expect(raw.delayAnalysis.hardwareAccuracy).toBe(d.hardwareAccuracy);
    expect(raw.warnings.some((w) => /3 step\(s\) late/.test(w))).toBe(true);
  });
});
