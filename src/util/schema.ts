/**
 * The one JSON Schema loader (ajv): every schema under schemas/ is compiled once, on first use, and shared by
 * the readers of targets, mapped artifacts, IR graphs and reports.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { packageRoot } from './package-root.js';
import { UserError } from './errors.js';

const require = createRequire(import.meta.url);
const validators = new Map<string, ValidateFunction>();

/** A JSON file that does not match its schema. */
export class SchemaError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

/** True when schemas/<file> exists (producers' schemas land at different times). */
export function hasSchema(file: string): boolean {
  return existsSync(join(packageRoot(), 'schemas', file));
}

/** The compiled validator of schemas/<file> (every error collected). */
export function schemaValidator(file: string): ValidateFunction {
  let validate = validators.get(file);
  if (!validate) {
    // ajv is CommonJS; its default export is the class.
    const Ajv = require('ajv').default;
    const ajv = new Ajv({ allErrors: true, strict: false });
    validate = ajv.compile(JSON.parse(readFileSync(join(packageRoot(), 'schemas', file), 'utf8'))) as ValidateFunction;
    validators.set(file, validate);
  }
  return validate;
}

/** A field path of an error as the user writes it: `core.neurons.value`, or `(top level)`. */
export function errorField(e: ErrorObject | undefined): string {
  return e?.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(top level)';
}

/** The errors of `data` against schemas/<file>, deepest field first (the one the user has to fix), or []. */
export function schemaErrors(file: string, data: unknown): ErrorObject[] {
  const validate = schemaValidator(file);
  if (validate(data)) return [];
  return (validate.errors ?? []).slice().sort((a, b) => b.instancePath.split('/').length - a.instancePath.split('/').length);
}

/** Validates data against schemas/<file>; throws a SchemaError naming the first bad field. */
export function validateSchema<T>(file: string, data: unknown, origin: string): T {
  const validate = schemaValidator(file);
  if (!validate(data)) {
    const e = (validate.errors ?? [])[0];
    throw new SchemaError(`${origin} does not match ${file}: ${errorField(e)} ${e?.message ?? 'is invalid'}`);
  }
  return data as T;
}
