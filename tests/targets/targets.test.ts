import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listTargets, loadTarget, TargetError, targetFile, targetsDir } from '../../targets/load.js';
import { UserError } from '../../src/util/errors.js';
import { DEFAULT_SOURCE, type Sourced } from '../../targets/target.js';

function sourcedFigures(obj: unknown, path = ''): [string, Sourced<unknown>][] {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return [];
  const o = obj as Record<string, unknown>;
  if ('value' in o && 'source' in o) return [[path, o as unknown as Sourced<unknown>]];
  return Object.entries(o).flatMap(([k, v]) => sourcedFigures(v, path ? `${path}.${k}` : k));
}

describe('shipped targets', () => {
  it('ships the four chips, each valid, each figure sourced', () => {
    const names = listTargets();
    for (const n of ['loihi-like', 'truenorth-like', 'spinnaker-like', 'speck-like']) expect(names).toContain(n);
    for (const n of names) {
      const t = loadTarget(n);
      expect(t.name).toBe(n);
      const figures = sourcedFigures(t);
      expect(figures.length).toBeGreaterThan(30);
      for (const [, f] of figures) expect(f.source.length).toBeGreaterThan(0);
    }
  });

  it('labels unpublished figures as assumptions with a reason', () => {
    const loihi = loadTarget('loihi-like');
    expect(loihi.energy.syncPJ.assumption).toMatch(/no published/);
    expect(loihi.core.neurons.value).toBe(1024);
    expect(loihi.core.neurons.assumption).toBeUndefined();
    const speck = loadTarget('speck-like');
    expect(speck.core.kernelMemory!.value).toEqual([16384, 16384, 16384, 32768, 32768, 65536, 65536, 16384, 16384]);
    expect(speck.energy.synapticOpPJ.assumption).toBeDefined();
  });
});

describe('user target files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-target-'));
  const base = JSON.parse(readFileSync(join(targetsDir(), 'loihi-like.json'), 'utf8'));

  it('loads a valid user file by path', () => {
    const p = join(dir, 'mine.json');
    writeFileSync(p, JSON.stringify({ ...base, name: 'mine' }));
    expect(loadTarget(p).name).toBe('mine');
  });

  it('names the bad field of a user file', () => {
    const bad = structuredClone(base);
    bad.core.neurons.value = -3;
    const p = join(dir, 'bad.json');
    writeFileSync(p, JSON.stringify(bad));
    expect(() => loadTarget(p)).toThrow(TargetError);
    expect(() => loadTarget(p)).toThrow(/core\.neurons\.value must be >= 1/);
    const missing = structuredClone(base);
    delete missing.precision.stateBits;
    writeFileSync(p, JSON.stringify(missing));
    expect(() => loadTarget(p)).toThrow(/precision\.stateBits: missing/);
    const typo = structuredClone(base);
    typo.core.neuron = typo.core.neurons;
    writeFileSync(p, JSON.stringify(typo));
    expect(() => loadTarget(p)).toThrow(/core\.neuron: unknown field/);
    const enumBad = structuredClone(base);
    enumBad.precision.fireCondition.value = 'gte';
    writeFileSync(p, JSON.stringify(enumBad));
    expect(() => loadTarget(p)).toThrow(/precision\.fireCondition\.value must be one of "ge", "gt"/);
    const tooMany = structuredClone(base);
    tooMany.core.count.value = 5000;
    writeFileSync(p, JSON.stringify(tooMany));
    expect(() => loadTarget(p)).toThrow(/core\.count\.value 5000 exceeds the mesh/);
  });

  it('refuses a missing file, bad JSON and unknown names as user errors', () => {
    expect(() => loadTarget(join(dir, 'nope.json'))).toThrow(/does not exist/);
    const p = join(dir, 'broken.json');
    writeFileSync(p, '{"name": ');
    expect(() => loadTarget(p)).toThrow(/not valid JSON/);
    expect(() => loadTarget('loihi-lik')).toThrow(UserError);
    expect(() => loadTarget('loihi-lik')).toThrow(/unknown target 'loihi-lik' \(shipped: .*loihi-like/);
  });
});

describe('one resolved target', () => {
  it('fills every figure a file leaves out, once, with a stated default, and stores the file as written', () => {
    for (const n of listTargets()) {
      const t = loadTarget(n);
      const file = JSON.parse(readFileSync(join(targetsDir(), `${n}.json`), 'utf8'));
      expect(JSON.stringify(targetFile(t)), n).toBe(JSON.stringify(file));
      for (const section of ['mesh', 'core', 'precision', 'timing', 'energy', 'features'] as const) {
        for (const [key, figure] of Object.entries(t[section])) {
          expect(figure, `${n}: ${section}.${key} is resolved`).toHaveProperty('value');
          if (file[section]?.[key] === undefined) expect((figure as Sourced<unknown>).source, `${n}: ${section}.${key}`).toBe(DEFAULT_SOURCE);
        }
      }
    }
    const speck = loadTarget('speck-like');
    expect(speck.precision.decayBits.value).toBe(12);
    expect(loadTarget('loihi-like').core.maxDistinctWeightsPerNeuron.value).toBeNull();
    expect(loadTarget('truenorth-like').core.maxDistinctWeightsPerNeuron.value).toBe(4);
  });

  it('requires what a mode needs: axon types state their count (it decides both quantization and axon costs)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'snnc-target-'));
    const tn = JSON.parse(readFileSync(join(targetsDir(), 'truenorth-like.json'), 'utf8'));
    delete tn.core.maxDistinctWeightsPerNeuron;
    const p = join(dir, 'axon-types.json');
    writeFileSync(p, JSON.stringify(tn));
    expect(() => loadTarget(p)).toThrow(/core\.maxDistinctWeightsPerNeuron: missing/);
    const loihi = JSON.parse(readFileSync(join(targetsDir(), 'loihi-like.json'), 'utf8'));
    delete loihi.precision.weightExponentRange;
    writeFileSync(p, JSON.stringify(loihi));
    expect(() => loadTarget(p)).toThrow(/precision\.weightExponentRange: missing/);
  });
});
