/**
 * `npm run docs:nir`: writes docs/nir.md from ../shared/nir (the 40 real NIR files): for each file what snnc does
 * with it (read, repaired and what, or refused and why) and its node types; the NIR ↔ IR mapping table; the LIF
 * conformance with the NIR paper's 11 platforms; and, for every distinct network snnc reads, the cores and energy
 * per inference on each shipped target that holds it (compile, then a short ChipSimulator run on random spike
 * input), or why a target refuses it. Nothing here is typed by hand but the explanations of the platforms'
 * integration schemes, which tests/nir/lif-conformance.test.ts checks against the traces.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compile } from '../compiler/index.js';
import { ChipSimulator, energyOf } from '../simulator/index.js';
import { graphToJson } from '../src/ir/json.js';
import { shapeSize, type Graph } from '../src/ir/graph.js';
import { createRng } from '../src/data/rng.js';
import { readNir, readNirTypes, DEFAULT_NIR_DT } from '../src/nir/read.js';
import { NIR_TYPES } from '../src/nir/table.js';
import { listTargets, loadTarget } from '../targets/load.js';
import { UserError } from '../src/util/errors.js';
import { writeFileAtomic } from '../src/util/fs.js';
import { lifConformance, type LifPlatform } from './nir-lif.js';
import { compareTargets } from '../src/report/compare.js';
import { verifyModel } from '../src/verify.js';
import { SACCADE_DEFAULT_STEPS } from '../src/data/saccades.js';

const NIR_DIR = resolve(process.argv[2] ?? '../shared/nir');
const OUT = resolve(process.argv[3] ?? 'docs/nir.md');
/** Steps per inference of the short chip runs, and the spike probability of their random input. */
const STEPS = 32;
const SAMPLES = 3;
const RATE = 0.1;

const EXPORTERS: [prefix: string, who: string][] = [
  ['spyxrepo-', 'Spyx repository (patched copy)'], ['rockpooltests-', 'Rockpool tests (exporter unstated)'], ['nirtorchtests-', 'NIRTorch tests'],
  ['norsetests-', 'Norse tests'], ['nirpy-', 'nir Python API'], ['norse-', 'Norse'], ['rockpool-', 'Rockpool'], ['sinabs-', 'Sinabs'],
  ['snntorch-', 'snnTorch'], ['spyx-', 'Spyx'],
];
const exporterOf = (file: string) => EXPORTERS.find(([p]) => file.replace(/^.*\//, '').startsWith(p))?.[1] ?? '?';

/** Why each platform's trace differs from snnc's forward-Euler run, or that it does not (checked by tests/nir). */
const WHY: Record<LifPlatform, string> = {
  norse: 'forward Euler, v > θ, reset to 0: snnc\'s scheme; the trace is snnc\'s to float32 rounding',
  snntorch: 'forward Euler (β = 1 − dt/τ) with the input not scaled by dt/τ: snnc\'s trace × τ/dt = 25',
  spinnaker2: 'forward Euler with its own input weight: snnc\'s trace × 24.995',
  lava_cpu_float: 'forward Euler, but Lava\'s Dense process delivers its output the next step: snnc\'s trace one step later',
  lava_cpu_fixed: 'Lava\'s fixed-point model: integer potential, decay trunc(v · (4096 − 163) / 4096) with δv = 163 truncated from 163.84 (snnc\'s loihi-like rounds it to 164), and the one-step delivery',
  lava_loihi_fixed: 'Loihi itself: Lava\'s CPU fixed-point trace to the unit at every step but the four spikes (where Loihi reports 128, the CPU model 0)',
  exact: 'the exact (zero-order-hold) solution: increment 1 − e^(−dt/τ), decay e^(−dt/τ); the same spike steps on this input by chance, another voltage',
  nengo: 'exact integration like the analytic reference, its potential in units 10× larger',
  rockpool: 'decay e^(−dt/τ) with the forward-Euler increment dt/τ: the potential leaks less and reaches θ earlier',
  sinabs: 'the same scheme as Rockpool (its input pre-scaled by dt/τ = 0.04)',
  spyx: 'forward Euler potential, but the spike is taken from the previous step\'s potential and reset by subtraction: one step late',
};

function files(): string[] {
  return (readdirSync(NIR_DIR, { recursive: true }) as string[]).filter((f) => f.endsWith('.nir')).sort();
}

const isNote = (w: string) => w.startsWith('version drift:') || w.startsWith('dt = ');
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const short = (m: string) => m.replace(/^'[^']*': /, '').replace(new RegExp(NIR_DIR.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '/', 'g'), '');

interface FileRow { file: string; outcome: 'read' | 'repaired' | 'refused'; detail: string; drift: string[]; types: string; version: string; graph?: Graph }

function fileRows(): FileRow[] {
  return files().map((file) => {
    const path = join(NIR_DIR, file);
    let types = '—', version = '—';
    try { const t = readNirTypes(path); types = t.types.join(', '); version = t.version; } catch { /* not HDF5 */ }
    const warnings: string[] = [];
    try {
      const r = readNir(path, { warn: (m) => warnings.push(m) });
      const repairs = r.warnings.filter((w) => !isNote(w));
      return { file, outcome: repairs.length > 0 ? 'repaired' : 'read', detail: repairs.join('; '), drift: r.warnings.filter((w) => w.startsWith('version drift:')).map((w) => w.slice('version drift: '.length)), types, version, graph: r.graph };
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      const repaired = warnings.filter((w) => !isNote(w));
      return { file, outcome: 'refused', detail: short(e.message) + (repaired.length > 0 ? ` (after repairing: ${repaired.join('; ')})` : ''), drift: [], types, version };
    }
  });
}

/** A random spike train for a network's input, `steps` frames per sample. */
function spikeInput(g: Graph, steps: number, seed: number): Float32Array {
  const size = shapeSize(g.shapes.get(g.inputName)!.output);
  const rng = createRng(seed);
  return Float32Array.from({ length: steps * size }, () => (rng.next() < RATE ? 1 : 0));
}

interface TargetCell { target: string; text: string }

function onTargets(g: Graph): TargetCell[] {
  return listTargets().map((target) => {
    try {
      const { chip, summary } = compile(g, { target, timesteps: STEPS });
      const sim = new ChipSimulator(chip, { timesteps: STEPS });
      for (let s = 0; s < SAMPLES; s++) sim.runSample(spikeInput(g, STEPS, 100 + s), s, STEPS);
      const e = energyOf(sim.counts, loadTarget(target)).totalJ / SAMPLES;
      const zero = new ChipSimulator(chip, { timesteps: STEPS });
      zero.runSample(new Float32Array(STEPS * shapeSize(g.shapes.get(g.inputName)!.output)), 0, STEPS);
      const e0 = energyOf(zero.counts, loadTarget(target)).totalJ;
      return { target, text: `${summary.coresUsed} cores; ${fmtJ(e)} (zero input ${fmtJ(e0)})` };
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      return { target, text: `refused: ${short(err.message)}` };
    }
  });
}

function fmtJ(j: number): string {
  if (j === 0) return '0 J';
  const units: [number, string][] = [[1e-3, 'mJ'], [1e-6, 'µJ'], [1e-9, 'nJ'], [1e-12, 'pJ']];
  for (const [u, name] of units) if (j >= u) return `${(j / u).toPrecision(3)} ${name}`;
  return `${(j / 1e-12).toPrecision(3)} pJ`;
}

function mappingTable(): string[] {
  const lines = ['| NIR type | IR kind | NIR field → IR field |', '|---|---|---|'];
  for (const [type, e] of Object.entries(NIR_TYPES)) lines.push(`| ${type} | ${e.kinds.join(', ')} | ${e.fields.map(([n, i]) => `${n} → ${i}`).join('; ') || '—'} |`);
  lines.push('| NIRGraph | (inlined) | nodes → `<graph>.<node>`; edges naming a subgraph → its Input / Output |');
  return lines;
}

/** Digits of the saccade-event data set the paper's CNN is run on. */
const EVENT_SAMPLES = 200;

/**
 * The Sinabs N-MNIST CNN of the NIR paper on event input: MNIST test digits as N-MNIST-style saccade events
 * (src/data/saccades.ts; N-MNIST itself is not on this machine), compared across every target (`snnc compare`),
 * and verified stage by stage on speck-like and loihi-like (`snnc verify`: chip against the fixed-point reference).
 */
async function paperCnnOnEvents(): Promise<string[]> {
  const file = 'sinabs-cnn_sinabs.nir';
  const model = join(NIR_DIR, file);
  const dataset = 'mnist-saccades';
  process.stderr.write(`comparing ${file} on ${dataset}\n`);
  const cmp = await compareTargets(model, { dataset, samples: EVENT_SAMPLES });
  const out = ['## The paper\'s N-MNIST CNN on event input', ''];
  out.push(`\`${file}\` on the first ${cmp.samples} MNIST test digits as N-MNIST-style saccade events (\`--dataset ${dataset}\`: ${SACCADE_DEFAULT_STEPS} steps of [2, 34, 34] ON/OFF frames, a model of how N-MNIST was recorded, not N-MNIST; see src/data/saccades.ts). The network was trained on N-MNIST; the NIR paper reports 95.4 % on Speck, 98.2 % on SpiNNaker 2 and 98.15 % in Lava on N-MNIST itself. Float SNN (same-step delivery): ${(cmp.software.accuracy * 100).toFixed(1)} %. Per target (\`snnc compare ${file} --dataset ${dataset} --samples ${EVENT_SAMPLES}\`), figures per inference:`, '');
  out.push('| target | cores | T (with hold) | accuracy | energy | synaptic ops | spikes | why not |', '|---|---|---|---|---|---|---|---|');
  for (const r of cmp.rows) {
    out.push(r.fits
      ? `| ${r.target} | ${r.coresUsed} of ${r.coresAvailable} | ${r.timesteps} | ${(r.accuracy! * 100).toFixed(1)} % | ${fmtJ(r.energyJ!)} | ${Math.round(r.synapticOps!).toLocaleString('en-US')} | ${Math.round(r.spikes!).toLocaleString('en-US')} | — |`
      : `| ${r.target} | — | — | — | — | — | — | ${cell(r.reason ?? '')} |`);
  }
  out.push('', 'Stage by stage (`snnc verify`), the chip against the fixed-point reference on every digit:', '');
  out.push('| target | float SNN | quantized SNN | mapped chip | chip = reference |', '|---|---|---|---|---|');
  for (const target of ['speck-like', 'loihi-like']) {
    process.stderr.write(`verifying ${file} on ${target}\n`);
    const v = await verifyModel(model, { target, dataset, samples: EVENT_SAMPLES });
    const acc = (stage: string) => `${(v.rows.find((r) => r.stage === stage)!.accuracy * 100).toFixed(1)} %`;
    out.push(`| ${target} | ${acc('float-snn')} | ${acc('quantized-snn')} | ${acc('mapped-chip')} | ${v.bitIdentical.identical} of ${v.bitIdentical.checked} samples bit-identical |`);
  }
  out.push('');
  return out;
}

async function main(): Promise<void> {
  if (!existsSync(join(NIR_DIR, 'README.md'))) throw new Error(`no NIR files at ${NIR_DIR} (give the folder as the first argument)`);
  const rows = fileRows();
  const count = (o: FileRow['outcome']) => rows.filter((r) => r.outcome === o).length;
  const out: string[] = [];
  out.push('# NIR in snnc', '');
  out.push('<!-- Generated by `npm run docs:nir` (bench/nir-doc.ts) from ../shared/nir: edit the script, not this file. -->', '');
  out.push('snnc reads and writes NIR (the Neuromorphic Intermediate Representation, neuromorphs/NIR; Pedersen et al., Nature Communications 2024): `snnc inspect`, `snnc compile` (and, once wired, every command that takes a model) accept a `.nir` file, recognised by its HDF5 signature, and `snnc export MODEL --format nir -o FILE` writes one in the layout `nir.write` writes.', '');
  out.push('## Conventions', '');
  out.push(`- **dt**: NIR's neurons are continuous-time; snnc discretises them by forward Euler with \`--dt\` seconds per step (default ${DEFAULT_NIR_DT}, the value snnTorch's exporter and Lava's NIR scripts use; Norse's exports assume 1e-3). A file snnc wrote carries its dt (metadata \`snnc_dt\`).`);
  out.push('- **IF** integrates r·I once per step (no dt), as every platform of the NIR paper ran the Sinabs CNN.');
  out.push('- **Firing and reset**: NIR neurons fire when v > θ and reset to v_reset (0 when a 0.x file has none): `fire: \'gt\'`, `reset: \'zero\'`. NIR has no reset by subtraction and no v ≥ θ: snnc writes its own neurons\' semantics in node metadata (`snnc_reset`, `snnc_fire`, `snnc_leak`, `snnc_v_init`) so that it reads them back exactly, and warns that other readers will reset to v_reset.');
  out.push('- **Conv1d** is read as a Conv2d over [C, 1, L] (the IR has no 1-D convolution) and written back as Conv2d. **Delay** is seconds in NIR, whole steps in the IR (steps = delay / dt; a delay that is not a whole number of steps is refused).');
  out.push('- **Subgraphs** are inlined with dotted names (`lif1.lin`); an edge naming a subgraph goes to its Input or comes from its Output.', '');
  out.push('## NIR types and IR kinds', '', ...mappingTable(), '');
  out.push(`## The ${rows.length} files of ../shared/nir`, '');
  out.push(`${count('read')} read as they are (version drift included), ${count('repaired')} read with a repair, ${count('refused')} refused. Version drift is read without a repair: scalar parameters, a batch axis on parameters or on the Input/Output, no \`v_reset\` or \`w_in\`, Conv2d without \`input_shape\`, int64 parameters, Flatten with PyTorch's start_dim.`, '');
  out.push('| file | exporter | NIR | node types | snnc | what was repaired, or why refused |', '|---|---|---|---|---|---|');
  for (const r of rows) out.push(`| ${r.file} | ${exporterOf(r.file)} | ${r.version} | ${r.types} | ${r.outcome} | ${cell(r.detail || (r.drift.length > 0 ? `drift: ${r.drift.join('; ')}` : '—'))} |`);
  out.push('');

  const { run, platforms } = lifConformance(NIR_DIR);
  out.push('## The NIR paper\'s LIF neuron on 11 platforms', '');
  out.push(`\`norse-lif_norse.nir\` (Affine 1×1 → LIF τ = 2.5 ms, r = 1, v_leak = 0, θ = 0.1) driven by the experiment's 1000-step input (34 unit pulses) at dt = 1e-4 s. snnc's float run spikes at steps ${run.spikes.join(', ')}. For each platform: its spike steps, and its voltage fitted as k · snnc's voltage (before or after the reset, shifted by whole steps) with the largest error relative to the peak. snnc matches a trace **exactly** when the spikes agree and the fit error is float rounding (< 1e-6).`, '');
  out.push('| platform | spike steps | same as snnc | voltage = k · snnc\'s | max error | why |', '|---|---|---|---|---|---|');
  for (const p of platforms) {
    const exact = p.sameSpikes && p.voltage.shift === 0 && p.voltage.maxRelError < 1e-6;
    const same = exact ? '**exactly**' : p.sameSpikes ? 'spikes only' : p.lag !== null ? `${p.lag} step later` : 'no';
    out.push(`| ${p.platform} | ${p.spikes.join(', ')} | ${same} | k = ${p.voltage.scale.toPrecision(5)}, ${p.voltage.reset} reset${p.voltage.shift ? `, ${p.voltage.shift} step later` : ''} | ${p.voltage.maxRelError.toExponential(1)} | ${WHY[p.platform]} |`);
  }
  out.push('', 'Quantized for loihi-like (compile, then the fixed-point reference and the chip simulator, bit-identical), the neuron fires at the float run\'s steps; Lava on Loihi fires one step later, from its one-step delivery. Its trace follows v ← trunc(v · (4096 − 163) / 4096) + 640 · (the previous step\'s input) at every step but the spikes: the same decay arithmetic as snnc\'s, with δv truncated to 163 where snnc rounds dt/τ · 2^12 = 163.84 to 164 (tests/nir/lif-conformance.test.ts).', '');

  out.push('## On snnc\'s chips', '');
  out.push(`Every distinct network snnc reads, compiled for each shipped target with T = ${STEPS} and run on the chip simulator for ${SAMPLES} samples of random spike input (each input spikes with probability ${RATE} per step): cores used, energy per inference, and the energy of a silent input (leak and idle updates alone). A target that refuses a network says why (the compiler's message).`, '');
  const seen = new Map<string, string>();
  const targets = listTargets();
  out.push(`| network (first file) | also | ${targets.join(' | ')} |`, `|---|---|${targets.map(() => '---').join('|')}|`);
  const distinct: [FileRow, string[]][] = [];
  for (const r of rows) {
    if (!r.graph) continue;
    const key = JSON.stringify({ ...graphToJson(r.graph), meta: { dt: r.graph.meta.dt } });
    const first = seen.get(key);
    if (first) { distinct.find(([d]) => d.file === first)![1].push(r.file); continue; }
    seen.set(key, r.file);
    distinct.push([r, []]);
  }
  for (const [r, also] of distinct) {
    process.stderr.write(`compiling ${r.file}\n`);
    const cells = onTargets(r.graph!);
    out.push(`| ${r.file} | ${also.length > 0 ? also.join(', ') : '—'} | ${cells.map((c) => cell(c.text)).join(' | ')} |`);
  }
  out.push('');
  out.push(...await paperCnnOnEvents());
  writeFileAtomic(OUT, `${out.join('\n')}\n`);
  process.stderr.write(`wrote ${OUT}\n`);
}

await main();
