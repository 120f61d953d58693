/**
 * Evaluation commands run their samples on worker threads, and a worker thread runs compiled JavaScript
 * (dist/src/parallel/worker.js and what it imports), not the TypeScript sources the tests import. Before the
 * suite: build dist/ when it is missing or older than any source file, so that the workers run this tree.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SOURCES = ['src', 'compiler', 'simulator', 'targets', 'bench', 'examples'];

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const built = join('dist', 'src', 'parallel', 'worker.js');
  const sources = Math.max(...SOURCES.filter((d) => existsSync(d)).map(newestSource), statSync('tsconfig.json').mtimeMs);
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
}
