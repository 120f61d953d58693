/**
 * The module graph stays layered: no import cycles among the sources (a cycle makes load order decide what a
 * module sees at start-up), and only the CLI imports the CLI (library code is used without it, by tests,
 * benches and the worker threads).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const DIRS = ['src', 'compiler', 'simulator', 'targets', 'bench'];

function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.push(relative(root, p));
    }
  };
  for (const d of DIRS) walk(join(root, d));
  return out;
}

/** Run-time imports (`import type` is erased and cannot cycle at load time) of each source file. */
function importGraph(): Map<string, string[]> {
  const files = new Set(sources());
  const graph = new Map<string, string[]>();
  const spec = /^(?:import|export)(?!\s+type\b)[^'"]*?from\s+'(\.[^']+)'/gm;
  for (const f of files) {
    const deps: string[] = [];
    for (const m of readFileSync(join(root, f), 'utf8').matchAll(spec)) {
      const target = normalize(join(dirname(f), m[1])).replace(/\.js$/, '.ts');
      if (files.has(target)) deps.push(target);
    }
    graph.set(f, deps);
  }
  return graph;
}

/** One cycle of the graph, or undefined (depth-first search keeping the path). */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (f: string): string[] | undefined => {
    state.set(f, 'open');
    path.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 'open') return [...path.slice(path.indexOf(d)), d];
      if (!state.has(d)) {
        const c = visit(d);
        if (c) return c;
      }
    }
    path.pop();
    state.set(f, 'done');
    return undefined;
  };
  for (const f of graph.keys()) {
    if (!state.has(f)) {
      const c = visit(f);
      if (c) return c;
    }
  }
  return undefined;
}

describe('module graph', () => {
  const graph = importGraph();

  it('reads the whole source tree', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('src/cli/main.ts')).toContain('src/cli/commands.ts');
  });

  it('has no import cycle', () => {
    expect(findCycle(graph)).toBeUndefined();
  });

  it('finds a cycle when there is one', () => {
    const g = new Map(graph);
    g.set('src/util/errors.ts', [...(g.get('src/util/errors.ts') ?? []), 'src/cli/main.ts']);
    expect(findCycle(g)).toBeDefined();
  });

  it('keeps the CLI out of library code', () => {
    const offenders = [...graph].filter(([f, deps]) => !f.startsWith('src/cli/') && deps.some((d) => d.startsWith('src/cli/')));
    expect(offenders.map(([f]) => f)).toEqual([]);
  });
});
