// snnc as a library: distil a spiking student from the shipped teacher, compile it for a chip, simulate it.
// Run after `npm install` (which builds dist/):  node examples/library.mjs [output-folder]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train, compile, simulate, loadDataset, take, inspectGraph, importOnnxFile } from 'snnc';

const out = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'snnc-example-'));
const teacher = new URL('../src/assets/mnist-lenet-teacher.onnx', import.meta.url).pathname;

const t = inspectGraph(importOnnxFile(teacher).graph);
console.log(`teacher: ${t.layers.length} layers, ${t.totals.params} parameters, ${t.totals.macs} MACs per inference`);

// A short distillation run (a few hundred digits) — enough to see the API, not a good student.
const student = join(out, 'student.onnx');
const { result } = await train({
  teacher, dataset: 'mnist', output: student, trainLimit: 512, testLimit: 200, quiet: true,
  config: { kd: 'response', timesteps: 4, epochs: 1, seed: 1 },
});
console.log(`student: ${result.parameters} parameters, test accuracy ${(100 * result.testAccuracy).toFixed(1)} % after one short epoch`);

const { chip, summary } = compile(student, { target: 'loihi-like', outDir: join(out, 'loihi-like'), force: true });
console.log(`compiled for ${summary.target}: ${summary.coresUsed} cores, ${summary.synapses} synapses`);

const test = take(loadDataset('mnist', { split: 'test' }), 50);
const { report } = simulate(chip, test, { checkReference: true });
console.log(`chip: accuracy ${(100 * report.accuracy).toFixed(1)} % on ${report.samples} digits, `
  + `${Math.round(report.perInference.synapticEvents)} synaptic events and ${(report.perInference.energyJ.totalJ * 1e6).toFixed(2)} µJ per inference, `
  + `bit-identical to the fixed-point reference on ${report.referenceIdentical}/${report.referenceChecked}`);
