import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, statSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadMnist } from '../../src/data/mnist.js';
import { runRobustness } from '../../src/cli/robustness.js';
import { runReport } from '../../src/cli/report.js';
import { runCli } from '../../src/cli/main.js';
import type { RobustnessReport } from '../../src/report/robustness.js';
import { writeCentroidClassifier, writeSpikingCentroid } from './fixtures.js';
import { compile } from '../../compiler/index.js';
import { writeGraphJson } from '../../src/ir/json.js';
import { importOnnxFile } from '../../src/onnx/import.js';
import { verifyModel, type VerifyReport } from '../../src/verify.js';
import type { CompileSummary } from '../../compiler/summary.js';
import { take } from '../../src/data/dataset.js';
import { simulate } from '../../simulator/index.js';
import type { SimReport } from '../../simulator/report.js';
import { checkPage } from './browser.js';

let dir: string;
let out: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'snnc-report-'));
  out = join(dir, 'run');
  const train = loadMnist('train');
  // the ANN teacher beside the outputs gives the ANN side of the energy comparison
  mkdirSync(join(out, 'models'), { recursive: true });
  const teacher = join(out, 'models', 'centroid.onnx');
  writeCentroidClassifier(teacher, train);
  writeGraphJson(join(out, 'models', 'teacher-ir.json'), importOnnxFile(teacher).graph);
  const student = join(dir, 'student.onnx');
  writeSpikingCentroid(student, train, 16);
  // real outputs of the producers: compile (mapped.json, summary.json) and simulate on two targets …
  for (const target of ['loihi-like', 'spinnaker-like']) {
    const folder = join(out, target);
    const { chip } = compile(student, { target, calibrate: 'mnist', samples: 64, outDir: folder });
    const { report } = simulate(chip, take(loadMnist('test'), 40), { checkReference: true });
    writeFileSync(join(folder, 'sim-report.json'), JSON.stringify(report, null, 2));
  }
  // … verify on a third target (its report embeds a simulation and the energy comparison) …
  const verified = await verifyModel(student, { target: 'sanafe-loihi', dataset: 'mnist', samples: 30, calibrate: 'mnist', calibrateSamples: 64, teacher });
  writeFileSync(join(out, 'verify.json'), JSON.stringify(verified, null, 2));
  // … and a robustness run of teacher and student on the embedded MNIST
  await runRobustness({ models: [teacher, student], dataset: 'mnist', split: 'test', samples: 200, seed: 1, output: join(out, 'robustness'), noise: ['gaussian:0.1,0.3', 'occlusion:0.1,0.3', 'rotation:15,30'] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The rows of the Markdown table that follows the given caption line. */
function markdownTableAfter(md: string, caption: string): string[][] {
  const lines = md.split('\n');
  let i = lines.findIndex((l) => l.includes(caption));
  expect(i).toBeGreaterThanOrEqual(0);
  while (!lines[i].startsWith('|')) i++;
  const rows: string[][] = [];
  for (; i < lines.length && lines[i].startsWith('|'); i++) rows.push(lines[i].slice(1, -1).split(' | ').map((c) => c.trim()));
  return rows;
}

describe('snnc report', () => {
  it('writes one self-contained page and a Markdown summary whose numbers equal the JSON', () => {
    const r = runReport({ dir: out });
    expect(r.html).toBe(join(out, 'report.html'));
    const html = readFileSync(r.html, 'utf8');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    const md = readFileSync(r.markdown, 'utf8');
    const json = JSON.parse(readFileSync(join(out, 'robustness', 'robustness.json'), 'utf8')) as RobustnessReport;
    const rows = markdownTableAfter(md, 'Accuracy on mnist');
    const [head, , ...body] = rows;
    expect(head[0]).toBe('noise');
    expect(body.length).toBe(1 + 2 + 2 + 2);
    let checked = 0;
    for (const row of body) {
      const noise = row[0];
      const level = noise === 'clean' ? 0 : Number(row[1]);
      json.models.forEach((m, k) => {
        expect(head[2 + k]).toContain(m.id);
        const entry = json.results.find((e) => e.model === m.id && e.noise === noise && e.level === level)!;
        expect(entry).toBeDefined();
        const shown = Number(row[2 + k].replace(' %', ''));
        expect(Math.abs(shown - entry.accuracy * 100)).toBeLessThanOrEqual(0.005 + 1e-9);
        checked++;
      });
    }
    expect(checked).toBe(json.results.length);

    // simulation figures: energy, latency and per-layer counts equal the reports' to the shown precision
    const close = (cell: string, value: number) => {
      const shown = Number(cell);
      expect(Number.isFinite(shown), `cell '${cell}'`).toBe(true);
      expect(Math.abs(shown - value)).toBeLessThanOrEqual(Math.abs(value) * 5e-4 + 1e-12);
    };
    for (const target of ['loihi-like', 'spinnaker-like']) {
      const sim = JSON.parse(readFileSync(join(out, target, 'sim-report.json'), 'utf8')) as SimReport;
      const label = `${sim.model} @ ${target}`;
      const energy = markdownTableAfter(md, 'Energy per inference (µJ)').find((r) => r[0] === label)!;
      const e = sim.perInference.energyJ;
      [e.synapticJ, e.neuronJ, e.networkJ, e.syncJ, e.staticJ, e.totalJ].forEach((j, k) => close(energy[k + 1], j * 1e6));
      const lat = markdownTableAfter(md, 'Latency').find((r) => r[0] === label)!;
      close(lat[2], sim.perInference.latency.ns / 1000);
      expect(Number(lat[3])).toBe(sim.perInference.latency.cycles);
      close(lat[4], sim.perInference.latency.stepNsMean);
      close(lat[5], sim.perInference.latency.stepNsMax);
      const layers = markdownTableAfter(md, `Per layer, per inference — ${label}`);
      for (const l of sim.layers) {
        const row = layers.find((r) => r[0] === l.name)!;
        expect(Number(row[1])).toBe(l.size);
        close(row[2], l.synapticEvents);
        close(row[3], l.effectiveSynapticOps);
        close(row[4], l.spikes);
        close(row[5], l.spikes / (l.size * sim.timesteps));
      }
      const cmp = markdownTableAfter(md, 'ANN MACs against SNN synaptic operations');
      const snn = cmp.find((r) => r[0] === label)!;
      const inputMacs = sim.perInference.inputEffectiveOps;
      close(snn[2], inputMacs);
      close(snn[3], sim.perInference.effectiveSynapticOps - inputMacs);
      close(snn[4], ((sim.perInference.effectiveSynapticOps - inputMacs) * 0.9 + inputMacs * 4.6) * 1e-6);
      close(snn[5], sim.perInference.energyJ.totalJ * 1e6);
      // the ANN is Flatten → Gemm 784 → 10: 7,840 MACs, 4.6 pJ each, read from its ONNX file and from its IR JSON
      const anns = cmp.filter((r) => r[0].includes('models/'));
      expect(anns.map((r) => r[0].replace(/.*\(ANN, /, '').replace(')', '')).sort()).toEqual(['models/centroid.onnx', 'models/teacher-ir.json']);
      for (const ann of anns) {
        expect(Number(ann[2])).toBe(7840);
        close(ann[4], 7840 * 4.6e-6);
      }
      const summary = JSON.parse(readFileSync(join(out, target, 'summary.json'), 'utf8')) as CompileSummary;
      const overview = markdownTableAfter(md, 'Mapping overview').find((r) => r[0] === label)!;
      expect(overview.slice(1, 7).map(Number)).toEqual([summary.timesteps, summary.coresUsed, summary.coresAvailable, summary.tilesUsed, summary.neurons, summary.synapses]);
      close(overview[7], summary.weightMemoryBits / 8192);
      const perLayer = markdownTableAfter(md, `Per layer — ${label}`);
      for (const l of summary.layers) {
        const row = perLayer.find((r) => r[0] === l.layer)!;
        expect([Number(row[1]), Number(row[2]), Number(row[4])]).toEqual([l.neurons, l.cores, l.synapses]);
        expect(Math.abs(Number(row[3]) - l.utilisation * 100)).toBeLessThanOrEqual(0.005 + 1e-9);
      }
      const acc = markdownTableAfter(md, 'Accuracy of the mapped network').find((r) => r[0] === label)!;
      close(acc[4], sim.accuracy! * 100);
      expect(acc[5]).toBe(`${sim.referenceIdentical} / ${sim.referenceChecked}`);
    }

    // verify: every stage's accuracy and agreement, NeuroBench metrics, the energy comparison with the teacher's MACs
    const v = JSON.parse(readFileSync(join(out, 'verify.json'), 'utf8')) as VerifyReport;
    const vLabel = `${v.sim.model} @ ${v.target}`;
    const stages = markdownTableAfter(md, `Accuracy at every stage — ${vLabel}`).slice(2);
    expect(stages.length).toBe(v.rows.length);
    v.rows.forEach((row, i) => {
      expect(stages[i][0]).toBe(`${i + 1}. ${row.label}`);
      close(stages[i][2], row.accuracy * 100);
      v.agreement[i].forEach((a, j) => close(stages[i][3 + j], a * 100));
    });
    const nb = markdownTableAfter(md, `NeuroBench metrics per inference — ${vLabel}`)[2];
    close(nb[0], v.metrics.effectiveSynapticOps.total);
    close(nb[4], v.metrics.activationSparsity);
    expect(Number(nb[6])).toBe(v.metrics.footprintBytes);
    const en = markdownTableAfter(md, `Energy per inference — ${vLabel}`)[2];
    expect(Number(en[0])).toBe(v.energy.annMacs);
    close(en[2], v.energy.snnHorowitzJ * 1e6);
    close(en[4], v.energy.snnTargetTotalJ * 1e6);
    // its embedded simulation fills the per-target sections for sanafe-loihi
    const energy = markdownTableAfter(md, 'Energy per inference (µJ)').find((r) => r[0] === vLabel)!;
    close(energy[6], v.sim.perInference.energyJ.totalJ * 1e6);
  });

  it('opens in headless chromium with no console errors and every chart drawn', async () => {
    // the page and its summary are kept under tests/.tmp for people to look at
    const r = runReport({ dir: out, html: resolve('tests/.tmp/report.html') });
    expect(existsSync(resolve('tests/.tmp/report.md'))).toBe(true);
    const shot = resolve('tests/.tmp/report.png');
    const seen = await checkPage(r.html, shot);
    expect(seen.consoleErrors).toEqual([]);
    expect(seen.requests).toEqual([]);
    expect(seen.sections).toEqual(expect.arrayContaining(['Robustness to input noise', 'Accuracy', 'Per-layer synaptic operations and spike rates',
      'Core utilisation on the mesh', 'Energy per inference by target', 'Latency per time step', 'ANN vs SNN energy per inference',
      'Compilation: cores and memory', 'Verification: ANN → float SNN → quantized SNN → chip']));
    const kinds = new Set(seen.charts.map((c) => c.kind));
    expect([...kinds].sort()).toEqual(['bar', 'heatmap', 'line']);
    expect(seen.charts.length).toBeGreaterThanOrEqual(3 + 2 * 2 + 2 + 2 + 2);
    for (const c of seen.charts) {
      expect(c.marks, `${c.kind} chart '${c.title}'`).toBeGreaterThan(0);
      expect(c.width).toBeGreaterThan(50);
      expect(c.height).toBeGreaterThan(50);
    }
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  }, 400_000);

  it('refuses a folder without snnc outputs and skips foreign JSON', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'package.json'), '{"name":"x"}');
    writeFileSync(join(empty, 'broken.json'), '{');
    const chunks: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => { chunks.push(String(s)); return true; }) as typeof process.stderr.write;
    try {
      expect(await runCli(['report', empty])).toBe(2);
      expect(await runCli(['report', join(dir, 'nope')])).toBe(2);
    } finally {
      process.stderr.write = orig;
    }
    expect(chunks.join('')).toMatch(/snnc: error: no snnc outputs in/);
    expect(chunks.join('')).toMatch(/snnc: error: report folder .*nope' does not exist/);
    expect(existsSync(join(empty, 'report.html'))).toBe(false);
    // every kind of output, malformed, is refused with the file named (exit 2), and no page is written
    const sim = JSON.parse(readFileSync(join(out, 'loihi-like', 'sim-report.json'), 'utf8'));
    const ver = JSON.parse(readFileSync(join(out, 'verify.json'), 'utf8'));
    const sum = JSON.parse(readFileSync(join(out, 'loihi-like', 'summary.json'), 'utf8'));
    const hostile: [string, unknown][] = [
      ['sim.json', { ...sim, layers: 'many' }],
      ['sim2.json', { ...sim, perInference: { ...sim.perInference, energyJ: null } }],
      ['verify.json', { ...ver, agreement: [[1]] }],
      ['verify2.json', { ...ver, metrics: { ...ver.metrics, footprintBytes: 'big' } }],
      ['summary.json', { ...sum, layers: [{ ...sum.layers[0], utilisation: 'full' }] }],
      ['compare.json', { format: 'snnc-compare', version: 1, model: 'm', software: { accuracy: 1 }, rows: [{ target: 't', fits: true, energyJ: 'x' }] }],
    ];
    for (const [name, data] of hostile) {
      const d = join(dir, `hostile-${name}`);
      mkdirSync(d);
      writeFileSync(join(d, name), JSON.stringify(data));
      chunks.length = 0;
      process.stderr.write = ((s: string) => { chunks.push(String(s)); return true; }) as typeof process.stderr.write;
      try {
        expect(await runCli(['report', d]), name).toBe(2);
      } finally {
        process.stderr.write = orig;
      }
      expect(chunks.join(''), name).toMatch(new RegExp(`^snnc: error: .*${name.replace('.', '\\.')}`));
      expect(existsSync(join(d, 'report.html'))).toBe(false);
    }
    // a robustness JSON that breaks its schema is named
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'r.json'), JSON.stringify({ format: 'snnc-robustness', version: 1 }));
    expect(() => runReport({ dir: bad })).toThrow(/r\.json does not match robustness\.schema\.json/);
  });
});
