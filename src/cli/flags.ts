/** Command-line flag handling that is the CLI's alone; the ranges of numeric settings are src/util/ranges.ts. */
import { UserError } from '../util/errors.js';
import { DEFAULT_NIR_DT } from '../nir/read.js';

/** `--dt`, for every command that takes a model. */
export const DT_OPTION = {
  type: 'number',
  describe: `seconds per step for the time constants of NIR neurons (default ${DEFAULT_NIR_DT}, as snnTorch and Lava export; Norse uses 1e-3)`,
} as const;

interface ParserOptions {
  array: string[];
  boolean: string[];
  alias: Record<string, string[]>;
  key: Record<string, unknown>;
}

const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/**
 * Refuses a single-valued flag given more than once. yargs would otherwise turn `--samples 10 --samples 1`
 * into 11 and `-T 4 -T 1` into 5, and `--samples 10 --samples 2` into a list: the user meant one value and
 * snnc cannot know which. Flags declared as lists (`--target A --target B`) may repeat.
 */
export function refuseRepeatedFlags(raw: readonly string[], options: ParserOptions): void {
  const canonical = new Map<string, string>();
  for (const key of Object.keys(options.key)) canonical.set(camel(key), key);
  for (const [key, aliases] of Object.entries(options.alias)) for (const a of aliases) canonical.set(camel(a), canonical.get(camel(key)) ?? key);
  const repeatable = new Set([...options.array].map((k) => canonical.get(camel(k)) ?? k));
  const booleans = new Set([...options.boolean].map((k) => canonical.get(camel(k)) ?? k));
  const seen = new Map<string, string[]>();
  for (let i = 0; i < raw.length; i++) {
    const tok = raw[i];
    if (tok === '--') break;
    let name: string;
    let value: string | undefined;
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      name = eq >= 0 ? tok.slice(2, eq) : tok.slice(2);
      value = eq >= 0 ? tok.slice(eq + 1) : undefined;
      if (!canonical.has(camel(name)) && name.startsWith('no-')) name = name.slice(3);
    } else if (/^-[A-Za-z]/.test(tok)) {
      name = tok[1];
      value = tok.length > 2 ? tok.slice(tok[2] === '=' ? 3 : 2) : undefined;
    } else {
      continue;
    }
    const key = canonical.get(camel(name));
    if (key === undefined || repeatable.has(key) || key === 'help' || key === 'version') continue;
    if (value === undefined && !booleans.has(key) && i + 1 < raw.length && !/^--?[A-Za-z]/.test(raw[i + 1])) value = raw[i + 1];
    const values = seen.get(key) ?? [];
    values.push(value ?? (booleans.has(key) ? 'true' : ''));
    seen.set(key, values);
    if (values.length > 1) {
      throw new UserError(`--${key} is given ${values.length} times (${values.map((v) => v || '(no value)').join(', ')}); give it once`);
    }
  }
}
