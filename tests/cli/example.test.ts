import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The library example imports 'snnc' by name (the package's own exports, built into dist/ by npm install).
describe('examples/library.mjs', () => {
  it('trains, compiles and simulates through the typed API', () => {
    expect(existsSync('dist/src/index.js'), 'dist/ is built by npm install (prepare)').toBe(true);
    const out = mkdtempSync(join(tmpdir(), 'snnc-example-'));
    try {
      const stdout = execFileSync(process.execPath, ['examples/library.mjs', out], { encoding: 'utf8', timeout: 300_000 });
      expect(stdout).toMatch(/^teacher: \d+ layers, \d+ parameters/m);
      expect(stdout).toMatch(/^student: \d+ parameters, test accuracy [\d.]+ %/m);
      expect(stdout).toMatch(/^compiled for loihi-like: \d+ cores/m);
      expect(stdout).toMatch(/bit-identical to the fixed-point reference on 50\/50/);
      expect(existsSync(join(out, 'loihi-like', 'mapped.json'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});
