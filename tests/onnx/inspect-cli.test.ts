import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { writeGraphJson } from '../../src/ir/json.js';
import { importOnnxFile } from '../../src/onnx/import.js';
import { FIGURES } from '../fixtures/models.js';
import { captureOutput } from '../fixtures/capture.js';

const fixture = (name: string) => join(__dirname, '..', 'fixtures', 'onnx', `${name}.onnx`);

describe('snnc inspect', () => {
  const io = captureOutput();

  for (const name of Object.keys(FIGURES) as (keyof typeof FIGURES)[]) {
    it(`prints the hand-computed totals of the committed ${name}.onnx (table and --json)`, async () => {
      expect(await runCli(['inspect', fixture(name)])).toBe(0);
      const totalLine = io.stdout.split('\n').find((l) => l.startsWith('total'))!;
      expect(totalLine).toContain(FIGURES[name].params.toLocaleString('en-US'));
      expect(totalLine).toContain(FIGURES[name].macs.toLocaleString('en-US'));
      expect(io.stdout).toMatch(/producer: +\S/);
      expect(io.stdout).toMatch(/opset: +\d+/);
      io.stdout = '';
      expect(await runCli(['inspect', fixture(name), '--json'])).toBe(0);
      const report = JSON.parse(io.stdout);
      expect(report.totals.params).toBe(FIGURES[name].params);
      expect(report.totals.macs).toBe(FIGURES[name].macs);
      expect(report.outputShape).toEqual(FIGURES[name].output);
      expect(typeof report.producer).toBe('string');
      expect(report.layers.length).toBeGreaterThan(3);
    });
  }

  it('reads IR JSON graphs as well', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'snnc-inspect-')), 'lenet.snn.json');
    writeGraphJson(file, importOnnxFile(fixture('lenet')).graph);
    expect(await runCli(['inspect', file, '--json'])).toBe(0);
    expect(JSON.parse(io.stdout).totals.macs).toBe(FIGURES.lenet.macs);
  });

  it('has help with examples, and refuses a missing file with exit 2', async () => {
    // yargs exits the process after --help, so ask a real child process.
    const bin = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'bin.js');
    if (!existsSync(bin)) execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'ignore' });
    const help = spawnSync(process.execPath, [bin, 'inspect', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Examples:\n +snnc inspect lenet\.onnx/);
    expect(await runCli(['inspect', '/nonexistent/model.onnx'])).toBe(2);
    expect(io.stderr).toMatch(/^snnc: error: model '\/nonexistent\/model\.onnx' does not exist\n$/);
  });
});
