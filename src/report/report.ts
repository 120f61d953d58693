import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UserError } from '../util/errors.js';
import { htmlPage, htmlTable, chartRow, type HtmlSection } from './html.js';
import { markdownTable } from './format.js';
import { escapeXml } from './svg.js';

/** A table of a report section: the same cells go into the HTML page and the Markdown summary. */
export interface ReportTable {
  caption: string;
  head: string[];
  rows: string[][];
  /** Column alignment for Markdown ('l' or 'r'); default: first column left, the rest right. */
  align?: ('l' | 'r')[];
}

/** One part of the report: tables (HTML and Markdown), charts (HTML only) and notes (both). */
export interface ReportSection {
  id: string;
  title: string;
  tables: ReportTable[];
  charts: string[];
  notes: string[];
}

/** A JSON file found in the report folder. */
export interface ReportInput {
  /** Path relative to the report folder. */
  file: string;
  /** Its `format` field (e.g. snnc-robustness), or 'unknown'. */
  format: string;
  data: unknown;
}

/** JSON files larger than this are not read (mapped artifacts with weights can be big and are not needed). */
const MAX_JSON_BYTES = 64 * 1024 * 1024;
const MAX_ONNX_BYTES = 256 * 1024 * 1024;

/** Pseudo format of ONNX model files found in the report folder (`data` is `{ path }`). */
export const ONNX_MODEL_FORMAT = 'onnx-model';

/**
 * Every JSON file under `dir` (up to 3 folders deep), parsed, with its format tag. Files that are not
 * JSON objects are skipped and listed in `skipped` with the reason.
 */
export function collectReportInputs(dir: string, wanted: (format: string) => boolean = () => true): { inputs: ReportInput[]; skipped: { file: string; reason: string }[] } {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new UserError(`report folder '${dir}' does not exist`);
  }
  if (!st.isDirectory()) throw new UserError(`'${dir}' is not a folder (give the folder holding compile, simulate, verify or robustness outputs)`);
  const inputs: ReportInput[] = [];
  const skipped: { file: string; reason: string }[] = [];
  const walk = (d: string, depth: number) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const path = join(d, name);
      const s = statSync(path);
      if (s.isDirectory()) {
        if (depth < 3) walk(path, depth + 1);
        continue;
      }
      const file = relative(dir, path);
      if (name.endsWith('.onnx')) {
        // models beside the outputs: ANNs give the MAC count of the ANN-vs-SNN comparison
        if (s.size <= MAX_ONNX_BYTES) inputs.push({ file, format: ONNX_MODEL_FORMAT, data: { path } });
        else skipped.push({ file, reason: `larger than ${MAX_ONNX_BYTES / 1048576} MB` });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      if (s.size > MAX_JSON_BYTES) {
        skipped.push({ file, reason: `larger than ${MAX_JSON_BYTES / 1048576} MB` });
        continue;
      }
      // Big artifacts (mapped.json with every weight) announce their format in the first bytes: skip them unparsed.
      const head = readHead(path, 512);
      const tag = /^\s*\{\s*"format"\s*:\s*"([^"]{1,64})"/.exec(head)?.[1];
      if (tag !== undefined && !wanted(tag)) {
        skipped.push({ file, reason: `format '${tag}' is not part of reports` });
        continue;
      }
      let data: unknown;
      try {
        data = JSON.parse(readFileSync(path, 'utf8'));
      } catch (e) {
        skipped.push({ file, reason: `not valid JSON (${(e as Error).message})` });
        continue;
      }
      if (typeof data !== 'object' || data === null || Array.isArray(data)) {
        skipped.push({ file, reason: 'not a JSON object' });
        continue;
      }
      const format = typeof (data as { format?: unknown }).format === 'string' ? (data as { format: string }).format : sniffFormat(data);
      inputs.push({ file, format, data });
    }
  };
  walk(dir, 0);
  return { inputs, skipped };
}

/** The first `bytes` bytes of a file as text. */
function readHead(path: string, bytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Tag of compile summaries (`snnc compile` writes summary.json without a format field; compare tags it). */
export const COMPILE_SUMMARY_TAG = 'snnc-compile-summary';

/** Recognises untagged snnc outputs by their fields. */
function sniffFormat(data: object): string {
  const d = data as Record<string, unknown>;
  if (typeof d.coresUsed === 'number' && typeof d.coresAvailable === 'number' && Array.isArray(d.layers) && typeof d.target === 'string') return COMPILE_SUMMARY_TAG;
  return 'unknown';
}

/** Renders sections as one self-contained HTML page. */
export function renderHtml(title: string, subtitle: string, sections: ReportSection[], footer: string): string {
  const html: HtmlSection[] = sections.map((s) => ({
    id: s.id,
    title: s.title,
    html: [
      s.charts.length ? chartRow(s.charts) : '',
      ...s.tables.map((t) => `<h3>${escapeXml(t.caption)}</h3>${htmlTable(t.head, t.rows)}`),
      ...s.notes.map((n) => `<p class="note">${escapeXml(n)}</p>`),
    ].join(''),
  }));
  return htmlPage(title, subtitle, html, footer);
}

/** Renders sections as a Markdown summary (tables and notes; charts live in the HTML page). */
export function renderMarkdown(title: string, subtitle: string, sections: ReportSection[]): string {
  const parts = [`# ${title}`, '', subtitle, ''];
  for (const s of sections) {
    parts.push(`## ${s.title}`, '');
    for (const t of s.tables) {
      parts.push(`**${t.caption}**`, '', markdownTable(t.head, t.rows, t.align ?? t.head.map((_, i) => (i === 0 ? 'l' : 'r'))), '');
    }
    for (const n of s.notes) parts.push(`> ${n.replace(/\r?\n/g, ' ')}`, '');
  }
  return `${parts.join('\n').trimEnd()}\n`;
}
