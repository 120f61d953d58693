import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { UserError } from '../src/util/errors.js';
import type { TargetSpec } from './target.js';
import { READ_LIMITS, readJsonFile } from '../src/util/safe-read.js';

const require = createRequire(import.meta.url);

/** A target file that cannot be read or does not describe a chip: names the file and the field. */
export class TargetError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

/** The package root (holds package.json, targets/, schemas/), found from this file in src or dist. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('snnc: cannot find the package root (package.json beside schemas/)');
}

/** Folder of the shipped target descriptions. */
export function targetsDir(): string {
  return join(packageRoot(), 'targets');
}

let validator: ValidateFunction | undefined;
function targetValidator(): ValidateFunction {
  if (!validator) {
    // ajv is CommonJS; its default export is the class.
    const Ajv = require('ajv').default;
    const ajv = new Ajv({ allErrors: true, strict: false });
    validator = ajv.compile(JSON.parse(readFileSync(join(packageRoot(), 'schemas', 'target.schema.json'), 'utf8')));
  }
  return validator!;
}

function describeError(e: ErrorObject): string {
  const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(top level)';
  if (e.keyword === 'additionalProperties') return `${field === '(top level)' ? '' : field + '.'}${(e.params as { additionalProperty: string }).additionalProperty}: unknown field`;
  if (e.keyword === 'required') return `${field === '(top level)' ? '' : field + '.'}${(e.params as { missingProperty: string }).missingProperty}: missing`;
  if (e.keyword === 'enum') return `${field} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${field} ${e.message}`;
}

/** Validates parsed JSON as a target; throws a TargetError naming the first bad field. */
export function validateTarget(data: unknown, origin: string): TargetSpec {
  const validate = targetValidator();
  if (!validate(data)) {
    const errors = (validate.errors ?? []).slice();
    // The deepest path first: it names the field the user has to fix, not its parent.
    errors.sort((a, b) => b.instancePath.split('/').length - a.instancePath.split('/').length);
    throw new TargetError(`target ${origin}: ${describeError(errors[0])}`);
  }
  const t = data as TargetSpec;
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
  return t;
}

/** Names of the shipped targets (targets/*.json), sorted. */
export function listTargets(): string[] {
  return readdirSync(targetsDir()).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

/**
 * Loads a target by shipped name (`loihi-like`) or by path to a user's JSON file (anything with a `/`
 * or ending in `.json`). Validates it against schemas/target.schema.json.
 */
export function loadTarget(nameOrPath: string): TargetSpec {
  const isPath = nameOrPath.includes('/') || nameOrPath.includes('\\') || nameOrPath.endsWith('.json');
  const path = isPath ? resolve(nameOrPath) : join(targetsDir(), `${nameOrPath}.json`);
  if (!isPath && !existsSync(path)) {
    throw new TargetError(`unknown target '${nameOrPath}' (shipped: ${listTargets().join(', ')}; or give a path to a JSON file)`);
  }
  // Regular files only, of a sane size, numbers finite (src/util/safe-read.ts).
  const data = readJsonFile(isPath ? nameOrPath : path, { what: 'target file', maxBytes: READ_LIMITS.target, error: (m) => new TargetError(m) });
  return validateTarget(data, isPath ? `file '${nameOrPath}'` : `'${nameOrPath}'`);
}
