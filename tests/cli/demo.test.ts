/**
 * `snnc demo --quick` end to end (issue 6): the shipped teacher, a KD student, compile, simulate,
 * verify, robustness and the HTML report, with the closing summary read back from the files.
 */
import { describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { runDemo } from '../../src/demo.js';

describe('snnc demo --quick', () => {
  it('runs the whole path and writes a report whose figures come from the runs', async () => {
    const out = mkdtempSync(join(tmpdir(), 'snnc-demo-'));
    const lines: string[] = [];
    const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const quietErr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const s = await runDemo({ outDir: out, quick: true, force: true, target: 'loihi-like', run: runCli, say: (l) => lines.push(l) });
      expect(lines.filter((l) => l.includes('$ snnc ')).length).toBe(7);
      for (const f of ['teacher.onnx', 'student.onnx', 'student.snn.json', 'loihi-like/mapped.json', 'sim-report.json', 'verify.json', 'robustness/robustness.json', 'report.html', 'report.md']) {
        expect(existsSync(join(out, f)), f).toBe(true);
      }
      const verify = JSON.parse(readFileSync(join(out, 'verify.json'), 'utf8'));
      expect(s.bitIdentical).toBe(verify.bitIdentical.all);
      expect(s.bitIdentical).toBe(true);
      expect(s.teacherAccuracy).toBeGreaterThan(0.9);
      expect(s.studentAccuracy).toBeGreaterThan(0.5);
      expect(s.coresUsed).toBeGreaterThan(0);
      expect(s.energyPerInferenceJ).toBeCloseTo(verify.sim.perInference.energyJ.totalJ, 12);
      expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<svg');
    } finally {
      quiet.mockRestore();
      quietErr.mockRestore();
      rmSync(out, { recursive: true, force: true });
    }
  }, 600_000);

  it('refuses to write into a folder it did not create', async () => {
    const out = mkdtempSync(join(tmpdir(), 'snnc-demo-own-'));
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'thesis.tex'), 'precious');
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await runCli(['demo', '--quick', '-o', out])).toBe(2);
      expect(readFileSync(join(out, 'thesis.tex'), 'utf8')).toBe('precious');
      expect(existsSync(join(out, 'student.onnx'))).toBe(false);
    } finally {
      err.mockRestore();
      rmSync(out, { recursive: true, force: true });
    }
  });
});
