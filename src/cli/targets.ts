import type { CommandModule } from 'yargs';
import { listTargets, loadTarget } from '../../targets/load.js';
import type { TargetSpec } from '../../targets/target.js';
import { out } from './output.js';

interface TargetsArgs { json: boolean; file?: string }

/** The figures a person compares chips by. */
export function headline(t: TargetSpec) {
  const assumed = (f: { assumption?: string }) => (f.assumption ? '*' : '');
  return {
    name: t.name,
    cores: t.core.count.value,
    mesh: `${t.mesh.width.value}x${t.mesh.height.value}x${t.mesh.coresPerTile.value}`,
    neuronsPerCore: t.core.neurons.value,
    inputAxons: t.core.inputAxons.value,
    synapseKiB: t.core.synapseMemoryBits.value / 8192,
    weightBits: t.precision.weightBits.value,
    stateBits: t.precision.stateBits.value,
    synapticOpPJ: `${t.energy.synapticOpPJ.value}${assumed(t.energy.synapticOpPJ)}`,
    neuronUpdatePJ: `${t.energy.neuronUpdateActivePJ.value}${assumed(t.energy.neuronUpdateActivePJ)}`,
    hopPJ: `${t.energy.hopEastWestPJ.value}${assumed(t.energy.hopEastWestPJ)}`,
    multicast: t.mesh.multicast.value,
    description: t.description,
  };
}

export const targetsCommand: CommandModule<object, TargetsArgs> = {
  command: 'targets [file]',
  describe: 'list the shipped chip targets with their headline figures (or check a target file of your own)',
  builder: (y) => y
    .positional('file', { type: 'string', describe: 'a target JSON file to validate and show' })
    .option('json', { type: 'boolean', default: false, describe: 'print the figures as JSON' })
    .example('$0 targets', 'table of loihi-like, truenorth-like, spinnaker-like, speck-like, …')
    .example('$0 targets ./mychip.json', 'validate your own target file; a bad field is named')
    .example('$0 targets --json', 'the same figures as JSON'),
  handler: (argv) => {
    const specs = argv.file ? [loadTarget(argv.file)] : listTargets().map((n) => loadTarget(n));
    const rows = specs.map(headline);
    if (argv.json) { out(`${JSON.stringify(rows, null, 1)}\n`); return; }
    const head = ['target', 'cores', 'mesh (WxHxC)', 'neurons/core', 'axons in', 'syn KiB', 'w bits', 'state bits', 'pJ/SOP', 'pJ/update', 'pJ/hop', 'multicast'];
    const cells = rows.map((r) => [r.name, String(r.cores), r.mesh, String(r.neuronsPerCore), String(r.inputAxons), String(r.synapseKiB), String(r.weightBits), String(r.stateBits), r.synapticOpPJ, r.neuronUpdatePJ, r.hopPJ, r.multicast ? 'yes' : 'no']);
    const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
    const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
    out(`${[line(head), ...cells.map(line)].join('\n')}\n* an assumption (no published figure); each target file gives its sources and reasons.\n`);
  },
};
