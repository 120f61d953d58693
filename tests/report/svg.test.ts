import { describe, expect, it } from 'vitest';
import { barChart, lineChart, heatmap, niceTicks, formatNumber, escapeXml, chartGrid } from '../../src/report/svg.js';
import { renderHtml, renderMarkdown, type ReportSection } from '../../src/report/report.js';
import { markdownTable } from '../../src/report/robustness.js';
import { sig } from '../../src/report/format.js';

const count = (svg: string, cls: string) => (svg.match(new RegExp(`class="mark ${cls}"`, 'g')) ?? []).length;

describe('svg charts', () => {
  it('draw one mark per value and keep bars inside the plot', () => {
    const svg = barChart({ title: 't', categories: ['a', 'b', 'c'], series: [{ name: 'x', values: [1, 5, 2] }, { name: 'y', values: [0, 3, 4] }] });
    expect(count(svg, 'bar')).toBe(6);
    const heights = [...svg.matchAll(/class="mark bar" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    // bars share one baseline; the tallest value (5) gets the tallest bar
    const bottoms = new Set(heights.map(([y, h]) => (y + h).toFixed(1)));
    expect(bottoms.size).toBe(1);
    expect(Math.max(...heights.map((h) => h[1]))).toBe(heights[2][1]);
    const stacked = barChart({ title: 't', categories: ['a'], series: [{ name: 'x', values: [1] }, { name: 'y', values: [3] }], stacked: true });
    const [lower, upper] = [...stacked.matchAll(/y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(upper[0] + upper[1]).toBeCloseTo(lower[0], 1);
    expect(upper[1]).toBeCloseTo(3 * lower[1], 1);
  });

  it('log bars span decades; lines and heat maps draw every point and cell', () => {
    const log = barChart({ title: 't', categories: ['a', 'b'], series: [{ name: 'x', values: [0.01, 1000] }], log: true });
    expect(log).toContain('log scale');
    const line = lineChart({ title: 't', series: [{ name: 'a', points: [[0, 1], [1, 2], [3, 0.5]] }, { name: 'b', points: [[0, 2]] }] });
    expect(count(line, 'series')).toBe(1);
    expect(count(line, 'point')).toBe(4);
    const hm = heatmap({ title: 'h', values: [[1, 2, Number.NaN], [4, 5, 6]] });
    expect(count(hm, 'cell')).toBe(6);
    expect(hm).toContain('fill="#eee"');
    const grid = chartGrid([line, hm], 2, 'g');
    expect(count(grid, 'point') + count(grid, 'cell')).toBe(10);
  });

  it('ticks cover the range with round steps; numbers format compactly', () => {
    expect(niceTicks(0, 97)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 0.37)[1]).toBeCloseTo(0.1, 10);
    expect(formatNumber(12345)).toBe('12.3k');
    expect(formatNumber(0.5)).toBe('0.5');
    expect(sig(123456.7)).toBe('123500');
    expect(sig(0.00001236)).toBe('1.236e-5');
    expect(Number(sig(0.000012345))).toBeCloseTo(0.000012345, 8);
  });

  it('escapes hostile names everywhere (titles, labels, tables, notes)', () => {
    const evil = '<script>alert(1)</script>"&\'';
    expect(escapeXml(evil)).not.toMatch(/[<>"']/);
    const section: ReportSection = {
      id: 'x', title: evil,
      charts: [barChart({ title: evil, categories: [evil], series: [{ name: evil, values: [1] }, { name: 'b', values: [2] }] }),
        lineChart({ title: evil, series: [{ name: evil, points: [[0, 1], [1, 2]] }, { name: 'z', points: [[0, 1]] }] }),
        heatmap({ title: evil, values: [[1]], rowLabels: [evil], colLabels: [evil], valueLabel: evil })],
      tables: [{ caption: evil, head: [evil], rows: [[evil]] }],
      notes: [evil],
    };
    const html = renderHtml(evil, evil, [section], evil);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('alert(1)</');
    const md = renderMarkdown('t', 's', [{ ...section, tables: [{ caption: 'c', head: ['a|b'], rows: [['x|y']] }] }]);
    expect(md).toContain('a\\|b');
    expect(markdownTable(['h'], [['1']], ['r'])).toBe('|   h |\n| --: |\n|   1 |');
  });
});
