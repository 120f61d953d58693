import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ErrorObject } from 'ajv';
import { errorField, schemaErrors } from '../src/util/schema.js';
import { UserError } from '../src/util/errors.js';
import { DEFAULT_SOURCE, type Sourced, type TargetFile, type TargetSpec } from './target.js';
import { READ_LIMITS, readJsonFile } from '../src/util/safe-read.js';

/** A target file that cannot be read or does not describe a chip: names the file and the field. */
export class TargetError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

import { packageRoot } from '../src/util/package-root.js';


/** Folder of the shipped target descriptions. */
export function targetsDir(): string {
  return join(packageRoot(), 'targets');
}

function describeError(e: ErrorObject): string {
  const field = errorField(e);
  if (e.keyword === 'additionalProperties') return `${field === '(top level)' ? '' : field + '.'}${(e.params as { additionalProperty: string }).additionalProperty}: unknown field`;
  if (e.keyword === 'required') return `${field === '(top level)' ? '' : field + '.'}${(e.params as { missingProperty: string }).missingProperty}: missing`;
  if (e.keyword === 'enum') return `${field} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${field} ${e.message}`;
}

/** Validates parsed JSON as a target; throws a TargetError naming the first bad field. */
export function validateTarget(data: unknown, origin: string): TargetSpec {
  // The deepest path first: it names the field the user has to fix, not its parent.
  const errors = schemaErrors('target.schema.json', data);
  if (errors.length > 0) throw new TargetError(`target ${origin}: ${describeError(errors[0])}`);
  const t = data as TargetFile;
  const cells = t.mesh.width.value * t.mesh.height.value * t.mesh.coresPerTile.value;
  if (t.core.count.value > cells) {
    throw new TargetError(`target ${origin}: core.count.value ${t.core.count.value} exceeds the mesh (${t.mesh.width.value} x ${t.mesh.height.value} tiles x ${t.mesh.coresPerTile.value} cores = ${cells})`);
  }
  for (const key of ['kernelMemory', 'neuronMemory'] as const) {
    const list = t.core[key]?.value;
    if (list && list.length !== t.core.count.value) {
      throw new TargetError(`target ${origin}: core.${key}.value lists ${list.length} cores, core.count is ${t.core.count.value}`);
    }
  }
  const range = t.precision.weightExponentRange?.value;
  if (range && range[0] > range[1]) throw new TargetError(`target ${origin}: precision.weightExponentRange.value [${range}] is empty`);
  return resolveTarget(t);
}

/**
 * A target file with every figure it leaves out filled in (the one place those defaults live): a missing
 * exponent range is [0, 0], threshold shift 0, decay 12 bits, synapse bits the weight bits, no population axons,
 * layers split across cores, no tick, no per-message or per-spike costs, the whole mesh one chip, and the
 * features of a plain feed-forward IF/LIF chip. Limits a chip does not have are null.
 */
export function resolveTarget(file: TargetFile): TargetSpec {
  const d = <T>(value: T): Sourced<T> => ({ value, source: DEFAULT_SOURCE });
  const { mesh, core, precision, timing, energy, features } = file;
  return {
    name: file.name, description: file.description, sources: file.sources,
    mesh: { ...mesh, chipTiles: mesh.chipTiles ?? d([mesh.width.value, mesh.height.value]) },
    core: {
      ...core,
      synapseBits: core.synapseBits ?? d(precision.weightBits.value),
      populationAxons: core.populationAxons ?? d(false),
      kernelMemory: core.kernelMemory ?? d(null),
      neuronMemory: core.neuronMemory ?? d(null),
      maxDistinctWeightsPerNeuron: core.maxDistinctWeightsPerNeuron ?? d(null),
      maxDestinationCoresPerNeuron: core.maxDestinationCoresPerNeuron ?? d(null),
      splitLayers: core.splitLayers ?? d(true),
      layerLimits: core.layerLimits ?? d(null),
    },
    precision: {
      ...precision,
      weightExponentRange: precision.weightExponentRange ?? d([0, 0]),
      thresholdShift: precision.thresholdShift ?? d(0),
      decayBits: precision.decayBits ?? d(12),
    },
    timing: {
      ...timing,
      spikeOutNs: timing.spikeOutNs ?? d(0), messageOutNs: timing.messageOutNs ?? d(0), messageInNs: timing.messageInNs ?? d(0),
      tickNs: timing.tickNs ?? d(0),
    },
    energy: { ...energy, spikeOutPJ: energy.spikeOutPJ ?? d(0), messageOutPJ: energy.messageOutPJ ?? d(0) },
    features: {
      recurrence: features?.recurrence ?? d(false),
      currentBased: features?.currentBased ?? d(false),
      leak: features?.leak ?? d(true),
      synapticDelayMax: features?.synapticDelayMax ?? d(0),
      perNeuronParameters: features?.perNeuronParameters ?? d(false),
      resetToValue: features?.resetToValue ?? d(false),
      fanInSplit: features?.fanInSplit ?? d('none' as const),
    },
    file,
  };
}

/**
 * The target as a file: the resolved spec without the figures the resolver filled in (their source is
 * DEFAULT_SOURCE), so an artifact stores what the target file said, and a resolved spec changed in code
 * (a test's variant of a chip) is stored as changed.
 */
export function targetFile(t: TargetSpec): TargetFile {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value) || value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v && typeof v === 'object' && !Array.isArray(v) && (v as { source?: unknown }).source === DEFAULT_SOURCE) continue;
      const inner = strip(v);
      if (inner && typeof inner === 'object' && !Array.isArray(inner) && Object.keys(inner).length === 0) continue;
      out[k] = inner;
    }
    return out;
  };
  const { file: _file, ...spec } = t;
  const order = ['name', 'description', 'sources', 'mesh', 'core', 'precision', 'timing', 'features', 'energy'] as const;
  const stripped = strip(spec) as Record<string, unknown>;
  const schema = (t.file as { $schema?: string }).$schema;
  return Object.fromEntries([...(schema !== undefined ? [['$schema', schema]] : []), ...order.filter((k) => k in stripped).map((k) => [k, stripped[k]])]) as unknown as TargetFile;
}

/** Names of the shipped targets (targets/*.json), sorted. */
export function listTargets(): string[] {
  return readdirSync(targetsDir()).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

/** The file a `--target` value names when it is a path (a `/` or `\\` in it, or ending in `.json`), else undefined
 * (a shipped name): what output guards count among a command's inputs. */
export function targetPathOf(nameOrPath: string): string | undefined {
  return nameOrPath.includes('/') || nameOrPath.includes('\\') || nameOrPath.endsWith('.json') ? nameOrPath : undefined;
}

/**
 * Loads a target by shipped name (`loihi-like`) or by path to a user's JSON file (anything with a `/`
 * or ending in `.json`). Validates it against schemas/target.schema.json.
 */
export function loadTarget(nameOrPath: string): TargetSpec {
  const isPath = targetPathOf(nameOrPath) !== undefined;
  const path = isPath ? resolve(nameOrPath) : join(targetsDir(), `${nameOrPath}.json`);
  if (!isPath && !existsSync(path)) {
    throw new TargetError(`unknown target '${nameOrPath}' (shipped: ${listTargets().join(', ')}; or give a path to a JSON file)`);
  }
  // Regular files only, of a sane size, numbers finite (src/util/safe-read.ts).
  const data = readJsonFile(isPath ? nameOrPath : path, { what: 'target file', maxBytes: READ_LIMITS.target, error: (m) => new TargetError(m) });
  return validateTarget(data, isPath ? `file '${nameOrPath}'` : `'${nameOrPath}'`);
}
