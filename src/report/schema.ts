import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { packageRoot } from '../../targets/load.js';
import { UserError } from '../util/errors.js';

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

/** Validates data against schemas/<file>; throws a SchemaError naming the first bad field. */
export function validateSchema<T>(file: string, data: unknown, origin: string): T {
  let validate = validators.get(file);
  if (!validate) {
    // ajv is CommonJS; its default export is the class.
    const Ajv = require('ajv').default;
    const ajv = new Ajv({ allErrors: true, strict: false });
    validate = ajv.compile(JSON.parse(readFileSync(join(packageRoot(), 'schemas', file), 'utf8'))) as ValidateFunction;
    validators.set(file, validate);
  }
  if (!validate(data)) {
    const e = (validate.errors ?? [])[0];
    const field = e?.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(top level)';
    throw new SchemaError(`${origin} does not match ${file}: ${field} ${e?.message ?? 'is invalid'}`);
  }
  return data as T;
}
