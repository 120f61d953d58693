/**
 * Small, dependency-free SVG chart builders (bar, line, heat map) returning self-contained `<svg>`
 * strings. Every drawn mark carries a class (`mark` plus `bar` / `series` / `point` / `cell`) so that
 * tests and stylesheets can find them, and a `<title>` child so that hovering shows the exact value.
 */

/** Okabe–Ito colours: distinguishable with the common forms of colour blindness. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Formats a number compactly for axes and labels (3 significant digits, SI suffix for large values). */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [scale, suffix] of units) if (a >= scale) return `${trim(v / scale)}${suffix}`;
  if (a < 1e-3) return v.toExponential(2);
  return trim(v);
}

function trim(v: number): string {
  return String(Number(v.toPrecision(3)));
}

/** Round tick values covering [min, max] (about `count` of them). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0];
  if (max === min) {
    if (max === 0) return [0, 1];
    const pad = Math.abs(max) * 0.1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.floor(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function open(kind: string, title: string, f: Frame, extraHeight = 0): string {
  const h = f.height + extraHeight;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="${kind}" width="${f.width}" height="${h}" viewBox="0 0 ${f.width} ${h}" role="img" aria-label="${escapeXml(title)}" font-family="system-ui, sans-serif" font-size="11">`
    + `<text class="chart-title" x="${f.width / 2}" y="16" text-anchor="middle" font-size="${titleFontSize(title, f.width)}" font-weight="600">${escapeXml(title)}</text>`;
}

/** Title font size that keeps a long title inside the chart (bold sans-serif is about 0.62 em per character). */
function titleFontSize(title: string, width: number): number {
  return Math.max(8, Math.min(13, Math.floor(((width - 12) / (0.62 * Math.max(1, title.length))) * 10) / 10));
}

function legend(names: string[], f: Frame, y: number): string {
  let x = f.left;
  let row = y;
  let out = '';
  for (let i = 0; i < names.length; i++) {
    const w = 18 + names[i].length * 6.5 + 14;
    if (x + w > f.width - 4 && x > f.left) {
      x = f.left;
      row += 16;
    }
    out += `<g class="legend-item"><rect x="${x}" y="${row - 9}" width="12" height="10" fill="${PALETTE[i % PALETTE.length]}"/>`
      + `<text x="${x + 16}" y="${row}">${escapeXml(names[i])}</text></g>`;
    x += w;
  }
  return out;
}

function legendRows(names: string[], f: Frame): number {
  let x = f.left;
  let rows = names.length > 0 ? 1 : 0;
  for (const n of names) {
    const w = 18 + n.length * 6.5 + 14;
    if (x + w > f.width - 4 && x > f.left) {
      x = f.left;
      rows++;
    }
    x += w;
  }
  return rows;
}

function yAxis(ticks: number[], scale: (v: number) => number, f: Frame, label: string | undefined, fmt: (v: number) => string): string {
  let out = '';
  for (const t of ticks) {
    const y = scale(t);
    out += `<line x1="${f.left}" x2="${f.width - f.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`
      + `<text x="${f.left - 5}" y="${y + 4}" text-anchor="end">${escapeXml(fmt(t))}</text>`;
  }
  out += `<line x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="#333"/>`;
  if (label) {
    const cy = (f.top + f.height - f.bottom) / 2;
    out += `<text x="12" y="${cy}" text-anchor="middle" transform="rotate(-90 12 ${cy})">${escapeXml(label)}</text>`;
  }
  return out;
}

export interface BarSeries {
  name: string;
  values: number[];
}

export interface BarChartOptions {
  title: string;
  categories: string[];
  series: BarSeries[];
  /** Stack the series in each category instead of placing them side by side. */
  stacked?: boolean;
  yLabel?: string;
  width?: number;
  height?: number;
  /** Formats values on the axis and in tooltips. */
  format?: (v: number) => string;
  /** Logarithmic value axis (grouped bars only), for figures spanning orders of magnitude. */
  log?: boolean;
}

/** A grouped or stacked bar chart, one colour per series. Values must be ≥ 0. */
export function barChart(o: BarChartOptions): string {
  const fmt = o.format ?? formatNumber;
  const longest = Math.max(0, ...o.categories.map((c) => c.length));
  const rotate = o.categories.length * Math.max(6, longest) * 6.2 > (o.width ?? 640) - 70;
  // Rotated labels need room below the axis; the chart grows so that the plot keeps its height.
  const bottom = rotate ? Math.min(180, 24 + longest * 6.2 * 0.65) : 34;
  const f: Frame = { width: o.width ?? 640, height: (o.height ?? 300) + bottom - 34, left: 62, right: 12, top: 28, bottom };
  const names = o.series.length > 1 ? o.series.map((s) => s.name) : [];
  const extra = legendRows(names, f) * 16 + (names.length ? 6 : 0);
  let max = 0;
  for (let c = 0; c < o.categories.length; c++) {
    const vals = o.series.map((s) => Math.max(0, s.values[c] ?? 0));
    max = Math.max(max, o.stacked ? vals.reduce((a, b) => a + b, 0) : Math.max(0, ...vals));
  }
  const plotH = f.height - f.top - f.bottom;
  const positive = o.series.flatMap((s) => s.values).filter((v) => v > 0);
  const log = (o.log ?? false) && !o.stacked && positive.length > 0;
  let ticks: number[];
  let scale: (v: number) => number;
  if (log) {
    const lo = Math.floor(Math.log10(Math.min(...positive)));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...positive))));
    ticks = Array.from({ length: hi - lo + 1 }, (_, k) => 10 ** (lo + k));
    // zero bars sit on the axis (log scales have no zero)
    scale = (v: number) => f.top + plotH * (1 - (Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo));
  } else {
    ticks = niceTicks(0, max || 1);
    const top = ticks[ticks.length - 1];
    scale = (v: number) => f.top + plotH * (1 - v / top);
  }
  const band = (f.width - f.left - f.right) / Math.max(1, o.categories.length);
  let svg = open('bar', o.title, f, extra) + yAxis(ticks, scale, f, o.yLabel, fmt);
  o.categories.forEach((cat, c) => {
    const x0 = f.left + c * band;
    let base = 0;
    const groupW = band * 0.8;
    o.series.forEach((s, i) => {
      const v = Math.max(0, s.values[c] ?? 0);
      const color = PALETTE[i % PALETTE.length];
      let x: number, w: number, y: number, h: number;
      if (o.stacked) {
        x = x0 + band * 0.1;
        w = groupW;
        y = scale(base + v);
        h = scale(base) - y;
        base += v;
      } else {
        w = groupW / o.series.length;
        x = x0 + band * 0.1 + i * w;
        y = scale(v);
        h = f.height - f.bottom - y;
      }
      svg += `<rect class="mark bar" x="${x.toFixed(2)}" y="${y.toFixed(2)}" width="${Math.max(0.5, w).toFixed(2)}" height="${Math.max(0, h).toFixed(2)}" fill="${color}"><title>${escapeXml(`${cat} · ${s.name}: ${fmt(v)}`)}</title></rect>`;
    });
    const lx = x0 + band / 2;
    const ly = f.height - f.bottom + 14;
    svg += rotate
      ? `<text x="${lx}" y="${ly - 4}" text-anchor="end" transform="rotate(-40 ${lx} ${ly - 4})">${escapeXml(cat)}</text>`
      : `<text x="${lx}" y="${ly}" text-anchor="middle">${escapeXml(cat)}</text>`;
  });
  svg += `<line x1="${f.left}" x2="${f.width - f.right}" y1="${f.height - f.bottom}" y2="${f.height - f.bottom}" stroke="#333"/>`;
  if (log) svg += `<text x="${f.width - f.right}" y="${f.top - 4}" text-anchor="end" font-size="10" fill="#555">log scale</text>`;
  svg += legend(names, f, f.height + 10);
  return `${svg}</svg>`;
}

export interface LineSeries {
  name: string;
  points: [number, number][];
}

export interface LineChartOptions {
  title: string;
  series: LineSeries[];
  xLabel?: string;
  yLabel?: string;
  yMin?: number;
  yMax?: number;
  width?: number;
  height?: number;
  formatX?: (v: number) => string;
  formatY?: (v: number) => string;
}

/** A line chart with markers, one colour per series; x values need not be evenly spaced. */
export function lineChart(o: LineChartOptions): string {
  const fx = o.formatX ?? formatNumber;
  const fy = o.formatY ?? formatNumber;
  const f: Frame = { width: o.width ?? 640, height: o.height ?? 300, left: 62, right: 16, top: 28, bottom: 40 };
  const names = o.series.length > 1 ? o.series.map((s) => s.name) : [];
  const extra = legendRows(names, f) * 16 + (names.length ? 6 : 0);
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = o.series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const xMin = Math.min(...xs, Infinity) === Infinity ? 0 : Math.min(...xs);
  const xMax = xs.length ? Math.max(...xs) : 1;
  const yTicks = niceTicks(o.yMin ?? Math.min(...ys, 0), o.yMax ?? Math.max(...ys, 1));
  const yLo = yTicks[0];
  const yHi = yTicks[yTicks.length - 1];
  const plotW = f.width - f.left - f.right;
  const plotH = f.height - f.top - f.bottom;
  const sx = (v: number) => f.left + (xMax === xMin ? plotW / 2 : ((v - xMin) / (xMax - xMin)) * plotW);
  const sy = (v: number) => f.top + plotH * (1 - (v - yLo) / (yHi - yLo || 1));
  let svg = open('line', o.title, f, extra) + yAxis(yTicks, sy, f, o.yLabel, fy);
  const xTicks = [...new Set(xs)].sort((a, b) => a - b);
  for (const t of xTicks.length <= 12 ? xTicks : niceTicks(xMin, xMax)) {
    svg += `<text x="${sx(t)}" y="${f.height - f.bottom + 14}" text-anchor="middle">${escapeXml(fx(t))}</text>`;
  }
  svg += `<line x1="${f.left}" x2="${f.width - f.right}" y1="${f.height - f.bottom}" y2="${f.height - f.bottom}" stroke="#333"/>`;
  if (o.xLabel) svg += `<text x="${f.left + plotW / 2}" y="${f.height - 6}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`;
  o.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = s.points.filter((p) => Number.isFinite(p[1])).sort((a, b) => a[0] - b[0]);
    if (pts.length > 1) {
      const d = pts.map((p, k) => `${k ? 'L' : 'M'}${sx(p[0]).toFixed(2)},${sy(p[1]).toFixed(2)}`).join('');
      svg += `<path class="mark series" d="${d}" fill="none" stroke="${color}" stroke-width="2"><title>${escapeXml(s.name)}</title></path>`;
    }
    for (const p of pts) {
      svg += `<circle class="mark point" cx="${sx(p[0]).toFixed(2)}" cy="${sy(p[1]).toFixed(2)}" r="3" fill="${color}"><title>${escapeXml(`${s.name} @ ${fx(p[0])}: ${fy(p[1])}`)}</title></circle>`;
    }
  });
  svg += legend(names, f, f.height + 10);
  return `${svg}</svg>`;
}

export interface HeatmapOptions {
  title: string;
  /** `values[row][col]`; NaN marks an absent cell (drawn hatched grey). */
  values: number[][];
  rowLabels?: string[];
  colLabels?: string[];
  /** Text beside the colour bar, e.g. "neurons used (%)". */
  valueLabel?: string;
  min?: number;
  max?: number;
  /** Pixel size of one cell (default: fit into 480 px). */
  cell?: number;
  format?: (v: number) => string;
  /** Print each value inside its cell (when cells are large enough). */
  annotate?: boolean;
}

/** Maps t ∈ [0, 1] to a perceptually ordered colour (a viridis approximation). */
export function viridis(t: number): string {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((v, k) => Math.round(v + f * (stops[i + 1][k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** A heat map of a grid (e.g. core utilisation on a chip's mesh), with a colour bar. */
export function heatmap(o: HeatmapOptions): string {
  const fmt = o.format ?? formatNumber;
  const rows = o.values.length;
  const cols = Math.max(0, ...o.values.map((r) => r.length));
  const finite = o.values.flat().filter(Number.isFinite);
  const lo = o.min ?? Math.min(...finite, 0);
  const hi = o.max ?? Math.max(...finite, lo + 1);
  const cell = o.cell ?? Math.max(4, Math.min(40, Math.floor(480 / Math.max(rows, cols, 1))));
  const left = o.rowLabels ? 40 : 12;
  const top = 28 + (o.colLabels ? 14 : 0);
  const titleWidth = o.title.length * 8.1 + 16;
  const barLabelWidth = Math.max(40, (o.valueLabel?.length ?? 0) * 6 + 10);
  const f: Frame = { width: Math.max(left + cols * cell + 36 + barLabelWidth, titleWidth), height: top + rows * cell + 16, left, right: 36 + barLabelWidth, top, bottom: 16 };
  let svg = open('heatmap', o.title, f);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = o.values[r][c];
      const x = left + c * cell;
      const y = top + r * cell;
      const label = `${o.rowLabels?.[r] ?? r}, ${o.colLabels?.[c] ?? c}: ${Number.isFinite(v) ? fmt(v) : 'n/a'}`;
      const fill = Number.isFinite(v) ? viridis((v - lo) / (hi - lo || 1)) : '#eee';
      svg += `<rect class="mark cell" x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#fff" stroke-width="${cell > 6 ? 1 : 0}"><title>${escapeXml(label)}</title></rect>`;
      if (o.annotate && cell >= 26 && Number.isFinite(v)) {
        const dark = (v - lo) / (hi - lo || 1) > 0.6;
        svg += `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" font-size="9" fill="${dark ? '#000' : '#fff'}">${escapeXml(fmt(v))}</text>`;
      }
    }
    if (o.rowLabels) svg += `<text x="${left - 4}" y="${top + r * cell + cell / 2 + 4}" text-anchor="end">${escapeXml(o.rowLabels[r])}</text>`;
  }
  if (o.colLabels) {
    for (let c = 0; c < cols; c++) svg += `<text x="${left + c * cell + cell / 2}" y="${top - 4}" text-anchor="middle">${escapeXml(o.colLabels[c])}</text>`;
  }
  // colour bar
  const bx = left + cols * cell + 16;
  const bh = Math.max(60, rows * cell);
  const id = `g${Math.abs(hashString(o.title))}`;
  svg += `<defs><linearGradient id="${id}" x1="0" y1="1" x2="0" y2="0">${[0, 0.25, 0.5, 0.75, 1].map((t) => `<stop offset="${t}" stop-color="${viridis(t)}"/>`).join('')}</linearGradient></defs>`;
  svg += `<rect x="${bx}" y="${top}" width="12" height="${bh}" fill="url(#${id})"/>`
    + `<text x="${bx + 16}" y="${top + 8}">${escapeXml(fmt(hi))}</text>`
    + `<text x="${bx + 16}" y="${top + bh}">${escapeXml(fmt(lo))}</text>`;
  if (o.valueLabel) svg += `<text x="${bx + 16}" y="${top + bh / 2}" font-size="10">${escapeXml(o.valueLabel)}</text>`;
  // the colour bar may be taller than the grid
  const needed = top + bh + 20;
  if (needed > f.height) svg = svg.replace(/height="\d+(\.\d+)?" viewBox="0 0 (\d+) \d+(\.\d+)?"/, `height="${needed}" viewBox="0 0 $2 ${needed}"`);
  return `${svg}</svg>`;
}

function hashString(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Lays several SVG charts out in one SVG (a grid of `columns` panels), e.g. one panel per noise kind. */
export function chartGrid(charts: string[], columns: number, title?: string): string {
  const sizes = charts.map((c) => {
    const m = /width="(\d+(?:\.\d+)?)" height="(\d+(?:\.\d+)?)"/.exec(c);
    return m ? [Number(m[1]), Number(m[2])] : [640, 300];
  });
  const cw = Math.max(0, ...sizes.map((s) => s[0]));
  const head = title ? 28 : 0;
  const rowsH: number[] = [];
  for (let i = 0; i < charts.length; i += columns) rowsH.push(Math.max(...sizes.slice(i, i + columns).map((s) => s[1])));
  const width = cw * Math.min(columns, charts.length);
  const height = head + rowsH.reduce((a, b) => a + b, 0);
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" class="chart-grid" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">`;
  if (title) svg += `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(title)}</text>`;
  let y = head;
  charts.forEach((c, i) => {
    const col = i % columns;
    if (col === 0 && i > 0) y += rowsH[i / columns - 1];
    svg += `<g transform="translate(${col * cw} ${y})">${c.replace(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, '<svg')}</g>`;
  });
  return `${svg}</svg>`;
}
